//! Leader election with a `coordination.k8s.io/v1` Lease, so only one operator replica reconciles at a time. The
//! rules are client-go's (`tools/leaderelection`):
//! - A replica leads by creating the Lease, by renewing it while it holds it, by taking it over once it has expired,
//!   or at once when the holder released it (no holder). Every write carries the Lease's `resourceVersion`, so two
//!   replicas racing for it cannot both win: the API server refuses the second with a conflict.
//! - Expiry is judged on this replica's own monotonic clock: a Lease has expired when its record has not changed for
//!   `leaseDurationSeconds` since this replica *observed* it change. The holder's `renewTime` is never compared with
//!   the local wall clock, so clock skew between nodes cannot make a live Lease look expired (two leaders) or an
//!   abandoned one look alive. The wall clock only stamps the times written, for people and other tools.
//! - A leader that stops releases the Lease (no holder, a 1 s duration), so its successor takes over at its next
//!   poll instead of a lease duration later.
//!
//! [`elect`] runs the rounds: poll until leading, renew while leading, release on shutdown.

pub mod elect;

use std::time::{Duration, Instant};

use k8s_openapi::{
    api::coordination::v1::{Lease, LeaseSpec},
    apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta},
    jiff::Timestamp,
};
use kube::{Api, Client, api::PostParams};

/// How long a Lease stays valid without renewal.
pub const LEASE_DURATION: Duration = Duration::from_secs(15);

/// The Lease record as this replica last saw it, and when it saw it change.
#[derive(Clone, Debug)]
struct Observed {
    spec: LeaseSpec,
    resource_version: Option<String>,
    /// This replica's monotonic time when `spec` was first seen.
    at: Instant,
}

/// A Lease this replica competes for.
pub struct LeaseLock {
    api: Api<Lease>,
    name: String,
    identity: String,
    observed: Option<Observed>,
}

impl LeaseLock {
    /// The Lease `name` in `namespace`, competed for as `identity` (the pod name).
    pub fn new(client: Client, namespace: &str, name: &str, identity: &str) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            name: name.to_owned(),
            identity: identity.to_owned(),
            observed: None,
        }
    }

    /// Whether this replica held the Lease when it last looked.
    pub fn leading(&self) -> bool {
        self.observed.as_ref().is_some_and(|o| o.spec.holder_identity.as_deref() == Some(self.identity.as_str()))
    }

    /// Records the Lease as read at `now`; the observation time moves only when the record changed.
    fn observe(&mut self, lease: Lease, now: Instant) {
        let spec = lease.spec.unwrap_or_default();
        let at = match &self.observed {
            Some(seen) if seen.spec == spec => seen.at,
            _ => now,
        };
        self.observed = Some(Observed { spec, resource_version: lease.metadata.resource_version, at });
    }

    /// Whether the observed record has gone unchanged for its lease duration by `now`.
    fn expired(&self, now: Instant) -> bool {
        self.observed.as_ref().is_none_or(|seen| {
            let seconds = seen.spec.lease_duration_seconds.map_or(LEASE_DURATION.as_secs(), |s| s.max(0) as u64);
            now.saturating_duration_since(seen.at) >= Duration::from_secs(seconds)
        })
    }

    /// One election round at monotonic time `now` (wall time `wall`, only written): `Ok(true)` when this replica
    /// holds the Lease afterwards.
    pub async fn try_acquire_or_renew(&mut self, now: Instant, wall: Timestamp) -> Result<bool, kube::Error> {
        let Some(current) = self.api.get_opt(&self.name).await? else {
            return self.create(now, wall).await;
        };
        self.observe(current, now);
        let Some(seen) = self.observed.clone() else { return Ok(false) };
        let holder = seen.spec.holder_identity.clone().unwrap_or_default();
        let mine = holder == self.identity;
        if !mine && !holder.is_empty() && !self.expired(now) {
            return Ok(false);
        }
        let spec = LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            lease_duration_seconds: Some(LEASE_DURATION.as_secs() as i32),
            acquire_time: if mine { seen.spec.acquire_time.clone() } else { Some(MicroTime(wall)) },
            renew_time: Some(MicroTime(wall)),
            lease_transitions: Some(seen.spec.lease_transitions.unwrap_or(0) + i32::from(!mine)),
            ..LeaseSpec::default()
        };
        self.replace(spec, seen.resource_version, now).await
    }

    /// Gives the Lease up if this replica holds it, so another can take it at once: `Ok(true)` when released.
    pub async fn release(&mut self, now: Instant, wall: Timestamp) -> Result<bool, kube::Error> {
        let Some(seen) = self.observed.clone().filter(|_| self.leading()) else { return Ok(false) };
        let spec = LeaseSpec {
            holder_identity: None,
            lease_duration_seconds: Some(1),
            acquire_time: Some(MicroTime(wall)),
            renew_time: Some(MicroTime(wall)),
            lease_transitions: seen.spec.lease_transitions,
            ..LeaseSpec::default()
        };
        let released = self.replace(spec, seen.resource_version, now).await?;
        Ok(released)
    }

    /// Writes `spec` if the Lease is still at `resource_version`: `Ok(false)` on a conflict (another replica wrote).
    async fn replace(
        &mut self,
        spec: LeaseSpec,
        resource_version: Option<String>,
        now: Instant,
    ) -> Result<bool, kube::Error> {
        let lease = Lease {
            metadata: ObjectMeta { name: Some(self.name.clone()), resource_version, ..ObjectMeta::default() },
            spec: Some(spec),
        };
        match self.api.replace(&self.name, &PostParams::default(), &lease).await {
            Ok(written) => {
                self.observe(written, now);
                Ok(true)
            }
            Err(kube::Error::Api(status)) if status.is_conflict() => Ok(false),
            Err(error) => Err(error),
        }
    }

    async fn create(&mut self, now: Instant, wall: Timestamp) -> Result<bool, kube::Error> {
        let lease = Lease {
            metadata: ObjectMeta { name: Some(self.name.clone()), ..ObjectMeta::default() },
            spec: Some(LeaseSpec {
                holder_identity: Some(self.identity.clone()),
                lease_duration_seconds: Some(LEASE_DURATION.as_secs() as i32),
                acquire_time: Some(MicroTime(wall)),
                renew_time: Some(MicroTime(wall)),
                lease_transitions: Some(0),
                ..LeaseSpec::default()
            }),
        };
        match self.api.create(&PostParams::default(), &lease).await {
            Ok(created) => {
                self.observe(created, now);
                Ok(true)
            }
            // Another replica created it first.
            Err(kube::Error::Api(status)) if status.is_already_exists() || status.is_conflict() => Ok(false),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests;
