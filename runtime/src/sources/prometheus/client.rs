//! The Prometheus source's HTTP client: reqwest over rustls, for a plain in-cluster Prometheus or a secured, managed
//! one (https with the system roots or a CA bundle, a bearer token or basic authentication, a client certificate for
//! mutual TLS), every credential read from the files the operator mounts from Secrets.
//!
//! Credentials never travel in cleartext: a token, a password or TLS settings with an `http://` URL is refused when
//! the client is made (the CRD's CEL rules refuse it earlier, at `kubectl apply`), and the client itself only speaks
//! https then, so not even a redirect could send them over plain HTTP. Redirects are not followed at all.
//! The token and the password are read from their files for every query: a mounted Secret is updated in place when
//! it rotates, and the next query uses the new value without a restart.

use std::{path::PathBuf, time::Duration};

use augur_crds::runtime_config::{PrometheusInput, SecretFile, TlsConfig};
use reqwest::{Certificate, Client, Identity, Url, redirect::Policy};

/// Largest response accepted (a query over many series and a long range can be big, but not unbounded).
const MAX_RESPONSE: usize = 256 << 20;
/// Longest a connection (TCP and TLS handshake) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How queries authenticate.
#[derive(Clone, Debug)]
enum Auth {
    None,
    Bearer(PathBuf),
    Basic { username: PathBuf, password: PathBuf },
}

/// A client for one Prometheus HTTP API.
pub struct PrometheusClient {
    http: Client,
    /// `.../api/v1/query_range` under the configured base URL (its path prefix kept).
    query_range: Url,
    auth: Auth,
}

impl PrometheusClient {
    /// A client for `input`; `timeout` bounds each query. Fails, saying why, on a URL that is not http(s), on
    /// credentials or TLS settings with an `http://` URL, and on a CA bundle or client certificate that cannot be
    /// read.
    pub fn new(input: &PrometheusInput, timeout: Duration) -> Result<Self, String> {
        let base = Url::parse(&input.url).map_err(|e| format!("{}: not a URL ({e})", input.url))?;
        let https = match base.scheme() {
            "https" => true,
            "http" => false,
            other => return Err(format!("{}: a Prometheus URL is http:// or https://, not {other}://", input.url)),
        };
        if !https && (input.has_credentials() || input.tls.is_some()) {
            return Err(format!(
                "{}: refusing to send credentials over plain http; use an https:// url (bearer tokens, basic \
                 authentication and TLS settings need https)",
                input.url
            ));
        }
        let mut query_range = base.clone();
        let prefix = base.path().trim_end_matches('/');
        query_range.set_path(&format!("{prefix}/api/v1/query_range"));
        query_range.set_query(None);
        let mut builder = Client::builder()
            .use_rustls_tls()
            .https_only(https)
            .redirect(Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(timeout)
            .user_agent(concat!("augur/", env!("CARGO_PKG_VERSION")));
        if let Some(tls) = &input.tls {
            builder = with_tls(builder, tls)?;
        }
        let http = builder.build().map_err(|e| format!("cannot make an HTTP client: {}", chain(&e)))?;
        let auth = match (&input.bearer_token, &input.basic_auth) {
            (Some(token), _) => Auth::Bearer(token.path()),
            (None, Some(basic)) => Auth::Basic { username: basic.username.path(), password: basic.password.path() },
            (None, None) => Auth::None,
        };
        Ok(Self { http, query_range, auth })
    }

    /// The host (and port) queried, for logs.
    pub fn authority(&self) -> String {
        let host = self.query_range.host_str().unwrap_or_default();
        self.query_range.port().map_or_else(|| host.to_owned(), |port| format!("{host}:{port}"))
    }

    /// Runs a range query (times in seconds, as text); returns the HTTP status and the body.
    pub async fn query_range(&self, query: &str, start: &str, end: &str, step: &str) -> Result<(u16, Vec<u8>), String> {
        let mut request = self.http.get(self.query_range.clone()).header("Accept", "application/json").query(&[
            ("query", query),
            ("start", start),
            ("end", end),
            ("step", step),
        ]);
        request = match &self.auth {
            Auth::None => request,
            Auth::Bearer(path) => request.bearer_auth(read_secret(path)?),
            Auth::Basic { username, password } => {
                request.basic_auth(read_secret(username)?, Some(read_secret(password)?))
            }
        };
        let mut response = request.send().await.map_err(|e| chain(&e))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| format!("reading the answer: {}", chain(&e)))? {
            if body.len() + chunk.len() > MAX_RESPONSE {
                return Err(format!("an answer larger than {} MiB; narrow the query", MAX_RESPONSE >> 20));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body))
    }
}

/// The CA bundle (trusted instead of the system roots) and the client certificate of `tls`.
fn with_tls(mut builder: reqwest::ClientBuilder, tls: &TlsConfig) -> Result<reqwest::ClientBuilder, String> {
    if let Some(ca) = &tls.ca {
        let bundle = read_file(ca)?;
        let certificates = Certificate::from_pem_bundle(&bundle)
            .map_err(|e| format!("{}: not a PEM CA bundle ({})", ca.path().display(), chain(&e)))?;
        if certificates.is_empty() {
            return Err(format!("{}: no PEM certificate in the CA bundle", ca.path().display()));
        }
        builder = builder.tls_built_in_root_certs(false);
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    match (&tls.client_certificate, &tls.client_key) {
        (Some(certificate), Some(key)) => {
            let mut pem = read_file(certificate)?;
            pem.push(b'\n');
            pem.extend_from_slice(&read_file(key)?);
            let identity = Identity::from_pem(&pem).map_err(|e| {
                format!(
                    "{} and {}: not a PEM certificate and private key ({})",
                    certificate.path().display(),
                    key.path().display(),
                    chain(&e)
                )
            })?;
            builder = builder.identity(identity);
        }
        (None, None) => {}
        _ => return Err("a client certificate needs both tls.crt and tls.key".into()),
    }
    Ok(builder)
}

fn read_file(file: &SecretFile) -> Result<Vec<u8>, String> {
    std::fs::read(file.path()).map_err(|e| format!("cannot read {}: {e}", file.path().display()))
}

/// A token or password file's content, without the trailing newline editors and `kubectl create secret` leave.
fn read_secret(path: &PathBuf) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text.trim_end_matches(['\n', '\r']).to_owned())
}

/// An error with its causes: reqwest's own message names only the request, the cause says what failed (a refused
/// connection, an unknown certificate issuer, a handshake the server rejected).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let message = inner.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        cause = inner.source();
    }
    text
}

#[cfg(test)]
pub(super) mod tests {
    use augur_crds::{
        common::Duration as ApiDuration,
        runtime_config::{BasicAuth, SecretFile},
    };

    use super::*;

    /// A source of `up` at `url`, one-minute steps, an hour of backfill, no credentials.
    pub(in crate::sources::prometheus) fn input(url: &str) -> PrometheusInput {
        PrometheusInput {
            url: url.into(),
            query: "up".into(),
            step: ApiDuration::from_secs(60),
            backfill: ApiDuration::from_secs(3600),
            bearer_token: None,
            basic_auth: None,
            tls: None,
        }
    }

    fn file(key: &str) -> SecretFile {
        SecretFile { secret: "prometheus".into(), key: key.into() }
    }

    #[test]
    fn the_query_path_keeps_the_url_prefix() {
        for (url, expected) in [
            ("http://prometheus.monitoring:9090", "http://prometheus.monitoring:9090/api/v1/query_range"),
            ("https://example.com/prom/", "https://example.com/prom/api/v1/query_range"),
            ("http://p:9090/a/b?x=1", "http://p:9090/a/b/api/v1/query_range"),
        ] {
            let client = PrometheusClient::new(&input(url), CONNECT_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(client.query_range.as_str(), expected);
        }
        let client = PrometheusClient::new(&input("http://p:9090"), CONNECT_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(client.authority(), "p:9090");
    }

    #[test]
    fn credentials_over_plain_http_are_refused() {
        let token = PrometheusInput { bearer_token: Some(file("token")), ..input("http://p:9090") };
        let basic = PrometheusInput {
            basic_auth: Some(BasicAuth { username: file("username"), password: file("password") }),
            ..input("http://p:9090")
        };
        let tls = PrometheusInput { tls: Some(TlsConfig::default()), ..input("http://p:9090") };
        for refused in [token, basic, tls] {
            let error = PrometheusClient::new(&refused, CONNECT_TIMEOUT).err().unwrap_or_default();
            assert!(error.contains("refusing to send credentials over plain http"), "{error}");
        }
        let error = PrometheusClient::new(&input("ftp://p"), CONNECT_TIMEOUT).err().unwrap_or_default();
        assert!(error.contains("http:// or https://"), "{error}");
    }

    #[test]
    fn unreadable_or_empty_tls_files_are_reported_with_their_path() {
        let missing = TlsConfig { ca: Some(file("no-such-ca.crt")), ..TlsConfig::default() };
        let error =
            PrometheusClient::new(&PrometheusInput { tls: Some(missing), ..input("https://p") }, CONNECT_TIMEOUT)
                .err()
                .unwrap_or_default();
        assert!(error.contains("cannot read") && error.contains("no-such-ca.crt"), "{error}");
        let half = TlsConfig { client_certificate: Some(file("tls.crt")), ..TlsConfig::default() };
        let error = PrometheusClient::new(&PrometheusInput { tls: Some(half), ..input("https://p") }, CONNECT_TIMEOUT)
            .err()
            .unwrap_or_default();
        assert!(error.contains("both tls.crt and tls.key"), "{error}");
    }
}
