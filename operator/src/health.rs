//! The operator's probes: `/healthz`, `/readyz` and `/metrics` (see [`augur_probes`]) serving its metrics.

use std::sync::{Arc, atomic::AtomicBool};

use augur_probes::Probes;
use tokio::net::TcpListener;

use crate::metrics::Metrics;

/// Shared state the endpoints report.
#[derive(Clone, Default)]
pub struct Health {
    /// Set once the controllers are running.
    pub ready: Arc<AtomicBool>,
    /// The operator's metrics.
    pub metrics: Arc<Metrics>,
}

impl Health {
    /// The endpoints over this state.
    pub fn probes(&self) -> Probes {
        let metrics = self.metrics.clone();
        let mut probes = Probes::new(Arc::new(move || metrics.encode()));
        probes.ready = self.ready.clone();
        probes
    }

    /// Serves the endpoints on `listener` until the task is dropped.
    pub async fn serve(self, listener: TcpListener) {
        self.probes().serve(listener).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use http::{Method, StatusCode};

    use super::*;

    #[test]
    fn readiness_and_metrics_come_from_the_operator() {
        let health = Health::default();
        let probes = health.probes();
        assert_eq!(probes.respond(&Method::GET, "/readyz").status, StatusCode::SERVICE_UNAVAILABLE);
        health.ready.store(true, Ordering::SeqCst);
        assert_eq!(probes.respond(&Method::GET, "/readyz").status, StatusCode::OK);
        health.metrics.record("Forecaster", "applied", 0.01);
        assert!(probes.respond(&Method::GET, "/metrics").body.contains("augur_operator_reconcile_total"));
    }
}
