//! The hardened server: an accept loop on hyper that holds up under attack and drains
//! cleanly, for an [`App`](crate::App) on its own or for any axum `Router` (a host app with
//! its own routes and layers). axum's own `serve` sets no timeouts, bounds nothing, and drops
//! requests at shutdown; [`Server`]:
//!
//! * bounds the connections it holds below the process's limit on open files (`fd_limit`);
//!   at the bound, a new connection takes the place of the oldest silent one (`table`), so
//!   the server keeps accepting, serving and answering probes while an attacker holds
//!   thousands of idle sockets;
//! * closes connections that start no request within the read timeout, idle ones, and
//!   stalled HTTP/2 ones (`connection`);
//! * drains on the shutdown signal: readiness turns 503 at once, requests keep being served
//!   for the drain delay with `Connection: close` (so keep-alive clients leave after an
//!   answer instead of sending a request into a closing socket), then the listener closes
//!   without resetting a connection its client believes open (`listener`), the
//!   connections already accepted get their requests answered, HTTP/2 clients get GOAWAY,
//!   and whatever is still running after the shutdown timeout is dropped.
//!
//! Embedded in an existing axum app, the steps get the same protections:
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use chatlayer_runtime::prelude::*;
//! use chatlayer_runtime::server::Server;
//!
//! # #[next_block("/route")] fn route(open: BlockId) -> BlockId { open }
//! #[tokio::main]
//! async fn main() -> Result<(), chatlayer_runtime::ServeError> {
//!     let steps = App::discover().build()?;
//!     let host = Router::new()
//!         .route("/", get(|| async { "the shop" }))
//!         .nest("/chatlayer", steps.router());
//!     // CHATLAYER_ADDR, CHATLAYER_DRAIN_DELAY, ... apply; the app's /readyz follows the drain.
//!     Server::from_env()?.for_app(&steps).serve(host).await
//! }
//! ```

mod connection;
mod fd_limit;
mod listener;
mod readiness;
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

use crate::ServeError;
use crate::config::{Environment, InvalidVariable, Variable};
use crate::throttled::Throttled;
use connection::ConnectionContext;
use table::ConnectionTable;

pub use readiness::Readiness;

/// Once new connections are refused at the stop, how long handshakes already under way
/// are given to complete: a round trip across a continent, with room to spare.
const HANDSHAKE_SETTLE: Duration = Duration::from_millis(250);

/// The server's settings, and the entry points that serve with them: [`serve`](Self::serve)
/// (binds the configured address, stops on SIGINT or SIGTERM) and
/// [`serve_with`](Self::serve_with) (a listener and a shutdown of your choice).
///
/// [`Server::from_env`] applies the environment (`CHATLAYER_ADDR` or `PORT`,
/// `CHATLAYER_DRAIN_DELAY`, `CHATLAYER_SHUTDOWN_TIMEOUT`, `CHATLAYER_READ_TIMEOUT`); a setting
/// made after it in code
/// wins.
///
/// ```no_run
/// use std::time::Duration;
/// use chatlayer_runtime::prelude::*;
/// use chatlayer_runtime::server::Server;
///
/// # #[next_block("/route")] fn route(open: BlockId) -> BlockId { open }
/// # async fn run() -> Result<(), chatlayer_runtime::ServeError> {
/// let app = App::discover().build()?;
/// Server::from_env()?
///     .drain_delay(Duration::from_secs(5)) // the load balancer takes 4 s to notice
///     .serve(app) // an App, or any axum Router
///     .await
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a server does nothing until `.serve(..)` is awaited"]
pub struct Server {
    address: String,
    read_timeout: Duration,
    drain_delay: Duration,
    shutdown_timeout: Duration,
    max_connections: Option<usize>,
    connect_info: bool,
    /// Turned off when draining starts: the server's own (its connections read it) first,
    /// then those of the apps it serves.
    readiness: Vec<Readiness>,
}

impl Default for Server {
    fn default() -> Self {
        Server::new()
    }
}

impl Server {
    /// The address served when neither `CHATLAYER_ADDR` nor `PORT` is set.
    pub const DEFAULT_ADDR: &'static str = "127.0.0.1:8080";

    /// How long a client may take to start a request and send its headers, by default.
    pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);

    /// How long a server told to stop keeps serving before it stops accepting, by default.
    pub const DEFAULT_DRAIN_DELAY: Duration = Duration::from_secs(1);

    /// How long the requests in flight may take to finish once the server stops accepting,
    /// by default.
    pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(20);

    /// The default bound on open connections (lower when the limit on open files is lower).
    pub const DEFAULT_MAX_CONNECTIONS: usize = fd_limit::DEFAULT_MAX_CONNECTIONS;

    /// A server with the defaults, reading nothing from the environment.
    pub fn new() -> Self {
        Server {
            address: Self::DEFAULT_ADDR.to_owned(),
            read_timeout: Self::DEFAULT_READ_TIMEOUT,
            drain_delay: Self::DEFAULT_DRAIN_DELAY,
            shutdown_timeout: Self::DEFAULT_SHUTDOWN_TIMEOUT,
            max_connections: None,
            connect_info: false,
            readiness: vec![Readiness::new()],
        }
    }

    /// A server with the process's environment applied: see [`from_environment`](Self::from_environment).
    pub fn from_env() -> Result<Self, ServeError> {
        Self::from_environment(&Environment::process())
    }

    /// A server with `env` applied: the address from `CHATLAYER_ADDR` (`host:port`), else
    /// `0.0.0.0:$PORT` when `PORT` is set (as container platforms do), else
    /// [`DEFAULT_ADDR`](Self::DEFAULT_ADDR); the drain delay, shutdown timeout and read
    /// timeout from `CHATLAYER_DRAIN_DELAY`, `CHATLAYER_SHUTDOWN_TIMEOUT` and
    /// `CHATLAYER_READ_TIMEOUT` (durations: `5s`, `500ms`).
    /// Every variable that cannot be used is reported.
    pub fn from_environment(env: &Environment) -> Result<Self, ServeError> {
        let mut server = Server::new();
        let mut problems = Vec::new();
        match listen_address(env) {
            Ok(address) => server.address = address,
            Err(problem) => problems.push(problem),
        }
        for (variable, value) in [
            (Variable::DrainDelay, &mut server.drain_delay),
            (Variable::ShutdownTimeout, &mut server.shutdown_timeout),
            (Variable::ReadTimeout, &mut server.read_timeout),
        ] {
            match env.duration(variable) {
                Ok(Some(duration)) => *value = duration,
                Ok(None) => {}
                Err(problem) => problems.push(problem),
            }
        }
        if problems.is_empty() {
            Ok(server)
        } else {
            Err(ServeError::Config(problems))
        }
    }

    /// Where [`serve`](Self::serve) listens, `host:port`.
    pub fn listen_on(mut self, address: impl Into<String>) -> Self {
        self.address = address.into();
        self
    }

    /// The address [`serve`](Self::serve) listens on.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// How long a client may take to send a request's headers (default
    /// [`DEFAULT_READ_TIMEOUT`](Self::DEFAULT_READ_TIMEOUT)); a slower one, as in a
    /// slowloris attack, loses its connection. A connection that starts no request this
    /// long after it was accepted or after its last request (an idle keep-alive or HTTP/2
    /// connection) is closed too, and HTTP/2 clients are pinged at this interval. (How long
    /// a body may take is the app's: [`Limits::body_timeout`](crate::Limits::body_timeout).)
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// How long a server told to stop (SIGINT, SIGTERM, or the `shutdown` future of
    /// [`serve_with`](Self::serve_with)) keeps accepting and serving before it stops
    /// accepting (default [`DEFAULT_DRAIN_DELAY`](Self::DEFAULT_DRAIN_DELAY)). Meanwhile
    /// `/readyz` answers 503 and every HTTP/1 answer carries `Connection: close`, so
    /// clients finish their request and move away instead of sending one into a closing
    /// connection. Behind a load balancer, set it to the time the balancer takes to stop
    /// sending (its deregistration delay).
    pub fn drain_delay(mut self, delay: Duration) -> Self {
        self.drain_delay = delay;
        self
    }

    /// How long the requests in flight may take to finish once the server stops accepting
    /// (after the [drain delay](Self::drain_delay)); default
    /// [`DEFAULT_SHUTDOWN_TIMEOUT`](Self::DEFAULT_SHUTDOWN_TIMEOUT). Whatever still runs
    /// then is dropped.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// How many connections the server holds open at once (default
    /// [`DEFAULT_MAX_CONNECTIONS`](Self::DEFAULT_MAX_CONNECTIONS), and always below the
    /// process's limit on open files, which the server raises to its hard limit). At the
    /// bound, a new connection takes the place of the oldest one that has not sent a
    /// request yet, so silent clients cannot lock others out; when every connection is busy
    /// with requests, new ones are closed at once.
    pub fn max_connections(mut self, limit: usize) -> Self {
        self.max_connections = Some(limit.max(1));
        self
    }

    /// Whether every request carries the caller's address (axum's
    /// `ConnectInfo<SocketAddr>`), as an IP allow-list needs (default: no, since inserting
    /// it costs every request an allocation). [`for_app`](Self::for_app) turns it on when
    /// the app has an allow-list.
    pub fn connect_info(mut self, on: bool) -> Self {
        self.connect_info = on;
        self
    }

    /// Turns `readiness` off when the server starts draining, e.g. the handle of an app's
    /// `/readyz` ([`App::readiness`](crate::App::readiness)).
    pub fn track(mut self, readiness: Readiness) -> Self {
        self.readiness.push(readiness);
        self
    }

    /// Serves `target` on [the address](Self::address) until SIGINT (Ctrl-C) or SIGTERM,
    /// then drains (see the module documentation).
    pub async fn serve(self, target: impl Servable) -> Result<(), ServeError> {
        let address = self.address.clone();
        let listener = TcpListener::bind(&address)
            .await
            .map_err(|source| ServeError::Bind { address, source })?;
        self.serve_with(listener, target, shutdown_signal())
            .await
            .map_err(ServeError::Io)
    }

    /// Serves `target` on `listener` until `shutdown` completes, then drains and returns.
    /// For tests (bind `127.0.0.1:0`) and for shutdown triggers of your own.
    pub async fn serve_with(
        self,
        listener: TcpListener,
        target: impl Servable,
        shutdown: impl Future<Output = ()>,
    ) -> io::Result<()> {
        let (router, server) = target.prepare(self);
        server.run(listener, router, shutdown).await
    }

    /// Serves `router` on `listener` until `shutdown` completes, then drains.
    async fn run(
        self,
        listener: TcpListener,
        router: Router,
        shutdown: impl Future<Output = ()>,
    ) -> io::Result<()> {
        let settings = Arc::new(self);
        let table = Arc::new(ConnectionTable::new(
            fd_limit::max_connections(settings.max_connections),
            settings.readiness[0].clone(),
        ));
        let sweeper = tokio::spawn(sweep(Arc::clone(&table), settings.read_timeout));
        // Dropping `stop` tells every connection to finish its requests and close; each
        // connection holds a `done` receiver, so `done_tx.closed()` resolves when all are gone.
        let (stop_tx, stop_rx) = watch::channel(());
        let (done_tx, done_rx) = watch::channel(());
        let context = |stop: Option<&watch::Receiver<()>>| ConnectionContext {
            router: router.clone(),
            settings: Arc::clone(&settings),
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
        for readiness in &settings.readiness {
            readiness.start_draining();
        }
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

/// What a [`Server`] serves: any axum `Router` as it is, or an [`App`](crate::App), whose
/// readiness the server then tracks (and which gets the caller's address when its IP
/// allow-list needs it).
pub trait Servable {
    /// The router to serve, and the server as it must be to serve it.
    fn prepare(self, server: Server) -> (Router, Server);
}

impl Servable for Router {
    fn prepare(self, server: Server) -> (Router, Server) {
        (self, server)
    }
}

/// Chooses the address from `CHATLAYER_ADDR` and `PORT`.
pub(crate) fn listen_address(env: &Environment) -> Result<String, InvalidVariable> {
    if let Some(address) = env.get(Variable::Addr) {
        let valid_port = address
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !valid_port {
            return Err(InvalidVariable::new(
                Variable::Addr,
                address,
                "expected host:port, e.g. 0.0.0.0:8080 or [::1]:8080",
            ));
        }
        return Ok(address.to_owned());
    }
    if let Some(port) = env.get(Variable::Port) {
        return match port.parse::<u16>() {
            Ok(number) => Ok(format!("0.0.0.0:{number}")),
            Err(_) => Err(InvalidVariable::new(
                Variable::Port,
                port,
                "expected a port number, e.g. 8080",
            )),
        };
    }
    Ok(Server::DEFAULT_ADDR.to_owned())
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub(crate) async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received; finishing the requests in flight"),
        () = terminate => tracing::info!("SIGTERM received; finishing the requests in flight"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(addr: Option<&str>, port: Option<&str>) -> Result<String, InvalidVariable> {
        let mut env = Environment::empty();
        if let Some(addr) = addr {
            env = env.with(Variable::Addr, addr);
        }
        if let Some(port) = port {
            env = env.with(Variable::Port, port);
        }
        listen_address(&env)
    }

    #[test]
    fn defaults_to_loopback_8080() {
        assert_eq!(address(None, None).unwrap(), "127.0.0.1:8080");
        assert_eq!(address(Some(" "), Some("")).unwrap(), "127.0.0.1:8080");
    }

    #[test]
    fn chatlayer_addr_wins_over_port() {
        assert_eq!(
            address(Some("0.0.0.0:9000"), Some("7000")).unwrap(),
            "0.0.0.0:9000"
        );
        assert_eq!(address(Some("[::1]:9000"), None).unwrap(), "[::1]:9000");
        assert_eq!(address(None, Some("7000")).unwrap(), "0.0.0.0:7000");
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (addr, port, variable) in [
            (Some("localhost"), None, "CHATLAYER_ADDR"),
            (Some(":80"), None, "CHATLAYER_ADDR"),
            (Some("host:99999"), None, "CHATLAYER_ADDR"),
            (None, Some("http"), "PORT"),
        ] {
            let message = address(addr, port).unwrap_err().to_string();
            assert!(message.starts_with(variable), "{message}");
        }
    }

    #[test]
    fn every_problem_of_the_environment_is_reported() {
        let env = Environment::empty()
            .with(Variable::Addr, "nowhere")
            .with(Variable::DrainDelay, "5")
            .with(Variable::ShutdownTimeout, "20s");
        let Err(ServeError::Config(problems)) = Server::from_environment(&env) else {
            panic!("the environment cannot be used");
        };
        assert_eq!(problems.len(), 2, "{problems:?}");
        let env = Environment::empty().with(Variable::ShutdownTimeout, "1m");
        let server = Server::from_environment(&env).unwrap();
        assert_eq!(server.shutdown_timeout, Duration::from_secs(60));
    }
}
