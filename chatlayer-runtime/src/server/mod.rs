//! The standalone server: an accept loop on hyper that holds up under attack and drains
//! cleanly. axum's own `serve` sets no timeouts, bounds nothing, and drops requests at
//! shutdown; this one:
//!
//! * bounds the connections it holds below the process's limit on open files ([`fd_limit`]);
//!   at the bound, a new connection takes the place of the oldest silent one ([`table`]), so
//!   the server keeps accepting, serving and answering probes while an attacker holds
//!   thousands of idle sockets;
//! * closes connections that start no request within the read timeout, idle ones, and
//!   stalled HTTP/2 ones ([`connection`]);
//! * drains on the shutdown signal: readiness turns 503 at once, requests keep being served
//!   for the drain delay with `Connection: close` (so keep-alive clients leave after an
//!   answer instead of sending a request into a closing socket), then the listener closes
//!   without resetting a connection its client believes open ([`listener`]), the
//!   connections already accepted get their requests answered, HTTP/2 clients get GOAWAY,
//!   and whatever is still running after the shutdown timeout is dropped.

mod connection;
mod fd_limit;
mod listener;
mod table;
mod timer;

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::serve::ServerSettings;
use crate::throttled::Throttled;
use connection::ConnectionContext;
use table::ConnectionTable;

pub(crate) use fd_limit::DEFAULT_MAX_CONNECTIONS;

/// Once new connections are refused at the stop, how long handshakes already under way
/// are given to complete: a round trip across a continent, with room to spare.
const HANDSHAKE_SETTLE: Duration = Duration::from_millis(250);

/// Serves `router` on `listener` until `shutdown` completes, then drains (see the module
/// documentation) and returns.
pub(crate) async fn run(
    listener: TcpListener,
    router: Router,
    settings: ServerSettings,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let table = Arc::new(ConnectionTable::new(
        fd_limit::max_connections(settings.max_connections),
        settings.draining.clone(),
    ));
    let sweeper = tokio::spawn(sweep(Arc::clone(&table), settings.header_read_timeout));
    // Dropping `stop` tells every connection to finish its requests and close; each
    // connection holds a `done` receiver, so `done_tx.closed()` resolves when all are gone.
    let (stop_tx, stop_rx) = watch::channel(());
    let (done_tx, done_rx) = watch::channel(());
    let context = |stop: Option<&watch::Receiver<()>>| ConnectionContext {
        router: router.clone(),
        settings: settings.clone(),
        stop: stop.cloned(),
        done: done_rx.clone(),
    };

    let mut shutdown = pin!(shutdown);
    accept_until(
        &listener,
        &table,
        &mut shutdown,
        |stream, remote, admitted| {
            connection::spawn(stream, remote, admitted, context(Some(&stop_rx)));
        },
    )
    .await;

    // Draining: /readyz answers 503 and every HTTP/1 answer says `Connection: close`, while
    // new connections are still accepted and served for the drain delay.
    settings.draining.start();
    let drain_delay = settings.drain_delay;
    let shutdown_timeout = settings.shutdown_timeout;
    tracing::info!(
        "shutting down: serving {drain_delay:?} more with `Connection: close`, then finishing \
         the requests in flight (at most {shutdown_timeout:?})"
    );
    let mut delay = pin!(tokio::time::sleep(drain_delay));
    accept_until(&listener, &table, &mut delay, |stream, remote, admitted| {
        connection::spawn(stream, remote, admitted, context(Some(&stop_rx)));
    })
    .await;

    // Connections the kernel holds for the listener would be reset when it closes, with
    // their request unread: new ones are refused from now on, the handshakes under way are
    // given a round trip to complete, and each connection accepted now is served one request.
    let mut settle = pin!(tokio::time::sleep(
        if listener::refuse_new_handshakes(&listener) {
            HANDSHAKE_SETTLE
        } else {
            Duration::ZERO
        }
    ));
    accept_until(
        &listener,
        &table,
        &mut settle,
        |stream, remote, admitted| {
            connection::spawn(stream, remote, admitted, context(None));
        },
    )
    .await;
    while let Ok(Ok((stream, remote))) =
        tokio::time::timeout(Duration::ZERO, listener.accept()).await
    {
        if let Some(admitted) = table.admit() {
            connection::spawn(stream, remote, admitted, context(None));
        }
    }
    drop(listener);
    drop(stop_rx);
    drop(done_rx);
    drop(stop_tx);
    tokio::select! {
        () = done_tx.closed() => {}
        () = tokio::time::sleep(shutdown_timeout) => tracing::warn!(
            "requests still in flight after {shutdown_timeout:?}: stopping anyway \
             (raise shutdown_timeout to wait longer)"
        ),
    }
    sweeper.abort();
    Ok(())
}

/// Closes quiet connections, for as long as the server runs.
async fn sweep(table: Arc<ConnectionTable>, timeout: Duration) {
    let interval = table::sweep_interval(timeout);
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        table.sweep(interval, timeout);
    }
}

/// Accepts connections until `until` completes, admitting each into `table` and handing it
/// to `serve`; a connection that finds every place busy is closed at once.
async fn accept_until(
    listener: &TcpListener,
    table: &ConnectionTable,
    until: &mut (impl Future<Output = ()> + Unpin),
    mut serve: impl FnMut(tokio::net::TcpStream, std::net::SocketAddr, table::Admitted),
) {
    static ACCEPT_FAILED: Throttled = Throttled::new();
    static REFUSED: Throttled = Throttled::new();
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    ACCEPT_FAILED.record(|count| tracing::warn!(
                        failures = count,
                        "cannot accept connections: {error}"
                    ));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut *until => return,
        };
        match table.admit() {
            Some(admitted) => serve(stream, remote, admitted),
            None => REFUSED.record(|count| {
                tracing::warn!(
                    refused = count,
                    limit = table.max(),
                    "at the limit of {} connections, all busy with requests: refusing new \
                     connections",
                    table.max()
                )
            }),
        }
    }
}
