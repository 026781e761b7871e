//! Leader election with a `coordination.k8s.io/v1` Lease, so only one operator replica reconciles at a time.
//!
//! A replica becomes leader by creating the Lease, by renewing it while it holds it, or by taking it over once the
//! holder's `renewTime + leaseDurationSeconds` has passed. Every write carries the Lease's `resourceVersion`, so two
//! replicas racing for an expired Lease cannot both win: the API server refuses the second with a conflict.

use std::time::Duration;

use k8s_openapi::{
    api::coordination::v1::{Lease, LeaseSpec},
    apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta},
    jiff::{SignedDuration, Timestamp},
};
use kube::{Api, Client, api::PostParams};

/// How long a Lease stays valid without renewal.
pub const LEASE_DURATION: Duration = Duration::from_secs(15);
/// How often the leader renews (well inside the duration).
pub const RENEW_EVERY: Duration = Duration::from_secs(5);

/// A Lease this replica competes for.
pub struct LeaseLock {
    api: Api<Lease>,
    name: String,
    identity: String,
}

impl LeaseLock {
    /// The Lease `name` in `namespace`, competed for as `identity` (the pod name).
    pub fn new(client: Client, namespace: &str, name: &str, identity: &str) -> Self {
        Self { api: Api::namespaced(client, namespace), name: name.to_owned(), identity: identity.to_owned() }
    }

    /// One election round at time `now`: `Ok(true)` when this replica holds the Lease afterwards.
    pub async fn try_acquire_or_renew(&self, now: Timestamp) -> Result<bool, kube::Error> {
        let Some(current) = self.api.get_opt(&self.name).await? else {
            return self.create(now).await;
        };
        let spec = current.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.as_deref().unwrap_or_default();
        let mine = holder == self.identity;
        let expired = spec.renew_time.as_ref().is_none_or(|renewed| {
            let duration = i64::from(spec.lease_duration_seconds.unwrap_or(LEASE_DURATION.as_secs() as i32));
            renewed.0.saturating_add(SignedDuration::from_secs(duration)).map_or(true, |until| until < now)
        });
        if !mine && !holder.is_empty() && !expired {
            return Ok(false);
        }
        let transitions = spec.lease_transitions.unwrap_or(0) + i32::from(!mine);
        let acquire_time = if mine { spec.acquire_time.clone() } else { Some(MicroTime(now)) };
        let lease = Lease {
            metadata: ObjectMeta {
                name: Some(self.name.clone()),
                resource_version: current.metadata.resource_version.clone(),
                ..ObjectMeta::default()
            },
            spec: Some(self.spec(now, acquire_time, transitions)),
        };
        match self.api.replace(&self.name, &PostParams::default(), &lease).await {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(status)) if status.is_conflict() => Ok(false),
            Err(error) => Err(error),
        }
    }

    async fn create(&self, now: Timestamp) -> Result<bool, kube::Error> {
        let lease = Lease {
            metadata: ObjectMeta { name: Some(self.name.clone()), ..ObjectMeta::default() },
            spec: Some(self.spec(now, Some(MicroTime(now)), 0)),
        };
        match self.api.create(&PostParams::default(), &lease).await {
            Ok(_) => Ok(true),
            // Another replica created it first.
            Err(kube::Error::Api(status)) if status.is_already_exists() || status.is_conflict() => Ok(false),
            Err(error) => Err(error),
        }
    }

    fn spec(&self, now: Timestamp, acquire_time: Option<MicroTime>, transitions: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            lease_duration_seconds: Some(LEASE_DURATION.as_secs() as i32),
            acquire_time,
            renew_time: Some(MicroTime(now)),
            lease_transitions: Some(transitions),
            ..LeaseSpec::default()
        }
    }
}

#[cfg(test)]
mod tests;
