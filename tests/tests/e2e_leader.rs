//! Leader election between two operator processes against a real API server (enabled by `AUGUR_E2E_KUBECONFIG`):
//! the first leads and the second waits; on SIGTERM the leader finishes, releases its Lease and exits cleanly, and
//! the standby leads at its next poll, well before the Lease could have expired, and reconciles. The handover time is
//! printed.
//!
//! Each operator is `augur-operator run` competing for a Lease in a temporary namespace; whether it leads is read
//! from its `augur_operator_leader` gauge. They log at debug level, so that every runtime thread writes log lines
//! while they lead and reconcile (a process that held its stdout locked would stall there).

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use augur_operator::leader::LEASE_DURATION;
use augur_tests::{
    binaries::binary,
    cluster::{self, TempNamespace, free_port},
};
use k8s_openapi::api::{apps::v1::Deployment, coordination::v1::Lease};
use kube::{
    Api,
    api::{ApiResource, DynamicObject, GroupVersionKind, PostParams},
    runtime::wait::{await_condition, conditions},
};

const WAIT: Duration = Duration::from_secs(60);

/// One operator process; killed when dropped.
struct Operator {
    child: Child,
    address: String,
}

impl Operator {
    fn start(namespace: &str, identity: &str) -> Self {
        let address = format!("127.0.0.1:{}", free_port());
        let child = Command::new(binary("augur-operator"))
            .args(["run", "--lease-namespace", namespace, "--identity", identity, "--http-address", &address])
            .env("KUBECONFIG", cluster::admin_kubeconfig())
            .env("RUST_LOG", "warn,augur_operator=debug")
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the operator: {e}"));
        Self { child, address }
    }

    /// Whether the operator answers `/metrics` with its leader gauge at 1 (`None`: it does not answer).
    async fn leads(&self) -> Option<bool> {
        let scraped =
            tokio::time::timeout(Duration::from_secs(2), augur_probes::client::get(&self.address, "/metrics"));
        let (_, text) = scraped.await.ok()?.ok()?;
        Some(text.lines().any(|line| line == "augur_operator_leader 1"))
    }

    /// Waits until `leads()` gives `expected`.
    async fn wait_until_leading_is(&self, expected: bool, what: &str) {
        let deadline = Instant::now() + WAIT;
        while self.leads().await != Some(expected) {
            assert!(Instant::now() < deadline, "{what} within {WAIT:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
#[cfg_attr(not(augur_e2e), ignore = "needs AUGUR_E2E_KUBECONFIG")]
async fn a_stopping_leader_hands_over_at_once() {
    let client = cluster::client().await;
    cluster::install_crds(&client).await;
    let namespace = TempNamespace::create(&client, "leader").await;

    let mut first = Operator::start(&namespace.name, "first");
    first.wait_until_leading_is(true, "the first operator leads").await;
    let second = Operator::start(&namespace.name, "second");
    second.wait_until_leading_is(false, "the second operator answers as a standby").await;
    assert_eq!(first.leads().await, Some(true), "the first still leads: one leader at a time");

    let stopped = Instant::now();
    let signal = Command::new("kill").args(["-TERM", &first.child.id().to_string()]).status();
    assert!(signal.is_ok_and(|s| s.success()), "cannot send SIGTERM");
    second.wait_until_leading_is(true, "the second operator takes over").await;
    let handover = stopped.elapsed();
    let exit = first.child.wait().unwrap_or_else(|e| panic!("{e}"));
    println!("handover_seconds={:.2}", handover.as_secs_f64());

    assert!(exit.success(), "the leader exits cleanly on SIGTERM: {exit}");
    // Waiting out the Lease would take at least its duration less one renewal period (13 s).
    assert!(handover < LEASE_DURATION - Duration::from_secs(5), "handed over after {handover:?}");
    let lease = Api::<Lease>::namespaced(client.clone(), &namespace.name)
        .get("augur-operator")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let spec = lease.spec.unwrap_or_default();
    assert_eq!(spec.holder_identity.as_deref(), Some("second"));
    assert_eq!(spec.lease_transitions, Some(1));

    // The new leader reconciles: a detector created now gets its Deployment.
    let kind = ApiResource::from_gvk(&GroupVersionKind::gvk(augur_crds::GROUP, augur_crds::VERSION, "AnomalyDetector"));
    let detectors = Api::<DynamicObject>::namespaced_with(client.clone(), &namespace.name, &kind);
    let manifest = augur_operator::bench::detector_manifest(0, &namespace.name);
    let detector: DynamicObject = serde_json::from_value(manifest).unwrap_or_else(|e| panic!("{e}"));
    detectors.create(&PostParams::default(), &detector).await.unwrap_or_else(|e| panic!("{e}"));
    let deployments = Api::<Deployment>::namespaced(client.clone(), &namespace.name);
    let made = await_condition(deployments, "detector-0-ad", conditions::is_created());
    let made = tokio::time::timeout(WAIT, made).await;
    assert!(made.is_ok_and(|d| d.is_ok_and(|d| d.is_some())), "the new leader made no Deployment within {WAIT:?}");
    drop(second);
    namespace.delete().await;
}
