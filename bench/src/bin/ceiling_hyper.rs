//! The ceiling: a bare hyper HTTP/1.1 server that reads the request body and answers the
//! order reply as a constant, with no routing, parsing or serialization. No server doing
//! real work can beat it on this machine. It listens on `CHATLAYER_ADDR` (default
//! `127.0.0.1:8082`).

use std::convert::Infallible;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The framework's reply to the benchmark request, byte for byte.
const REPLY: &[u8] = chatlayer_bench::ORDER_REPLY.as_bytes();

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Reading the body keeps the connection reusable, as every other server must.
    let _ = request.into_body().collect().await;
    let mut response = Response::new(Full::new(Bytes::from_static(REPLY)));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    Ok(response)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("CHATLAYER_ADDR").unwrap_or_else(|_| "127.0.0.1:8082".to_owned());
    let listener = TcpListener::bind(&addr).await?;
    eprintln!("ceiling-hyper listening on http://{addr}");
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}
