//! Serving an [`App`] on its own: the hardened [`Server`], configured from the app's
//! environment, with what the app needs of it.

use std::future::Future;
use std::io;

use axum::Router;
use tokio::net::TcpListener;

use super::{App, AppBuilder};
use crate::problems::ServeError;
use crate::server::{Servable, Server};

impl App {
    /// Serves the app until SIGINT (Ctrl-C) or SIGTERM, then finishes the requests in
    /// flight, on the [`Server`] its environment configures
    /// ([`Server::from_environment`]: the address is `CHATLAYER_ADDR`, else
    /// `0.0.0.0:$PORT`, else `127.0.0.1:8080`).
    ///
    /// It logs out of the box: when the program has no `tracing` subscriber, it installs
    /// one that writes text lines to standard error, filtered by `RUST_LOG` (`info` by
    /// default, e.g. `RUST_LOG=debug` for more). A program that installed its own keeps it.
    /// The steps served are logged at start-up, and every failure as it is answered.
    pub async fn serve(self) -> Result<(), ServeError> {
        // Held until the server stops: dropping it writes the last lines.
        let _log = crate::logging::install_default_subscriber(self.environment());
        let server = Server::from_environment(self.environment())?;
        self.make_dependencies()?;
        self.log_start(server.address());
        server.serve(self).await
    }

    /// Serves the app on `listener` until `shutdown` completes, then finishes the requests
    /// in flight, on the [`Server`] its environment configures. For tests (bind
    /// `127.0.0.1:0`) and for shutdown triggers of your own. Logging is the program's: this
    /// installs no subscriber.
    pub async fn serve_with(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        let server = Server::from_environment(self.environment())
            .map_err(|problem| io::Error::new(io::ErrorKind::InvalidInput, problem.to_string()))?;
        self.make_dependencies()
            .map_err(|problem| io::Error::other(problem.to_string()))?;
        self.log_start(&listener.local_addr()?.to_string());
        server.serve_with(listener, self, shutdown).await
    }

    /// The start-up lines: what is served, where.
    pub(crate) fn log_start(&self, address: &str) {
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
    }
}

impl AppBuilder {
    /// Builds the app and [serves](App::serve) it: the one call a standalone backend needs.
    pub async fn serve(self) -> Result<(), ServeError> {
        self.build()?.serve().await
    }
}

impl Server {
    /// Prepares the server for serving `app`, alone or inside a host's router: the app's
    /// `/readyz` turns 503 when the server starts draining, and requests carry the caller's
    /// address when the app's IP allow-list needs it.
    pub fn for_app(self, app: &App) -> Self {
        let server = self.track(app.readiness());
        if app.guards().checks_ip() {
            server.connect_info(true)
        } else {
            server
        }
    }
}

/// An app is served as its standalone server serves it: its router with a JSON 404.
impl Servable for App {
    fn prepare(self, server: Server) -> (Router, Server) {
        (&self).prepare(server)
    }
}

impl Servable for &App {
    fn prepare(self, server: Server) -> (Router, Server) {
        // Made before the first request; a failure is answered by the steps that need it
        // (`serve` and `serve_with` stop on it first).
        let _ = self.make_dependencies();
        (self.standalone_router(), server.for_app(self))
    }
}
