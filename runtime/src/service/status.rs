//! Forecasts published into the Forecaster's status while the service runs, when the RuntimeConfig asks for status
//! and the Kubernetes API is reachable. The pipeline hands its forecast processors over after each batch; when the
//! publication interval has passed, a bounded status is built there (it borrows the forecasts) and sent to a task
//! that applies it, so the pipeline never waits on the API server.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicI64, Ordering},
};

use augur_crds::{kinds::forecaster::ForecasterStatus, runtime_config::ResourceIdentity};
use kube::Client;
use tokio::sync::mpsc;

use crate::{
    models::forecast::ForecastProcessor,
    pipeline::Partitioned,
    publish::{Publisher, SeriesForecast, referenced_series},
    time::{Clock, Millis},
};

/// Publication of one Forecaster's forecasts.
pub struct StatusPublishing {
    publisher: Arc<tokio::sync::Mutex<Publisher>>,
    wanted: Arc<Mutex<Option<Vec<String>>>>,
    statuses: mpsc::Sender<ForecasterStatus>,
    clock: Arc<dyn Clock>,
    interval_ms: Millis,
    last_built: AtomicI64,
    step_ms: Millis,
}

impl StatusPublishing {
    /// Starts the applying task for the Forecaster `resource`, publishing at most every `interval_ms`.
    pub fn start(
        client: Client,
        resource: &ResourceIdentity,
        interval_ms: Millis,
        clock: Arc<dyn Clock>,
        step_ms: Millis,
    ) -> Self {
        let interval = std::time::Duration::from_millis(interval_ms.max(1000) as u64);
        let publisher = Publisher::new(client.clone(), &resource.namespace, &resource.name, interval, clock.clone());
        let publisher = Arc::new(tokio::sync::Mutex::new(publisher));
        let wanted = Arc::new(Mutex::new(None));
        let (statuses, mut received) = mpsc::channel::<ForecasterStatus>(1);
        {
            let (publisher, wanted, namespace, name) =
                (publisher.clone(), wanted.clone(), resource.namespace.clone(), resource.name.clone());
            tokio::spawn(async move {
                while let Some(status) = received.recv().await {
                    match referenced_series(&client, &namespace, &name).await {
                        Ok(series) => *wanted.lock().unwrap_or_else(|e| e.into_inner()) = Some(series),
                        Err(error) => {
                            tracing::debug!(%error, "cannot list the AutoScalePolicies; publishing every series")
                        }
                    }
                    if let Err(error) = publisher.lock().await.apply(status).await {
                        tracing::warn!(%error, "forecasts not published to the Forecaster's status; retrying later");
                    }
                }
            });
        }
        Self { publisher, wanted, statuses, clock, interval_ms, last_built: AtomicI64::new(i64::MIN), step_ms }
    }

    /// Builds and hands over a status when one is due.
    pub fn observe(&self, stage: &Partitioned<ForecastProcessor>) {
        let now = self.clock.now();
        if now.saturating_sub(self.last_built.load(Ordering::Relaxed)) < self.interval_ms {
            return;
        }
        // The task is applying the previous one: try again after the next batch.
        let Ok(publisher) = self.publisher.try_lock() else { return };
        let entries: Vec<_> = stage.iter().flat_map(|(_, processor)| processor.forecasts()).collect();
        let mut status = {
            let views: Vec<SeriesForecast<'_>> =
                entries.iter().map(|entry| SeriesForecast::from_processor(entry, self.step_ms)).collect();
            let wanted = self.wanted.lock().unwrap_or_else(|e| e.into_inner()).clone();
            publisher.build(&views, wanted.as_deref())
        };
        status.runtime.series_tracked = Some(entries.len() as i64);
        if self.statuses.try_send(status).is_ok() {
            self.last_built.store(now, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::{Request, Response};
    use kube::client::Body;
    use serde_json::{Value, json};

    use super::*;
    use crate::{models::forecast::ForecastParams, pipeline::Stage, record::MetricPoint, time::ManualClock};

    /// Answers the policy list with none, then records the status apply.
    async fn serve(mut handle: tower_test::mock::Handle<Request<Body>, Response<Body>>) -> Value {
        let (request, send) = handle.next_request().await.unwrap_or_else(|| panic!("no list"));
        assert_eq!(request.uri().path(), "/apis/augur.dev/v1alpha1/namespaces/shop/autoscalepolicies");
        let list =
            json!({"apiVersion": "augur.dev/v1alpha1", "kind": "AutoScalePolicyList", "metadata": {}, "items": []});
        send.send_response(Response::new(Body::from(serde_json::to_vec(&list).unwrap_or_default())));
        let (request, send) = handle.next_request().await.unwrap_or_else(|| panic!("no apply"));
        assert_eq!(request.method().as_str(), "PATCH");
        assert!(request.uri().path().ends_with("/forecasters/load/status"), "{}", request.uri());
        let body: Value =
            serde_json::from_slice(&request.into_body().collect_bytes().await.unwrap_or_default()).unwrap_or_default();
        let answer = json!({"apiVersion": "augur.dev/v1alpha1", "kind": "Forecaster",
            "metadata": {"name": "load", "namespace": "shop"},
            "spec": {"source": {"prometheus": {"url": "http://p:9090", "query": "q"}}}, "status": body["status"]});
        send.send_response(Response::new(Body::from(serde_json::to_vec(&answer).unwrap_or_default())));
        let extra = tokio::time::timeout(Duration::from_millis(100), handle.next_request()).await;
        assert!(!matches!(extra, Ok(Some(_))), "one publication per interval");
        body
    }

    #[tokio::test]
    async fn the_pipelines_forecasts_reach_the_status_once_per_interval() {
        let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
        let server = tokio::spawn(serve(handle));
        let clock = ManualClock::new(1_800_000_000_000);
        let resource = ResourceIdentity {
            kind: "Forecaster".into(),
            namespace: "shop".into(),
            name: "load".into(),
            uid: None,
            generation: None,
        };
        let params = ForecastParams::default();
        let step = params.step_ms;
        let publishing = StatusPublishing::start(
            kube::Client::new(service, "default"),
            &resource,
            30_000,
            Arc::new(clock.clone()),
            step,
        );
        let mut stage = Partitioned::new(move || ForecastProcessor::new(params.clone(), 10));
        let mut out = Vec::new();
        for i in 0..5 {
            let point = MetricPoint { series: "rps".into(), timestamp: i * step, value: 10.0 };
            Stage::process(&mut stage, 0, point, &mut out);
        }
        publishing.observe(&stage);
        clock.advance(10_000);
        publishing.observe(&stage);
        let body = tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .unwrap_or_else(|_| panic!("no publication"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(body["status"]["seriesTracked"], 1, "{body}");
    }
}
