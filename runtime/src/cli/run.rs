//! `augur run --config FILE`: reads and checks the RuntimeConfig, sets up structured logging, and runs the service
//! until it ends or SIGTERM / Ctrl-C asks it to drain, checkpoint and commit.

use std::{net::SocketAddr, path::Path, sync::Arc};

use anyhow::Context;
use augur_crds::runtime_config::RuntimeConfig;

use crate::{
    pipeline::Shutdown,
    service::{self, ServiceOptions},
    time::SystemClock,
};

/// Runs the service described by the RuntimeConfig at `path`.
pub fn run(path: &Path, http_address: SocketAddr, client_id: String) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let config =
        RuntimeConfig::from_yaml(&text).with_context(|| format!("{} is not a valid RuntimeConfig", path.display()))?;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,librdkafka=warn".into()),
        )
        .with_ansi(false)
        .with_target(false)
        // Standard error: the command line holds standard output's lock while a command runs.
        .with_writer(std::io::stderr)
        .try_init();
    let options = ServiceOptions {
        http_address: Some(http_address),
        client_id,
        clock: Arc::new(SystemClock),
        ..ServiceOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
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
