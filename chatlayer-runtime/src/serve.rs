//! Serving an [`App`] on its own: the listen address, logging, graceful shutdown.

use std::fmt;
use std::future::Future;
use std::io;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::app::{App, AppBuilder, BuildError};
use crate::health::Draining;
use crate::server;

/// How the standalone server treats connections: the app's settings, for [`server::run`].
#[derive(Clone, Debug)]
pub(crate) struct ServerSettings {
    /// How long a connection may take to start a request (from accept, or since its last
    /// one), and a client to send a request's headers.
    pub(crate) header_read_timeout: Duration,
    /// How long the server keeps serving, with `Connection: close`, once told to stop.
    pub(crate) drain_delay: Duration,
    /// How long the requests in flight may take to finish after that.
    pub(crate) shutdown_timeout: Duration,
    /// The bound on open connections; `None` for the default (below the file limit).
    pub(crate) max_connections: Option<usize>,
    /// Whether the server is draining, shared with `/readyz`.
    pub(crate) draining: Draining,
    /// Whether requests carry the caller's address (axum's `ConnectInfo`): only an IP
    /// allow-list reads it, and without one, no request pays for it.
    pub(crate) peer_address: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            header_read_timeout: AppBuilder::DEFAULT_READ_TIMEOUT,
            drain_delay: AppBuilder::DEFAULT_DRAIN_DELAY,
            shutdown_timeout: AppBuilder::DEFAULT_SHUTDOWN_TIMEOUT,
            max_connections: None,
            draining: Draining::default(),
            peer_address: false,
        }
    }
}

/// How long a server told to stop keeps serving before it stops accepting, e.g. `5s`:
/// see [`AppBuilder::drain_delay`].
pub const DRAIN_DELAY_ENV: &str = "CHATLAYER_DRAIN_DELAY";

/// How long the requests in flight may take to finish once the server stops accepting,
/// e.g. `20s`: see [`AppBuilder::shutdown_timeout`].
pub const SHUTDOWN_TIMEOUT_ENV: &str = "CHATLAYER_SHUTDOWN_TIMEOUT";

/// Reads a duration variable: `None` when unset, else whole milliseconds, seconds or
/// minutes (`500ms`, `5s`, `5` for seconds, `1m`), or what is wrong with it.
pub(crate) fn duration_from_env(
    read: crate::security::Lookup<'_>,
    variable: &str,
) -> Result<Option<Duration>, String> {
    let Some(text) = read(variable) else {
        return Ok(None);
    };
    let trimmed = text.trim();
    let digits = trimmed.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &trimmed[digits.len()..];
    let duration = digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|number| match unit {
            "ms" => Some(Duration::from_millis(number)),
            "" | "s" => Some(Duration::from_secs(number)),
            "m" => Some(Duration::from_secs(number.checked_mul(60)?)),
            _ => None,
        });
    duration.map(Some).ok_or_else(|| {
        format!("{variable}={text:?} cannot be used: expected a duration such as 500ms, 5s or 1m")
    })
}

impl App {
    /// The address served when neither `CHATLAYER_ADDR` nor `PORT` is set.
    pub const DEFAULT_ADDR: &'static str = "127.0.0.1:8080";

    /// Serves the app until SIGINT (Ctrl-C) or SIGTERM, then finishes the requests in flight.
    ///
    /// The address is `CHATLAYER_ADDR` (`host:port`) when set, else `0.0.0.0:$PORT` when
    /// `PORT` is set (as container platforms do), else [`DEFAULT_ADDR`](Self::DEFAULT_ADDR).
    ///
    /// It logs out of the box: when the program has no `tracing` subscriber, it installs
    /// one that writes text lines to standard error, filtered by `RUST_LOG` (`info` by
    /// default, e.g. `RUST_LOG=debug` for more). A program that installed its own keeps it.
    /// The steps served are logged at start-up, and every failure as it is answered.
    pub async fn serve(self) -> Result<(), ServeError> {
        // Held until the server stops: dropping it writes the last lines.
        let _log = crate::logging::install_default_subscriber();
        let address = listen_address(
            std::env::var("CHATLAYER_ADDR").ok(),
            std::env::var("PORT").ok(),
        )?;
        let listener = TcpListener::bind(&address)
            .await
            .map_err(|source| ServeError::Bind { address, source })?;
        self.serve_with(listener, shutdown_signal())
            .await
            .map_err(ServeError::Io)
    }

    /// Serves the app on `listener` until `shutdown` completes, then finishes the requests in
    /// flight. For tests (bind `127.0.0.1:0`) and for custom shutdown triggers. Logging is
    /// the program's: this installs no subscriber.
    pub async fn serve_with(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        let address = listener.local_addr()?;
        tracing::info!(
            "serving {} Chatlayer step{} on http://{address}",
            self.steps().len(),
            if self.steps().len() == 1 { "" } else { "s" }
        );
        for step in self.steps() {
            tracing::info!("  {}", step.label());
        }
        if self.serves_docs_page() {
            tracing::info!("API docs on http://{address}/docs (document: /openapi.json)");
        }
        let router = self.standalone_router();
        server::run(listener, router, self.server_settings().clone(), shutdown).await
    }
}

impl AppBuilder {
    /// Builds the app and [serves](App::serve) it: the one call a standalone backend needs.
    pub async fn serve(self) -> Result<(), ServeError> {
        self.build()?.serve().await
    }
}

/// Chooses the address from the values of `CHATLAYER_ADDR` and `PORT`.
pub(crate) fn listen_address(
    chatlayer_addr: Option<String>,
    port: Option<String>,
) -> Result<String, ServeError> {
    if let Some(address) = chatlayer_addr.filter(|value| !value.trim().is_empty()) {
        let address = address.trim().to_owned();
        let valid_port = address
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !valid_port {
            return Err(ServeError::Config {
                variable: "CHATLAYER_ADDR",
                value: address,
                expected: "host:port, e.g. 0.0.0.0:8080 or [::1]:8080",
            });
        }
        return Ok(address);
    }
    if let Some(port) = port.filter(|value| !value.trim().is_empty()) {
        return match port.trim().parse::<u16>() {
            Ok(number) => Ok(format!("0.0.0.0:{number}")),
            Err(_) => Err(ServeError::Config {
                variable: "PORT",
                value: port,
                expected: "a port number, e.g. 8080",
            }),
        };
    }
    Ok(App::DEFAULT_ADDR.to_owned())
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

/// Why a standalone app stopped or could not start.
#[non_exhaustive]
pub enum ServeError {
    /// The app failed its checks.
    Build(BuildError),
    /// An environment variable has a value that cannot be used.
    Config {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
        /// What it should look like.
        expected: &'static str,
    },
    /// The address could not be bound (in use, not local, no permission).
    Bind {
        /// The address.
        address: String,
        /// The system's reason.
        source: io::Error,
    },
    /// The server failed while running.
    Io(io::Error),
    /// The command line of [`App::run`] cannot be followed: the message says why, with the
    /// usage.
    Usage(String),
    /// The `healthcheck` command found no healthy server: the message says what it saw.
    Unhealthy(String),
}

impl From<BuildError> for ServeError {
    fn from(error: BuildError) -> Self {
        ServeError::Build(error)
    }
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Build(error) => write!(f, "{error}"),
            ServeError::Config {
                variable,
                value,
                expected,
            } => write!(
                f,
                "{variable}={value:?} cannot be used: expected {expected}"
            ),
            ServeError::Bind { address, source } => write!(
                f,
                "cannot listen on {address}: {source}\n\
                 help: choose another address with CHATLAYER_ADDR=host:port (or PORT=port)"
            ),
            ServeError::Io(error) => write!(f, "the server failed: {error}"),
            ServeError::Usage(message) | ServeError::Unhealthy(message) => f.write_str(message),
        }
    }
}

/// Prints like `Display`, so that `main` returning `Result<(), ServeError>` shows a readable
/// message.
impl fmt::Debug for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServeError::Build(error) => Some(error),
            ServeError::Bind { source, .. } | ServeError::Io(source) => Some(source),
            ServeError::Config { .. } | ServeError::Usage(_) | ServeError::Unhealthy(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(chatlayer_addr: Option<&str>, port: Option<&str>) -> Result<String, ServeError> {
        listen_address(chatlayer_addr.map(Into::into), port.map(Into::into))
    }

    #[test]
    fn durations_take_a_unit() {
        let read = |text: &'static str| move |_: &str| -> Option<String> { Some(text.to_owned()) };
        for (text, expected) in [
            ("500ms", Duration::from_millis(500)),
            ("5s", Duration::from_secs(5)),
            (" 7 ", Duration::from_secs(7)),
            ("2m", Duration::from_secs(120)),
        ] {
            assert_eq!(
                duration_from_env(&read(text), "X"),
                Ok(Some(expected)),
                "{text}"
            );
        }
        for text in ["soon", "5h", "-1s", "1.5s"] {
            let problem = duration_from_env(&read(text), "CHATLAYER_DRAIN_DELAY").unwrap_err();
            assert!(problem.starts_with("CHATLAYER_DRAIN_DELAY="), "{problem}");
        }
        assert_eq!(duration_from_env(&|_: &str| None, "X"), Ok(None));
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
        for (chatlayer_addr, port, variable) in [
            (Some("localhost"), None, "CHATLAYER_ADDR"),
            (Some(":80"), None, "CHATLAYER_ADDR"),
            (Some("host:99999"), None, "CHATLAYER_ADDR"),
            (None, Some("http"), "PORT"),
        ] {
            let message = address(chatlayer_addr, port).unwrap_err().to_string();
            assert!(message.starts_with(variable), "{message}");
        }
    }
}
