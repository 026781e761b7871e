//! The reconciler against a mocked API server: the exact calls (server-side apply with the controller's field manager
//! and `force`, children before the status patch, nothing else) and the status it writes.

use std::{path::Path, sync::Arc};

use augur_crds::AugurResource;
use http::{Method, Request, Response};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{Client, client::Body};
use serde_json::{Value, json};

use super::*;
use crate::config::OperatorConfig;

type Handle = tower_test::mock::Handle<Request<Body>, Response<Body>>;

fn resource(file: &str, mutate: impl FnOnce(&mut Value)) -> AugurResource {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(file);
    let mut manifest =
        AugurResource::parse_yaml(&std::fs::read_to_string(path).unwrap_or_default()).unwrap_or_default();
    manifest["metadata"]["uid"] = "0000-1111".into();
    manifest["metadata"]["generation"] = 3.into();
    mutate(&mut manifest);
    AugurResource::from_value(manifest).unwrap_or_else(|e| panic!("{e}"))
}

fn context(client: Client) -> Context {
    let now = Time(k8s_openapi::jiff::Timestamp::from_second(1_800_000_000).unwrap_or_default());
    Context { clock: Arc::new(move || now.clone()), ..Context::new(client, OperatorConfig::default()) }
}

/// One expected request: method, path, and what the server answers (the applied body, possibly edited).
struct Expect {
    method: Method,
    path: String,
    respond: Box<dyn FnOnce(Value) -> Value + Send>,
}

fn expect(method: Method, path: &str) -> Expect {
    Expect { method, path: path.into(), respond: Box::new(|body| body) }
}

/// Serves `script` in order, asserting each request; returns the request bodies.
async fn serve(mut handle: Handle, script: Vec<Expect>, manager: &'static str) -> Vec<Value> {
    let mut bodies = Vec::new();
    for step in script {
        let (request, send) = handle.next_request().await.unwrap_or_else(|| panic!("no request for {}", step.path));
        assert_eq!(request.method(), step.method, "{}", step.path);
        assert_eq!(request.uri().path(), step.path);
        if step.method == Method::PATCH {
            let query = request.uri().query().unwrap_or_default().to_owned();
            assert!(
                query.contains(&format!("fieldManager={manager}")) && query.contains("force=true"),
                "{} ?{query}",
                step.path
            );
            let content_type = request.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
            assert_eq!(content_type, "application/apply-patch+yaml", "server-side apply for {}", step.path);
        }
        let bytes = request.into_body().collect_bytes().await.unwrap_or_default();
        let body: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        bodies.push(body.clone());
        let answer = serde_json::to_vec(&(step.respond)(body)).unwrap_or_default();
        send.send_response(Response::builder().body(Body::from(answer)).unwrap_or_else(|e| panic!("{e}")));
    }
    bodies
}

fn children_script(namespace: &str, name: &str, deployment_status: Value) -> Vec<Expect> {
    let core = format!("/api/v1/namespaces/{namespace}");
    let rbac = format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}");
    vec![
        // Sent together; the RoleBinding once its Role is applied.
        expect(Method::PATCH, &format!("{core}/serviceaccounts/{name}")),
        expect(Method::PATCH, &format!("{rbac}/roles/{name}")),
        expect(Method::PATCH, &format!("{core}/configmaps/{name}-config")),
        expect(Method::PATCH, &format!("{core}/services/{name}")),
        expect(Method::PATCH, &format!("{rbac}/rolebindings/{name}")),
        Expect {
            method: Method::PATCH,
            path: format!("/apis/apps/v1/namespaces/{namespace}/deployments/{name}"),
            respond: Box::new(move |mut body| {
                body["metadata"]["generation"] = 1.into();
                body["status"] = deployment_status;
                body
            }),
        },
    ]
}

/// The label-selected LISTs that look for orphaned children; `config_maps` are returned for the ConfigMap list.
fn orphan_lists(namespace: &str, config_maps: &[&str]) -> Vec<Expect> {
    let core = format!("/api/v1/namespaces/{namespace}");
    let rbac = format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}");
    let empty = |path: String| Expect {
        method: Method::GET,
        path,
        respond: Box::new(|_| json!({"metadata": {}, "items": []})),
    };
    let items: Vec<Value> = config_maps.iter().map(|name| json!({"metadata": {"name": name}})).collect();
    vec![
        empty(format!("{core}/serviceaccounts")),
        empty(format!("{rbac}/roles")),
        empty(format!("{rbac}/rolebindings")),
        Expect {
            method: Method::GET,
            path: format!("{core}/configmaps"),
            respond: Box::new(move |_| json!({"metadata": {}, "items": items})),
        },
        empty(format!("{core}/services")),
        empty(format!("/apis/apps/v1/namespaces/{namespace}/deployments")),
    ]
}

/// The calls of reconciling the AnomalyDetector example whose Deployment reports ready: its children and the status
/// patch, then `then`.
fn ready_detector_script(then: Vec<Expect>) -> Vec<Expect> {
    let ready = json!({"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2});
    let mut script = children_script("shop", "service-metrics-ad", ready);
    script.push(expect(
        Method::PATCH,
        "/apis/augur.dev/v1alpha1/namespaces/shop/anomalydetectors/service-metrics/status",
    ));
    script.extend(then);
    script
}

fn condition<'a>(status: &'a Value, type_: &str) -> &'a Value {
    status["conditions"].as_array().and_then(|c| c.iter().find(|c| c["type"] == type_)).unwrap_or(&Value::Null)
}

#[tokio::test]
async fn applies_every_child_then_reports_ready_from_the_deployment() {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = Client::new(service, "default");
    let server = tokio::spawn(serve(handle, ready_detector_script(Vec::new()), "augur-anomalydetector"));

    let outcome = reconcile(&resource("anomaly-detector.yaml", |_| {}), &context(client)).await;
    assert_eq!(outcome.unwrap_or_else(|e| panic!("{e}")), Outcome::Applied);
    let bodies = server.await.unwrap_or_else(|e| panic!("{e}"));
    let status = &bodies[6]["status"];
    assert_eq!(status["observedGeneration"], 3);
    assert_eq!((status["replicas"].clone(), status["readyReplicas"].clone()), (json!(2), json!(2)));
    assert_eq!(condition(status, "Ready")["status"], "True");
    assert_eq!(condition(status, "Ready")["reason"], "Running");
    assert_eq!(condition(status, "Progressing")["status"], "False");
    assert_eq!(condition(status, "Ready")["lastTransitionTime"], "2027-01-15T08:00:00Z");
    assert!(status.get("seriesTracked").is_none(), "the runtime's fields are left to the runtime");
}

#[tokio::test]
async fn a_rollout_in_progress_is_progressing_not_ready_and_keeps_unchanged_transition_times() {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = Client::new(service, "default");
    let mut script = children_script(
        "shop",
        "checkout-load-fc",
        json!({"observedGeneration": 1, "replicas": 2, "updatedReplicas": 1, "readyReplicas": 1}),
    );
    script.push(expect(Method::PATCH, "/apis/augur.dev/v1alpha1/namespaces/shop/forecasters/checkout-load/status"));
    let server = tokio::spawn(serve(handle, script, "augur-forecaster"));
    let earlier = json!({"conditions": [{"type": "Ready", "status": "False", "reason": "RollingOut", "message": "0/1",
        "lastTransitionTime": "2026-01-01T00:00:00Z"}]});
    let forecaster = resource("forecaster.yaml", |m| {
        m["spec"]["parallelism"] = 2.into();
        m["status"] = earlier;
    });
    reconcile(&forecaster, &context(client)).await.unwrap_or_else(|e| panic!("{e}"));
    let bodies = server.await.unwrap_or_else(|e| panic!("{e}"));
    let status = &bodies[6]["status"];
    assert_eq!(condition(status, "Ready")["status"], "False");
    assert_eq!(condition(status, "Ready")["message"], "1/2 runtime pods ready");
    assert_eq!(condition(status, "Ready")["lastTransitionTime"], "2026-01-01T00:00:00Z", "still False: time kept");
    assert_eq!(condition(status, "Progressing")["status"], "True");
}

#[tokio::test]
async fn pods_created_but_never_available_are_still_progressing() {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = Client::new(service, "default");
    let mut script = children_script(
        "shop",
        "checkout-load-fc",
        json!({"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "unavailableReplicas": 1}),
    );
    script.push(expect(Method::PATCH, "/apis/augur.dev/v1alpha1/namespaces/shop/forecasters/checkout-load/status"));
    let server = tokio::spawn(serve(handle, script, "augur-forecaster"));
    reconcile(&resource("forecaster.yaml", |_| {}), &context(client)).await.unwrap_or_else(|e| panic!("{e}"));
    let bodies = server.await.unwrap_or_else(|e| panic!("{e}"));
    let status = &bodies[6]["status"];
    let progressing = condition(status, "Progressing");
    assert_eq!((progressing["status"].clone(), progressing["reason"].clone()), (json!("True"), json!("RollingOut")));
    assert_eq!(progressing["message"], "rolling out: 1/1 runtime pods updated, 0/1 available");
    assert_eq!(condition(status, "Ready")["status"], "False");
}

#[tokio::test]
async fn a_problem_a_runtime_pod_reports_makes_the_resource_degraded() {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = Client::new(service, "default");
    let server = tokio::spawn(serve(handle, ready_detector_script(Vec::new()), "augur-anomalydetector"));
    let problem = json!({"reason": "TopicUnavailable",
        "message": "Kafka topic anomalies is missing and this runtime may not create it"});
    let detector = resource("anomaly-detector.yaml", |m| {
        m["status"] = json!({"pods": [
            {"name": "service-metrics-ad-0", "updated": "2027-01-15T07:59:50Z", "problems": [problem]},
            {"name": "long-gone", "updated": "2027-01-15T06:00:00Z",
             "problems": [{"reason": "SinkUnavailable", "message": "old news"}]},
        ]});
    });
    reconcile(&detector, &context(client)).await.unwrap_or_else(|e| panic!("{e}"));
    let bodies = server.await.unwrap_or_else(|e| panic!("{e}"));
    let degraded = condition(&bodies[6]["status"], "Degraded");
    assert_eq!((degraded["status"].clone(), degraded["reason"].clone()), (json!("True"), json!("TopicUnavailable")));
    assert_eq!(
        degraded["message"],
        "service-metrics-ad-0: Kafka topic anomalies is missing and this runtime may not create it",
        "the stale pod's problem is not counted"
    );
}

#[tokio::test]
async fn an_invalid_spec_only_writes_the_reason_to_status() {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = Client::new(service, "default");
    let script = vec![expect(Method::PATCH, "/apis/augur.dev/v1alpha1/namespaces/shop/logclusterers/shop-logs/status")];
    let server = tokio::spawn(serve(handle, script, "augur-logclusterer"));
    let broken =
        resource("log-clusterer.yaml", |m| m["spec"]["parsing"]["masking"]["rules"][0]["pattern"] = "ord-[".into());
    let outcome = reconcile(&broken, &context(client)).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(&outcome, Outcome::InvalidSpec(m) if m.contains("not a valid regular expression")), "{outcome:?}");
    let bodies = server.await.unwrap_or_else(|e| panic!("{e}"));
    let ready = condition(&bodies[0]["status"], "Ready");
    assert_eq!((ready["status"].clone(), ready["reason"].clone()), (json!("False"), json!("InvalidSpec")));
}

#[tokio::test]
async fn an_api_failure_is_returned_for_a_retry() {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = Client::new(service, "default");
    let server = tokio::spawn(async move {
        let (_, send) = handle.next_request().await.unwrap_or_else(|| panic!("no request"));
        let failure = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "etcd is down", "reason": "InternalError", "code": 500});
        send.send_response(
            Response::builder()
                .status(500)
                .body(Body::from(serde_json::to_vec(&failure).unwrap_or_default()))
                .unwrap_or_else(|e| panic!("{e}")),
        );
    });
    let error = reconcile(&resource("anomaly-detector.yaml", |_| {}), &context(client)).await.err();
    server.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(error.as_ref().map(ReconcileError::category), Some("ApplyFailed"), "{error:?}");
}

#[tokio::test]
async fn a_ready_transition_is_published_as_an_event() {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = Client::new(service, "default");
    let event = expect(Method::POST, "/apis/events.k8s.io/v1/namespaces/shop/events");
    let server = tokio::spawn(serve(handle, ready_detector_script(vec![event]), "augur-anomalydetector"));
    let reporter = kube::runtime::events::Reporter { controller: "augur-operator".into(), instance: None };
    let mut context = context(client.clone());
    context.events = Some(kube::runtime::events::Recorder::new(client, reporter));
    reconcile(&resource("anomaly-detector.yaml", |_| {}), &context).await.unwrap_or_else(|e| panic!("{e}"));
    let bodies = server.await.unwrap_or_else(|e| panic!("{e}"));
    let event = &bodies[7];
    assert_eq!((event["type"].clone(), event["reason"].clone()), (json!("Normal"), json!("Running")));
    assert_eq!(event["regarding"]["name"], "service-metrics");
    assert_eq!(event["note"], "2/2 runtime pods ready");
}

/// The AnomalyDetector example as an earlier operator reported on it (it may have children of an earlier build).
fn reported_detector() -> AugurResource {
    resource("anomaly-detector.yaml", |m| m["status"] = json!({"observedGeneration": 2, "conditions": []}))
}

#[tokio::test]
async fn children_of_an_earlier_build_are_removed_by_label_once_per_resource() {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = Client::new(service, "default");
    let ready = json!({"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2});
    let status = "/apis/augur.dev/v1alpha1/namespaces/shop/anomalydetectors/service-metrics/status";
    let mut script = children_script("shop", "service-metrics-ad", ready.clone());
    let lists = orphan_lists("shop", &["service-metrics-ad-config", "service-metrics-config"]);
    let mut lists = lists.into_iter();
    script.extend(lists.by_ref().take(4));
    script.push(expect(Method::DELETE, "/api/v1/namespaces/shop/configmaps/service-metrics-config"));
    script.extend(lists);
    script.push(expect(Method::PATCH, status));
    // The next reconcile of the same resource looks no more.
    script.extend(children_script("shop", "service-metrics-ad", ready));
    script.push(expect(Method::PATCH, status));
    let server = tokio::spawn(serve(handle, script, "augur-anomalydetector"));
    let context = context(client);
    reconcile(&reported_detector(), &context).await.unwrap_or_else(|e| panic!("{e}"));
    reconcile(&reported_detector(), &context).await.unwrap_or_else(|e| panic!("{e}"));
    server.await.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn a_status_that_already_shows_the_rollout_is_not_written_again() {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = Client::new(service, "default");
    let server = tokio::spawn(serve(handle, ready_detector_script(Vec::new()), "augur-anomalydetector"));
    let context = context(client);
    reconcile(&resource("anomaly-detector.yaml", |_| {}), &context).await.unwrap_or_else(|e| panic!("{e}"));
    let written = server.await.unwrap_or_else(|e| panic!("{e}"))[6]["status"].clone();

    // Reconciled again with that status (and the runtime's own fields beside it): the children only.
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let ready = json!({"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2});
    let server =
        tokio::spawn(serve(handle, children_script("shop", "service-metrics-ad", ready), "augur-anomalydetector"));
    let context = Context { client: Client::new(service, "default"), ..context };
    context.orphans_checked.first_time("0000-1111");
    let shown = resource("anomaly-detector.yaml", |m| {
        m["status"] = written;
        m["status"]["seriesTracked"] = 12.into();
    });
    assert_eq!(reconcile(&shown, &context).await.ok(), Some(Outcome::Applied));
    server.await.unwrap_or_else(|e| panic!("{e}"));
}
