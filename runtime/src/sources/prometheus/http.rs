//! A minimal HTTP client for the Prometheus query API: one GET per request over plain HTTP. The request is
//! HTTP/1.0, so the server answers without chunking and closes the connection at the end of the body.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Largest response accepted (a query over many series and a long range can be big, but not unbounded).
const MAX_RESPONSE: u64 = 256 << 20;

/// A parsed `http://host:port/prefix` base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl {
    /// `host:port` to connect to.
    pub authority: String,
    /// Path prefix without a trailing slash (a Prometheus behind a route prefix).
    pub prefix: String,
}

impl BaseUrl {
    /// Parses `url`; only `http://` is supported.
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            if url.starts_with("https://") {
                format!("{url}: https is not supported for Prometheus sources yet; use the in-cluster http endpoint")
            } else {
                format!("{url}: a Prometheus URL starts with http://")
            }
        })?;
        let (host, path) = rest.split_once('/').map_or((rest, ""), |(host, path)| (host, path));
        if host.is_empty() {
            return Err(format!("{url}: no host"));
        }
        let authority = if host.contains(':') && !host.ends_with(']') { host.to_owned() } else { format!("{host}:80") };
        let prefix = path.trim_end_matches('/');
        let prefix = if prefix.is_empty() { String::new() } else { format!("/{prefix}") };
        Ok(Self { authority, prefix })
    }
}

/// Percent-encodes a query-string value.
pub fn encode_component(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len() * 3 / 2);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// GETs `path_and_query` under `base`; returns the status code and body.
pub async fn get(
    base: &BaseUrl,
    path_and_query: &str,
    bearer_token: Option<&str>,
    timeout: Duration,
) -> Result<(u16, Vec<u8>), String> {
    let exchange = async {
        let mut stream = TcpStream::connect(&base.authority).await.map_err(|e| format!("connect: {e}"))?;
        let host = base.authority.trim_end_matches(":80");
        let mut request = format!(
            "GET {}{path_and_query} HTTP/1.0\r\nHost: {host}\r\nAccept: application/json\r\nUser-Agent: augur\r\n",
            base.prefix
        );
        if let Some(token) = bearer_token {
            request.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).await.map_err(|e| format!("send: {e}"))?;
        let mut response = Vec::new();
        (&mut stream).take(MAX_RESPONSE).read_to_end(&mut response).await.map_err(|e| format!("receive: {e}"))?;
        parse_response(&response)
    };
    tokio::time::timeout(timeout, exchange).await.map_err(|_| format!("no answer within {}s", timeout.as_secs()))?
}

/// Splits a raw HTTP response into its status code and body.
fn parse_response(response: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").ok_or("a truncated HTTP response")?;
    let head = String::from_utf8_lossy(&response[..split]);
    let status = head
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or("a malformed HTTP status line")?;
    Ok((status, response[split + 4..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_encoding() {
        let url = BaseUrl::parse("http://prometheus.monitoring:9090/prom/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(url, BaseUrl { authority: "prometheus.monitoring:9090".into(), prefix: "/prom".into() });
        let url = BaseUrl::parse("http://prometheus").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((url.authority.as_str(), url.prefix.as_str()), ("prometheus:80", ""));
        assert!(BaseUrl::parse("https://p:9090").is_err_and(|e| e.contains("https")));
        assert_eq!(encode_component("rate(x{a=\"b c\"}[5m])"), "rate%28x%7Ba%3D%22b%20c%22%7D%5B5m%5D%29");
    }

    #[test]
    fn responses_split_into_status_and_body() {
        let parsed = parse_response(b"HTTP/1.1 503 Service Unavailable\r\nA: b\r\n\r\n{\"x\":1}");
        assert_eq!(parsed, Ok((503, b"{\"x\":1}".to_vec())));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
    }
}
