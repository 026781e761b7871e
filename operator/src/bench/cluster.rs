//! `augur-operator bench cluster --resources N`: the operator as a cluster runs it, against the API server of the
//! current kubeconfig. It starts `augur-operator run` (this binary, or `--operator PATH`) as a process of its own,
//! creates N AnomalyDetectors in a temporary namespace, and prints:
//! - `ready_seconds`: from the first create until every Deployment exists and every detector's status shows
//!   `observedGeneration` 1 and a Ready condition;
//! - the reconciles the operator counted (`augur_operator_reconcile_total{kind="AnomalyDetector"}` on its
//!   `/metrics`) at that moment and once they stop (no change for `--settle-seconds`), and per resource;
//! - the operator process's resident memory then (`VmRSS`) and at its peak (`VmHWM`).
//!
//! The operator is stopped and the namespace deleted (with every detector and child) at the end, also after a
//! failure. The operator watches the whole cluster: other clients busy there at the same time show in its figures.

use std::{
    collections::HashSet,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::{apps::v1::Deployment, core::v1::Namespace};
use kube::{
    Api, Client, ResourceExt,
    api::{ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ObjectMeta, PostParams},
    runtime::{WatchStreamExt, watcher},
};

/// What to measure.
#[derive(Clone, Debug)]
pub struct Options {
    /// AnomalyDetectors created.
    pub resources: usize,
    /// Creates in flight at once.
    pub concurrency: usize,
    /// The operator binary (default: this one).
    pub operator: Option<PathBuf>,
    /// How long the reconcile count must hold still to count as settled.
    pub settle: Duration,
    /// Longest wait for the resources to be ready.
    pub timeout: Duration,
}

/// The label on the benchmark's namespace, so that leftovers can be found.
const NAMESPACE_LABEL: (&str, &str) = ("app.kubernetes.io/part-of", "augur-bench");

/// Runs the benchmark and writes its figures to `out`.
pub async fn run(options: Options, out: &mut impl std::io::Write) -> anyhow::Result<()> {
    let config = kube::Config::infer().await.context("no kubeconfig (KUBECONFIG) or in-cluster configuration")?;
    writeln!(out, "api_server={}", config.cluster_url)?;
    let client = Client::try_from(config)?;
    crate::run::check_crds(&client).await?;
    let namespace = create_namespace(&client).await?;
    let operator = start_operator(&options)?;
    let result = measure(&client, &namespace, &operator, &options, out).await;
    operator.stop();
    let cleanup = delete_namespace(&client, &namespace).await;
    writeln!(out, "cleanup_seconds={:.1}", cleanup.as_secs_f64())?;
    result
}

/// The operator process and where its endpoints answer.
struct Operator {
    child: std::sync::Mutex<Child>,
    address: String,
    log: PathBuf,
}

impl Operator {
    fn pid(&self) -> String {
        self.child.lock().map(|c| c.id().to_string()).unwrap_or_default()
    }

    fn stop(&self) {
        if let Ok(mut child) = self.child.lock() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The reconciles of AnomalyDetectors so far, and where the count comes from: the operator's `/metrics`, or,
    /// when that does not answer within [`SCRAPE_TIMEOUT`], the lines its reconciler logs at debug level.
    async fn reconciles(&self) -> (u64, &'static str) {
        let scraped = tokio::time::timeout(SCRAPE_TIMEOUT, augur_probes::client::get(&self.address, "/metrics")).await;
        match scraped {
            Ok(Ok((200, text))) => (reconcile_count(&text, "AnomalyDetector"), "metrics"),
            _ => {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                (log.lines().filter(|line| line.contains(LOGGED_RECONCILE)).count() as u64, "log")
            }
        }
    }
}

/// Longest wait for the operator's `/metrics`.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(5);
/// The debug line the streaming controllers log per reconcile of an AnomalyDetector.
const LOGGED_RECONCILE: &str = ": reconcile kind=\"AnomalyDetector\"";
/// Where that line is logged, at debug level: the operator runs with `RUST_LOG=warn,<this>=debug`.
const RECONCILE_LOG_TARGET: &str = "augur_operator::controllers::pipeline::controller";

/// The sum over outcomes of `augur_operator_reconcile_total` for `kind`.
pub fn reconcile_count(metrics: &str, kind: &str) -> u64 {
    let prefix = format!("augur_operator_reconcile_total{{kind=\"{kind}\"");
    metrics
        .lines()
        .filter(|line| line.starts_with(&prefix))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

fn start_operator(options: &Options) -> anyhow::Result<Operator> {
    let binary = match &options.operator {
        Some(path) => path.clone(),
        None => std::env::current_exe().context("cannot find this binary")?,
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let address = format!("127.0.0.1:{port}");
    let log = std::env::temp_dir().join(format!("augur-bench-operator-{port}.log"));
    let child = Command::new(&binary)
        .args(["run", "--no-leader-election", "--http-address", &address])
        .env("RUST_LOG", format!("warn,{RECONCILE_LOG_TARGET}=debug"))
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    Ok(Operator { child: std::sync::Mutex::new(child), address, log })
}

async fn create_namespace(client: &Client) -> anyhow::Result<String> {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let name = format!("augur-bench-{:x}", nanos % 0xffff_ffff);
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            labels: Some([(NAMESPACE_LABEL.0.to_owned(), NAMESPACE_LABEL.1.to_owned())].into()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &namespace).await?;
    Ok(name)
}

/// Deletes `namespace` and waits (up to three minutes) until it is gone; returns how long that took.
async fn delete_namespace(client: &Client, namespace: &str) -> Duration {
    let started = Instant::now();
    let namespaces = Api::<Namespace>::all(client.clone());
    if let Err(error) = namespaces.delete(namespace, &DeleteParams::background()).await {
        eprintln!("could not delete namespace {namespace}: {error}");
        return started.elapsed();
    }
    while started.elapsed() < Duration::from_secs(180) {
        match namespaces.get_opt(namespace).await {
            Ok(None) => break,
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
    started.elapsed()
}

/// Whether an AnomalyDetector's status shows it reconciled: generation 1 observed, a Ready condition.
fn reconciled(object: &DynamicObject) -> bool {
    let status = &object.data["status"];
    status["observedGeneration"] == 1
        && status["conditions"].as_array().is_some_and(|c| c.iter().any(|c| c["type"] == "Ready"))
}

/// Counts, from watches started before the first create, the Deployments and reconciled detectors in `namespace`;
/// resolves once both reach `expected`.
async fn all_ready(client: Client, namespace: String, expected: usize) -> anyhow::Result<()> {
    let kind = ApiResource::from_gvk(&GroupVersionKind::gvk(augur_crds::GROUP, augur_crds::VERSION, "AnomalyDetector"));
    let detectors =
        watcher(Api::<DynamicObject>::namespaced_with(client.clone(), &namespace, &kind), watcher::Config::default())
            .applied_objects()
            .map_ok(|object| (false, object.name_any(), reconciled(&object)));
    let deployments = watcher(Api::<Deployment>::namespaced(client, &namespace), watcher::Config::default())
        .applied_objects()
        .map_ok(|deployment| (true, deployment.name_any(), true));
    let mut events = stream::select(detectors.boxed(), deployments.boxed());
    let (mut ready, mut made) = (HashSet::new(), HashSet::new());
    while ready.len() < expected || made.len() < expected {
        let Some((is_deployment, name, done)) = events.try_next().await? else { bail!("the watches ended") };
        match (is_deployment, done) {
            (true, _) => {
                made.insert(name);
            }
            (false, true) => {
                ready.insert(name);
            }
            (false, false) => {}
        }
    }
    Ok(())
}

async fn measure(
    client: &Client,
    namespace: &str,
    operator: &Operator,
    options: &Options,
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    wait_until_ready(operator).await?;
    let kind = ApiResource::from_gvk(&GroupVersionKind::gvk(augur_crds::GROUP, augur_crds::VERSION, "AnomalyDetector"));
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &kind);
    let watching = tokio::spawn(all_ready(client.clone(), namespace.to_owned(), options.resources));
    let started = Instant::now();
    let created: Vec<anyhow::Result<()>> = stream::iter(0..options.resources)
        .map(|index| {
            let api = api.clone();
            async move {
                let object: DynamicObject = serde_json::from_value(super::detector_manifest(index, namespace))?;
                api.create(&PostParams::default(), &object).await?;
                Ok(())
            }
        })
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    created.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    let created_seconds = started.elapsed().as_secs_f64();
    match tokio::time::timeout(options.timeout, watching).await {
        Ok(joined) => joined??,
        Err(_) => bail!(
            "not every detector was ready within {:?} (operator log: {})",
            options.timeout,
            operator.log.display()
        ),
    }
    let ready_seconds = started.elapsed().as_secs_f64();
    let (at_ready, _) = operator.reconciles().await;
    let (rss_at_ready, _) = super::resident_bytes(&operator.pid()).unwrap_or_default();
    let (settled, source) = settle(operator, options.settle).await;
    let (rss, peak) = super::resident_bytes(&operator.pid()).unwrap_or_default();
    let resources = options.resources.max(1) as f64;
    writeln!(out, "resources={}", options.resources)?;
    writeln!(out, "created_seconds={created_seconds:.2}")?;
    writeln!(out, "ready_seconds={ready_seconds:.2}")?;
    writeln!(out, "reconciles_at_ready={at_ready}")?;
    writeln!(out, "reconciles_settled={settled}")?;
    writeln!(out, "reconciles_per_resource={:.2}", settled as f64 / resources)?;
    writeln!(out, "reconciles_counted_from={source}")?;
    writeln!(out, "operator_rss_at_ready_mib={:.1}", rss_at_ready as f64 / 1_048_576.0)?;
    writeln!(out, "operator_rss_mib={:.1}", rss as f64 / 1_048_576.0)?;
    writeln!(out, "operator_peak_rss_mib={:.1}", peak as f64 / 1_048_576.0)?;
    Ok(())
}

/// Waits (up to a minute) for the operator's `/readyz`, then a moment for its watches to list.
async fn wait_until_ready(operator: &Operator) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let probe = tokio::time::timeout(SCRAPE_TIMEOUT, augur_probes::client::get(&operator.address, "/readyz")).await;
        if let Ok(Ok((200, _))) = probe {
            tokio::time::sleep(Duration::from_secs(2)).await;
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("the operator did not become ready (log: {})", operator.log.display());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The reconcile count once it has not changed for `quiet` (checked every half second, for at most two minutes).
async fn settle(operator: &Operator, quiet: Duration) -> (u64, &'static str) {
    let started = Instant::now();
    let (mut count, mut since) = (operator.reconciles().await, Instant::now());
    while since.elapsed() < quiet && started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = operator.reconciles().await;
        if now.0 != count.0 {
            (count, since) = (now, Instant::now());
        }
    }
    count
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_reconciles_of_one_kind_over_outcomes() {
        let metrics = "# TYPE augur_operator_reconcile counter\n\
            augur_operator_reconcile_total{kind=\"AnomalyDetector\",outcome=\"applied\"} 730\n\
            augur_operator_reconcile_total{kind=\"AnomalyDetector\",outcome=\"ApplyFailed\"} 3\n\
            augur_operator_reconcile_total{kind=\"Forecaster\",outcome=\"applied\"} 9\n";
        assert_eq!(super::reconcile_count(metrics, "AnomalyDetector"), 733);
        assert_eq!(super::reconcile_count(metrics, "LogClusterer"), 0);
    }
}
