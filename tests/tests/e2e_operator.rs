//! End to end against a real API server (enabled by `AUGUR_E2E_KUBECONFIG`): the operator's controllers, run in
//! this process, reconcile each example into its children, report status, roll the pods on a spec change, and the
//! children are garbage collected with their resource. Pods stay Pending on a cluster without kubelets, so readiness
//! is not awaited; everything checked is the API server's and the controller manager's documented behaviour.

use std::time::Duration;

use augur_crds::{AnomalyDetector, Forecaster, LogClusterer};
use augur_operator::{
    config::OperatorConfig,
    controllers::pipeline::{Context, controller},
};
use augur_tests::{
    cluster::{self, TempNamespace},
    examples,
};
use k8s_openapi::api::{
    apps::v1::Deployment,
    core::v1::{ConfigMap, Service},
};
use kube::{
    Api, Client, Resource,
    api::{ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams},
    runtime::wait::{Condition, await_condition, conditions},
};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(90);

/// Waits until `condition` holds for the object `name`, or fails the test with `what`.
async fn wait_for<K>(api: Api<K>, name: &str, what: &str, condition: impl Condition<K>) -> K
where
    K: Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + 'static,
{
    match tokio::time::timeout(WAIT, await_condition(api, name, condition)).await {
        Ok(Ok(Some(object))) => object,
        other => panic!("{what}: not reached within {WAIT:?}: {other:?}"),
    }
}

/// Whether the object `name` with `uid` is gone within the wait.
async fn garbage_collected<K>(api: Api<K>, name: &str, uid: &str) -> bool
where
    K: Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + 'static,
{
    matches!(tokio::time::timeout(WAIT, await_condition(api, name, conditions::is_deleted(uid))).await, Ok(Ok(_)))
}

fn owned_by(uid: String) -> impl Condition<DynamicObject> + Clone {
    move |object: Option<&DynamicObject>| {
        object
            .and_then(|o| o.metadata.owner_references.as_ref())
            .is_some_and(|refs| refs.iter().any(|r| r.uid == uid && r.controller == Some(true)))
    }
}

fn ready_condition_observed(generation: i64) -> impl Condition<DynamicObject> {
    move |object: Option<&DynamicObject>| {
        let Some(status) = object.map(|o| &o.data["status"]) else { return false };
        status["observedGeneration"] == generation
            && status["conditions"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["type"] == "Ready" && c["reason"].is_string()))
    }
}

async fn check_kind(client: &Client, example: &str, suffix: &str) {
    let namespace = TempNamespace::create(client, suffix).await;
    let manifest = examples::valid()
        .into_iter()
        .find(|e| e.path.ends_with(example))
        .unwrap_or_else(|| panic!("{example} missing"))
        .manifest;
    let kind = manifest["kind"].as_str().unwrap_or_default().to_owned();
    let name = manifest["metadata"]["name"].as_str().unwrap_or_default().to_owned();
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(augur_crds::GROUP, augur_crds::VERSION, &kind));
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &namespace.name, &resource);
    let mut object = manifest.clone();
    object["metadata"]["namespace"] = json!(namespace.name);
    let created = api
        .patch(&name, &PatchParams::apply("augur-e2e").force(), &Patch::Apply(&object))
        .await
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
    let uid = created.metadata.uid.clone().unwrap_or_default();

    // Children appear, each owned by the resource.
    let child = format!("{name}-{suffix}");
    let as_dynamic = |api_version: &str, kind: &str| {
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        Api::<DynamicObject>::namespaced_with(
            client.clone(),
            &namespace.name,
            &ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind)),
        )
    };
    wait_for(as_dynamic("v1", "ConfigMap"), &format!("{child}-config"), "ConfigMap owned", owned_by(uid.clone())).await;
    wait_for(as_dynamic("apps/v1", "Deployment"), &child, "Deployment owned", owned_by(uid.clone())).await;
    wait_for(as_dynamic("v1", "Service"), &child, "Service owned", owned_by(uid.clone())).await;
    wait_for(api.clone(), &name, "status with Ready and observedGeneration 1", ready_condition_observed(1)).await;

    // A spec change rolls the pods: the pod template's config hash changes.
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &namespace.name);
    let hash = |d: &Deployment| {
        d.spec
            .as_ref()
            .and_then(|s| s.template.metadata.as_ref())
            .and_then(|m| m.annotations.clone())
            .and_then(|a| a.get("augur.dev/config-hash").cloned())
    };
    let before = hash(&deployments.get(&child).await.unwrap_or_else(|e| panic!("{e}")));
    let mut changed: Value = object.clone();
    changed["spec"]["checkpointInterval"] = json!("45s");
    api.patch(&name, &PatchParams::apply("augur-e2e").force(), &Patch::Apply(&changed))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let before_clone = before.clone();
    wait_for(deployments.clone(), &child, "pod template rolled", move |d: Option<&Deployment>| {
        d.is_some_and(|d| hash(d) != before_clone)
    })
    .await;
    wait_for(api.clone(), &name, "status observed generation 2", ready_condition_observed(2)).await;

    // Deleting the resource garbage collects its children (controller manager, owner references).
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace.name);
    let services: Api<Service> = Api::namespaced(client.clone(), &namespace.name);
    let uid_of = |meta: &kube::api::ObjectMeta| meta.uid.clone().unwrap_or_default();
    let deployment_uid = uid_of(&deployments.get(&child).await.unwrap_or_else(|e| panic!("{e}")).metadata);
    let config_map_uid =
        uid_of(&config_maps.get(&format!("{child}-config")).await.unwrap_or_else(|e| panic!("{e}")).metadata);
    let service_uid = uid_of(&services.get(&child).await.unwrap_or_else(|e| panic!("{e}")).metadata);
    api.delete(&name, &DeleteParams::foreground()).await.unwrap_or_else(|e| panic!("{e}"));
    let gone = [
        ("Deployment", garbage_collected(deployments, &child, &deployment_uid).await),
        ("ConfigMap", garbage_collected(config_maps, &format!("{child}-config"), &config_map_uid).await),
        ("Service", garbage_collected(services, &child, &service_uid).await),
    ];
    for (what, gone) in gone {
        assert!(gone, "{kind}: the {what} was not garbage collected");
    }
    namespace.delete().await;
}

#[tokio::test]
#[cfg_attr(not(augur_e2e), ignore = "needs AUGUR_E2E_KUBECONFIG")]
async fn the_operator_reconciles_every_streaming_kind() {
    let client = cluster::client().await;
    cluster::install_crds(&client).await;
    let operator = OperatorConfig {
        default_bootstrap_servers: Some(vec!["kafka.kafka.svc:9092".into()]),
        ..OperatorConfig::default()
    };
    let context = Context::new(client.clone(), operator);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let signal = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|s| *s).await;
    };
    let controllers = tokio::spawn({
        let (context, stopped) = (context.clone(), stopped.clone());
        async move {
            tokio::join!(
                controller::run::<AnomalyDetector>(context.clone(), signal(stopped.clone())),
                controller::run::<Forecaster>(context.clone(), signal(stopped.clone())),
                controller::run::<LogClusterer>(context, signal(stopped)),
            );
        }
    });
    check_kind(&client, "anomaly-detector.yaml", "ad").await;
    check_kind(&client, "minimal/forecaster.yaml", "fc").await;
    check_kind(&client, "minimal/log-clusterer.yaml", "lc").await;
    let _ = stop.send(true);
    let _ = controllers.await;
}
