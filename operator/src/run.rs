//! `augur-operator run`: connects, checks that the CRDs are installed, serves health and metrics, waits to lead
//! (unless `--no-leader-election`), and runs the three streaming controllers and the AutoScalePolicy controller until
//! SIGTERM or Ctrl-C, when they finish in-flight reconciles and the leader releases its Lease, so a successor takes
//! over at its next poll (a rolling update does not wait out a lease duration).

use std::sync::atomic::Ordering;

use anyhow::{Context as _, bail};
use augur_crds::{AnomalyDetector, Forecaster, LogClusterer};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
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
    leader::{LeaseLock, elect},
};

/// Runs the operator.
pub async fn run(options: RunOptions) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,kube=warn".into()),
        )
        // Standard error, as logs go; standard output is the command's (and is never held locked while it runs).
        .with_writer(std::io::stderr)
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
    let mut lock = (!options.no_leader_election)
        .then(|| LeaseLock::new(context.client.clone(), &options.lease_namespace, LEASE_NAME, &options.identity));
    if let Some(lock) = lock.as_mut() {
        tokio::select! {
            () = elect::acquire(lock) => {}
            () = augur_probes::termination() => {
                tracing::info!("shutting down before leading");
                return Ok(());
            }
        }
    }
    // Leading from here until the process exits (a replica that loses the Lease exits).
    health.metrics.set_leader(true);
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
    let mut controllers = std::pin::pin!(controllers);
    let renewing = async {
        match lock.as_mut() {
            Some(lock) => elect::renew(lock).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = &mut controllers => {}
        lost = renewing => {
            // Another replica may lead already: stop at once rather than reconcile beside it.
            tracing::error!(reason = ?lost, "leadership lost; exiting");
            std::process::exit(1);
        }
        () = augur_probes::termination() => {
            tracing::info!("shutting down: finishing in-flight reconciles");
            health.ready.store(false, Ordering::SeqCst);
            let _ = stop.send(true);
            // Within the Lease's validity, so no successor starts while a reconcile here still runs.
            if tokio::time::timeout(WIND_DOWN, controllers).await.is_err() {
                tracing::warn!("in-flight reconciles did not finish within {WIND_DOWN:?}; stopping anyway");
            }
        }
    }
    health.metrics.set_leader(false);
    if let Some(lock) = lock.as_mut() {
        elect::release(lock).await;
    }
    Ok(())
}

/// Name of the leader-election Lease.
const LEASE_NAME: &str = "augur-operator";
/// Longest wait for in-flight reconciles at shutdown: well inside the time the Lease is still valid after the
/// last renewal, so a successor never overlaps with them.
const WIND_DOWN: std::time::Duration = elect::RENEW_DEADLINE;

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
