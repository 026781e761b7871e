//! Process plumbing shared by the operator and the runtime: the `/healthz`, `/readyz` and `/metrics` endpoints, and
//! the termination signal.
//!
//! The endpoints are answered by [`Probes::respond`], a pure function of the process's state; [`server`] serves
//! them over HTTP/1.1 with hyper, bounded in connections and time ([`Limits`]), so a slow or hostile client cannot
//! hold the process's probes hostage; [`client`] reads them (benchmarks and tests).

pub mod client;
pub mod server;

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use http::{Method, StatusCode};

pub use server::Limits;

/// Renders the metrics exposition text.
pub type EncodeMetrics = Arc<dyn Fn() -> String + Send + Sync>;

/// Why a running process is not ready now (`None`: nothing is wrong).
pub type ReadinessCheck = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// Content type of `/metrics`.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What the endpoints report: liveness is the process answering; readiness a flag the process sets, and an
/// optional check that can hold readiness back while something is wrong (a sink that cannot deliver).
#[derive(Clone)]
pub struct Probes {
    /// Set once the process does its job; `/readyz` answers 503 until then.
    pub ready: Arc<AtomicBool>,
    metrics: EncodeMetrics,
    check: Option<ReadinessCheck>,
    limits: Limits,
}

/// One answer: status, content type and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// Its content type.
    pub content_type: &'static str,
    /// Its body.
    pub body: String,
}

impl Answer {
    fn text(status: StatusCode, body: impl Into<String>) -> Self {
        Self { status, content_type: "text/plain; charset=utf-8", body: body.into() }
    }
}

impl Probes {
    /// Endpoints whose `/metrics` serves what `metrics` renders (OpenMetrics text), with the default [`Limits`].
    pub fn new(metrics: EncodeMetrics) -> Self {
        Self { ready: Arc::new(AtomicBool::new(false)), metrics, check: None, limits: Limits::default() }
    }

    /// The same endpoints, with `/readyz` also answering 503 (with the reason) while `check` reports a problem.
    pub fn with_readiness_check(mut self, check: ReadinessCheck) -> Self {
        self.check = Some(check);
        self
    }

    /// The same endpoints, served within other limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The answer to `method path`.
    pub fn respond(&self, method: &Method, path: &str) -> Answer {
        if method != Method::GET {
            return Answer::text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n");
        }
        match path {
            "/healthz" => Answer::text(StatusCode::OK, "ok\n"),
            "/readyz" if !self.ready.load(Ordering::SeqCst) => {
                Answer::text(StatusCode::SERVICE_UNAVAILABLE, "starting\n")
            }
            "/readyz" => match self.check.as_ref().and_then(|check| check()) {
                Some(problem) => Answer::text(StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {problem}\n")),
                None => Answer::text(StatusCode::OK, "ready\n"),
            },
            "/metrics" => Answer { status: StatusCode::OK, content_type: OPENMETRICS, body: (self.metrics)() },
            _ => Answer::text(StatusCode::NOT_FOUND, "not found\n"),
        }
    }
}

/// The OpenMetrics text of `registry`.
pub fn render(registry: &prometheus_client::registry::Registry) -> String {
    let mut text = String::new();
    // Encoding into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut text, registry);
    text
}

/// Resolves on SIGTERM (what Kubernetes sends before stopping a pod) or Ctrl-C.
pub async fn termination() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests;
