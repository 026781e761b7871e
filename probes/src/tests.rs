//! The endpoints' answers, and the server's limits over real sockets on tokio's paused clock (time moves only when
//! every task waits, so the timeouts are checked without sleeping).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    time::Instant,
};

use super::*;

#[test]
fn endpoints_answer_as_documented() {
    let probes = Probes::new(Arc::new(|| "# EOF\n".to_owned()));
    assert_eq!(probes.respond(&Method::GET, "/healthz").status, StatusCode::OK);
    assert_eq!(probes.respond(&Method::GET, "/readyz").status, StatusCode::SERVICE_UNAVAILABLE);
    probes.ready.store(true, Ordering::SeqCst);
    assert_eq!(probes.respond(&Method::GET, "/readyz").status, StatusCode::OK);
    assert_eq!(probes.respond(&Method::GET, "/metrics").body, "# EOF\n");
    assert_eq!(probes.respond(&Method::POST, "/healthz").status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(probes.respond(&Method::GET, "/nope").status, StatusCode::NOT_FOUND);
}

#[test]
fn a_failing_readiness_check_holds_readiness_back_with_its_reason() {
    let problem = Arc::new(std::sync::Mutex::new(Some("cannot deliver to topic out".to_owned())));
    let reported = problem.clone();
    let probes = Probes::new(Arc::new(String::new))
        .with_readiness_check(Arc::new(move || reported.lock().ok().and_then(|p| p.clone())));
    probes.ready.store(true, Ordering::SeqCst);
    let answer = probes.respond(&Method::GET, "/readyz");
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.body.contains("cannot deliver to topic out"), "{}", answer.body);
    *problem.lock().unwrap_or_else(|e| e.into_inner()) = None;
    assert_eq!(probes.respond(&Method::GET, "/readyz").status, StatusCode::OK);
}

const LIMITS: Limits = Limits {
    max_connections: 2,
    header_read_timeout: Duration::from_secs(5),
    connection_timeout: Duration::from_secs(30),
};

/// A server with [`LIMITS`] on a loopback port.
async fn server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let probes = Probes::new(Arc::new(|| "# EOF\n".to_owned())).with_limits(LIMITS);
    tokio::spawn(probes.serve(listener));
    address
}

async fn connect(address: SocketAddr) -> TcpStream {
    TcpStream::connect(address).await.unwrap_or_else(|e| panic!("{e}"))
}

/// Everything the server sends until it closes the connection.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut text = Vec::new();
    let _ = stream.read_to_end(&mut text).await;
    String::from_utf8_lossy(&text).into_owned()
}

#[tokio::test(start_paused = true)]
async fn serves_over_tcp() {
    let address = server().await;
    let (status, body) = client::get(&address.to_string(), "/healthz").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let (status, body) = client::get(&address.to_string(), "/metrics").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((status, body.as_str()), (200, "# EOF\n"));
}

#[tokio::test(start_paused = true)]
async fn a_client_that_trickles_its_request_is_cut_off_at_the_header_timeout() {
    let address = server().await;
    let mut stream = connect(address).await;
    let started = Instant::now();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap_or_else(|e| panic!("{e}"));
    let answer = read_to_close(&mut stream).await;
    let waited = started.elapsed();
    assert!(!answer.contains("200 OK"), "an incomplete request is not answered: {answer}");
    assert!(waited >= LIMITS.header_read_timeout && waited < LIMITS.connection_timeout, "closed after {waited:?}");
}

#[tokio::test(start_paused = true)]
async fn an_idle_kept_alive_connection_is_closed_at_the_header_timeout() {
    let address = server().await;
    let mut stream = connect(address).await;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let answer = read_to_close(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK") && answer.ends_with("ok\n"), "{answer}");
    let waited = started.elapsed();
    assert!(waited >= LIMITS.header_read_timeout && waited < LIMITS.connection_timeout, "closed after {waited:?}");
}

#[tokio::test(start_paused = true)]
async fn a_client_that_never_reads_its_response_is_dropped_at_the_connection_timeout() {
    // A pipe holding 64 bytes: the server cannot finish writing a metrics page nobody reads.
    let (mut client, server) = tokio::io::duplex(64);
    let probes = Probes::new(Arc::new(|| "x".repeat(100_000))).with_limits(LIMITS);
    let serving = tokio::spawn(async move { probes.connection(server).await });
    client.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    serving.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(started.elapsed(), LIMITS.connection_timeout);
}

#[tokio::test(start_paused = true)]
async fn connections_beyond_the_bound_wait_until_one_closes() {
    let address = server().await;
    // Two clients hold both connections without sending anything.
    let first = connect(address).await;
    let _second = connect(address).await;
    let mut third = connect(address).await;
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut byte = [0u8; 1];
    let waiting = tokio::time::timeout(Duration::from_secs(1), third.read(&mut byte)).await;
    assert!(waiting.is_err(), "the third connection is not served while two are open");
    drop(first);
    let answer = tokio::time::timeout(Duration::from_secs(1), read_to_close(&mut third)).await;
    let answer = answer.unwrap_or_else(|_| panic!("served once a connection closed"));
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
}
