//! One connection, on its own task: HTTP/1 or HTTP/2 as the client speaks, with the
//! protections a public server needs.
//!
//! * A connection that starts no request within the read timeout is closed, counted from
//!   accept, and so is one with no request in flight and none started for a read timeout:
//!   idle HTTP/1 keep-alive and HTTP/2 connections alike, a client stalled in the middle of
//!   an HTTP/2 frame too ([`ConnectionTable::sweep`](super::table::ConnectionTable::sweep)).
//!   hyper's own header timeout starts only once bytes arrive, and the detection of the HTTP
//!   version before it has none at all. HTTP/2 connections are also pinged, and closed when
//!   the pings go unanswered.
//! * While the server drains, HTTP/1 answers carry `Connection: close`, so clients move
//!   away before the server stops; at the stop, HTTP/2 clients get GOAWAY.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, Version, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tower::Service;

use super::Server;
use super::table::{Admitted, ConnectionState, RequestGuard};
use super::timer::ConnectionTimer;
use crate::error::{ErrorCode, StepError, error_response};

/// Streams one HTTP/2 connection may have open at once.
const MAX_STREAMS_PER_CONNECTION: u32 = 64;

/// The most an HTTP/1 connection buffers of what it reads: a request head must fit in it
/// (else 431), and a body arrives through it in slices of at most this size. hyper grows a
/// busy connection's buffer up to about 400 KiB by default, so that a thousand connections
/// uploading at once held some 400 MB between them.
const MAX_HTTP1_BUFFER: usize = 64 * 1024;

/// How long an HTTP/2 connection that was told to stop, and has no request left, may take
/// to acknowledge that before it is closed anyway.
const GOAWAY_GRACE: Duration = Duration::from_secs(1);

/// What a connection's task needs from the server.
pub(super) struct ConnectionContext {
    pub(super) router: Router,
    pub(super) settings: Arc<Server>,
    /// Fires when the server stops; `None` for a connection accepted while stopping, which
    /// is served one request.
    pub(super) stop: Option<watch::Receiver<()>>,
    /// Dropped when the task ends: the server waits for every one of them.
    pub(super) done: watch::Receiver<()>,
}

/// Serves `stream` until the client closes it, the server stops, or the table closes it
/// (idle, silent, or evicted: the task is aborted).
pub(super) fn spawn(
    stream: TcpStream,
    remote: SocketAddr,
    admitted: Admitted,
    context: ConnectionContext,
) {
    let ConnectionContext {
        router,
        settings,
        stop,
        done,
    } = context;
    let state = Arc::clone(&admitted.state);
    let service_state = Arc::clone(&state);
    let service = Served {
        router,
        remote: settings.connect_info.then_some(remote),
        state: Arc::clone(&state),
    };
    let read_timeout = settings.read_timeout;
    let task = tokio::spawn(async move {
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(ConnectionTimer::default())
            .header_read_timeout(read_timeout)
            .max_buf_size(MAX_HTTP1_BUFFER)
            .keep_alive(stop.is_some());
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION)
            .keep_alive_interval(read_timeout)
            .keep_alive_timeout(read_timeout);
        let mut connection =
            pin!(builder.serve_connection_with_upgrades(TokioIo::new(stream), service));
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
                // Finish the requests in flight, then close; HTTP/2 clients get GOAWAY.
                connection.as_mut().graceful_shutdown();
                tokio::select! {
                    result = connection.as_mut() => result,
                    () = quiet_for(&state, GOAWAY_GRACE) => Ok(()),
                }
            }
        };
        if let Err(error) = result {
            tracing::debug!(remote = %remote, "connection ended: {error}");
        }
        drop(admitted);
        drop(done);
    });
    service_state.attach(task.abort_handle());
}

/// Completes once the connection has had no request in flight for `grace`.
async fn quiet_for(state: &ConnectionState, grace: Duration) {
    loop {
        while state.in_flight() > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(grace).await;
        if state.in_flight() == 0 {
            return;
        }
    }
}

/// The router as hyper calls it, for one connection: counts the requests in flight, gives
/// each the caller's address when an IP allow-list reads it, refuses HTTP/1.1 requests without exactly one `Host`, and
/// asks HTTP/1 clients to close while the server drains.
#[derive(Clone)]
struct Served {
    router: Router,
    /// The caller's address, given to each request as `ConnectInfo`; `None` when nothing
    /// reads it (inserting it allocates, for every request).
    remote: Option<SocketAddr>,
    state: Arc<ConnectionState>,
}

impl hyper::service::Service<Request<Incoming>> for Served {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Tracked;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let guard = self.state.begin();
        let version = request.version();
        if version == Version::HTTP_11
            && request.headers().get_all(header::HOST).iter().count() != 1
        {
            return Tracked::ready(missing_host(), guard);
        }
        let mut request = request.map(Body::new);
        if let Some(remote) = self.remote {
            request.extensions_mut().insert(ConnectInfo(remote));
        }
        let mut router = self.router.clone();
        Tracked {
            inner: Some(router.call(request)),
            ready: None,
            guard: Some(guard),
            close: false,
            version,
        }
    }
}

pin_project_lite::pin_project! {
    /// The router's answer to one request; the request counts as in flight until it is
    /// ready.
    struct Tracked {
        #[pin]
        inner: Option<axum::routing::future::RouteFuture<Infallible>>,
        ready: Option<Response<Body>>,
        guard: Option<RequestGuard>,
        // Whether the answer closes the connection whatever else happens.
        close: bool,
        version: Version,
    }
}

impl Tracked {
    fn ready(response: Response<Body>, guard: RequestGuard) -> Self {
        Tracked {
            inner: None,
            ready: Some(response),
            guard: Some(guard),
            close: true,
            version: Version::HTTP_11,
        }
    }
}

impl Future for Tracked {
    type Output = Result<Response<Body>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = match this.inner.as_pin_mut() {
            Some(inner) => match inner.poll(cx) {
                Poll::Ready(Ok(response)) => response,
                Poll::Ready(Err(never)) => match never {},
                Poll::Pending => return Poll::Pending,
            },
            None => this.ready.take().expect("a ready answer is polled once"),
        };
        let guard = this.guard.take().expect("an answer is ready once");
        // HTTP/2 has no `Connection` header: its clients get GOAWAY at the stop instead.
        let close = *this.close
            || (*this.version <= Version::HTTP_11 && guard.connection().draining.is_draining());
        drop(guard);
        if close {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        Poll::Ready(Ok(response))
    }
}

/// HTTP/1.1 requires exactly one `Host` header (RFC 9112, section 3.2).
fn missing_host() -> Response<Body> {
    let error = StepError::of(
        ErrorCode::InvalidRequest,
        "an HTTP/1.1 request must carry exactly one Host header",
    );
    error_response(&error, None)
}
