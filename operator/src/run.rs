//! `augur-operator run`: connects, checks that the CRDs are installed, serves health and metrics, and runs the three
//! streaming controllers and the AutoScalePolicy controller until SIGTERM or Ctrl-C, when they finish in-flight
//! reconciles and stop.

use std::sync::atomic::Ordering;

use anyhow::{Context as _, bail};
use augur_crds::{AnomalyDetector, Forecaster, LogClusterer};
use k8s_openapi::{apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition, jiff::Timestamp};
use kube::{
    Api, Client,
    runtime::events::{Recorder, Reporter},
};

use crate::{
    cli::RunOptions,
    config::OperatorConfig,
    controllers::{
        autoscale,
        pipeline::{Context, controller},
    },
    health::Health,
    leader::{LEASE_DURATION, LeaseLock, RENEW_EVERY},
};

/// Runs the operator.
pub async fn run(options: RunOptions) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,kube=warn".into()),
        )
        .init();
    let client =
        Client::try_default().await.context("cannot reach the Kubernetes API (no kubeconfig or in-cluster config)")?;
    check_crds(&client).await?;
    let health = Health::default();
    let listener = tokio::net::TcpListener::bind(&options.http_address)
        .await
        .with_context(|| format!("cannot listen on {}", options.http_address))?;
    tokio::spawn(health.clone().serve(listener));

    let operator = OperatorConfig {
        runtime_image: options.runtime_image,
        image_pull_policy: options.image_pull_policy,
        default_bootstrap_servers: options.kafka_bootstrap_servers,
    };
    let context = Context {
        metrics: health.metrics.clone(),
        events: Some(Recorder::new(
            client.clone(),
            Reporter { controller: "augur-operator".into(), instance: Some(options.identity.clone()) },
        )),
        ..Context::new(client.clone(), operator)
    };
    // A standby replica is ready too: it is healthy and takes over when the leader goes. Readiness must not wait for
    // leadership, or a rolling update (and a PodDisruptionBudget) would wait forever for the standby.
    health.ready.store(true, Ordering::SeqCst);
    if !options.no_leader_election {
        let lock = LeaseLock::new(context.client.clone(), &options.lease_namespace, LEASE_NAME, &options.identity);
        tokio::select! {
            () = wait_for_leadership(&lock) => {}
            () = augur_probes::termination() => {
                tracing::info!("shutting down before leading");
                return Ok(());
            }
        }
        tokio::spawn(keep_leadership(lock));
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let signal = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|s| *s).await;
    };
    tracing::info!(address = %options.http_address, "controllers starting");
    let controllers = async {
        tokio::join!(
            controller::run::<AnomalyDetector>(context.clone(), signal(stopped.clone())),
            controller::run::<Forecaster>(context.clone(), signal(stopped.clone())),
            controller::run::<LogClusterer>(context.clone(), signal(stopped.clone())),
            autoscale::controller::run(context.clone(), signal(stopped.clone())),
        );
    };
    tokio::select! {
        () = controllers => {}
        () = augur_probes::termination() => {
            tracing::info!("shutting down: finishing in-flight reconciles");
            health.ready.store(false, Ordering::SeqCst);
            let _ = stop.send(true);
        }
    }
    Ok(())
}

/// Name of the leader-election Lease.
const LEASE_NAME: &str = "augur-operator";

/// Blocks until this replica leads.
async fn wait_for_leadership(lock: &LeaseLock) {
    loop {
        match lock.try_acquire_or_renew(Timestamp::now()).await {
            Ok(true) => {
                tracing::info!("elected leader");
                return;
            }
            Ok(false) => tracing::debug!("another replica leads; waiting"),
            Err(error) => tracing::warn!(error = %error, "leader election failed; retrying"),
        }
        tokio::time::sleep(RENEW_EVERY).await;
    }
}

/// Renews the Lease; if it is lost (another replica took it, or renewals failed for a whole lease duration) the
/// process exits so that its replacement contends again with a clean state.
async fn keep_leadership(lock: LeaseLock) {
    let mut last_renewed = std::time::Instant::now();
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        match lock.try_acquire_or_renew(Timestamp::now()).await {
            Ok(true) => last_renewed = std::time::Instant::now(),
            Ok(false) => {
                tracing::error!("leadership lost to another replica; exiting");
                std::process::exit(1);
            }
            Err(error) if last_renewed.elapsed() > LEASE_DURATION => {
                tracing::error!(error = %error, "could not renew leadership within the lease duration; exiting");
                std::process::exit(1);
            }
            Err(error) => tracing::warn!(error = %error, "lease renewal failed; retrying"),
        }
    }
}

/// Fails with instructions when the CRDs are missing.
pub(crate) async fn check_crds(client: &Client) -> anyhow::Result<()> {
    let definitions: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut missing = Vec::new();
    for (_, crd) in augur_crds::crd::all() {
        let name = crd.metadata.name.unwrap_or_default();
        match definitions.get_opt(&name).await {
            Ok(Some(_)) => {}
            Ok(None) => missing.push(name),
            Err(error) => return Err(error).with_context(|| format!("cannot read CustomResourceDefinition {name}")),
        }
    }
    if !missing.is_empty() {
        bail!(
            "the Augur CRDs are not installed ({}): install the Helm chart, or run \\
             `augur-operator crds | kubectl apply --server-side -f -`",
            missing.join(", ")
        );
    }
    Ok(())
}
