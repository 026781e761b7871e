//! End to end against a real API server (enabled by `AUGUR_E2E_KUBECONFIG`): the CRDs install and become
//! Established, every valid example is accepted with its defaults filled in, every `examples/invalid/` manifest is
//! rejected with its rule's message, and the status subresource behaves as documented.

use augur_crds::crd;
use augur_tests::{
    cluster::{self, TempNamespace},
    examples::{self, numbers_as_f64},
};
use kube::{
    Api, Client,
    api::{ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams},
};
use serde_json::{Value, json};

const FIELD_MANAGER: &str = "augur-e2e";

fn api_for(client: &Client, namespace: &str, manifest: &Value) -> Api<DynamicObject> {
    let kind = manifest["kind"].as_str().unwrap_or_default();
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(augur_crds::GROUP, augur_crds::VERSION, kind));
    Api::namespaced_with(client.clone(), namespace, &resource)
}

fn in_namespace(manifest: &Value, namespace: &str) -> Value {
    let mut manifest = manifest.clone();
    manifest["metadata"]["namespace"] = json!(namespace);
    manifest
}

/// POSTs `manifest` with strict field validation (what `kubectl apply` does by default) and returns the server's
/// error message, or `None` when it was accepted.
async fn create_strict(client: &Client, namespace: &str, manifest: &Value) -> Option<String> {
    let kind = manifest["kind"].as_str().unwrap_or_default();
    let plural = crd::all()
        .into_iter()
        .find(|(_, definition)| definition.spec.names.kind == kind)
        .map(|(_, definition)| definition.spec.names.plural)
        .unwrap_or_default();
    let uri = format!(
        "/apis/{}/{}/namespaces/{namespace}/{plural}?fieldValidation=Strict&fieldManager={FIELD_MANAGER}",
        augur_crds::GROUP,
        augur_crds::VERSION
    );
    let body = serde_json::to_vec(&in_namespace(manifest, namespace)).unwrap_or_default();
    let request = http::Request::post(uri)
        .header("Content-Type", "application/json")
        .body(body)
        .unwrap_or_else(|e| panic!("{e}"));
    client.request::<Value>(request).await.err().map(|error| error.to_string())
}

/// A client with the CRDs installed and a fresh namespace.
async fn setup(prefix: &str) -> (Client, TempNamespace) {
    let client = cluster::client().await;
    cluster::install_crds(&client).await;
    let namespace = TempNamespace::create(&client, prefix).await;
    (client, namespace)
}

#[tokio::test]
#[cfg_attr(not(augur_e2e), ignore = "needs AUGUR_E2E_KUBECONFIG")]
async fn crds_install_and_examples_are_accepted_or_rejected_as_documented() {
    let (client, namespace) = setup("api").await;
    let mut failures = Vec::new();

    for example in examples::valid().iter().filter(|e| e.manifest["apiVersion"] == "augur.dev/v1alpha1") {
        if let Some(error) = create_strict(&client, &namespace.name, &example.manifest).await {
            failures.push(format!("{}: rejected: {error}", example.path.display()));
            continue;
        }
        // The server filled in the defaults: the stored spec equals the locally defaulted one.
        let name = example.manifest["metadata"]["name"].as_str().unwrap_or_default();
        let stored = api_for(&client, &namespace.name, &example.manifest).get(name).await;
        let expected = augur_crds::validation::validate(&example.manifest).map(|v| v["spec"].clone());
        match (stored, expected) {
            (Ok(stored), Ok(expected)) if numbers_as_f64(&stored.data["spec"]) == numbers_as_f64(&expected) => {}
            (stored, expected) => failures.push(format!(
                "{}: stored spec {:?} differs from the locally defaulted {:?}",
                example.path.display(),
                stored.map(|s| s.data["spec"].clone()),
                expected
            )),
        }
    }

    for example in examples::invalid() {
        let expect = example.expect.clone().unwrap_or_default();
        match create_strict(&client, &namespace.name, &example.manifest).await {
            None => failures.push(format!("{}: accepted, expected {expect:?}", example.path.display())),
            Some(error) if !error.contains(&expect) => {
                failures.push(format!("{}: expected {expect:?}, got {error}", example.path.display()))
            }
            Some(_) => {}
        }
    }

    namespace.delete().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
#[cfg_attr(not(augur_e2e), ignore = "needs AUGUR_E2E_KUBECONFIG")]
async fn status_is_a_subresource_and_spec_is_not_writable_through_it() {
    let (client, namespace) = setup("status").await;
    let example = examples::valid()
        .into_iter()
        .find(|e| e.path.ends_with("minimal/anomaly-detector.yaml"))
        .unwrap_or_else(|| panic!("examples/minimal/anomaly-detector.yaml is missing"));
    let api = api_for(&client, &namespace.name, &example.manifest);
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let manifest = in_namespace(&example.manifest, &namespace.name);
    let created = api.patch("minimal", &params, &Patch::Apply(&manifest)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(created.metadata.generation, Some(1));

    let status_patch = json!({
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AnomalyDetector",
        "metadata": {"name": "minimal"},
        "spec": {"parallelism": 7},
        "status": {
            "observedGeneration": 1,
            "seriesTracked": 12,
            "conditions": [{
                "type": "Ready", "status": "True", "reason": "Running", "message": "1/1 runtime pods ready",
                "lastTransitionTime": "2026-01-01T00:00:00Z"
            }]
        }
    });
    let patched = api
        .patch_status("minimal", &PatchParams::apply("augur-e2e-status").force(), &Patch::Apply(&status_patch))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(patched.data["status"]["seriesTracked"], 12);
    assert_eq!(patched.data["status"]["conditions"][0]["type"], "Ready");
    assert_eq!(patched.data["spec"]["parallelism"], 1, "the status subresource must ignore spec changes");
    assert_eq!(patched.metadata.generation, Some(1), "a status write does not bump the generation");

    namespace.delete().await;
}
