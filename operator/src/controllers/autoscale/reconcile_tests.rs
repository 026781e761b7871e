//! The AutoScalePolicy reconciler against a mocked API server, its inputs in stores: the exact calls, their field
//! managers and bodies. Inputs are never read from the API (only the pods of an in-place policy are listed). The HPA
//! is written by server-side apply of `spec.minReplicas` alone under `augur-autoscaler`, after the original is
//! recorded; Recommend writes status only; the finalizer restores the recorded original; gates show in status.

use std::sync::Arc;

use augur_crds::AutoScalePolicy;
use http::{Method, Request, Response};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{Client, client::Body, runtime::controller::Action};
use serde_json::{Value, json};

use super::{reconcile::REEVALUATE, stores::of_objects, *};
use crate::{config::OperatorConfig, controllers::pipeline::Context};

type Handle = tower_test::mock::Handle<Request<Body>, Response<Body>>;

/// 2027-01-15T08:00:00Z.
const NOW_S: i64 = 1_800_000_000;
const POLICY: &str = "/apis/augur.dev/v1alpha1/namespaces/shop/autoscalepolicies/checkout";
const HPA: &str = "/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/checkout";

fn context(client: Client) -> Context {
    let now = Time(k8s_openapi::jiff::Timestamp::from_second(NOW_S).unwrap_or_default());
    Context { clock: Arc::new(move || now.clone()), ..Context::new(client, OperatorConfig::default()) }
}

fn at(offset_s: i64) -> String {
    k8s_openapi::jiff::Timestamp::from_second(NOW_S + offset_s).unwrap_or_default().to_string()
}

/// The policy: Enforce, floor from series `rps` of Forecaster `checkout-load`, 100 per replica, finalizer present.
fn policy_json(mutate: impl FnOnce(&mut Value)) -> Value {
    let mut policy = json!({
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AutoScalePolicy",
        "metadata": {"name": "checkout", "namespace": "shop", "uid": "p-1", "generation": 2, "finalizers": [FINALIZER]},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout"},
            "mode": "Enforce",
            "replicas": {"forecasterRef": {"name": "checkout-load"}, "series": "rps", "quantile": 0.9,
                "capacityPerReplica": 100.0, "minReplicas": 1, "maxReplicas": 20, "leadTime": "2m"},
            "guardrails": {"maxStepUp": 10, "maxStepDown": 2, "cooldown": "3m", "minForecastSkill": 0.0},
        },
    });
    mutate(&mut policy);
    policy
}

fn policy(mutate: impl FnOnce(&mut Value)) -> Arc<AutoScalePolicy> {
    Arc::new(serde_json::from_value(policy_json(mutate)).unwrap_or_else(|e| panic!("{e}")))
}

/// The Forecaster with a published forecast of `rps` whose 0.9 quantile peaks at 610 within lead time + one step,
/// of skill `skill` against the last value.
fn forecaster(model_ready: &str, skill: f64) -> Value {
    json!({
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "Forecaster",
        "metadata": {"name": "checkout-load", "namespace": "shop"},
        "spec": {"source": {"prometheus": {"url": "http://prometheus:9090", "query": "sum(rate(x[5m]))"}}},
        "status": {
            "conditions": [{"type": "ModelReady", "status": model_ready, "reason": "ModelsReady", "message": "",
                "lastTransitionTime": at(-3600)}],
            "forecasts": [{
                "series": "rps", "generatedAt": at(-60), "start": at(-60), "step": "5m", "quantiles": [0.5, 0.9],
                "points": [[400.0, 520.0], [450.0, 610.0], [800.0, 990.0], [300.0, 350.0]],
                "accuracy": {"mase": 1.5, "skill": skill},
            }],
        },
    })
}

fn hpa(min_replicas: i32) -> Value {
    json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {"minReplicas": min_replicas, "maxReplicas": 30,
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout"}},
    })
}

/// One expected request.
struct Expect {
    method: Method,
    path: String,
    /// `Some((field manager, content type))` for a PATCH.
    patch: Option<(Option<&'static str>, &'static str)>,
    respond: Value,
}

const APPLY: &str = "application/apply-patch+yaml";

fn get(path: &str, respond: Value) -> Expect {
    Expect { method: Method::GET, path: path.into(), patch: None, respond }
}

fn apply(path: &str, manager: &'static str, respond: Value) -> Expect {
    Expect { method: Method::PATCH, path: path.into(), patch: Some((Some(manager), APPLY)), respond }
}

/// Serves `script` in order, asserting each request; returns the request bodies.
async fn serve(mut handle: Handle, script: Vec<Expect>) -> Vec<Value> {
    let mut bodies = Vec::new();
    for step in script {
        let (request, send) = handle.next_request().await.unwrap_or_else(|| panic!("no request for {}", step.path));
        assert_eq!((request.method(), request.uri().path()), (&step.method, step.path.as_str()));
        if let Some((manager, content_type)) = step.patch {
            let query = request.uri().query().unwrap_or_default().to_owned();
            if let Some(manager) = manager {
                assert!(query.contains(&format!("fieldManager={manager}")), "{} ?{query}", step.path);
            }
            if content_type == APPLY {
                assert!(query.contains("force=true"), "{} ?{query}", step.path);
            }
            let actual = request.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
            assert_eq!(actual, content_type, "{}", step.path);
        }
        let bytes = request.into_body().collect_bytes().await.unwrap_or_default();
        bodies.push(serde_json::from_slice(&bytes).unwrap_or_default());
        let answer = serde_json::to_vec(&step.respond).unwrap_or_default();
        send.send_response(Response::builder().body(Body::from(answer)).unwrap_or_else(|e| panic!("{e}")));
    }
    // Nothing else may be sent.
    let extra = tokio::time::timeout(std::time::Duration::from_millis(50), handle.next_request()).await;
    assert!(!matches!(extra, Ok(Some(_))), "an unexpected extra request");
    bodies
}

/// Reconciles `policy` with `inputs` in the stores, against a server answering `script`.
async fn run(
    policy: Arc<AutoScalePolicy>,
    inputs: &[Value],
    script: Vec<Expect>,
) -> (Result<Action, AutoscaleError>, Vec<Value>) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let server = tokio::spawn(serve(handle, script));
    let outcome = reconcile(policy, &context(Client::new(service, "default")), &of_objects(inputs)).await;
    (outcome, server.await.unwrap_or_else(|e| panic!("{e}")))
}

fn list(items: Vec<Value>) -> Value {
    json!({"metadata": {}, "items": items})
}

fn condition<'a>(status: &'a Value, type_: &str) -> &'a Value {
    status["conditions"].as_array().and_then(|c| c.iter().find(|c| c["type"] == type_)).unwrap_or(&Value::Null)
}

#[tokio::test]
async fn enforce_records_the_original_then_applies_only_min_replicas_as_augur_autoscaler() {
    let script = vec![
        apply(POLICY, SCALER_MANAGER, policy_json(|_| {})),
        apply(HPA, SCALER_MANAGER, hpa(7)),
        apply(&format!("{POLICY}/status"), STATUS_MANAGER, policy_json(|_| {})),
    ];
    let (outcome, bodies) = run(policy(|_| {}), &[forecaster("True", 0.6), hpa(2)], script).await;
    assert_eq!(outcome.unwrap_or_else(|e| panic!("{e}")), Action::requeue(REEVALUATE));

    let recorded = &bodies[0];
    assert_eq!(recorded["metadata"]["name"], "checkout");
    let originals: Value =
        serde_json::from_str(recorded["metadata"]["annotations"][originals::ANNOTATION].as_str().unwrap_or_default())
            .unwrap_or_default();
    assert_eq!(originals, json!({"hpa": {"name": "checkout", "minReplicas": 2}}), "recorded before the change");
    assert!(recorded.get("spec").is_none(), "the policy's spec is not touched");

    assert_eq!(
        bodies[1],
        json!({
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "checkout", "namespace": "shop"},
            "spec": {"minReplicas": 7},
        }),
        "ceil(610 / 100) = 7, and nothing but minReplicas"
    );

    let status = &bodies[2]["status"];
    assert_eq!(status["observedGeneration"], 2);
    assert_eq!(status["recommendation"]["minReplicas"], 7);
    assert_eq!(status["recommendation"]["forecastLoad"], 610.0);
    assert_eq!(status["recommendation"]["forecastSkill"], 0.6);
    assert_eq!(status["applied"]["minReplicas"], 7);
    assert_eq!(status["applied"]["time"], at(0));
    assert!(status.get("blocked").is_none(), "{status}");
    assert_eq!(condition(status, "Ready")["reason"], "Enforcing");
    assert_eq!(condition(status, "ForecastUsed")["status"], "True");
    let message = condition(status, "ForecastUsed")["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("skill 0.60 against repeating the last value"), "{message}");
}

#[tokio::test]
async fn an_unchanged_floor_is_not_written_again() {
    let recorded = json!({"hpa": {"name": "checkout", "minReplicas": 2}}).to_string();
    let policy = policy(|p| p["metadata"]["annotations"] = json!({originals::ANNOTATION: recorded}));
    let script = vec![apply(&format!("{POLICY}/status"), STATUS_MANAGER, policy_json(|_| {}))];
    let (outcome, bodies) = run(policy, &[forecaster("True", 0.6), hpa(7)], script).await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bodies[0]["status"]["applied"]["minReplicas"], 7);
}

#[tokio::test]
async fn recommend_writes_status_only() {
    let script = vec![apply(&format!("{POLICY}/status"), STATUS_MANAGER, policy_json(|_| {}))];
    let recommending = policy(|p| p["spec"]["mode"] = "Recommend".into());
    let (outcome, bodies) = run(recommending, &[forecaster("True", 0.6), hpa(2)], script).await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
    let status = &bodies[0]["status"];
    assert_eq!(status["recommendation"]["minReplicas"], 7);
    assert!(status.get("applied").is_none(), "nothing applied: {status}");
    assert_eq!(condition(status, "Ready")["reason"], "Recommending");
}

/// A policy being deleted that recorded the HPA's own floor `min_replicas` before it changed it.
fn deleting_with_recorded_hpa_floor(min_replicas: i32) -> Arc<AutoScalePolicy> {
    let recorded = json!({"hpa": {"name": "checkout", "minReplicas": min_replicas}}).to_string();
    policy(|p| {
        p["metadata"]["annotations"] = json!({originals::ANNOTATION: recorded});
        p["metadata"]["deletionTimestamp"] = at(-5).into();
    })
}

#[tokio::test]
async fn deleting_the_policy_restores_the_recorded_min_replicas_then_removes_the_finalizer() {
    let deleting = deleting_with_recorded_hpa_floor(2);
    let script = vec![
        apply(HPA, SCALER_MANAGER, hpa(2)),
        Expect {
            method: Method::PATCH,
            path: POLICY.into(),
            patch: Some((None, "application/json-patch+json")),
            respond: policy_json(|_| {}),
        },
    ];
    let (outcome, bodies) = run(deleting, &[], script).await;
    assert_eq!(outcome.unwrap_or_else(|e| panic!("{e}")), Action::await_change());
    assert_eq!(bodies[0]["spec"], json!({"minReplicas": 2}), "the original floor");
    assert_eq!(bodies[0]["metadata"]["name"], "checkout");
    let removal = bodies[1].as_array().cloned().unwrap_or_default();
    assert!(
        removal.iter().any(|op| op["op"] == "remove" && op["path"] == "/metadata/finalizers/0"),
        "finalizer removed after the restore: {removal:?}"
    );
}

#[tokio::test]
async fn a_policy_in_a_namespace_being_deleted_lets_go_of_its_finalizer() {
    // The namespace refuses every write while it is deleted, and takes the HPA with it: nothing is left to restore,
    // and holding the finalizer would keep the namespace Terminating forever.
    let deleting = deleting_with_recorded_hpa_floor(2);
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let server = tokio::spawn(async move {
        let (request, send) = handle.next_request().await.unwrap_or_else(|| panic!("no request"));
        assert_eq!(request.uri().path(), HPA);
        let refusal = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden",
            "code": 403, "message": "horizontalpodautoscalers.autoscaling \"checkout\" is forbidden: unable to create \
            new content in namespace shop because it is being terminated"});
        let body = Body::from(serde_json::to_vec(&refusal).unwrap_or_default());
        send.send_response(Response::builder().status(403).body(body).unwrap_or_else(|e| panic!("{e}")));
        let (request, send) = handle.next_request().await.unwrap_or_else(|| panic!("no finalizer removal"));
        assert_eq!((request.method().as_str(), request.uri().path()), ("PATCH", POLICY));
        let body = Body::from(serde_json::to_vec(&policy_json(|_| {})).unwrap_or_default());
        send.send_response(Response::builder().body(body).unwrap_or_else(|e| panic!("{e}")));
    });
    let outcome = reconcile(deleting, &context(Client::new(service, "default")), &of_objects(&[])).await;
    server.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome.unwrap_or_else(|e| panic!("{e}")), Action::await_change());
}

#[tokio::test]
async fn a_failed_restore_keeps_the_finalizer() {
    let deleting = deleting_with_recorded_hpa_floor(2);
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let server = tokio::spawn(async move {
        let (request, send) = handle.next_request().await.unwrap_or_else(|| panic!("no request"));
        assert_eq!(request.uri().path(), HPA);
        let failure = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "etcd is down",
            "reason": "InternalError", "code": 500});
        let body = Body::from(serde_json::to_vec(&failure).unwrap_or_default());
        send.send_response(Response::builder().status(500).body(body).unwrap_or_else(|e| panic!("{e}")));
        let extra = tokio::time::timeout(std::time::Duration::from_millis(50), handle.next_request()).await;
        assert!(!matches!(extra, Ok(Some(_))), "the finalizer must stay");
    });
    let error = reconcile(deleting, &context(Client::new(service, "default")), &of_objects(&[])).await.err();
    server.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(error.as_ref().map(AutoscaleError::category), Some("ActuateFailed"), "{error:?}");
}

#[tokio::test]
async fn a_model_not_ready_blocks_with_the_reason_and_keeps_the_hpas_own_floor() {
    let script = vec![apply(&format!("{POLICY}/status"), STATUS_MANAGER, policy_json(|_| {}))];
    let (outcome, bodies) = run(policy(|_| {}), &[forecaster("False", 0.6), hpa(2)], script).await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
    let status = &bodies[0]["status"];
    assert_eq!(status["blocked"]["reason"], "ModelNotReady");
    assert_eq!(status["blocked"]["since"], at(0));
    assert_eq!(status["recommendation"]["minReplicas"], 2, "released to the HPA's own minReplicas");
    let used = condition(status, "ForecastUsed");
    assert_eq!((used["status"].clone(), used["reason"].clone()), (json!("False"), json!("ModelNotReady")));
}

#[tokio::test]
async fn low_accuracy_releases_a_raised_floor_back_to_the_original() {
    let recorded = json!({"hpa": {"name": "checkout", "minReplicas": 2}}).to_string();
    let raised = policy(|p| {
        p["metadata"]["annotations"] = json!({originals::ANNOTATION: recorded});
        p["status"] = json!({"applied": {"minReplicas": 7, "time": at(-30)},
            "blocked": {"reason": "LowForecastAccuracy", "message": "", "since": at(-600)}});
    });
    let script = vec![
        apply(HPA, SCALER_MANAGER, hpa(2)),
        apply(&format!("{POLICY}/status"), STATUS_MANAGER, policy_json(|_| {})),
    ];
    let (outcome, bodies) = run(raised, &[forecaster("True", -0.5), hpa(7)], script).await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bodies[0]["spec"], json!({"minReplicas": 2}));
    let status = &bodies[1]["status"];
    assert_eq!(status["blocked"]["reason"], "LowForecastAccuracy");
    assert_eq!(status["blocked"]["since"], at(-600), "kept while the reason holds");
    assert_eq!(status["applied"]["minReplicas"], 2);
    assert!(status["blocked"]["message"].as_str().unwrap_or_default().contains("released"), "{status}");
    assert!(status["blocked"]["message"].as_str().unwrap_or_default().contains("skill -0.50"), "{status}");
}

#[tokio::test]
async fn an_active_anomaly_freezes_scale_down() {
    let raised = policy(|p| {
        p["spec"]["guardrails"]["freezeScaleDownOn"] = json!([{"name": "service-metrics"}]);
        p["metadata"]["annotations"] =
            json!({originals::ANNOTATION: json!({"hpa": {"name": "checkout", "minReplicas": 2}}).to_string()});
        p["status"] = json!({"applied": {"minReplicas": 12, "time": at(-3600)}});
    });
    let detector = json!({
        "apiVersion": "augur.dev/v1alpha1", "kind": "AnomalyDetector",
        "metadata": {"name": "service-metrics", "namespace": "shop"},
        "spec": {"source": {"prometheus": {"url": "http://prometheus:9090", "query": "up"}}},
        "status": {"activeAnomalies": 2},
    });
    let script = vec![apply(&format!("{POLICY}/status"), STATUS_MANAGER, policy_json(|_| {}))];
    let (outcome, bodies) = run(raised, &[forecaster("True", 0.6), hpa(12), detector], script).await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
    let status = &bodies[0]["status"];
    assert_eq!(status["blocked"]["reason"], "AnomalyActive");
    assert_eq!(status["applied"]["minReplicas"], 12, "held, not lowered to 7");
}

#[tokio::test]
async fn without_an_hpa_the_scale_subresource_is_applied() {
    let scale = "/apis/apps/v1/namespaces/shop/deployments/checkout/scale";
    let scale_object = |replicas: i32| {
        json!({"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "checkout", "namespace": "shop"},
            "spec": {"replicas": replicas}})
    };
    let script = vec![
        apply(POLICY, SCALER_MANAGER, policy_json(|_| {})),
        apply(scale, SCALER_MANAGER, scale_object(7)),
        apply(&format!("{POLICY}/status"), STATUS_MANAGER, policy_json(|_| {})),
    ];
    let mut deployment = workload();
    deployment["spec"]["replicas"] = 3.into();
    let (outcome, bodies) = run(policy(|_| {}), &[forecaster("True", 0.6), deployment], script).await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
    let recorded = bodies[0]["metadata"]["annotations"][originals::ANNOTATION].as_str().unwrap_or_default();
    assert_eq!(serde_json::from_str::<Value>(recorded).unwrap_or_default(), json!({"replicas": 3}));
    assert_eq!(bodies[1]["spec"], json!({"replicas": 7}));
    assert_eq!(bodies[1]["kind"], "Scale");
}

#[tokio::test]
async fn turning_the_policy_off_restores_and_forgets_the_originals() {
    let recorded = json!({"hpa": {"name": "checkout", "minReplicas": 2}}).to_string();
    let off = policy(|p| {
        p["spec"]["mode"] = "Off".into();
        p["metadata"]["annotations"] = json!({originals::ANNOTATION: recorded});
    });
    let script = vec![
        apply(HPA, SCALER_MANAGER, hpa(2)),
        apply(POLICY, SCALER_MANAGER, policy_json(|_| {})),
        apply(&format!("{POLICY}/status"), STATUS_MANAGER, policy_json(|_| {})),
    ];
    let (outcome, bodies) = run(off, &[], script).await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bodies[0]["spec"], json!({"minReplicas": 2}));
    assert!(bodies[1]["metadata"].get("annotations").is_none(), "annotation released: {}", bodies[1]);
    let status = &bodies[2]["status"];
    assert_eq!(condition(status, "Ready")["reason"], "Off");
    assert!(status.get("applied").is_none() && status.get("recommendation").is_none(), "{status}");
}

#[tokio::test]
async fn a_new_policy_first_gets_its_finalizer() {
    let script = vec![Expect {
        method: Method::PATCH,
        path: POLICY.into(),
        patch: Some((None, "application/json-patch+json")),
        respond: policy_json(|_| {}),
    }];
    let (outcome, bodies) = run(policy(|p| p["metadata"]["finalizers"] = json!([])), &[], script).await;
    assert_eq!(outcome.unwrap_or_else(|e| panic!("{e}")), Action::await_change());
    assert!(bodies[0].to_string().contains(FINALIZER), "{}", bodies[0]);
}

#[tokio::test]
async fn template_requests_are_applied_to_the_pod_template_only() {
    let deployment = "/apis/apps/v1/namespaces/shop/deployments/checkout";
    let sized = policy(|p| {
        p["spec"].as_object_mut().map(|s| s.remove("replicas"));
        p["spec"]["resources"] = json!({"update": "Template", "containers": [{"containerName": "app",
            "forecasterRef": {"name": "checkout-cpu"}, "cpu": {"series": "rps", "quantile": 0.9, "headroom": 0.2}}]});
    });
    let mut usage = forecaster("True", 0.5);
    usage["metadata"]["name"] = "checkout-cpu".into();
    usage["status"]["forecasts"][0]["points"] = json!([[0.3, 0.4], [0.4, 0.5]]);
    usage["status"]["forecasts"][0]["start"] = at(0).into();
    let workload = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "checkout"}}, "template": {"spec": {"containers": [
            {"name": "app", "image": "shop/checkout:1", "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}}},
            {"name": "sidecar", "image": "proxy:1"}]}}}});
    let script = vec![
        apply(POLICY, SCALER_MANAGER, policy_json(|_| {})),
        apply(deployment, SCALER_MANAGER, workload.clone()),
        apply(&format!("{POLICY}/status"), STATUS_MANAGER, policy_json(|_| {})),
    ];
    let (outcome, bodies) = run(sized, &[usage, workload], script).await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
    let recorded = bodies[0]["metadata"]["annotations"][originals::ANNOTATION].as_str().unwrap_or_default();
    assert_eq!(
        serde_json::from_str::<Value>(recorded).unwrap_or_default(),
        json!({"templateRequests": {"app": {"cpu": "250m"}}}),
        "only what the policy sizes is recorded"
    );
    assert_eq!(
        bodies[1]["spec"],
        json!({"template": {"spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "600m"}}}]}}}),
        "0.5 cores at q0.9 plus 20% headroom; memory and the sidecar untouched"
    );
    assert_eq!(bodies[2]["status"]["applied"]["containers"], json!([{"containerName": "app", "cpu": "600m"}]));
}

#[tokio::test]
async fn an_unchanged_evaluation_writes_nothing() {
    let script = vec![apply(&format!("{POLICY}/status"), STATUS_MANAGER, policy_json(|_| {}))];
    let recommending = |p: &mut Value| p["spec"]["mode"] = "Recommend".into();
    let inputs = [forecaster("True", 0.6), hpa(2)];
    let (_, bodies) = run(policy(recommending), &inputs, script).await;
    let written = bodies[0]["status"].clone();
    let (outcome, _) = run(
        policy(|p| {
            recommending(p);
            p["status"] = written;
        }),
        &inputs,
        Vec::new(),
    )
    .await;
    assert_eq!(outcome.unwrap_or_else(|e| panic!("{e}")), Action::requeue(REEVALUATE));
}

const PODS: &str = "/api/v1/namespaces/shop/pods";

/// A policy that sizes the `app` container's CPU in place from Forecaster `checkout-cpu`.
fn in_place(mutate: impl FnOnce(&mut Value)) -> Arc<AutoScalePolicy> {
    policy(|p| {
        p["spec"].as_object_mut().map(|s| s.remove("replicas"));
        p["spec"]["resources"] = json!({"update": "InPlace", "containers": [{"containerName": "app",
            "forecasterRef": {"name": "checkout-cpu"}, "cpu": {"series": "rps", "quantile": 0.9, "headroom": 0.2}}]});
        mutate(p);
    })
}

fn workload() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "checkout"}}, "template": {"spec": {"containers": [
            {"name": "app", "image": "shop/checkout:1", "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}}}]}}}})
}

fn pod(name: &str, cpu: &str) -> Value {
    json!({"metadata": {"name": name, "namespace": "shop"}, "spec": {"containers": [
        {"name": "app", "image": "shop/checkout:1", "resources": {"requests": {"cpu": cpu, "memory": "256Mi"}}}]}})
}

fn strategic(path: &str, respond: Value) -> Expect {
    Expect {
        method: Method::PATCH,
        path: path.into(),
        patch: Some((Some(SCALER_MANAGER), "application/strategic-merge-patch+json")),
        respond,
    }
}

#[tokio::test]
async fn in_place_requests_resize_only_the_pods_that_differ() {
    let mut usage = forecaster("True", 0.5);
    usage["metadata"]["name"] = "checkout-cpu".into();
    // A resize covers the next step only: 0.5 cores at the 0.9 quantile, whatever comes after.
    usage["status"]["forecasts"][0]["points"] = json!([[0.4, 0.5], [0.3, 0.4]]);
    usage["status"]["forecasts"][0]["start"] = at(0).into();
    let script = vec![
        get(PODS, list(vec![pod("checkout-a", "250m"), pod("checkout-b", "0.6")])),
        apply(POLICY, SCALER_MANAGER, policy_json(|_| {})),
        strategic(&format!("{PODS}/checkout-a/resize"), pod("checkout-a", "600m")),
        apply(&format!("{POLICY}/status"), STATUS_MANAGER, policy_json(|_| {})),
    ];
    let (outcome, bodies) = run(in_place(|_| {}), &[usage, workload()], script).await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
    let recorded = bodies[1]["metadata"]["annotations"][originals::ANNOTATION].as_str().unwrap_or_default();
    assert_eq!(serde_json::from_str::<Value>(recorded).unwrap_or_default(), json!({"resizedPods": true}));
    assert_eq!(
        bodies[2],
        json!({"spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "600m"}}}]}}),
        "checkout-b already has 0.6 cores"
    );
}

#[tokio::test]
async fn deleting_an_in_place_policy_resizes_pods_back_to_the_template() {
    let deleting = in_place(|p| {
        p["metadata"]["annotations"] = json!({originals::ANNOTATION: json!({"resizedPods": true}).to_string()});
        p["metadata"]["deletionTimestamp"] = at(-5).into();
    });
    let script = vec![
        get(PODS, list(vec![pod("checkout-a", "600m")])),
        strategic(&format!("{PODS}/checkout-a/resize"), pod("checkout-a", "250m")),
        Expect {
            method: Method::PATCH,
            path: POLICY.into(),
            patch: Some((None, "application/json-patch+json")),
            respond: policy_json(|_| {}),
        },
    ];
    let (outcome, bodies) = run(deleting, &[workload()], script).await;
    assert_eq!(outcome.unwrap_or_else(|e| panic!("{e}")), Action::await_change());
    assert_eq!(
        bodies[1],
        json!({"spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "250m"}}}]}}),
        "only what the policy sizes"
    );
}

#[tokio::test]
async fn each_actuation_is_published_as_an_event_and_counted() {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let event = Expect {
        method: Method::POST,
        path: "/apis/events.k8s.io/v1/namespaces/shop/events".into(),
        patch: None,
        respond: json!({}),
    };
    let script = vec![
        apply(POLICY, SCALER_MANAGER, policy_json(|_| {})),
        apply(HPA, SCALER_MANAGER, hpa(7)),
        event,
        apply(&format!("{POLICY}/status"), STATUS_MANAGER, policy_json(|_| {})),
    ];
    let server = tokio::spawn(serve(handle, script));
    let client = Client::new(service, "default");
    let mut context = context(client.clone());
    let reporter = kube::runtime::events::Reporter { controller: "augur-operator".into(), instance: None };
    context.events = Some(kube::runtime::events::Recorder::new(client, reporter));
    let metrics = context.metrics.clone();
    let stores = of_objects(&[forecaster("True", 0.6), hpa(2)]);
    reconcile(policy(|_| {}), &context, &stores).await.unwrap_or_else(|e| panic!("{e}"));
    drop(context);
    let bodies = server.await.unwrap_or_else(|e| panic!("{e}"));
    let event = &bodies[2];
    assert_eq!((event["type"].clone(), event["reason"].clone()), (json!("Normal"), json!("FloorRaised")));
    assert_eq!(event["regarding"]["kind"], "AutoScalePolicy");
    assert_eq!(event["note"], "minReplicas of HPA checkout 2 -> 7");
    let text = metrics.encode();
    assert!(text.contains(r#"augur_operator_autoscaler_actuations_total{action="FloorRaised"} 1"#), "{text}");
    assert!(text.contains(r#"augur_operator_autoscaler_floor_replicas{namespace="shop",name="checkout"} 7"#), "{text}");
}
