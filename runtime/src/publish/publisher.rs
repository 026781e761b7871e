//! The I/O half of publishing: server-side apply of the status built by [`status_patch`] to the Forecaster's status
//! subresource, rate limited by an injected clock.

use std::sync::Arc;

use augur_crds::{AutoScalePolicy, Forecaster, common::condition_type, kinds::forecaster::ForecasterStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{
    Api, Client,
    api::{ListParams, Patch, PatchParams},
};
use serde_json::json;

use super::{Limits, SeriesForecast, series_referenced_by, status_patch};
use crate::time::{Clock, Millis};

/// The field manager of everything the runtime writes into its resource's status.
pub const FIELD_MANAGER: &str = "augur-runtime";

/// Why a publication failed (the caller logs it and tries again at the next interval).
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The API server refused or could not be reached.
    #[error("cannot publish forecasts to Forecaster {namespace}/{name}: {error}")]
    Apply {
        /// The Forecaster's namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// The API error.
        error: kube::Error,
    },
}

/// Publishes one Forecaster's forecasts into its status, at most once per interval.
pub struct Publisher {
    api: Api<Forecaster>,
    namespace: String,
    name: String,
    interval_ms: Millis,
    clock: Arc<dyn Clock>,
    limits: Limits,
    field_manager: String,
    last_attempt: Option<Millis>,
    model_ready: Option<Condition>,
}

impl Publisher {
    /// A publisher for Forecaster `namespace/name` that applies at most once every `interval` (wall-clock time from
    /// `clock`).
    pub fn new(
        client: Client,
        namespace: &str,
        name: &str,
        interval: std::time::Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            interval_ms: i64::try_from(interval.as_millis()).unwrap_or(i64::MAX),
            clock,
            limits: Limits::default(),
            field_manager: FIELD_MANAGER.to_owned(),
            last_attempt: None,
            model_ready: None,
        }
    }

    /// The same publisher with other bounds.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The same publisher under another field manager (default [`FIELD_MANAGER`]), e.g. one per pod once each pod
    /// owns its own entries.
    pub fn with_field_manager(mut self, manager: &str) -> Self {
        self.field_manager = manager.to_owned();
        self
    }

    /// Whether the interval since the last attempt has passed (always true before the first).
    pub fn is_due(&self) -> bool {
        self.last_attempt.is_none_or(|last| self.clock.now().saturating_sub(last) >= self.interval_ms)
    }

    /// The status for `forecasts` (only the `wanted` series when given), now, keeping the `ModelReady` transition
    /// time of the last publication. The caller may add the runtime's live figures (`status.runtime`) before
    /// [`apply`](Self::apply): everything the runtime owns should go out in one apply, since fields a manager leaves
    /// out of its next apply are removed.
    pub fn build(&self, forecasts: &[SeriesForecast<'_>], wanted: Option<&[String]>) -> ForecasterStatus {
        status_patch(forecasts, wanted, self.clock.now(), self.model_ready.as_ref(), &self.limits)
    }

    /// Applies `status` to the Forecaster's status subresource, if due. `Ok(false)`: skipped, the interval has not
    /// passed. A failed attempt also counts for the rate limit, so a struggling API server is not hammered; the
    /// next due call tries again.
    pub async fn apply(&mut self, status: ForecasterStatus) -> Result<bool, PublishError> {
        if !self.is_due() {
            return Ok(false);
        }
        self.last_attempt = Some(self.clock.now());
        let body = json!({
            "apiVersion": format!("{}/{}", augur_crds::GROUP, augur_crds::VERSION),
            "kind": "Forecaster",
            "metadata": {"name": self.name, "namespace": self.namespace},
            "status": status,
        });
        let params = PatchParams::apply(&self.field_manager).force();
        self.api.patch_status(&self.name, &params, &Patch::Apply(&body)).await.map_err(|error| {
            PublishError::Apply { namespace: self.namespace.clone(), name: self.name.clone(), error }
        })?;
        self.model_ready = status.runtime.observed.condition(condition_type::MODEL_READY).cloned();
        Ok(true)
    }

    /// [`build`](Self::build) then [`apply`](Self::apply): publishes `forecasts` (only the `wanted` series when
    /// given), if due.
    pub async fn publish(
        &mut self,
        forecasts: &[SeriesForecast<'_>],
        wanted: Option<&[String]>,
    ) -> Result<bool, PublishError> {
        if !self.is_due() {
            return Ok(false);
        }
        let status = self.build(forecasts, wanted);
        self.apply(status).await
    }
}

/// The series of Forecaster `namespace/forecaster` that the AutoScalePolicies of its namespace reference (needs
/// `list` on `autoscalepolicies` in that namespace).
pub async fn referenced_series(client: &Client, namespace: &str, forecaster: &str) -> Result<Vec<String>, kube::Error> {
    let policies: Api<AutoScalePolicy> = Api::namespaced(client.clone(), namespace);
    let listed = policies.list(&ListParams::default()).await?;
    Ok(series_referenced_by(&listed.items, forecaster))
}
