//! End to end against a real API server (enabled by `AUGUR_E2E_KUBECONFIG`): the AutoScalePolicy controller, run in
//! this process, turns a forecast published in a Forecaster's status into the `minReplicas` of the HPA that targets
//! the workload, and deleting the policy restores the HPA's own `minReplicas`.
//!
//! The forecast is written by the runtime's own publisher (`augur_runtime::publish`): a server-side apply of the
//! status subresource under the field manager `augur-runtime`. Nothing here needs pods to run or metrics to exist:
//! the HPA's spec and the policy's status are the API server's documented behaviour.

use std::{sync::Arc, time::Duration};

use augur_crds::{AutoScalePolicy, Forecaster, crd};
use augur_operator::{
    config::OperatorConfig,
    controllers::{autoscale, pipeline::Context},
};
use augur_runtime::{
    models::forecast::{Accuracy, Forecast, Readiness},
    publish::{Publisher, SeriesForecast},
    time::{Clock, SystemClock},
};
use augur_tests::cluster::{self, TempNamespace};
use k8s_openapi::{
    api::{apps::v1::Deployment, autoscaling::v2::HorizontalPodAutoscaler},
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
    apimachinery::pkg::apis::meta::v1::Time,
    jiff::Timestamp,
};
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, Patch, PatchParams},
    runtime::wait::{Condition as WaitCondition, await_condition, conditions},
};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(90);
const MANAGER: &str = "augur-e2e";

async fn install_crds(client: &Client) {
    let crds = Api::<CustomResourceDefinition>::all(client.clone());
    for (file, definition) in crd::all() {
        let name = definition.metadata.name.clone().unwrap_or_default();
        crds.patch(&name, &PatchParams::apply(MANAGER).force(), &Patch::Apply(&definition))
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let established = await_condition(crds.clone(), &name, conditions::is_crd_established());
        tokio::time::timeout(WAIT, established).await.ok();
    }
}

/// Waits (watching, not sleeping) until `condition` holds for `name`, or fails the test with `what`.
async fn wait_for<K>(api: Api<K>, name: &str, what: &str, condition: impl WaitCondition<K>) -> Option<K>
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + 'static,
{
    match tokio::time::timeout(WAIT, await_condition(api, name, condition)).await {
        Ok(Ok(object)) => object,
        other => panic!("{what}: not reached within {WAIT:?}: {other:?}"),
    }
}

fn min_replicas_is(expected: i32) -> impl WaitCondition<HorizontalPodAutoscaler> {
    move |hpa: Option<&HorizontalPodAutoscaler>| {
        hpa.and_then(|h| h.spec.as_ref()).and_then(|s| s.min_replicas) == Some(expected)
    }
}

async fn apply<K>(api: &Api<K>, name: &str, object: serde_json::Value)
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned,
{
    api.patch(name, &PatchParams::apply(MANAGER).force(), &Patch::Apply(&object))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
}

/// Publishes, with the runtime's own publisher, a ready forecast of `rps` whose 0.9 quantile peaks at 380 over the
/// next few minutes: with a capacity of 100 per replica the floor is 4.
async fn publish_forecast(client: &Client, namespace: &str) {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let now = clock.now();
    let forecast = Forecast {
        quantiles: vec![0.5, 0.9],
        points: vec![vec![250.0, 310.0], vec![300.0, 380.0], vec![200.0, 240.0], vec![150.0, 180.0]],
    };
    let series = [SeriesForecast {
        series: "rps",
        start: now - 30_000,
        step_ms: 300_000,
        forecast: &forecast,
        accuracy: Accuracy { mase: Some(0.5), coverage: Some(0.8) },
        readiness: Readiness { points: 500, needed: 288 },
    }];
    let mut publisher = Publisher::new(client.clone(), namespace, "checkout-load", Duration::from_secs(10), clock);
    let wanted = ["rps".to_owned()];
    let published = publisher.publish(&series, Some(&wanted)).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(published, "the first publication is always due");
}

#[tokio::test]
async fn a_published_forecast_sets_the_hpa_floor_and_deleting_the_policy_restores_it() {
    let test = "a_published_forecast_sets_the_hpa_floor_and_deleting_the_policy_restores_it";
    let Some(client) = cluster::client(test).await else { return };
    install_crds(&client).await;
    let namespace = TempNamespace::create(&client, "as").await;
    let ns = namespace.name.as_str();

    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    apply(
        &deployments,
        "checkout",
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "checkout", "namespace": ns},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "checkout"}},
                "template": {"metadata": {"labels": {"app": "checkout"}},
                    "spec": {"containers": [{"name": "app", "image": "registry.k8s.io/pause:3.10",
                        "resources": {"requests": {"cpu": "100m"}}}]}}},
        }),
    )
    .await;
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), ns);
    apply(
        &hpas,
        "checkout",
        json!({
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "checkout", "namespace": ns},
            "spec": {"minReplicas": 1, "maxReplicas": 10,
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout"},
                "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 70}}}]},
        }),
    )
    .await;
    let forecasters: Api<Forecaster> = Api::namespaced(client.clone(), ns);
    apply(&forecasters, "checkout-load", json!({
        "apiVersion": "augur.dev/v1alpha1", "kind": "Forecaster", "metadata": {"name": "checkout-load", "namespace": ns},
        "spec": {"source": {"prometheus": {"url": "http://prometheus.monitoring:9090", "query": "sum(rate(http_requests_total[5m]))"}}},
    }))
    .await;
    // Published as the runtime does: status subresource, server-side apply, field manager augur-runtime.
    publish_forecast(&client, ns).await;
    let published = forecasters.get_status("checkout-load").await.unwrap_or_else(|e| panic!("{e}"));
    let status = published.status.unwrap_or_default();
    assert_eq!(status.forecasts.len(), 1);
    assert_eq!(status.runtime.observed.condition("ModelReady").map(|c| c.status.as_str()), Some("True"));

    let context = Context {
        client: client.clone(),
        operator: OperatorConfig::default(),
        clock: Arc::new(|| Time(Timestamp::now())),
        backoff: Arc::default(),
        metrics: Arc::default(),
        events: None,
    };
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let controller = tokio::spawn(autoscale::controller::run(context, async move {
        let _ = stopped.wait_for(|s| *s).await;
    }));

    let policies: Api<AutoScalePolicy> = Api::namespaced(client.clone(), ns);
    apply(&policies, "checkout", json!({
        "apiVersion": "augur.dev/v1alpha1", "kind": "AutoScalePolicy", "metadata": {"name": "checkout", "namespace": ns},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout"},
            "mode": "Enforce",
            "replicas": {"forecasterRef": {"name": "checkout-load"}, "series": "rps", "quantile": 0.9,
                "capacityPerReplica": 100.0, "minReplicas": 1, "maxReplicas": 10, "leadTime": "2m"},
        },
    }))
    .await;

    wait_for(hpas.clone(), "checkout", "the HPA's minReplicas raised to the forecast floor 4", min_replicas_is(4))
        .await;
    let managed = hpas.get("checkout").await.unwrap_or_else(|e| panic!("{e}"));
    let managers: Vec<String> =
        managed.metadata.managed_fields.iter().flatten().filter_map(|m| m.manager.clone()).collect();
    assert!(managers.iter().any(|m| m == "augur-autoscaler"), "minReplicas applied by augur-autoscaler: {managers:?}");
    let applied = wait_for(policies.clone(), "checkout", "status.applied reported", |p: Option<&AutoScalePolicy>| {
        p.and_then(|p| p.status.as_ref()).and_then(|s| s.applied.as_ref()).and_then(|a| a.min_replicas) == Some(4)
    })
    .await;
    assert!(applied.is_some_and(|p| p.finalizers().contains(&autoscale::FINALIZER.to_owned())));

    let uid = policies.get("checkout").await.ok().and_then(|p| p.metadata.uid).unwrap_or_default();
    policies.delete("checkout", &DeleteParams::default()).await.unwrap_or_else(|e| panic!("{e}"));
    wait_for(hpas.clone(), "checkout", "the HPA's own minReplicas 1 restored", min_replicas_is(1)).await;
    wait_for(policies.clone(), "checkout", "the policy deleted once restored", conditions::is_deleted(&uid)).await;

    let _ = stop.send(true);
    let _ = controller.await;
    namespace.delete().await;
}
