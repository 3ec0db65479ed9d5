//! The accept loop of a standalone server: hyper with a header read timeout (axum's own
//! `serve` sets none, so a client that never finishes its headers would hold a connection
//! forever), the peer address for the IP allow-list, and a graceful drain.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};

use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::serve::ServerSettings;
use crate::timer::ConnectionTimer;

/// Serves `router` on `listener` until `shutdown` completes; then turns readiness off, stops
/// accepting, lets the requests in flight finish (at most the shutdown timeout), and returns.
pub(crate) async fn run(
    listener: TcpListener,
    router: Router,
    settings: ServerSettings,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    // Dropping `stop` tells every connection to finish its request and close; each
    // connection holds a `done` receiver, so `done_tx.closed()` resolves when all are gone.
    let (stop_tx, stop_rx) = watch::channel(());
    let (done_tx, done_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!("cannot accept a connection: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        spawn_connection(
            stream,
            remote,
            &router,
            &settings,
            Some(stop_rx.clone()),
            done_rx.clone(),
        );
    }
    // From here: /readyz answers 503, no new connection is accepted, and the requests in
    // flight finish.
    settings.draining.start();
    let drain_timeout = settings.shutdown_timeout;
    tracing::info!("shutting down: finishing the requests in flight (at most {drain_timeout:?})");
    // Connections the kernel already accepted would be reset when the listener closes, with
    // their request unread: serve each of them one request instead.
    while let Ok(Ok((stream, remote))) =
        tokio::time::timeout(Duration::ZERO, listener.accept()).await
    {
        spawn_connection(stream, remote, &router, &settings, None, done_rx.clone());
    }
    drop(listener);
    drop(stop_rx);
    drop(done_rx);
    drop(stop_tx);
    tokio::select! {
        () = done_tx.closed() => {}
        () = tokio::time::sleep(drain_timeout) => tracing::warn!(
            "requests still in flight after {drain_timeout:?}: stopping anyway \
             (raise shutdown_timeout to wait longer)"
        ),
    }
    Ok(())
}

/// Serves one connection on its own task. With `stop`, until the client closes it or
/// `stop` fires and the request in flight is answered; without (a connection accepted while
/// stopping), for one request.
fn spawn_connection(
    stream: tokio::net::TcpStream,
    remote: SocketAddr,
    router: &Router,
    settings: &ServerSettings,
    stop: Option<watch::Receiver<()>>,
    done: watch::Receiver<()>,
) {
    let service = router
        .clone()
        .map_request(move |request: Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(remote));
            request
        });
    let service = TowerToHyperService::new(service);
    let header_read_timeout = settings.header_read_timeout;
    tokio::spawn(async move {
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(ConnectionTimer::default())
            .header_read_timeout(header_read_timeout)
            .keep_alive(stop.is_some());
        builder.http2().timer(TokioTimer::new());
        let io = TokioIo::new(stream);
        let mut connection = pin!(builder.serve_connection_with_upgrades(io, service));
        let stopped = async move {
            match stop {
                Some(mut stop) => {
                    let _ = stop.changed().await;
                }
                None => std::future::pending().await,
            }
        };
        let result = tokio::select! {
            result = connection.as_mut() => result,
            () = stopped => {
                // Finish the request in flight (if any), then close.
                connection.as_mut().graceful_shutdown();
                connection.as_mut().await
            }
        };
        if let Err(error) = result {
            tracing::debug!(remote = %remote, "connection ended: {error}");
        }
        drop(done);
    });
}
