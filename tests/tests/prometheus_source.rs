//! The PromQL source against a real Prometheus scraping a known target (itself, or the plain Prometheus): every
//! step, a range query returns the target's `up` series, keyed by its labels, and the pipeline scores it.
//! - plain http (`AUGUR_PROMETHEUS_URL`);
//! - https with a CA bundle, a client certificate and basic authentication, Prometheus's own TLS
//!   (`AUGUR_PROMETHEUS_MTLS_URL`), and https with a bearer token through a TLS-terminating proxy
//!   (`AUGUR_PROMETHEUS_TOKEN_URL`), with the credentials as the operator mounts them (`AUGUR_PROMETHEUS_SECRETS`);
//!   a missing credential or an untrusted certificate is refused by the server or by the client.

use std::{sync::Arc, time::Duration};

use augur_crds::{
    common::Duration as ApiDuration,
    runtime_config::{BasicAuth, PrometheusInput, SecretFile, TlsConfig},
};
use augur_runtime::{
    models::anomaly::{AnomalyProcessor, DetectorParams, ScoredPoint},
    pipeline::{self, RunSettings, Shutdown, Sink, SinkError},
    record::DeadLetter,
    sources::prometheus::{PrometheusClient, PrometheusSource},
    time::SystemClock,
};
use augur_tests::streams::{PROMETHEUS_MTLS_VAR, PROMETHEUS_SECRETS_VAR, PROMETHEUS_TOKEN_VAR, PROMETHEUS_VAR, server};

/// Keeps the scored points and fires `shutdown` once `wanted` points of the target's series have arrived.
struct UntilSeen {
    points: Vec<ScoredPoint>,
    wanted: usize,
    shutdown: Shutdown,
}

const SERIES_PREFIX: &str = "up{instance=";

impl Sink<ScoredPoint> for UntilSeen {
    async fn write(&mut self, items: &[ScoredPoint]) -> Result<(), SinkError> {
        self.points.extend_from_slice(items);
        if self.points.iter().filter(|p| p.series.starts_with(SERIES_PREFIX)).count() >= self.wanted {
            self.shutdown.fire();
        }
        Ok(())
    }
}

/// Dead letters: a range query has none.
struct NoDeadLetters;

impl Sink<DeadLetter> for NoDeadLetters {
    async fn write(&mut self, items: &[DeadLetter]) -> Result<(), SinkError> {
        match items.first() {
            Some(dead) => Err(SinkError(format!("unexpected dead letter: {}", dead.reason))),
            None => Ok(()),
        }
    }
}

/// A one-second `up{job="prometheus"}` input for `url`, without credentials.
fn input(url: &str) -> PrometheusInput {
    PrometheusInput {
        url: url.to_owned(),
        query: "up{job=\"prometheus\"}".into(),
        step: ApiDuration::from_secs(1),
        backfill: ApiDuration::from_secs(60),
        bearer_token: None,
        basic_auth: None,
        tls: None,
    }
}

/// Key `key` of the test Secret `secret`. The credentials are not under the pod's mount root, so the Secret's
/// directory is given absolute (`Path::join`, which [`SecretFile::path`] uses, keeps an absolute part as it is).
fn secret(secret: &str, key: &str) -> SecretFile {
    SecretFile { secret: format!("{}/{secret}", server(PROMETHEUS_SECRETS_VAR)), key: key.to_owned() }
}

fn trusted_ca() -> TlsConfig {
    TlsConfig { ca: Some(secret("prometheus-ca", "ca.crt")), ..TlsConfig::default() }
}

fn client_certificate() -> TlsConfig {
    TlsConfig {
        client_certificate: Some(secret("prometheus-client", "tls.crt")),
        client_key: Some(secret("prometheus-client", "tls.key")),
        ..trusted_ca()
    }
}

fn basic_auth() -> BasicAuth {
    BasicAuth {
        username: secret("prometheus-basic-auth", "username"),
        password: secret("prometheus-basic-auth", "password"),
    }
}

/// Runs the source of `input` through an anomaly detector until five points of the target arrived; checks them.
async fn reads_the_scraped_target(input: &PrometheusInput) {
    let source =
        PrometheusSource::new(input, Arc::new(SystemClock), None).unwrap_or_else(|e| panic!("{e}")).with_lag(1000);
    let mut processor = AnomalyProcessor::new(DetectorParams::default(), 100);
    let shutdown = Shutdown::new();
    let mut sink = UntilSeen { points: Vec::new(), wanted: 5, shutdown: shutdown.clone() };
    let mut dead_letters = NoDeadLetters;
    let run = pipeline::run(
        source,
        &mut processor,
        &mut sink,
        &mut dead_letters,
        shutdown,
        RunSettings::default(),
        |_, _| {},
    );
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .unwrap_or_else(|_| panic!("no points of the scraped target from {} within two minutes", input.url))
        .unwrap_or_else(|e| panic!("{e}"));

    let target: Vec<&ScoredPoint> = sink.points.iter().filter(|p| p.series.starts_with(SERIES_PREFIX)).collect();
    assert!(target.len() >= 5, "{} points", target.len());
    assert!(target[0].series.contains("job=\"prometheus\""), "keyed by labels: {}", target[0].series);
    assert!(target.iter().all(|p| p.value == 1.0), "the target is up");
    assert!(target.windows(2).all(|w| w[1].timestamp - w[0].timestamp == 1000), "one point per step, in order");
}

/// What one range query over the last minute answers: the HTTP status, or the client's error.
async fn answer(input: &PrometheusInput) -> Result<u16, String> {
    let client = PrometheusClient::new(input, Duration::from_secs(30))?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    let (start, end) = ((now - 60).to_string(), now.to_string());
    client.query_range(&input.query, &start, &end, "1").await.map(|(status, _)| status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(augur_prometheus), ignore = "needs AUGUR_PROMETHEUS_URL (bash .ci/run starts Prometheus)")]
async fn a_promql_source_reads_the_series_of_a_scraped_target() {
    reads_the_scraped_target(&input(&server(PROMETHEUS_VAR))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(augur_prometheus_tls), ignore = "needs AUGUR_PROMETHEUS_SECRETS (bash .ci/run starts the servers)")]
async fn a_prometheus_with_tls_client_certificates_and_basic_auth_is_read() {
    let url = server(PROMETHEUS_MTLS_VAR);
    let secured = PrometheusInput { tls: Some(client_certificate()), basic_auth: Some(basic_auth()), ..input(&url) };
    reads_the_scraped_target(&secured).await;

    let no_password = PrometheusInput { basic_auth: None, ..secured.clone() };
    assert_eq!(answer(&no_password).await, Ok(401), "Prometheus asks for the password");
    let no_client_certificate = PrometheusInput { tls: Some(trusted_ca()), ..secured.clone() };
    let refused = answer(&no_client_certificate).await;
    assert!(refused.is_err(), "the TLS handshake fails without a client certificate: {refused:?}");
    let system_roots = PrometheusInput { tls: Some(TlsConfig { ca: None, ..client_certificate() }), ..secured.clone() };
    let untrusted = answer(&system_roots).await.err().unwrap_or_default();
    assert!(
        untrusted.contains("certificate"),
        "the server's certificate is not trusted by the system roots: {untrusted}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(augur_prometheus_tls), ignore = "needs AUGUR_PROMETHEUS_SECRETS (bash .ci/run starts the servers)")]
async fn a_prometheus_behind_https_with_a_bearer_token_is_read() {
    let url = server(PROMETHEUS_TOKEN_VAR);
    let secured = PrometheusInput {
        tls: Some(trusted_ca()),
        bearer_token: Some(secret("prometheus-token", "token")),
        ..input(&url)
    };
    reads_the_scraped_target(&secured).await;

    let no_token = PrometheusInput { bearer_token: None, ..secured.clone() };
    assert_eq!(answer(&no_token).await, Ok(401), "the proxy asks for the token");
    let wrong_token =
        PrometheusInput { bearer_token: Some(secret("prometheus-basic-auth", "password")), ..secured.clone() };
    assert_eq!(answer(&wrong_token).await, Ok(401), "and refuses another one");
    let over_http = PrometheusInput { url: url.replace("https://", "http://"), ..secured };
    let refused = answer(&over_http).await.err().unwrap_or_default();
    assert!(refused.contains("refusing to send credentials over plain http"), "{refused}");
}
