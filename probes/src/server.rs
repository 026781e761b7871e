//! Serving [`Probes`] over HTTP/1.1 with hyper, within [`Limits`]:
//! - at most `max_connections` connections are served at once; the next ones are not accepted until one closes, so
//!   they wait in the kernel's listen backlog (and are refused by it once that is full) instead of each costing a
//!   task and buffers;
//! - a request head must arrive within `header_read_timeout` of the connection opening or of the previous response
//!   (hyper's timer), so a client that trickles its headers, or idles on a kept-alive connection, is cut off;
//! - no connection lives longer than `connection_timeout`, so a client that never reads its response cannot keep
//!   a connection (and its permit) either.

use std::{convert::Infallible, sync::Arc, time::Duration};

use bytes::Bytes;
use http::{Request, Response, header::CONTENT_TYPE};
use http_body_util::Full;
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::TcpListener,
    sync::Semaphore,
};

use crate::Probes;

/// How much a client may take of the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once.
    pub max_connections: usize,
    /// Time allowed for a request head, from the connection's start or the previous response.
    pub header_read_timeout: Duration,
    /// Longest life of one connection, however busy.
    pub connection_timeout: Duration,
}

impl Default for Limits {
    /// 32 connections (kubelet probes and a few scrapers need a handful), 5 s for a request head (a probe's own
    /// timeout is 1 s by default), 30 s per connection (a metrics response takes milliseconds to write).
    fn default() -> Self {
        Self {
            max_connections: 32,
            header_read_timeout: Duration::from_secs(5),
            connection_timeout: Duration::from_secs(30),
        }
    }
}

/// Largest request head read (hyper's minimum buffer); the endpoints take no body.
const MAX_REQUEST_BYTES: usize = 8192;
/// Pause after a failed accept (out of file descriptors), so a persistent failure does not spin the loop.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

impl Probes {
    /// Serves the endpoints on `listener` until the task is dropped.
    pub async fn serve(self, listener: TcpListener) {
        let permits = Arc::new(Semaphore::new(self.limits.max_connections.max(1)));
        loop {
            // Taken before accepting: with every permit out, new connections stay in the backlog.
            let Ok(permit) = permits.clone().acquire_owned().await else { return };
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(error = %error, "cannot accept a connection to the probe endpoints");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            };
            let probes = self.clone();
            tokio::spawn(async move {
                probes.connection(stream).await;
                drop(permit);
            });
        }
    }

    /// Serves one connection within the limits.
    pub(crate) async fn connection(&self, io: impl AsyncRead + AsyncWrite + Unpin + Send + 'static) {
        let probes = self.clone();
        let service = service_fn(move |request: Request<Incoming>| {
            let answer = probes.respond(request.method(), request.uri().path());
            let response = Response::builder()
                .status(answer.status)
                .header(CONTENT_TYPE, answer.content_type)
                .body(Full::new(Bytes::from(answer.body)))
                .unwrap_or_default();
            async move { Ok::<_, Infallible>(response) }
        });
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_read_timeout)
            .max_buf_size(MAX_REQUEST_BYTES);
        let connection = builder.serve_connection(TokioIo::new(io), service);
        match tokio::time::timeout(self.limits.connection_timeout, connection).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::debug!(error = %error, "probe connection"),
            Err(_) => tracing::debug!("probe connection closed at its time limit"),
        }
    }
}
