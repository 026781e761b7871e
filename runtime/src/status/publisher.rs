//! The I/O half of publishing: a task per runtime process that applies the pod's reports to its resource's status
//! subresource, so the pipeline never waits on the API server.
//!
//! Each report is applied as soon as it arrives (the pipeline hands one over per publication interval, see
//! [`super::Publication`]); a change in the pod's problems is applied within [`URGENT_GAP_MS`]; and when no report
//! has come for two intervals (the pipeline is stuck on a sink) the last one is applied again, so the pod's entry
//! stays fresh and its problems visible. Before applying, the task reads the resource (the other pods' entries),
//! and for a Forecaster the AutoScalePolicies of its namespace (which series to publish).

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use augur_crds::{AutoScalePolicy, common::reason, runtime_config::ResourceIdentity};
use kube::{
    Api, Client,
    api::{ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams},
};
use serde_json::{Value, json};
use tokio::sync::watch;

use super::{
    Health, PodReport,
    forecasts::series_referenced_by,
    merge::{Removal, merge},
};
use crate::{
    pipeline::Shutdown,
    time::{Clock, Millis},
};

/// Field managers of runtime pods are this, `/`, and the pod's name.
pub const FIELD_MANAGER_PREFIX: &str = "augur-runtime";

/// Least time between two applies caused by a change in the pod's problems.
pub const URGENT_GAP_MS: Millis = 5_000;

/// Most problems listed in a pod's entry (the schema's bound).
const MAX_PROBLEMS: usize = 8;

/// The field manager of pod `pod` (at most 128 characters, as the API server requires).
pub fn field_manager(pod: &str) -> String {
    format!("{FIELD_MANAGER_PREFIX}/{pod}").chars().take(128).collect()
}

/// The series the AutoScalePolicies of the Forecaster's namespace reference, shared between the task (which lists
/// the policies) and the pipeline (which builds the report); `None` until listed, or when listing is not allowed.
pub type Wanted = Arc<Mutex<Option<Vec<String>>>>;

/// Where and as whom a pod publishes.
pub struct Target {
    /// The Kubernetes API.
    pub client: Client,
    /// The resource.
    pub resource: ResourceIdentity,
    /// This pod's name.
    pub pod: String,
    /// Wall-clock milliseconds between publications.
    pub interval_ms: Millis,
    /// Wall-clock time.
    pub clock: Arc<dyn Clock>,
}

/// The pipeline's end of the publishing task.
pub struct PublisherHandle {
    reports: watch::Sender<Option<PodReport>>,
    wanted: Wanted,
    applied: watch::Receiver<u64>,
}

impl PublisherHandle {
    /// Hands `report` over to the task (replacing one it has not applied yet).
    pub fn send(&self, report: PodReport) {
        self.reports.send_replace(Some(report));
    }

    /// The series to publish, when known.
    pub fn wanted(&self) -> Option<Vec<String>> {
        self.wanted.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Applies attempted so far (for tests and progress lines).
    pub fn applied(&self) -> watch::Receiver<u64> {
        self.applied.clone()
    }
}

/// Starts the publishing task for `target`; it stops when `shutdown` fires.
pub fn spawn(target: Target, health: Health, shutdown: Shutdown) -> PublisherHandle {
    let (reports, received) = watch::channel(None);
    let (applied_tx, applied) = watch::channel(0);
    let wanted: Wanted = Arc::new(Mutex::new(None));
    let task = Task { api: dynamic_api(&target), target, health, wanted: wanted.clone(), applied: applied_tx };
    tokio::spawn(task.run(received, shutdown));
    PublisherHandle { reports, wanted, applied }
}

fn dynamic_api(target: &Target) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk(augur_crds::GROUP, augur_crds::VERSION, &target.resource.kind);
    let plural = format!("{}s", target.resource.kind.to_lowercase()).replace("policys", "policies");
    let resource = ApiResource::from_gvk_with_plural(&gvk, &plural);
    Api::namespaced_with(target.client.clone(), &target.resource.namespace, &resource)
}

struct Task {
    target: Target,
    api: Api<DynamicObject>,
    health: Health,
    wanted: Wanted,
    applied: watch::Sender<u64>,
}

impl Task {
    async fn run(self, mut reports: watch::Receiver<Option<PodReport>>, shutdown: Shutdown) {
        let interval = self.target.interval_ms.max(1);
        let tick = Duration::from_millis((interval / 6).clamp(200, URGENT_GAP_MS) as u64);
        let mut report: Option<PodReport> = None;
        let mut fresh = false;
        let mut last_apply: Option<Millis> = None;
        let mut last_problems = Vec::new();
        loop {
            tokio::select! {
                biased;
                () = shutdown.fired() => return,
                changed = reports.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    report = reports.borrow_and_update().clone();
                    fresh = true;
                }
                () = tokio::time::sleep(tick) => {}
            }
            let now = self.target.clock.now();
            let problems = self.health.problems(MAX_PROBLEMS);
            let since = |gap: Millis| last_apply.is_none_or(|t| now.saturating_sub(t) >= gap);
            let urgent = problems != last_problems && since(URGENT_GAP_MS);
            let heartbeat = since(2 * interval);
            let Some(current) = report.as_ref().filter(|_| fresh || urgent || heartbeat) else { continue };
            fresh = false;
            last_apply = Some(now);
            last_problems = problems.clone();
            match self.publish(current, problems, now).await {
                Ok(()) => self.health.clear("status"),
                Err(error) => self.health.report(
                    "status",
                    reason::STATUS_UNAVAILABLE,
                    format!(
                        "cannot publish to {} {}/{}'s status: {error}",
                        self.target.resource.kind, self.target.resource.namespace, self.target.resource.name
                    ),
                    false,
                ),
            }
            self.applied.send_modify(|count| *count += 1);
        }
    }

    async fn publish(
        &self,
        report: &PodReport,
        problems: Vec<augur_crds::common::RuntimeProblem>,
        now: Millis,
    ) -> Result<(), kube::Error> {
        let resource = &self.target.resource;
        if resource.kind == "Forecaster" {
            self.list_wanted().await;
        }
        let current = match self.api.get_status(&resource.name).await {
            Ok(object) => object.data.get("status").cloned().unwrap_or(Value::Null),
            Err(error) => {
                tracing::debug!(%error, "cannot read the resource; publishing this pod's figures alone");
                Value::Null
            }
        };
        let merged = merge(&current, &self.target.pod, report, problems, now, self.target.interval_ms);
        let body = json!({
            "apiVersion": format!("{}/{}", augur_crds::GROUP, augur_crds::VERSION),
            "kind": resource.kind,
            "metadata": {"name": resource.name, "namespace": resource.namespace},
            "status": merged.status,
        });
        let params = PatchParams::apply(&field_manager(&self.target.pod)).force();
        self.api.patch_status(&resource.name, &params, &Patch::Apply(&body)).await?;
        self.remove(&merged.removals).await;
        Ok(())
    }

    /// Lists the policies of the namespace for the series they reference; when that is not allowed, every series
    /// is published (bounded).
    async fn list_wanted(&self) {
        let resource = &self.target.resource;
        let policies: Api<AutoScalePolicy> = Api::namespaced(self.target.client.clone(), &resource.namespace);
        match policies.list(&ListParams::default()).await {
            Ok(listed) => {
                let series = series_referenced_by(&listed.items, &resource.name);
                *self.wanted.lock().unwrap_or_else(|e| e.into_inner()) = Some(series);
            }
            Err(error) => tracing::debug!(%error, "cannot list the AutoScalePolicies; publishing every series"),
        }
    }

    /// Removes entries of pods that are gone, one JSON patch per entry, each checking the entry is still where it
    /// was read (another pod may have removed or moved it meanwhile: then the patch fails, harmlessly).
    async fn remove(&self, removals: &[Removal]) {
        for removal in removals {
            let path = format!("/status/{}/{}", removal.list, removal.index);
            let patch: json_patch::Patch = match serde_json::from_value(json!([
                {"op": "test", "path": format!("{path}/{}", removal.field), "value": removal.key},
                {"op": "remove", "path": path},
            ])) {
                Ok(patch) => patch,
                Err(_) => continue,
            };
            let (params, patch) = (PatchParams::default(), Patch::<()>::Json(patch));
            if let Err(error) = self.api.patch_status(&self.target.resource.name, &params, &patch).await {
                tracing::debug!(%error, list = removal.list, key = %removal.key, "stale entry not removed");
            } else {
                tracing::info!(list = removal.list, key = %removal.key, "removed the entry of a runtime pod that is gone");
            }
        }
    }
}
