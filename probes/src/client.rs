//! Reading an endpoint of another process (a benchmark scraping the operator's `/metrics`, tests checking probes):
//! one HTTP/1.1 GET over a fresh connection, with hyper's client.

use bytes::Bytes;
use http::{Request, header::HOST};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// `GET http://{address}{path}`: the status code and the body as text.
pub async fn get(address: &str, path: &str) -> std::io::Result<(u16, String)> {
    let stream = TcpStream::connect(address).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(std::io::Error::other)?;
    let driver = tokio::spawn(connection);
    let request =
        Request::get(path).header(HOST, address).body(Empty::<Bytes>::new()).map_err(std::io::Error::other)?;
    let response = sender.send_request(request).await.map_err(std::io::Error::other)?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.map_err(std::io::Error::other)?.to_bytes();
    driver.abort();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}
