//! The whole loop, as a user runs it, against a real API server and controller manager (`AUGUR_E2E_KUBECONFIG`) and a
//! real Kafka-compatible broker (`AUGUR_KAFKA_BOOTSTRAP`): `examples/story/` applied as it is written, the operator
//! installed from the Helm chart and run with the chart's ServiceAccount and RBAC, and each runtime run as its pod
//! would run it, with the ServiceAccount and Role the operator made for it ([`augur_tests::kubelet`]).
//!
//! What is checked: the forecast appears in the Forecaster's status; the AutoScalePolicy raises the HPA's
//! `minReplicas` and the controller manager's HPA controller scales the Deployment; template events reach the
//! LogClusterer's topic; a planted CPU spike shows in the AnomalyDetector's status; no runtime reports a problem, and
//! once their pods are ready the resources are Ready; deleting the policy restores the HPA. The figures (how long each
//! step took) are printed.
//!
//! Along the way the chart's Argo CD health checks run on the live objects ([`augur_tests::argocd::Captures`]): each
//! kind as it is first applied, while it starts, once it works, paused, and with a spec the operator refuses. With
//! `AUGUR_E2E_CAPTURE=<dir>` the objects are also written there, as the fixtures of `tests/fixtures/argocd/`.
//!
//! Two departures from the files, both because of where the test runs: the Secret names the test's broker, and the
//! CPU detector reads its series from a Kafka topic instead of the cluster's Prometheus (the test's control plane has
//! no kubelet, so no container metrics exist); its detector settings are the story's. Topic names get a suffix, so
//! runs sharing a broker do not read each other's records.

use std::{
    path::PathBuf,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use augur_tests::{
    argocd::Captures,
    binaries::binary,
    chart::Release,
    cluster::{self, TempNamespace, unique},
    examples::examples_dir,
    kubelet::{PodRunner, RunningPod},
    streams::{TopicReader, create_topic, produce, producer},
};
use k8s_openapi::{
    api::{apps::v1::Deployment, autoscaling::v2::HorizontalPodAutoscaler},
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{
    Api, Client,
    api::{ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams},
    runtime::wait::{await_condition, conditions},
};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(180);
const FIELD_MANAGER: &str = "kubectl";
const SERIES: &str = "payments/requests_per_second";
const CPU_SERIES: &str = "cpu{pod=\"payments-7d4b9-x2x9q\"}";

/// Polls `check` (about every 200 ms) until it gives a value, or fails the test with `what` after [`WAIT`].
async fn eventually<T, F: std::future::Future<Output = Option<T>>>(what: &str, mut check: impl FnMut() -> F) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out after {WAIT:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn api(client: &Client, namespace: &str, object: &Value) -> (Api<DynamicObject>, String) {
    let (group, version) = object["apiVersion"].as_str().unwrap_or_default().split_once('/').unwrap_or(("", "v1"));
    let kind = object["kind"].as_str().unwrap_or_default();
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
    let name = object["metadata"]["name"].as_str().unwrap_or_default().to_owned();
    (Api::namespaced_with(client.clone(), namespace, &resource), name)
}

fn augur(client: &Client, namespace: &str, kind: &str) -> Api<DynamicObject> {
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(augur_crds::GROUP, augur_crds::VERSION, kind));
    Api::namespaced_with(client.clone(), namespace, &resource)
}

/// `kubectl apply --server-side -f charts/augur/crds/`.
async fn install_crds(client: &Client) {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let dir = examples_dir().join("../charts/augur/crds");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let crd: Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let name = crd["metadata"]["name"].as_str().unwrap_or_default().to_owned();
        crds.patch(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&crd))
            .await
            .unwrap_or_else(|e| panic!("{}: refused: {e}", file.display()));
        let established = await_condition(crds.clone(), &name, conditions::is_crd_established());
        tokio::time::timeout(WAIT, established).await.ok();
    }
}

/// The story's manifests, in `kubectl apply` order, adjusted as the module documentation says.
fn story(namespace: &str, bootstrap: &str, suffix: &str) -> Vec<Value> {
    let dir = examples_dir().join("story");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
    files.retain(|f| f.extension().is_some_and(|e| e == "yaml"));
    files.sort();
    files
        .iter()
        .map(|file| {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            let text = ["payments-metrics", "payments-forecasts", "payments-logs", "payments-log-templates"]
                .iter()
                .fold(text, |text, topic| {
                    text.replace(&format!("topic: {topic}"), &format!("topic: {topic}-{suffix}"))
                });
            let mut object: Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            object["metadata"]["namespace"] = json!(namespace);
            if object["kind"] == "Secret" {
                object["stringData"]["bootstrapServers"] = json!(bootstrap);
            }
            if object["kind"] == "AnomalyDetector" {
                object["spec"]["source"] = json!({"kafka": {
                    "bootstrapServersSecretRef": {"name": "payments-kafka", "key": "bootstrapServers"},
                    "topic": format!("payments-cpu-{suffix}"),
                }});
            }
            object
        })
        .collect()
}

fn rfc3339(ms: i64) -> String {
    k8s_openapi::jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_default()
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}

/// Three days of a payments request rate every 5 minutes, ending now: a daily rhythm around 800 requests per
/// second with persistent (AR(1)) noise, as real traffic has.
fn request_history() -> Vec<(String, Vec<u8>)> {
    let (step, points) = (300_000i64, 3 * 288);
    let end = now_ms() / step * step;
    let mut noise = 0.0f64;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    (0..points)
        .map(|i| {
            let t = end - (points - 1 - i) * step;
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let shock = (seed % 10_000) as f64 / 10_000.0 - 0.5;
            noise = 0.8 * noise + 60.0 * shock;
            let day = (t % 86_400_000) as f64 / 86_400_000.0;
            let value = 800.0 + 400.0 * (std::f64::consts::TAU * day).sin() + noise;
            let event = json!({"series": SERIES, "timestamp": rfc3339(t), "value": (value * 10.0).round() / 10.0});
            (SERIES.to_owned(), event.to_string().into_bytes())
        })
        .collect()
}

/// Five hours of one pod's CPU every 30 s, quiet, ending with a burst at ten times its usual level.
fn cpu_with_spike() -> Vec<(String, Vec<u8>)> {
    let (step, points) = (30_000i64, 600);
    let end = now_ms() / step * step;
    (0..points)
        .map(|i| {
            let t = end - (points - 1 - i) * step;
            let base = 0.25 + 0.02 * ((i * 7919 % 13) as f64 / 13.0 - 0.5);
            let value = if i >= points - 3 { 2.5 } else { base };
            let event = json!({"series": CPU_SERIES, "timestamp": rfc3339(t), "value": value});
            (CPU_SERIES.to_owned(), event.to_string().into_bytes())
        })
        .collect()
}

/// Log records as the cluster's shipper sends them.
fn log_records() -> Vec<(String, Vec<u8>)> {
    (0..400)
        .map(|i| {
            let message = match i % 4 {
                0 => format!(
                    "payment pay_{:024} authorised for card ending {:04} in {} ms",
                    i,
                    4000 + i % 97,
                    20 + i % 50
                ),
                1 => format!("GET /v1/payments/{} 200 {} bytes", 10_000 + i, 512 + i % 300),
                2 => format!("connection pool size {} of {} in use", i % 20, 50),
                _ => format!("refund {} queued for merchant m-{}", 900 + i, i % 7),
            };
            let pod = format!("payments-7d4b9-{}", ["x2x9q", "k8d2m"][i % 2]);
            let record = json!({"message": message, "kubernetes": {"pod_name": pod}});
            (pod, record.to_string().into_bytes())
        })
        .collect()
}

fn condition<'a>(object: &'a DynamicObject, type_: &str) -> Option<&'a Value> {
    object.data["status"]["conditions"].as_array()?.iter().find(|c| c["type"] == type_)
}

/// The object as JSON with its kind, as Argo CD sees it.
async fn live(api: &Api<DynamicObject>, name: &str) -> Value {
    let object = api.get(name).await.unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::to_value(&object).unwrap_or_else(|e| panic!("{e}"))
}

/// Starts the runtime pods of the Deployment `name` once the operator has made it.
async fn start_runtime(runner: &PodRunner<'_>, client: &Client, namespace: &str, name: &str) -> Vec<RunningPod> {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    eventually(&format!("the operator's Deployment {name}"), || async {
        deployments.get_opt(name).await.ok().flatten()
    })
    .await;
    runner.start(namespace, name).await
}

/// Waits until the resource's pod entries list partitions: its runtime reads its topic.
async fn reading(api: &Api<DynamicObject>, name: &str) {
    eventually(&format!("{name}'s runtime to be assigned its partitions"), || async {
        let object = api.get_status(name).await.ok()?;
        let pods = object.data["status"]["pods"].as_array()?.clone();
        pods.iter().any(|p| p["partitions"].as_array().is_some_and(|a| !a.is_empty())).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(not(augur_e2e), ignore = "needs AUGUR_E2E_KUBECONFIG (and AUGUR_KAFKA_BOOTSTRAP)")]
async fn the_story_runs_end_to_end_as_users_run_it() {
    augur_tests::streams::show_logs();
    let bootstrap = augur_tests::streams::server(augur_tests::streams::KAFKA_VAR);
    let client = cluster::client().await;
    install_crds(&client).await;
    let root = std::env::temp_dir().join(unique("augur-e2e-story"));

    // The operator, from the chart: its ServiceAccount, RBAC and Deployment (two replicas, leader election).
    let system = TempNamespace::create(&client, "system").await;
    let release = Release::render(&unique("augur"), &system.name, &[]);
    release.install(&client).await;
    let operator_deployment = release.of_kind("Deployment").next().map(|d| d["metadata"]["name"].clone());
    let operator_deployment = operator_deployment.and_then(|n| n.as_str().map(str::to_owned)).unwrap_or_default();
    let operators =
        PodRunner { client: &client, binary: binary("augur-operator"), root: root.clone(), extra_env: Vec::new() };
    let mut operator_pods = operators.start(&system.name, &operator_deployment).await;

    // The story.
    let namespace = TempNamespace::create(&client, "story").await;
    let ns = namespace.name.clone();
    let suffix = unique("run");
    for topic in ["payments-metrics", "payments-cpu", "payments-logs"] {
        create_topic(&bootstrap, &format!("{topic}-{suffix}"), 2).await;
    }
    let applied = Instant::now();
    let mut captures = Captures::from_env();
    for object in story(&ns, &bootstrap, &suffix) {
        let (api, name) = api(&client, &ns, &object);
        let created = api
            .patch(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&object))
            .await
            .unwrap_or_else(|e| panic!("kubectl apply {} {name}: {e}", object["kind"]));
        if object["apiVersion"].as_str().is_some_and(|v| v.starts_with(augur_crds::GROUP)) {
            let seen = captures.capture("applied", &serde_json::to_value(&created).unwrap_or_default());
            assert_eq!(seen.status, "Progressing", "{name} as just applied: {seen:?}");
        }
    }

    // The runtimes, as their pods would run them.
    let runtimes = PodRunner {
        client: &client,
        binary: binary("augur"),
        root: root.clone(),
        extra_env: vec![("AUGUR_STATUS_INTERVAL".into(), "2s".into()), ("RUST_LOG".into(), "info".into())],
    };
    let mut pods = Vec::new();
    for name in ["payments-requests-fc", "payments-cpu-ad", "payments-logs-lc"] {
        pods.extend(start_runtime(&runtimes, &client, &ns, name).await);
    }
    let show = |pods: &[RunningPod]| {
        pods.iter().map(|p| format!("--- {} ---\n{}", p.name, p.tail(30))).collect::<Vec<_>>().join("\n")
    };
    let guard = scopeguard(&pods, &operator_pods, show);

    // Before any data: the runtimes start, and the policy waits for a forecast. Neither is a fault.
    let forecasters = augur(&client, &ns, "Forecaster");
    let detectors = augur(&client, &ns, "AnomalyDetector");
    let clusterers = augur(&client, &ns, "LogClusterer");
    let policies = augur(&client, &ns, "AutoScalePolicy");
    let starting = captures.capture("starting", &live(&forecasters, "payments-requests").await);
    assert_ne!(starting.status, "Degraded", "{starting:?}");
    let waiting = eventually("the policy to report what it waits for", || async {
        let policy = live(&policies, "payments").await;
        policy["status"]["blocked"]["reason"].is_string().then_some(policy)
    })
    .await;
    let waiting = captures.capture("waiting-for-forecast", &waiting);
    assert_ne!(waiting.status, "Degraded", "{waiting:?}");

    let kafka = producer(&bootstrap);
    produce(&kafka, &format!("payments-metrics-{suffix}"), &request_history()).await;
    reading(&detectors, "payments-cpu").await;
    let empty = captures.capture("no-data-yet", &live(&detectors, "payments-cpu").await);
    assert_ne!(empty.status, "Degraded", "{empty:?}");
    // The CPU series in two parts: after the first, shorter than the detector's warm-up, it reports how long it
    // still needs, and Argo CD shows it warming up with that ETA.
    let cpu = cpu_with_spike();
    produce(&kafka, &format!("payments-cpu-{suffix}"), &cpu[..100]).await;
    let warming = eventually("the AnomalyDetector to report its warm-up with an ETA", || async {
        let object = live(&detectors, "payments-cpu").await;
        let conditions = object["status"]["conditions"].as_array()?.clone();
        let of = |type_: &str| conditions.iter().find(|c| c["type"] == type_).cloned();
        let ready = of("Ready")?["status"] == "True";
        let eta = of("ModelReady")?["message"].as_str().is_some_and(|m| m.contains("left"));
        (ready && eta).then_some(object)
    })
    .await;
    let seen = captures.capture("warming-up", &warming);
    assert!(seen.status == "Progressing" && seen.message.starts_with("warming up"), "{seen:?}");
    produce(&kafka, &format!("payments-cpu-{suffix}"), &cpu[100..]).await;
    reading(&clusterers, "payments-logs").await;
    produce(&kafka, &format!("payments-logs-{suffix}"), &log_records()).await;

    // 1. The forecast reaches the Forecaster's status.
    let forecast = eventually("the forecast in the Forecaster's status", || async {
        let object = forecasters.get_status("payments-requests").await.ok()?;
        object.data["status"]["forecasts"].as_array()?.iter().find(|f| f["series"] == SERIES).cloned()
    })
    .await;
    let forecast_after = applied.elapsed();
    captures.capture("forecast-published", &live(&forecasters, "payments-requests").await);

    // 2. The policy raises the HPA's floor; the controller manager scales the Deployment to it.
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), &ns);
    let floor = eventually("the AutoScalePolicy to raise the HPA's minReplicas", || async {
        let hpa = hpas.get("payments").await.ok()?;
        hpa.spec.and_then(|s| s.min_replicas).filter(|min| *min > 3)
    })
    .await;
    let floor_after = applied.elapsed();
    // The status is written just after the HPA: wait for it to say so.
    let policy = eventually("the policy's status to report the floor applied", || async {
        let policy = live(&policies, "payments").await;
        (policy["status"]["applied"]["minReplicas"] == floor).then_some(policy)
    })
    .await;
    let enforcing = captures.capture("floor-raised", &policy);
    assert_eq!(enforcing.status, "Healthy", "the policy enforces a floor: {enforcing:?}");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let scaled = eventually("the HPA controller to scale the Deployment to the floor", || async {
        let deployment = deployments.get("payments").await.ok()?;
        deployment.spec.and_then(|s| s.replicas).filter(|replicas| *replicas >= floor)
    })
    .await;
    let scaled_after = applied.elapsed();

    // 3. Template events reach the LogClusterer's topic.
    let mut templates = TopicReader::new(&bootstrap, &format!("payments-log-templates-{suffix}"));
    templates
        .wait_for("template events on the LogClusterer's topic", WAIT, |r| {
            r.records.iter().filter(|e| e["event"] == "template").count() >= 4
        })
        .await;
    let masked = templates.records.iter().filter_map(|e| e["template"].as_str()).any(|t| t.contains("<card_last4>"));
    assert!(masked, "the story's card mask applies: {:?}", templates.records);

    // 4. The planted spike shows in the AnomalyDetector's status.
    let anomaly = eventually("the CPU spike in the AnomalyDetector's status", || async {
        let object = detectors.get_status("payments-cpu").await.ok()?;
        let recent = object.data["status"]["recentAnomalies"].as_array()?.clone();
        recent.into_iter().find(|a| a["series"] == CPU_SERIES)
    })
    .await;

    // 5. No runtime reports a problem; their pods are ready, so the resources are Ready and no longer rolling out,
    // and Argo CD shows them Healthy, or Progressing while their models still warm up.
    for (api, name) in
        [(&forecasters, "payments-requests"), (&detectors, "payments-cpu"), (&clusterers, "payments-logs")]
    {
        let object = eventually(&format!("{name} to be Ready"), || async {
            let object = api.get_status(name).await.ok()?;
            (condition(&object, "Ready")?["status"] == "True").then_some(object)
        })
        .await;
        let problems: Vec<&Value> = object.data["status"]["pods"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| p["problems"].as_array().into_iter().flatten())
            .collect();
        assert!(problems.is_empty(), "{name}: {problems:?}");
        // The pods report ready, so the rollout completes (the Deployment's status follows a little later).
        let object = eventually(&format!("{name}: Progressing=False, the rollout complete"), || async {
            let object = api.get_status(name).await.ok()?;
            (condition(&object, "Progressing")?["status"] == "False").then_some(object)
        })
        .await;
        let seen = captures.capture("running", &live(api, name).await);
        let warming = condition(&object, "ModelReady").is_some_and(|c| c["status"] == "False");
        match warming {
            true => assert!(seen.status == "Progressing" && seen.message.starts_with("warming up"), "{name}: {seen:?}"),
            false => assert_eq!(seen.status, "Healthy", "{name}: {seen:?}"),
        }
    }
    let logs = clusterers.get_status("payments-logs").await.unwrap_or_else(|e| panic!("{e}"));
    assert!(logs.data["status"]["templates"].as_i64().is_some_and(|n| n >= 4), "{}", logs.data["status"]);

    // 6. Paused, a resource is Suspended; with a spec the operator refuses, Degraded.
    let pause = json!({"apiVersion": "augur.dev/v1alpha1", "kind": "LogClusterer", "spec": {"paused": true}});
    clusterers
        .patch("payments-logs", &PatchParams::apply("e2e-pause"), &Patch::Apply(&pause))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let paused = eventually("the LogClusterer to be paused", || async {
        let object = clusterers.get_status("payments-logs").await.ok()?;
        (condition(&object, "Ready")?["reason"] == "Paused").then_some(())
    })
    .await;
    let seen = captures.capture("paused", &live(&clusterers, "payments-logs").await);
    assert_eq!((paused, seen.status.as_str()), ((), "Suspended"), "{seen:?}");
    let refused = json!({
        "apiVersion": "augur.dev/v1alpha1", "kind": "Forecaster",
        "metadata": {"name": "no-brokers", "namespace": ns},
        "spec": {"source": {"kafka": {"topic": "requests"}}},
    });
    forecasters
        .patch("no-brokers", &PatchParams::apply(FIELD_MANAGER), &Patch::Apply(&refused))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    eventually("the operator to refuse the Forecaster without brokers", || async {
        let object = forecasters.get_status("no-brokers").await.ok()?;
        (condition(&object, "Ready")?["reason"] == "InvalidSpec").then_some(())
    })
    .await;
    let seen = captures.capture("invalid-spec", &live(&forecasters, "no-brokers").await);
    assert_eq!(seen.status, "Degraded", "{seen:?}");

    // 7. Deleting the policy restores the HPA.
    let deleted = Instant::now();
    policies.delete("payments", &DeleteParams::default()).await.unwrap_or_else(|e| panic!("{e}"));
    // Its finalizer restores the HPA before it goes; if it is still there, it is being deleted.
    if let Ok(Some(deleting)) = policies.get_opt("payments").await {
        let seen = captures.capture("deleting", &serde_json::to_value(&deleting).unwrap_or_default());
        assert_eq!(seen.status, "Progressing", "{seen:?}");
    }
    eventually("the HPA's minReplicas to be restored to 3", || async {
        let hpa = hpas.get("payments").await.ok()?;
        (hpa.spec.and_then(|s| s.min_replicas) == Some(3)).then_some(())
    })
    .await;
    let restored_after = deleted.elapsed();

    println!("story figures:");
    println!(
        "  forecast in Forecaster.status:   {:>6.1} s after kubectl apply ({} points ahead)",
        forecast_after.as_secs_f64(),
        forecast["points"].as_array().map_or(0, Vec::len)
    );
    println!("  HPA minReplicas 3 -> {floor}:          {:>6.1} s after kubectl apply", floor_after.as_secs_f64());
    println!(
        "  Deployment scaled to {scaled} replicas: {:>6.1} s after kubectl apply (kube-controller-manager)",
        scaled_after.as_secs_f64()
    );
    println!("  planted CPU spike in status:     score {}, reason {}", anomaly["score"], anomaly["reason"]);
    println!("  template events on the topic:    {}", templates.records.len());
    println!("  HPA restored to 3:               {:>6.1} s after kubectl delete", restored_after.as_secs_f64());

    captures.finish();
    drop(guard);
    for pod in pods.iter_mut().chain(operator_pods.iter_mut()) {
        assert!(pod.is_running(), "{} exited:\n{}", pod.name, pod.tail(40));
    }
    // SIGTERM stops every process cleanly within a pod's grace period, as a rolling update needs.
    for pod in pods.iter_mut().chain(operator_pods.iter_mut()) {
        let status = pod.terminate(Duration::from_secs(30)).await;
        assert!(
            status.is_some_and(|s| s.success()),
            "{} did not stop cleanly on SIGTERM ({status:?}):\n{}",
            pod.name,
            pod.tail(40)
        );
    }
    drop(pods);
    drop(operator_pods);
    namespace.delete().await;
    release.uninstall_cluster_scoped(&client).await;
    system.delete().await;
    // The pods' logs stay for a person to read when asked for.
    if std::env::var_os("AUGUR_E2E_KEEP_LOGS").is_some() {
        println!("pod logs kept in {}", root.display());
    } else {
        let _ = std::fs::remove_dir_all(&root);
    }
}

/// Prints the pods' logs if the test fails before it is dropped normally.
struct Guard<'a, F: Fn(&[RunningPod]) -> String> {
    pods: &'a [RunningPod],
    operators: &'a [RunningPod],
    show: F,
}

impl<F: Fn(&[RunningPod]) -> String> Drop for Guard<'_, F> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}\n{}", (self.show)(self.operators), (self.show)(self.pods));
        }
    }
}

fn scopeguard<'a, F: Fn(&[RunningPod]) -> String>(
    pods: &'a [RunningPod],
    operators: &'a [RunningPod],
    show: F,
) -> Guard<'a, F> {
    Guard { pods, operators, show }
}
