//! Every status our controllers and runtimes write maps to the right Argo CD health.
//!
//! The statuses are made by the code that writes them, not by hand: the operator's status step
//! (`pipeline::status::from_applied` and `invalid`, on the Deployment `build` makes, in every rollout state), the
//! runtime's merge (`status::merge`, with the Forecaster's real warm-up wording from `forecast_report`, and every
//! problem a pod reports), and the AutoScalePolicy's status step (`autoscale::status::build`) for every reason the
//! engine can block for. Each is then put together as the API server's server-side apply would (the operator's and
//! the runtime's conditions side by side in one list map) and run through the chart's Lua health check.

use augur_autoscale::{Block, BlockReason, ReplicaDecision};
use augur_crds::{
    AutoScalePolicy,
    common::{RuntimePod, RuntimeProblem, reason},
    kinds::autoscale_policy::Mode,
    resource::AugurResource,
};
use augur_operator::{
    config::OperatorConfig,
    controllers::{
        autoscale::{
            decide::{FloorTarget, Held, Plan, ReplicaPlan, TARGET_NOT_FOUND},
            inputs::HpaTarget,
            reconcile::RESIZE_REFUSED,
            status::{self as policy_status, InForce},
        },
        pipeline::{apply::Applied, build, status, validate},
    },
};
use augur_runtime::{
    models::forecast::{Accuracy, Forecast, Readiness},
    status::{Limits, PodReport, SeriesForecast, forecast_report, merge::merge},
};
use augur_tests::{
    argocd::{Health, health},
    examples::examples_dir,
};
use k8s_openapi::{
    api::apps::v1::{DeploymentCondition, DeploymentStatus},
    apimachinery::pkg::apis::meta::v1::Time,
    jiff::Timestamp,
};
use serde_json::{Value, json};

const NOW: i64 = 1_800_000_000_000;
const GENERATION: i64 = 2;
const POD: &str = "payments-requests-fc-7c9d5-x2x9q";
const SERIES: &str = "payments/requests_per_second";

fn time(ms: i64) -> Time {
    Time(Timestamp::from_millisecond(ms).unwrap_or_else(|e| panic!("{e}")))
}

fn manifest(file: &str) -> Value {
    let path = examples_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut manifest = AugurResource::parse_yaml(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    manifest["metadata"]["generation"] = json!(GENERATION);
    manifest["metadata"]["uid"] = json!("5b0c3f2e-8d1a-4c55-9a43-2f1e0d7c6b5a");
    manifest
}

/// What the runtime pod applies: its entry and ModelReady, `ready` or still warming up, with `problems`, as of
/// `at`.
fn runtime_part(ready: bool, problems: Vec<RuntimeProblem>, at: i64) -> Value {
    let points = vec![vec![700.0, 800.0, 900.0]; 12];
    let forecast = Forecast { quantiles: vec![0.1, 0.5, 0.9], peaks: points.clone(), points };
    let seen = if ready { 900 } else { 200 };
    let series = SeriesForecast {
        series: SERIES,
        start: at + 300_000,
        step_ms: 300_000,
        forecast: &forecast,
        accuracy: Accuracy { mase: Some(0.6), coverage: Some(0.9), skill: Some(0.3) },
        readiness: Readiness { points: seen, needed: 288 * 3 },
    };
    let (entries, model) = forecast_report(&[series], Some(&[SERIES.to_owned()]), at, &Limits::default());
    let report =
        PodReport { partitions: vec![0, 1], series_tracked: 1, records: 4000, model, entries, ..Default::default() };
    merge(&Value::Null, POD, &report, problems, at, 30_000).status
}

/// Where the runtime Deployment's rollout is.
#[derive(Clone, Copy)]
enum Rollout {
    /// New pods not yet updated and available.
    Under,
    /// Every wanted pod updated, ready and available.
    Done,
    /// The Deployment controller gave up: a condition of this type, status and reason.
    Stuck(&'static str, &'static str, &'static str),
}

impl Rollout {
    fn status(self, wanted: i32) -> DeploymentStatus {
        let done = DeploymentStatus {
            observed_generation: Some(1),
            replicas: Some(wanted),
            updated_replicas: Some(wanted),
            ready_replicas: Some(wanted),
            available_replicas: Some(wanted),
            ..DeploymentStatus::default()
        };
        match self {
            Self::Under => {
                DeploymentStatus { observed_generation: Some(1), replicas: Some(wanted), ..Default::default() }
            }
            Self::Done => done,
            Self::Stuck(type_, status, reason) => {
                let condition = DeploymentCondition {
                    type_: type_.into(),
                    status: status.into(),
                    reason: Some(reason.into()),
                    message: Some(format!("ReplicaSet payments-requests-fc-7c9d5: {reason}")),
                    ..DeploymentCondition::default()
                };
                DeploymentStatus { conditions: Some(vec![condition]), ready_replicas: Some(0), ..done }
            }
        }
    }
}

/// The resource with the operator's status for its Deployment at `rollout`, beside the `runtime` part.
fn streaming(mut manifest: Value, rollout: Rollout, runtime: Option<Value>) -> Value {
    let resource = AugurResource::from_value(manifest.clone()).unwrap_or_else(|e| panic!("{e}"));
    let operator = OperatorConfig::default();
    let validated = validate(&resource, &operator).unwrap_or_else(|e| panic!("{e}"));
    let mut applied = build(&validated, &operator).unwrap_or_else(|e| panic!("{e}")).deployment;
    applied.metadata.generation = Some(1);
    let wanted = if validated.settings.paused { 0 } else { validated.settings.parallelism };
    applied.status = Some(rollout.status(wanted));
    let runtime = runtime.unwrap_or_else(|| json!({}));
    let pods: Vec<RuntimePod> = serde_json::from_value(runtime["pods"].clone()).unwrap_or_default();
    let written = status::from_applied(
        &validated,
        &Applied { deployment: applied },
        &Default::default(),
        &pods,
        Some(GENERATION),
        time(NOW),
    );
    manifest["status"] = together(runtime, serde_json::to_value(written).unwrap_or_default());
    manifest
}

/// Two managers' parts of one status, as server-side apply merges them: fields side by side, conditions a list map.
fn together(mut runtime: Value, operator: Value) -> Value {
    let mut conditions = runtime["conditions"].as_array().cloned().unwrap_or_default();
    conditions.extend(operator["conditions"].as_array().cloned().unwrap_or_default());
    for (key, value) in operator.as_object().into_iter().flatten() {
        runtime[key] = value.clone();
    }
    runtime["conditions"] = Value::Array(conditions);
    runtime
}

fn problem(reason: &str) -> RuntimeProblem {
    RuntimeProblem { reason: reason.into(), message: format!("cannot do it ({reason})") }
}

fn check(kind: &str, case: &str, object: &Value, status: &str, says: &[&str]) -> Health {
    let got = health(kind, object);
    assert_eq!(got.status, status, "{kind}, {case}: {got:?}\n{:#}", object["status"]);
    for words in says {
        assert!(got.message.contains(words), "{kind}, {case}: {:?} does not say {words:?}", got.message);
    }
    got
}

#[test]
fn every_streaming_status_maps_to_its_health() {
    let warming = runtime_part(false, Vec::new(), NOW);
    let eta = warming["conditions"][0]["message"].as_str().unwrap_or_default().to_owned();
    assert!(eta.contains("left"), "the runtime's warm-up message gives an ETA: {eta}");
    for (kind, file) in [
        ("Forecaster", "forecaster.yaml"),
        ("AnomalyDetector", "anomaly-detector.yaml"),
        ("LogClusterer", "log-clusterer.yaml"),
    ] {
        let fresh = manifest(file);
        check(kind, "just created", &fresh, "Progressing", &["waiting for the operator"]);
        let mut unobserved = fresh.clone();
        unobserved["status"] = warming.clone();
        check(kind, "runtime first", &unobserved, "Progressing", &["waiting for the operator"]);

        check(
            kind,
            "rolling out",
            &streaming(fresh.clone(), Rollout::Under, Some(warming.clone())),
            "Progressing",
            &["RollingOut"],
        );
        let warm = streaming(fresh.clone(), Rollout::Done, Some(warming.clone()));
        check(kind, "warming up", &warm, "Progressing", &["warming up", &eta]);
        let ready = runtime_part(true, Vec::new(), NOW);
        let model = ready["conditions"][0]["message"].as_str().unwrap_or_default().to_owned();
        check(kind, "running", &streaming(fresh.clone(), Rollout::Done, Some(ready.clone())), "Healthy", &[&model]);
        check(kind, "no status output", &streaming(fresh.clone(), Rollout::Done, None), "Healthy", &["Running"]);

        let deadline = Rollout::Stuck("Progressing", "False", "ProgressDeadlineExceeded");
        check(kind, "rollout stuck", &streaming(fresh.clone(), deadline, None), "Degraded", &["RolloutStuck"]);
        let failure = Rollout::Stuck("ReplicaFailure", "True", "FailedCreate");
        check(kind, "replica failure", &streaming(fresh.clone(), failure, None), "Degraded", &["FailedCreate"]);
        for why in [
            reason::SINK_UNAVAILABLE,
            reason::TOPIC_UNAVAILABLE,
            reason::STATUS_UNAVAILABLE,
            reason::CHECKPOINT_FAILED,
            reason::SOURCE_UNREACHABLE,
        ] {
            let troubled = runtime_part(true, vec![problem(why)], NOW);
            let object = streaming(fresh.clone(), Rollout::Done, Some(troubled));
            check(kind, why, &object, "Degraded", &[why, POD]);
            // The same problem from a pod that stopped publishing ten minutes ago: that pod is gone.
            let gone = runtime_part(true, vec![problem(why)], NOW - 600_000);
            check(kind, "gone pod's problem", &streaming(fresh.clone(), Rollout::Done, Some(gone)), "Healthy", &[]);
        }

        let mut paused = fresh.clone();
        paused["spec"]["paused"] = json!(true);
        check(kind, "paused", &streaming(paused, Rollout::Done, Some(ready.clone())), "Suspended", &["Paused"]);

        let mut invalid = fresh.clone();
        let conditions = status::invalid("no Kafka brokers".into(), &Default::default(), Some(GENERATION), time(NOW));
        invalid["status"] = together(ready.clone(), serde_json::to_value(conditions).unwrap_or_default());
        check(kind, "invalid spec", &invalid, "Degraded", &["InvalidSpec", "no Kafka brokers"]);

        let mut changed = streaming(fresh.clone(), Rollout::Done, Some(ready.clone()));
        changed["metadata"]["generation"] = json!(GENERATION + 1);
        check(kind, "spec changed", &changed, "Progressing", &["generation 3"]);
        let mut deleted = streaming(fresh, Rollout::Done, Some(ready));
        deleted["metadata"]["deletionTimestamp"] = json!("2027-01-15T08:00:00Z");
        check(kind, "being deleted", &deleted, "Progressing", &["deleted"]);
    }
}

/// The health a policy blocked for `reason` has. Exhaustive: a reason the engine gains fails to compile here until
/// someone decides what Argo CD should show for it (and the Lua script says the same).
fn blocked_health(reason: BlockReason) -> &'static str {
    match reason {
        BlockReason::NoForecast | BlockReason::ModelNotReady | BlockReason::AccuracyUnknown => "Progressing",
        // The forecast is in use; a guardrail shapes what it does.
        BlockReason::Cooldown
        | BlockReason::StepLimit
        | BlockReason::AnomalyActive
        | BlockReason::LoadReturning
        | BlockReason::PartialHistory => "Healthy",
        BlockReason::StaleForecast
        | BlockReason::ForecastTooShort
        | BlockReason::InvalidForecast
        | BlockReason::LowForecastAccuracy
        | BlockReason::InvalidBounds
        | BlockReason::InvalidPolicy => "Degraded",
    }
}

const REASONS: [BlockReason; 14] = [
    BlockReason::NoForecast,
    BlockReason::StaleForecast,
    BlockReason::ForecastTooShort,
    BlockReason::InvalidForecast,
    BlockReason::ModelNotReady,
    BlockReason::AccuracyUnknown,
    BlockReason::LowForecastAccuracy,
    BlockReason::PartialHistory,
    BlockReason::LoadReturning,
    BlockReason::AnomalyActive,
    BlockReason::Cooldown,
    BlockReason::StepLimit,
    BlockReason::InvalidBounds,
    BlockReason::InvalidPolicy,
];

fn policy(mode: Mode) -> (Value, AutoScalePolicy) {
    let mut manifest = manifest("autoscale-policy.yaml");
    manifest["spec"]["mode"] = serde_json::to_value(mode).unwrap_or_default();
    match AugurResource::from_value(manifest.clone()) {
        Ok(AugurResource::AutoScalePolicy(policy)) => (manifest, policy),
        other => panic!("{other:?}"),
    }
}

/// A plan whose floor is `floor`, held back for `block` when given.
fn plan(floor: i32, block: Option<Block>) -> Plan {
    let held = block.as_ref().map(|b| Held { reason: b.reason.as_str().into(), message: b.message.clone() });
    let decision = ReplicaDecision {
        floor,
        recommended: Some(floor),
        forecast_load: Some(812.5),
        forecast_skill: Some(0.4),
        partial_trust: None,
        block: block.clone(),
    };
    let target = FloorTarget::Hpa(HpaTarget { name: "payments".into(), min_replicas: 3, current_replicas: Some(7) });
    Plan { replicas: Some(ReplicaPlan { decision, target, own_floor: 3 }), containers: Vec::new(), held }
}

fn with_status(
    mut manifest: Value,
    policy: &AutoScalePolicy,
    plan: Option<&Plan>,
    in_force: Option<&InForce>,
) -> Value {
    let held = plan.and_then(|p| p.held.as_ref());
    let status = policy_status::build(policy, plan, in_force, held, &time(NOW));
    manifest["status"] = serde_json::to_value(status).unwrap_or_default();
    manifest
}

#[test]
fn every_policy_status_maps_to_its_health() {
    let kind = "AutoScalePolicy";
    let (manifest, enforcing) = policy(Mode::Enforce);
    check(kind, "just created", &manifest, "Progressing", &["waiting for the controller"]);
    let applied = InForce { min_replicas: Some(7), containers: Vec::new() };
    let running = with_status(manifest.clone(), &enforcing, Some(&plan(7, None)), Some(&applied));
    check(kind, "enforcing", &running, "Healthy", &["Enforcing", "floor 7 applied"]);

    for reason in REASONS {
        let block = Block::new(reason, format!("because of {reason}"));
        let object = with_status(manifest.clone(), &enforcing, Some(&plan(3, Some(block))), Some(&applied));
        check(kind, reason.as_str(), &object, blocked_health(reason), &[reason.as_str(), "because of"]);
    }

    let missing = Plan {
        replicas: None,
        containers: Vec::new(),
        held: Some(Held { reason: TARGET_NOT_FOUND.into(), message: "Deployment payments not found".into() }),
    };
    let object = with_status(manifest.clone(), &enforcing, Some(&missing), None);
    check(kind, "no target", &object, "Degraded", &[TARGET_NOT_FOUND, "not found"]);
    let mut refused = plan(7, None);
    refused.held = Some(Held { reason: RESIZE_REFUSED.into(), message: "pods/resize is forbidden".into() });
    check(
        kind,
        "resize refused",
        &with_status(manifest.clone(), &enforcing, Some(&refused), Some(&applied)),
        "Degraded",
        &[RESIZE_REFUSED],
    );

    let (manifest, recommending) = policy(Mode::Recommend);
    let object = with_status(manifest, &recommending, Some(&plan(5, None)), None);
    check(kind, "recommending", &object, "Healthy", &["Recommending", "floor 5 recommended"]);
    let (manifest, off) = policy(Mode::Off);
    check(kind, "off", &with_status(manifest, &off, None, None), "Suspended", &["Off"]);

    let mut changed = running.clone();
    changed["metadata"]["generation"] = json!(GENERATION + 1);
    check(kind, "spec changed", &changed, "Progressing", &["generation 3"]);
    let mut deleted = running;
    deleted["metadata"]["deletionTimestamp"] = json!("2027-01-15T08:00:00Z");
    check(kind, "being deleted", &deleted, "Progressing", &["restoring"]);
}
