//! The way to the API server: one publication per interval on the injected clock, each read-then-applied under the
//! pod's own field manager, and a change in the pod's problems published without waiting for the interval.

use std::{sync::Arc, time::Duration};

use augur_crds::runtime_config::ResourceIdentity;
use http::{Request, Response};
use kube::{Client, client::Body};
use serde_json::{Value, json};
use tower_test::mock::Handle;

use super::NOW;
use crate::{
    pipeline::{RunReport, Shutdown},
    status::{AnomalyTracker, Health, Publication, Target, spawn},
    time::{Clock, ManualClock},
};

const PATH: &str = "/apis/augur.dev/v1alpha1/namespaces/shop/anomalydetectors/svc/status";
const INTERVAL: i64 = 30_000;

/// Answers one publication: the read of the resource, then the apply, whose body it returns.
async fn answer_one(handle: &mut Handle<Request<Body>, Response<Body>>) -> Value {
    let (request, send) = handle.next_request().await.unwrap_or_else(|| panic!("no read"));
    assert_eq!((request.method().as_str(), request.uri().path()), ("GET", PATH));
    let object = json!({"apiVersion": "augur.dev/v1alpha1", "kind": "AnomalyDetector",
        "metadata": {"name": "svc", "namespace": "shop"}, "spec": {}, "status": {}});
    send.send_response(Response::new(Body::from(serde_json::to_vec(&object).unwrap_or_default())));
    let (request, send) = handle.next_request().await.unwrap_or_else(|| panic!("no apply"));
    assert_eq!((request.method().as_str(), request.uri().path()), ("PATCH", PATH));
    let query = request.uri().query().unwrap_or_default().to_owned();
    assert!(query.contains("fieldManager=augur-runtime%2Fpod-a") && query.contains("force=true"), "{query}");
    let body: Value =
        serde_json::from_slice(&request.into_body().collect_bytes().await.unwrap_or_default()).unwrap_or_default();
    send.send_response(Response::new(Body::from(serde_json::to_vec(&object).unwrap_or_default())));
    body
}

/// Whether another request arrives within a second (of paused, auto-advancing test time).
async fn another_request(handle: &mut Handle<Request<Body>, Response<Body>>) -> bool {
    matches!(tokio::time::timeout(Duration::from_secs(1), handle.next_request()).await, Ok(Some(_)))
}

fn start(health: Health) -> (Publication, ManualClock, Handle<Request<Body>, Response<Body>>) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let clock = ManualClock::new(NOW);
    let resource = ResourceIdentity {
        kind: "AnomalyDetector".into(),
        namespace: "shop".into(),
        name: "svc".into(),
        uid: None,
        generation: None,
    };
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let target = Target {
        client: Client::new(service, "default"),
        resource,
        pod: "pod-a".into(),
        interval_ms: INTERVAL,
        clock: shared,
    };
    let handle_ = spawn(target, health, Shutdown::new());
    (Publication::new(Some(handle_), INTERVAL), clock, handle)
}

#[tokio::test(start_paused = true)]
async fn one_publication_per_interval_on_the_injected_clock() {
    let (mut publication, clock, mut handle) = start(Health::new());
    let tracker = AnomalyTracker::new(10, 5);
    let run = RunReport { records: 40, ..RunReport::default() };
    let offer = |publication: &mut Publication, now| publication.offer(now, &run, || vec![0], 1, |_| tracker.report());

    assert!(offer(&mut publication, clock.now()), "the first report is due at once");
    let body = answer_one(&mut handle).await;
    assert_eq!(body["metadata"], json!({"name": "svc", "namespace": "shop"}));
    assert_eq!(body["status"]["pods"][0]["name"], "pod-a");
    assert_eq!(body["status"]["pods"][0]["records"], 40);

    clock.advance(10_000);
    assert!(!offer(&mut publication, clock.now()), "10 s later: not due");
    assert!(!another_request(&mut handle).await, "nothing published within the interval");

    clock.advance(20_000);
    assert!(offer(&mut publication, clock.now()), "30 s later: due again");
    let body = answer_one(&mut handle).await;
    assert_eq!(body["status"]["pods"][0]["updated"], "2027-01-15T08:00:30Z");
}

#[tokio::test(start_paused = true)]
async fn a_new_problem_is_published_without_waiting_for_the_interval() {
    let health = Health::new();
    let (mut publication, clock, mut handle) = start(health.clone());
    let tracker = AnomalyTracker::new(10, 5);
    let run = RunReport::default();
    publication.offer(clock.now(), &run, Vec::new, 0, |_| tracker.report());
    let body = answer_one(&mut handle).await;
    assert!(body["status"]["pods"][0].get("problems").is_none(), "{body}");

    clock.advance(6_000);
    health.report("sink/out", "SinkUnavailable", "cannot deliver results to Kafka topic out".into(), true);
    let body = answer_one(&mut handle).await;
    assert_eq!(body["status"]["pods"][0]["problems"][0]["message"], "cannot deliver results to Kafka topic out");
    assert!(!another_request(&mut handle).await, "published once");
}
