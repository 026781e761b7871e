//! The pure parts, no API: which HPA targets a workload, the forecast read from a Forecaster, the decision around
//! the engine (the HPA's own floor, memory, a missing target), the status (times kept while values hold), and the
//! requests to apply. Time is passed in; nothing sleeps.

use std::collections::BTreeMap;

use augur_crds::{AutoScalePolicy, Forecaster, kinds::autoscale_policy::Mode};
use k8s_openapi::{
    api::autoscaling::v2::HorizontalPodAutoscaler,
    apimachinery::pkg::{api::resource::Quantity, apis::meta::v1::Time},
    jiff::Timestamp,
};
use serde_json::{Value, json};

use super::{
    controller::{targets, uses_detector, uses_forecaster},
    decide::{FloorTarget, TARGET_NOT_FOUND, decide, memory},
    inputs::{HpaTarget, Inputs, Workload, forecast_of, hpa_targeting},
    originals::{ANNOTATION, Originals, Requests},
    reconcile::{desired_requests, same},
    status::build,
};

const NOW_S: i64 = 1_800_000_000;
const NOW_MS: i64 = NOW_S * 1000;

fn at(offset_s: i64) -> Time {
    Time(Timestamp::from_second(NOW_S + offset_s).unwrap_or_default())
}

fn policy(mutate: impl FnOnce(&mut Value)) -> AutoScalePolicy {
    let mut value = json!({
        "apiVersion": "augur.dev/v1alpha1", "kind": "AutoScalePolicy",
        "metadata": {"name": "checkout", "namespace": "shop", "generation": 4},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout"},
            "mode": "Enforce",
            "replicas": {"forecasterRef": {"name": "load"}, "series": "rps", "capacityPerReplica": 100.0,
                "minReplicas": 1, "maxReplicas": 20, "leadTime": "2m"},
            "guardrails": {"freezeScaleDownOn": [{"name": "errors"}]},
        },
    });
    mutate(&mut value);
    serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
}

fn forecaster(conditions: Value) -> Forecaster {
    serde_json::from_value(json!({
        "apiVersion": "augur.dev/v1alpha1", "kind": "Forecaster",
        "metadata": {"name": "load", "namespace": "shop"},
        "spec": {"source": {"prometheus": {"url": "http://p:9090", "query": "q"}}},
        "status": {"conditions": conditions, "forecasts": [{"series": "rps", "generatedAt": at(-10), "start": at(0),
            "step": "5m", "quantiles": [0.5, 0.9], "points": [[300.0, 420.0], [350.0, 480.0]], "accuracy": {"mase": 0.4, "skill": 0.4}}]},
    }))
    .unwrap_or_else(|e| panic!("{e}"))
}

fn inputs_with_forecast(hpa_min: Option<i32>) -> Inputs {
    let mut inputs = Inputs::default();
    if let Some(view) = forecast_of(&forecaster(json!([])), "rps") {
        inputs.forecasts.insert(("load".into(), "rps".into()), view);
    }
    inputs.hpa =
        hpa_min.map(|min_replicas| HpaTarget { name: "checkout".into(), min_replicas, current_replicas: None });
    inputs
}

fn hpa(name: &str, kind: &str, target: &str, api_version: Option<&str>) -> HorizontalPodAutoscaler {
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {"maxReplicas": 10, "scaleTargetRef": {"apiVersion": api_version, "kind": kind, "name": target}},
    }))
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_hpa_targeting_the_workload_is_found_by_kind_name_and_group() {
    let target = policy(|_| {}).spec.target_ref;
    let hpas = [
        hpa("other", "Deployment", "cart", Some("apps/v1")),
        hpa("wrong-kind", "StatefulSet", "checkout", Some("apps/v1")),
        hpa("wrong-group", "Deployment", "checkout", Some("example.com/v1")),
        hpa("z-checkout", "Deployment", "checkout", Some("apps/v1")),
        hpa("checkout", "Deployment", "checkout", None),
    ];
    let found = hpa_targeting(&hpas, &target);
    let want = HpaTarget { name: "checkout".into(), min_replicas: 1, current_replicas: None };
    assert_eq!(found, Some(want), "unset minReplicas defaults to 1");
    assert_eq!(hpa_targeting(&hpas[..3], &target), None);
}

#[test]
fn a_forecaster_whose_model_is_not_ready_marks_its_forecast_so() {
    let not_ready = json!([{"type": "ModelReady", "status": "False", "reason": "WarmingUp", "message": "",
        "lastTransitionTime": at(0)}]);
    let view = forecast_of(&forecaster(not_ready), "rps");
    assert_eq!(view.as_ref().map(|v| v.model_ready), Some(false));
    let view = forecast_of(&forecaster(json!([])), "rps");
    assert_eq!(view.as_ref().map(|v| (v.model_ready, v.step_ms, v.accuracy)), Some((true, 300_000, Some(0.4))));
    assert!(forecast_of(&forecaster(json!([])), "other").is_none());
}

#[test]
fn the_floor_uses_the_recorded_original_as_the_hpas_own() {
    let originals = Originals {
        hpa: Some(super::originals::HpaOriginal { name: "checkout".into(), min_replicas: 6 }),
        ..Originals::default()
    };
    // The live HPA shows the policy's own earlier floor (9); its own floor is the recorded 6, which the
    // recommendation (ceil(480 / 100) = 5) may not go below.
    let plan = decide(&policy(|_| {}), &inputs_with_forecast(Some(9)), &originals, NOW_MS);
    let replicas = plan.replicas.unwrap_or_else(|| panic!("a replica plan"));
    assert_eq!(replicas.own_floor, 6);
    assert_eq!(replicas.live(), 9);
    assert_eq!(replicas.decision.recommended, Some(6));
}

#[test]
fn memory_comes_from_applied_in_enforce_and_from_the_recommendation_otherwise() {
    let status = json!({"applied": {"minReplicas": 8, "time": at(-100)},
        "recommendation": {"minReplicas": 5, "time": at(-50)}});
    let enforcing = policy(|p| p["status"] = status.clone());
    assert_eq!((memory(&enforcing).floor, memory(&enforcing).changed_at_ms), (Some(8), Some(NOW_MS - 100_000)));
    let recommending = policy(|p| {
        p["status"] = status;
        p["spec"]["mode"] = "Recommend".into();
    });
    assert_eq!(memory(&recommending).floor, Some(5));
    assert_eq!(memory(&policy(|_| {})).floor, None);
}

#[test]
fn scale_down_waits_for_the_cooldown_since_the_last_change() {
    // The HPA's own floor is 2 (recorded); the policy raised it to 9 a minute ago.
    let originals = Originals {
        hpa: Some(super::originals::HpaOriginal { name: "checkout".into(), min_replicas: 2 }),
        ..Originals::default()
    };
    let recent = policy(|p| p["status"] = json!({"applied": {"minReplicas": 9, "time": at(-60)}}));
    let plan = decide(&recent, &inputs_with_forecast(Some(9)), &originals, NOW_MS);
    let decision = plan.replicas.map(|r| r.decision).unwrap_or_else(|| panic!("a replica plan"));
    assert_eq!(decision.floor, 9);
    assert_eq!(plan.held.map(|h| h.reason), Some("Cooldown".into()));
    let later = NOW_MS + 180_000;
    let old = policy(|p| p["status"] = json!({"applied": {"minReplicas": 9, "time": at(-60)}}));
    let mut inputs = inputs_with_forecast(Some(9));
    inputs.forecasts.values_mut().for_each(|v| v.generated_at_ms = later);
    let plan = decide(&old, &inputs, &originals, later);
    assert_eq!(plan.replicas.map(|r| r.decision.floor), Some(7), "down by maxStepDown 2 once the cooldown passed");
}

#[test]
fn without_hpa_or_scale_the_target_is_not_found() {
    let plan = decide(&policy(|_| {}), &Inputs::default(), &Originals::default(), NOW_MS);
    assert!(plan.replicas.is_none());
    assert_eq!(plan.held.as_ref().map(|h| h.reason.as_str()), Some(TARGET_NOT_FOUND));
    let status = build(&policy(|_| {}), Some(&plan), None, plan.held.as_ref(), &at(0));
    let ready = status.observed.condition("Ready").cloned().unwrap_or_else(|| panic!("Ready"));
    assert_eq!((ready.status.as_str(), ready.reason.as_str()), ("False", TARGET_NOT_FOUND));

    let mut inputs = inputs_with_forecast(None);
    inputs.scale_replicas = Some(4);
    let plan = decide(&policy(|_| {}), &inputs, &Originals::default(), NOW_MS);
    assert_eq!(plan.replicas.map(|r| (r.target, r.own_floor)), Some((FloorTarget::Scale(4), 4)));
}

#[test]
fn status_times_move_only_when_values_change() {
    let plan = decide(&policy(|_| {}), &inputs_with_forecast(Some(2)), &Originals::default(), NOW_MS);
    let first = build(&policy(|_| {}), Some(&plan), None, None, &at(0));
    assert_eq!(first.recommendation.as_ref().and_then(|r| r.min_replicas), Some(5));
    assert_eq!(first.observed.observed_generation, Some(4));
    let previous = serde_json::to_value(&first).unwrap_or_default();
    let again = policy(|p| p["status"] = previous);
    let second = build(&again, Some(&plan), None, None, &at(120));
    assert_eq!(second, first, "same values, same status: writing it changes nothing");
}

#[test]
fn mode_off_reports_off_and_nothing_else() {
    let off = policy(|p| p["spec"]["mode"] = "Off".into());
    assert_eq!(off.spec.mode, Mode::Off);
    let status = build(&off, None, None, None, &at(0));
    assert_eq!(status.observed.condition("Ready").map(|c| c.reason.as_str()), Some("Off"));
    assert!(status.recommendation.is_none() && status.applied.is_none() && status.blocked.is_none());
    assert_eq!(status.observed.conditions.len(), 1);
}

#[test]
fn originals_round_trip_through_the_annotation_and_garbage_is_ignored() {
    let recorded = json!({"hpa": {"name": "checkout", "minReplicas": 3}, "resizedPods": true}).to_string();
    let with = policy(|p| p["metadata"]["annotations"] = json!({ANNOTATION: recorded}));
    let originals = Originals::of(&with);
    assert_eq!(originals.hpa_min_replicas("checkout", 9), 3);
    assert_eq!(originals.hpa_min_replicas("another", 9), 9, "recorded for another HPA");
    assert!(originals.resized_pods);
    let garbage = policy(|p| p["metadata"]["annotations"] = json!({ANNOTATION: "{not json"}));
    assert!(Originals::of(&garbage).is_empty());
}

fn requests(cpu: Option<&str>, memory: Option<&str>) -> Requests {
    Requests { cpu: cpu.map(|q| Quantity(q.into())), memory: memory.map(|q| Quantity(q.into())) }
}

#[test]
fn desired_requests_keep_current_values_where_the_engine_held_back() {
    use augur_autoscale::{Block, BlockReason, ContainerDecision, ResourceDecision};
    let decided =
        |q: &str| ResourceDecision { request: Some(Quantity(q.into())), forecast_usage: Some(0.1), block: None };
    let held =
        ResourceDecision { request: None, forecast_usage: None, block: Some(Block::new(BlockReason::NoForecast, "")) };
    let decisions = [
        ContainerDecision { container_name: "app".into(), cpu: Some(decided("600m")), memory: Some(held.clone()) },
        ContainerDecision { container_name: "idle".into(), cpu: Some(held), memory: None },
        ContainerDecision { container_name: "gone".into(), cpu: Some(decided("1")), memory: None },
    ];
    let current = BTreeMap::from([
        ("app".to_owned(), requests(Some("250m"), Some("256Mi"))),
        ("idle".to_owned(), requests(Some("100m"), None)),
    ]);
    let desired = desired_requests(&decisions, &current);
    assert_eq!(desired, BTreeMap::from([("app".to_owned(), requests(Some("600m"), Some("256Mi")))]));
}

#[test]
fn requests_compare_as_quantities() {
    assert!(same(&requests(Some("1"), Some("1Gi")), &requests(Some("1000m"), Some("1024Mi"))));
    assert!(!same(&requests(Some("1"), None), &requests(Some("1"), Some("1Gi"))));
}

#[test]
fn a_workloads_template_requests_and_selector_are_read() {
    let deployment: k8s_openapi::api::apps::v1::Deployment = serde_json::from_value(json!({"spec": {
        "selector": {"matchLabels": {"app": "checkout", "tier": "web"}},
        "template": {"spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "250m"}}}, {"name": "proxy"}]}},
    }}))
    .unwrap_or_else(|e| panic!("{e}"));
    let spec = deployment.spec.unwrap_or_default();
    let workload = Workload::of(spec.selector.match_labels.as_ref(), Some(&spec.template));
    assert_eq!(workload.selector.as_deref(), Some("app=checkout,tier=web"));
    assert_eq!(workload.containers.get("app"), Some(&requests(Some("250m"), None)));
    assert_eq!(workload.containers.get("proxy"), Some(&requests(None, None)));
}

#[test]
fn watch_mappers_select_the_policies_that_refer_to_an_object() {
    let p = policy(|_| {});
    assert!(uses_forecaster(&p, "load") && !uses_forecaster(&p, "other"));
    assert!(uses_detector(&p, "errors") && !uses_detector(&p, "load"));
    assert!(targets(&p, "Deployment", "checkout") && !targets(&p, "StatefulSet", "checkout"));
}
