//! Process plumbing shared by the operator and the runtime: the `/healthz`, `/readyz` and `/metrics` endpoints over
//! plain HTTP/1.1 (three read-only endpoints need no web framework), and the termination signal.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// Renders the metrics exposition text.
pub type EncodeMetrics = Arc<dyn Fn() -> String + Send + Sync>;

/// Why a running process is not ready now (`None`: nothing is wrong).
pub type ReadinessCheck = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// What the endpoints report: liveness is the process answering; readiness a flag the process sets, and an
/// optional check that can hold readiness back while something is wrong (a sink that cannot deliver).
#[derive(Clone)]
pub struct Probes {
    /// Set once the process does its job; `/readyz` answers 503 until then.
    pub ready: Arc<AtomicBool>,
    metrics: EncodeMetrics,
    check: Option<ReadinessCheck>,
}

/// Longest request head read; anything longer is refused.
const MAX_REQUEST: usize = 8192;

impl Probes {
    /// Endpoints whose `/metrics` serves what `metrics` renders (OpenMetrics text).
    pub fn new(metrics: EncodeMetrics) -> Self {
        Self { ready: Arc::new(AtomicBool::new(false)), metrics, check: None }
    }

    /// The same endpoints, with `/readyz` also answering 503 (with the reason) while `check` reports a problem.
    pub fn with_readiness_check(mut self, check: ReadinessCheck) -> Self {
        self.check = Some(check);
        self
    }

    /// The status line, content type and body for a request line such as `GET /readyz HTTP/1.1`.
    pub fn respond(&self, request_line: &str) -> (&'static str, &'static str, String) {
        let mut parts = request_line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        if method != "GET" {
            return ("405 Method Not Allowed", "text/plain", "only GET\n".into());
        }
        match path {
            "/healthz" => ("200 OK", "text/plain", "ok\n".into()),
            "/readyz" if !self.ready.load(Ordering::SeqCst) => {
                ("503 Service Unavailable", "text/plain", "starting\n".into())
            }
            "/readyz" => match self.check.as_ref().and_then(|check| check()) {
                Some(problem) => ("503 Service Unavailable", "text/plain", format!("not ready: {problem}\n")),
                None => ("200 OK", "text/plain", "ready\n".into()),
            },
            "/metrics" => ("200 OK", "application/openmetrics-text; version=1.0.0; charset=utf-8", (self.metrics)()),
            _ => ("404 Not Found", "text/plain", "not found\n".into()),
        }
    }

    /// Serves the endpoints on `listener` until the task is dropped.
    pub async fn serve(self, listener: TcpListener) {
        while let Ok((stream, _)) = listener.accept().await {
            let probes = self.clone();
            tokio::spawn(async move {
                if let Err(error) = probes.answer(stream).await {
                    tracing::debug!(error = %error, "probe endpoint");
                }
            });
        }
    }

    async fn answer(&self, mut stream: TcpStream) -> std::io::Result<()> {
        let mut buffer = vec![0u8; MAX_REQUEST];
        let mut read = 0;
        while read < MAX_REQUEST {
            let n = stream.read(&mut buffer[read..]).await?;
            read += n;
            if n == 0 || buffer[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        let head = String::from_utf8_lossy(&buffer[..read]);
        let (status, content_type, body) = self.respond(head.lines().next().unwrap_or_default());
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
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
mod tests {
    use super::*;

    #[test]
    fn endpoints_answer_as_documented() {
        let probes = Probes::new(Arc::new(|| "# EOF\n".to_owned()));
        assert_eq!(probes.respond("GET /healthz HTTP/1.1").0, "200 OK");
        assert_eq!(probes.respond("GET /readyz HTTP/1.1").0, "503 Service Unavailable");
        probes.ready.store(true, Ordering::SeqCst);
        assert_eq!(probes.respond("GET /readyz HTTP/1.1").0, "200 OK");
        assert_eq!(probes.respond("GET /metrics HTTP/1.1").2, "# EOF\n");
        assert_eq!(probes.respond("POST /healthz HTTP/1.1").0, "405 Method Not Allowed");
        assert_eq!(probes.respond("GET /nope HTTP/1.1").0, "404 Not Found");
    }

    #[test]
    fn a_failing_readiness_check_holds_readiness_back_with_its_reason() {
        let problem = Arc::new(std::sync::Mutex::new(Some("cannot deliver to topic out".to_owned())));
        let reported = problem.clone();
        let probes = Probes::new(Arc::new(String::new))
            .with_readiness_check(Arc::new(move || reported.lock().ok().and_then(|p| p.clone())));
        probes.ready.store(true, Ordering::SeqCst);
        let (status, _, body) = probes.respond("GET /readyz HTTP/1.1");
        assert_eq!(status, "503 Service Unavailable");
        assert!(body.contains("cannot deliver to topic out"), "{body}");
        *problem.lock().unwrap_or_else(|e| e.into_inner()) = None;
        assert_eq!(probes.respond("GET /readyz HTTP/1.1").0, "200 OK");
        assert_eq!(probes.respond("").0, "405 Method Not Allowed");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn serves_over_tcp() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let server = tokio::spawn(Probes::new(Arc::new(String::new)).serve(listener));
        let mut stream = TcpStream::connect(address).await.unwrap_or_else(|e| panic!("{e}"));
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap_or_else(|e| panic!("{e}"));
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(response.starts_with("HTTP/1.1 200 OK") && response.ends_with("ok\n"), "{response}");
        server.abort();
    }
}
