//! Leader election against a mocked API server, with time passed in.

use http::{Method, Request, Response};
use k8s_openapi::jiff::Timestamp;
use kube::{Client, client::Body};
use serde_json::{Value, json};

use super::*;

type Handle = tower_test::mock::Handle<Request<Body>, Response<Body>>;

const PATH: &str = "/apis/coordination.k8s.io/v1/namespaces/augur-system/leases/augur-operator";

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + second).unwrap_or_default()
}

fn lease(holder: &str, renewed_second: i64, transitions: i32) -> Value {
    json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "augur-operator", "namespace": "augur-system", "resourceVersion": "41"},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": 15, "leaseTransitions": transitions,
                 "renewTime": at(renewed_second).strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()}
    })
}

fn status(code: u16, reason: &str) -> (u16, Value) {
    (code, json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "code": code}))
}

/// Answers each expected (method, path) in turn; returns the request bodies.
async fn serve(mut handle: Handle, script: Vec<(Method, &'static str, (u16, Value))>) -> Vec<Value> {
    let mut bodies = Vec::new();
    for (method, path, (code, answer)) in script {
        let (request, send) = handle.next_request().await.unwrap_or_else(|| panic!("expected {method} {path}"));
        assert_eq!((request.method(), request.uri().path()), (&method, path));
        let bytes = request.into_body().collect_bytes().await.unwrap_or_default();
        bodies.push(serde_json::from_slice(&bytes).unwrap_or(Value::Null));
        let body = Body::from(serde_json::to_vec(&answer).unwrap_or_default());
        send.send_response(Response::builder().status(code).body(body).unwrap_or_else(|e| panic!("{e}")));
    }
    bodies
}

fn lock(service: tower_test::mock::Mock<Request<Body>, Response<Body>>, identity: &str) -> LeaseLock {
    LeaseLock::new(Client::new(service, "default"), "augur-system", "augur-operator", identity)
}

#[tokio::test]
async fn the_first_replica_creates_the_lease_and_leads() {
    let (service, handle) = tower_test::mock::pair();
    let collection = "/apis/coordination.k8s.io/v1/namespaces/augur-system/leases";
    let server = tokio::spawn(serve(
        handle,
        vec![(Method::GET, PATH, status(404, "NotFound")), (Method::POST, collection, (201, lease("pod-a", 0, 0)))],
    ));
    assert_eq!(lock(service, "pod-a").try_acquire_or_renew(at(0)).await.ok(), Some(true));
    let bodies = server.await.unwrap_or_default();
    assert_eq!(bodies[1]["spec"]["holderIdentity"], "pod-a");
    assert_eq!(bodies[1]["spec"]["leaseTransitions"], 0);
}

#[tokio::test]
async fn a_live_lease_of_another_replica_is_left_alone() {
    let (service, handle) = tower_test::mock::pair();
    let server = tokio::spawn(serve(handle, vec![(Method::GET, PATH, (200, lease("pod-a", 0, 0)))]));
    assert_eq!(
        lock(service, "pod-b").try_acquire_or_renew(at(10)).await.ok(),
        Some(false),
        "renewed 10 s ago, valid 15 s"
    );
    server.await.unwrap_or_default();
}

#[tokio::test]
async fn an_expired_lease_is_taken_over_with_optimistic_concurrency() {
    let (service, handle) = tower_test::mock::pair();
    let server = tokio::spawn(serve(
        handle,
        vec![(Method::GET, PATH, (200, lease("pod-a", 0, 2))), (Method::PUT, PATH, (200, lease("pod-b", 20, 3)))],
    ));
    assert_eq!(lock(service, "pod-b").try_acquire_or_renew(at(20)).await.ok(), Some(true));
    let bodies = server.await.unwrap_or_default();
    let taken = &bodies[1];
    assert_eq!(taken["metadata"]["resourceVersion"], "41", "the write is conditional on the version read");
    assert_eq!(
        (taken["spec"]["holderIdentity"].clone(), taken["spec"]["leaseTransitions"].clone()),
        (json!("pod-b"), json!(3))
    );
}

#[tokio::test]
async fn losing_the_race_for_an_expired_lease_is_not_an_error() {
    let (service, handle) = tower_test::mock::pair();
    let server = tokio::spawn(serve(
        handle,
        vec![(Method::GET, PATH, (200, lease("pod-a", 0, 2))), (Method::PUT, PATH, status(409, "Conflict"))],
    ));
    assert_eq!(lock(service, "pod-c").try_acquire_or_renew(at(20)).await.ok(), Some(false));
    server.await.unwrap_or_default();
}

#[tokio::test]
async fn the_holder_renews_without_counting_a_transition() {
    let (service, handle) = tower_test::mock::pair();
    let server = tokio::spawn(serve(
        handle,
        vec![(Method::GET, PATH, (200, lease("pod-a", 0, 5))), (Method::PUT, PATH, (200, lease("pod-a", 5, 5)))],
    ));
    assert_eq!(lock(service, "pod-a").try_acquire_or_renew(at(5)).await.ok(), Some(true));
    let bodies = server.await.unwrap_or_default();
    assert_eq!(bodies[1]["spec"]["leaseTransitions"], 5);
}
