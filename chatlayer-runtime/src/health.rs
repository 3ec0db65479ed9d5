//! `GET /healthz` (the process answers) and `GET /readyz` (it takes new work: false while
//! draining), for orchestrators' probes.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use crate::error::{get_only, json_response};
use crate::paths::{HEALTH_PATH, READY_PATH};
use crate::server::Readiness;

/// `/healthz` and `/readyz`, the latter answering from `readiness`.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>(readiness: Readiness) -> Router<S> {
    Router::new()
        .route(
            HEALTH_PATH,
            get(|| async { status(StatusCode::OK, "ok") }).fallback(get_only),
        )
        .route(
            READY_PATH,
            get(move || {
                let readiness = readiness.clone();
                async move {
                    if !readiness.is_ready() {
                        status(StatusCode::SERVICE_UNAVAILABLE, "draining")
                    } else {
                        status(StatusCode::OK, "ready")
                    }
                }
            })
            .fallback(get_only),
        )
}

/// How long the `healthcheck` command waits for the server.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The `healthcheck` command: asks the server listening on `address` (this machine's side
/// of it: `0.0.0.0` and `[::]` are reached on loopback) for `/healthz`. `Ok` when it answers
/// 200, else what it saw.
pub(crate) fn probe(address: &str) -> Result<(), String> {
    let target = match address.rsplit_once(':') {
        Some(("0.0.0.0", port)) => format!("127.0.0.1:{port}"),
        Some(("[::]", port)) => format!("[::1]:{port}"),
        _ => address.to_owned(),
    };
    let unhealthy = |why: String| format!("unhealthy: {why} (GET http://{target}{HEALTH_PATH})");
    let socket = target
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .ok_or_else(|| unhealthy("the address does not resolve".to_owned()))?;
    // One deadline for the whole probe: a server that trickles its answer a byte at a time
    // must not keep the probe running past it (a timeout per read would restart each time).
    let deadline = Instant::now() + PROBE_TIMEOUT;
    let mut stream = TcpStream::connect_timeout(&socket, PROBE_TIMEOUT)
        .map_err(|error| unhealthy(format!("cannot connect: {error}")))?;
    let exchange = |stream: &mut TcpStream| -> std::io::Result<String> {
        let too_late = || {
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no status line within {PROBE_TIMEOUT:?}"),
            )
        };
        let remaining = |deadline: Instant| {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                Err(too_late())
            } else {
                Ok(left)
            }
        };
        // A socket timeout ends a read with `WouldBlock` on Unix (EAGAIN) and `TimedOut` on
        // Windows: either way the deadline passed while waiting.
        let in_time = |error: std::io::Error| match error.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => too_late(),
            _ => error,
        };
        stream.set_write_timeout(Some(remaining(deadline)?))?;
        write!(
            stream,
            "GET {HEALTH_PATH} HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n"
        )
        .map_err(in_time)?;
        // Only the status line counts: read until it is whole, at most 4 KiB.
        let mut answer = Vec::new();
        let mut chunk = [0u8; 512];
        while !answer.contains(&b'\n') && answer.len() < 4096 {
            stream.set_read_timeout(Some(remaining(deadline)?))?;
            match stream.read(&mut chunk).map_err(in_time)? {
                0 => break,
                read => answer.extend_from_slice(&chunk[..read]),
            }
        }
        Ok(String::from_utf8_lossy(&answer).into_owned())
    };
    let answer = exchange(&mut stream).map_err(|error| unhealthy(error.to_string()))?;
    let status_line = answer.lines().next().unwrap_or_default();
    if status_line.split(' ').nth(1) == Some("200") {
        Ok(())
    } else {
        Err(unhealthy(format!("it answered {status_line:?}")))
    }
}

fn status(code: StatusCode, text: &'static str) -> Response {
    json_response(code, format!("{{\"status\":\"{text}\"}}").into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get(router: &Router, path: &str) -> (StatusCode, String) {
        let response = router
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn readiness_turns_false_while_draining_and_liveness_stays() {
        let readiness = Readiness::new();
        let router: Router = routes(readiness.clone());
        assert_eq!(
            get(&router, READY_PATH).await,
            (StatusCode::OK, r#"{"status":"ready"}"#.to_owned())
        );
        readiness.start_draining();
        assert_eq!(
            get(&router, READY_PATH).await,
            (
                StatusCode::SERVICE_UNAVAILABLE,
                r#"{"status":"draining"}"#.to_owned()
            )
        );
        assert_eq!(get(&router, HEALTH_PATH).await.0, StatusCode::OK);
    }
}
