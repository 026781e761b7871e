//! `augur-operator bench reconcile --resources N`: reconciles N AnomalyDetectors against an in-process API server
//! that answers every request at once (echoing server-side applies, reporting Deployments ready), and prints the
//! time and the process's peak memory. It measures the operator's own cost, not a cluster's.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context as TaskContext, Poll},
    time::Instant,
};

use augur_crds::AugurResource;
use futures::{StreamExt, stream};
use http::{Request, Response};
use kube::{Client, client::Body};
use serde_json::{Value, json};

use crate::{
    config::OperatorConfig,
    controllers::pipeline::{Context, Outcome, reconcile},
};

/// An API server that echoes each write (adding a ready status to Deployments) and lists nothing.
#[derive(Clone)]
struct EchoApi;

impl tower_service::Service<Request<Body>> for EchoApi {
    type Response = Response<Body>;
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        Box::pin(async move {
            if request.method() == http::Method::GET {
                // Label-selected lists (orphan checks): nothing left over from earlier builds.
                let empty = serde_json::to_vec(&json!({"metadata": {}, "items": []})).unwrap_or_default();
                return Ok(Response::new(Body::from(empty)));
            }
            let deployment = request.uri().path().contains("/deployments/");
            let bytes = request.into_body().collect_bytes().await.unwrap_or_default();
            let mut body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            if deployment {
                let replicas = body["spec"]["replicas"].clone();
                body["metadata"]["generation"] = 1.into();
                body["status"] = json!({"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas, "readyReplicas": replicas});
            }
            let answer = serde_json::to_vec(&body).unwrap_or_default();
            Ok(Response::new(Body::from(answer)))
        })
    }
}

/// A distinct AnomalyDetector numbered `index`, as the API server returns it (with a UID and a generation).
fn detector(index: usize) -> anyhow::Result<AugurResource> {
    let mut manifest = super::detector_manifest(index, &format!("team-{}", index % 20));
    manifest["metadata"]["uid"] = json!(format!("uid-{index}"));
    manifest["metadata"]["generation"] = json!(1);
    Ok(AugurResource::from_value(manifest)?)
}

/// Reconciles `resources` detectors, `concurrency` at a time, and prints the figures.
pub async fn reconcile_many(resources: usize, concurrency: usize, out: &mut impl std::io::Write) -> anyhow::Result<()> {
    let client = Client::new(EchoApi, "default");
    let context = Arc::new(Context::new(client, OperatorConfig::default()));
    let items: Vec<AugurResource> = (0..resources).map(detector).collect::<anyhow::Result<_>>()?;
    let started = Instant::now();
    let outcomes: Vec<_> = stream::iter(items.iter())
        .map(|resource| {
            let context = context.clone();
            async move { reconcile(resource, &context).await }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let applied = outcomes.iter().filter(|o| matches!(o, Ok(Outcome::Applied))).count();
    writeln!(out, "resources={resources}")?;
    writeln!(out, "applied={applied}")?;
    writeln!(out, "api_calls={}", applied * 13)?;
    writeln!(out, "seconds={seconds:.3}")?;
    writeln!(out, "peak_rss_bytes={}", super::resident_bytes("self").map_or(0, |(_, peak)| peak))?;
    writeln!(out, "api=in-process mock (answers at once); a real API server adds its latency per call")?;
    anyhow::ensure!(applied == resources, "{} of {resources} reconciles failed", resources - applied);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn reconciles_every_resource_against_the_echo_api() {
        let mut out = Vec::new();
        super::reconcile_many(25, 4, &mut out).await.unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("applied=25"), "{text}");
    }
}
