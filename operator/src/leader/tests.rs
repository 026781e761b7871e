//! Leader election against a mocked API server, with both clocks passed in: expiry follows this replica's
//! monotonic clock from when it saw the record change, whatever the wall times written in the Lease say.

use std::time::{Duration, Instant};

use http::{Method, Request, Response};
use k8s_openapi::jiff::Timestamp;
use kube::{Client, client::Body};
use serde_json::{Value, json};

use super::*;

type Handle = tower_test::mock::Handle<Request<Body>, Response<Body>>;

const PATH: &str = "/apis/coordination.k8s.io/v1/namespaces/augur-system/leases/augur-operator";

/// A wall time `second`s after a fixed origin.
fn wall(second: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + second).unwrap_or_default()
}

/// A Lease held by `holder`, renewed at wall second `renewed`, at resource version `version`.
fn lease(holder: &str, renewed: i64, transitions: i32, version: &str) -> Value {
    json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "augur-operator", "namespace": "augur-system", "resourceVersion": version},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": 15, "leaseTransitions": transitions,
                 "renewTime": wall(renewed).strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()}
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
    let extra = tokio::time::timeout(Duration::from_millis(50), handle.next_request()).await;
    assert!(!matches!(extra, Ok(Some(_))), "an unexpected extra request");
    bodies
}

fn lock(service: tower_test::mock::Mock<Request<Body>, Response<Body>>, identity: &str) -> LeaseLock {
    LeaseLock::new(Client::new(service, "default"), "augur-system", "augur-operator", identity)
}

fn get(answer: Value) -> (Method, &'static str, (u16, Value)) {
    (Method::GET, PATH, (200, answer))
}

#[tokio::test]
async fn the_first_replica_creates_the_lease_and_leads() {
    let (service, handle) = tower_test::mock::pair();
    let collection = "/apis/coordination.k8s.io/v1/namespaces/augur-system/leases";
    let server = tokio::spawn(serve(
        handle,
        vec![
            (Method::GET, PATH, status(404, "NotFound")),
            (Method::POST, collection, (201, lease("pod-a", 0, 0, "1"))),
        ],
    ));
    let mut lock = lock(service, "pod-a");
    assert_eq!(lock.try_acquire_or_renew(Instant::now(), wall(0)).await.ok(), Some(true));
    assert!(lock.leading());
    let bodies = server.await.unwrap_or_default();
    assert_eq!(bodies[1]["spec"]["holderIdentity"], "pod-a");
    assert_eq!(bodies[1]["spec"]["leaseTransitions"], 0);
}

#[tokio::test]
async fn a_lease_is_live_for_its_duration_from_when_this_replica_saw_it_whatever_its_renew_time_says() {
    // The holder's clock is an hour behind ours: its renewTime looks long expired by our wall clock.
    let (service, handle) = tower_test::mock::pair();
    let stale_by_our_wall_clock = lease("pod-a", -3600, 2, "41");
    let server = tokio::spawn(serve(
        handle,
        vec![
            get(stale_by_our_wall_clock.clone()),
            get(stale_by_our_wall_clock.clone()),
            get(stale_by_our_wall_clock),
            (Method::PUT, PATH, (200, lease("pod-b", 20, 3, "42"))),
        ],
    ));
    let mut standby = lock(service, "pod-b");
    let seen = Instant::now();
    assert_eq!(standby.try_acquire_or_renew(seen, wall(0)).await.ok(), Some(false), "first seen now: live");
    let later = seen + Duration::from_secs(14);
    assert_eq!(standby.try_acquire_or_renew(later, wall(14)).await.ok(), Some(false), "unchanged for 14 s of 15");
    let expired = seen + LEASE_DURATION;
    assert_eq!(standby.try_acquire_or_renew(expired, wall(15)).await.ok(), Some(true), "unchanged for 15 s");
    let bodies = server.await.unwrap_or_default();
    let taken = &bodies[3];
    assert_eq!(taken["metadata"]["resourceVersion"], "41", "the write is conditional on the version read");
    assert_eq!(
        (taken["spec"]["holderIdentity"].clone(), taken["spec"]["leaseTransitions"].clone()),
        (json!("pod-b"), json!(3))
    );
}

#[tokio::test]
async fn each_renewal_seen_restarts_the_lease_duration_even_when_renew_times_run_ahead_of_ours() {
    // The holder's clock is an hour ahead: only the change of its record counts, not the time it writes.
    let (service, handle) = tower_test::mock::pair();
    let server = tokio::spawn(serve(
        handle,
        vec![
            get(lease("pod-a", 3600, 0, "1")),
            get(lease("pod-a", 3610, 0, "2")),
            get(lease("pod-a", 3610, 0, "2")),
            get(lease("pod-a", 3610, 0, "2")),
            (Method::PUT, PATH, (200, lease("pod-b", 40, 1, "3"))),
        ],
    ));
    let mut standby = lock(service, "pod-b");
    let t0 = Instant::now();
    let at = |s: u64| t0 + Duration::from_secs(s);
    assert_eq!(standby.try_acquire_or_renew(at(0), wall(0)).await.ok(), Some(false));
    assert_eq!(standby.try_acquire_or_renew(at(10), wall(10)).await.ok(), Some(false), "renewed: seen at 10 s");
    assert_eq!(standby.try_acquire_or_renew(at(20), wall(20)).await.ok(), Some(false), "10 s since the renewal");
    assert_eq!(standby.try_acquire_or_renew(at(25), wall(25)).await.ok(), Some(true), "15 s since the renewal");
    server.await.unwrap_or_default();
}

#[tokio::test]
async fn losing_the_race_for_an_expired_lease_is_not_an_error() {
    let (service, handle) = tower_test::mock::pair();
    let held = lease("pod-a", 0, 2, "41");
    let server =
        tokio::spawn(serve(handle, vec![get(held.clone()), get(held), (Method::PUT, PATH, status(409, "Conflict"))]));
    let mut standby = lock(service, "pod-c");
    let t0 = Instant::now();
    assert_eq!(standby.try_acquire_or_renew(t0, wall(0)).await.ok(), Some(false));
    assert_eq!(standby.try_acquire_or_renew(t0 + LEASE_DURATION, wall(15)).await.ok(), Some(false));
    assert!(!standby.leading());
    server.await.unwrap_or_default();
}

#[tokio::test]
async fn the_holder_renews_without_counting_a_transition() {
    let (service, handle) = tower_test::mock::pair();
    let server = tokio::spawn(serve(
        handle,
        vec![get(lease("pod-a", 0, 5, "7")), (Method::PUT, PATH, (200, lease("pod-a", 5, 5, "8")))],
    ));
    let mut leader = lock(service, "pod-a");
    assert_eq!(leader.try_acquire_or_renew(Instant::now(), wall(5)).await.ok(), Some(true));
    let bodies = server.await.unwrap_or_default();
    assert_eq!(bodies[1]["spec"]["leaseTransitions"], 5);
    assert_eq!(bodies[1]["metadata"]["resourceVersion"], "7");
}

#[tokio::test]
async fn a_released_lease_is_taken_at_once_by_a_standby() {
    // The leader releases: no holder, a one-second duration, written over the version it last wrote.
    let (service, handle) = tower_test::mock::pair();
    let released = json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "augur-operator", "namespace": "augur-system", "resourceVersion": "9"},
        "spec": {"leaseDurationSeconds": 1, "leaseTransitions": 5},
    });
    let server = tokio::spawn(serve(
        handle,
        vec![
            get(lease("pod-a", 0, 5, "7")),
            (Method::PUT, PATH, (200, lease("pod-a", 0, 5, "8"))),
            (Method::PUT, PATH, (200, released.clone())),
        ],
    ));
    let mut leader = lock(service, "pod-a");
    let t0 = Instant::now();
    assert_eq!(leader.try_acquire_or_renew(t0, wall(0)).await.ok(), Some(true));
    assert_eq!(leader.release(t0, wall(1)).await.ok(), Some(true));
    assert!(!leader.leading());
    let bodies = server.await.unwrap_or_default();
    let release = &bodies[2];
    assert_eq!(release["metadata"]["resourceVersion"], "8", "over the leader's own last write");
    assert!(release["spec"].get("holderIdentity").is_none(), "{release}");
    assert_eq!(release["spec"]["leaseDurationSeconds"], 1);

    // A standby that saw the leader a moment ago takes the released Lease on its next poll.
    let (service, handle) = tower_test::mock::pair();
    let server = tokio::spawn(serve(
        handle,
        vec![get(lease("pod-a", 0, 5, "8")), get(released), (Method::PUT, PATH, (200, lease("pod-b", 2, 6, "10")))],
    ));
    let mut standby = lock(service, "pod-b");
    assert_eq!(standby.try_acquire_or_renew(t0, wall(0)).await.ok(), Some(false));
    let next_poll = t0 + elect::RETRY_PERIOD;
    assert_eq!(standby.try_acquire_or_renew(next_poll, wall(2)).await.ok(), Some(true), "no lease duration to wait");
    let bodies = server.await.unwrap_or_default();
    assert_eq!(bodies[2]["spec"]["leaseTransitions"], 6);
}

#[tokio::test]
async fn a_replica_that_does_not_lead_releases_nothing() {
    let (service, handle) = tower_test::mock::pair();
    let server = tokio::spawn(serve(handle, vec![get(lease("pod-a", 0, 0, "1"))]));
    let mut standby = lock(service, "pod-b");
    assert_eq!(standby.try_acquire_or_renew(Instant::now(), wall(0)).await.ok(), Some(false));
    assert_eq!(standby.release(Instant::now(), wall(1)).await.ok(), Some(false));
    server.await.unwrap_or_default();
}

/// A server that fails every request, counting them.
async fn failing(mut handle: Handle) -> usize {
    let mut count = 0;
    while let Some((_, send)) = handle.next_request().await {
        count += 1;
        let (code, body) = status(500, "InternalError");
        let body = Body::from(serde_json::to_vec(&body).unwrap_or_default());
        send.send_response(Response::builder().status(code).body(body).unwrap_or_else(|e| panic!("{e}")));
    }
    count
}

#[tokio::test(start_paused = true)]
async fn a_leader_that_cannot_renew_stops_leading_at_the_renew_deadline_before_the_lease_expires() {
    let (service, handle) = tower_test::mock::pair();
    let server = tokio::spawn(failing(handle));
    let mut leader = lock(service, "pod-a");
    let started = tokio::time::Instant::now();
    let lost = elect::renew(&mut leader).await;
    let after = started.elapsed();
    assert!(matches!(lost, elect::Lost::RenewFailed(_)), "{lost:?}");
    assert!(after >= elect::RENEW_DEADLINE && after < LEASE_DURATION, "gave up after {after:?}");
    drop(leader);
    assert_eq!(server.await.unwrap_or_default(), 5, "one attempt per retry period");
}

#[tokio::test(start_paused = true)]
async fn a_leader_whose_lease_another_replica_took_stops_leading_at_its_next_renewal() {
    let (service, handle) = tower_test::mock::pair();
    let server = tokio::spawn(serve(handle, vec![get(lease("pod-b", 0, 1, "5"))]));
    let mut leader = lock(service, "pod-a");
    assert_eq!(elect::renew(&mut leader).await, elect::Lost::TakenOver);
    server.await.unwrap_or_default();
}
