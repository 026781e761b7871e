//! `augur run --config FILE`: reads and checks the RuntimeConfig, sets up structured logging, connects to the
//! Kubernetes API (in-cluster, or `KUBECONFIG`) when the RuntimeConfig asks for status, and runs the service until it
//! ends or SIGTERM / Ctrl-C asks it to drain, checkpoint and commit.

use std::{net::SocketAddr, path::Path, sync::Arc};

use anyhow::Context;
use augur_crds::{common::Duration, runtime_config::RuntimeConfig};

use crate::{
    pipeline::Shutdown,
    service::{self, ServiceOptions},
    time::SystemClock,
};

/// The Kubernetes API as a pod sees it (its service account) or as `KUBECONFIG` says. In a cluster, failing to
/// connect is an error; outside one, the service runs without publishing status, and says so.
async fn kube_client() -> anyhow::Result<Option<kube::Client>> {
    match kube::Client::try_default().await {
        Ok(client) => Ok(Some(client)),
        Err(error) if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() => {
            Err(error).context("cannot reach the Kubernetes API with the pod's service account")
        }
        Err(error) => {
            tracing::warn!(%error, "no Kubernetes API (not in a cluster, no usable KUBECONFIG): the resource's status is not published");
            Ok(None)
        }
    }
}

/// Runs the service described by the RuntimeConfig at `path`, publishing status every `status_interval`.
pub fn run(path: &Path, http_address: SocketAddr, client_id: String, status_interval: Duration) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let config =
        RuntimeConfig::from_yaml(&text).with_context(|| format!("{} is not a valid RuntimeConfig", path.display()))?;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,librdkafka=warn".into()),
        )
        .with_ansi(false)
        .with_target(false)
        // Standard error, as logs go: standard output is the command's (`augur render`, `augur try`).
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let kube = if config.output.status { kube_client().await? } else { None };
        let options = ServiceOptions {
            http_address: Some(http_address),
            client_id,
            clock: Arc::new(SystemClock),
            kube,
            status_interval_ms: i64::try_from(status_interval.as_std().as_millis()).unwrap_or(i64::MAX).max(1000),
            ..ServiceOptions::default()
        };
        let shutdown = Shutdown::new();
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            augur_probes::termination().await;
            tracing::info!("termination requested: draining, checkpointing and committing");
            trigger.fire();
        });
        service::run(&config, &options, shutdown).await.map(|_| ())
    })
}
