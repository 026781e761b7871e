//! Forecasts published into the Forecaster's status while the service runs, when the RuntimeConfig asks for status
//! and the Kubernetes API is reachable. The pipeline hands its forecast processors over after each batch; when the
//! publication interval has passed, a bounded status is built there (it borrows the forecasts) and sent to a task
//! that applies it, so the pipeline never waits on the API server.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicI64, Ordering},
};

use augur_crds::{kinds::forecaster::ForecasterStatus, runtime_config::ResourceIdentity};
use kube::Client;
use tokio::sync::mpsc;

use crate::{
    models::forecast::ForecastProcessor,
    pipeline::Partitioned,
    publish::{Publisher, SeriesForecast, referenced_series},
    time::{Clock, Millis},
};

/// Publication of one Forecaster's forecasts.
pub struct StatusPublishing {
    publisher: Arc<tokio::sync::Mutex<Publisher>>,
    wanted: Arc<Mutex<Option<Vec<String>>>>,
    statuses: mpsc::Sender<ForecasterStatus>,
    clock: Arc<dyn Clock>,
    interval_ms: Millis,
    last_built: AtomicI64,
    step_ms: Millis,
}

impl StatusPublishing {
    /// Starts the applying task for the Forecaster `resource`, publishing at most every `interval_ms`.
    pub fn start(
        client: Client,
        resource: &ResourceIdentity,
        interval_ms: Millis,
        clock: Arc<dyn Clock>,
        step_ms: Millis,
    ) -> Self {
        let interval = std::time::Duration::from_millis(interval_ms.max(1000) as u64);
        let publisher = Publisher::new(client.clone(), &resource.namespace, &resource.name, interval, clock.clone());
        let publisher = Arc::new(tokio::sync::Mutex::new(publisher));
        let wanted = Arc::new(Mutex::new(None));
        let (statuses, mut received) = mpsc::channel::<ForecasterStatus>(1);
        {
            let (publisher, wanted, namespace, name) =
                (publisher.clone(), wanted.clone(), resource.namespace.clone(), resource.name.clone());
            tokio::spawn(async move {
                while let Some(status) = received.recv().await {
                    match referenced_series(&client, &namespace, &name).await {
                        Ok(series) => *wanted.lock().unwrap_or_else(|e| e.into_inner()) = Some(series),
                        Err(error) => {
                            tracing::debug!(%error, "cannot list the AutoScalePolicies; publishing every series")
                        }
                    }
                    if let Err(error) = publisher.lock().await.apply(status).await {
                        tracing::warn!(%error, "forecasts not published to the Forecaster's status; retrying later");
                    }
                }
            });
        }
        Self { publisher, wanted, statuses, clock, interval_ms, last_built: AtomicI64::new(i64::MIN), step_ms }
    }

    /// Builds and hands over a status when one is due.
    pub fn observe(&self, stage: &Partitioned<ForecastProcessor>) {
        let now = self.clock.now();
        if now.saturating_sub(self.last_built.load(Ordering::Relaxed)) < self.interval_ms {
            return;
        }
        // The task is applying the previous one: try again after the next batch.
        let Ok(publisher) = self.publisher.try_lock() else { return };
        let entries: Vec<_> = stage.iter().flat_map(|(_, processor)| processor.forecasts()).collect();
        let mut status = {
            let views: Vec<SeriesForecast<'_>> =
                entries.iter().map(|entry| SeriesForecast::from_processor(entry, self.step_ms)).collect();
            let wanted = self.wanted.lock().unwrap_or_else(|e| e.into_inner()).clone();
            publisher.build(&views, wanted.as_deref())
        };
        status.runtime.series_tracked = Some(entries.len() as i64);
        if self.statuses.try_send(status).is_ok() {
            self.last_built.store(now, Ordering::Relaxed);
        }
    }
}
