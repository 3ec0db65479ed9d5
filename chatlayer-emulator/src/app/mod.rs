//! The bridge to chatlayer-rs apps (the `app` feature): conversations against an `App`
//! in-process, and the `emulate` and `converse` commands of the app's own binary.
//!
//! ```no_run
//! use chatlayer_runtime::prelude::*;
//!
//! # #[api_step("/x")] fn x() -> Reply { Reply::new() }
//! #[tokio::main]
//! async fn main() -> Result<(), chatlayer_runtime::ServeError> {
//!     // `cargo run -- emulate bot.yaml`, `cargo run -- converse bot.yaml convos/`
//!     App::discover().commands(chatlayer_emulator::commands()).run().await
//! }
//! ```

mod starter;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use chatlayer_runtime::cli::{Command, CommandFuture};
use chatlayer_runtime::server::Server;
use chatlayer_runtime::{App, ServeError};

use super::backend::{Backend, ExplainFallback, InProcess};
use super::cli::{self, AppHost};
use super::error::Error;
use super::page;
use super::signing::RequestSigner;
use chatlayer_runtime::FallbackCause;
use chatlayer_runtime::security::SignatureVerifier;

pub use starter::starter_file;

/// How `emulate` is called, for the help text.
const EMULATE_SYNOPSIS: &str = "emulate BOT_FILE [--backend URL] | --init [FILE] | --recording DIR";

/// What `emulate` does, for the help text.
const EMULATE_ABOUT: &str = "serve the conversation emulator at /emulator, calling \
    the steps in-process (or the backend at URL); --init writes a starter bot file for the \
    steps; --recording shows a recording (CHATLAYER_RECORD), each recorded session as a \
    conversation";

/// How `converse` is called, for the help text.
const CONVERSE_SYNOPSIS: &str =
    "converse BOT_FILE SCRIPT... [--backend URL] [--coverage | --min-coverage N]";

/// What `converse` does, for the help text.
const CONVERSE_ABOUT: &str = "run conversation scripts (*.convo.txt, or folders of \
    them) against the steps in-process (or the backend at URL); runs every script, and exits \
    non-zero when any expectation is unmet; --coverage reports the blocks, steps and buttons \
    they reached, --min-coverage N also fails below N percent";

/// How `check` is called, for the help text.
const CHECK_SYNOPSIS: &str = "check BOT_FILE [--openapi FILE]";

/// What `check` does, for the help text.
const CHECK_ABOUT: &str = "check the bot file's action blocks against the app's steps (or \
    the steps an OpenAPI document FILE describes): paths, methods, required parameters, rows, \
    block ids; exits non-zero on any problem";

/// How `crawl` is called, for the help text.
const CRAWL_SYNOPSIS: &str = "crawl BOT_FILE --out DIR [--from BLOCK] [--depth N] \
    [--answer BLOCK=TEXT]... [--backend URL]";

/// What `crawl` does, for the help text.
const CRAWL_ABOUT: &str = "explore the bot breadth-first against the steps in-process (or \
    the backend at URL), clicking every button and quick reply and typing each --answer at \
    its input block, and write each path that reaches something new as a conversation script \
    in DIR";

/// The emulator's commands, for [`AppBuilder::commands`](chatlayer_runtime::AppBuilder::commands):
/// [`Emulate`], [`Converse`], [`Crawl`] and [`Check`].
pub fn commands() -> Vec<Arc<dyn Command>> {
    vec![
        Arc::new(Emulate),
        Arc::new(Converse),
        Arc::new(Crawl),
        Arc::new(Check),
    ]
}

/// `crawl BOT_FILE --out DIR [--from BLOCK] [--depth N] [--answer BLOCK=TEXT]...`: writes
/// conversation scripts for the paths a breadth-first crawl of the bot finds (see
/// [`Crawler`](crate::Crawler)).
#[derive(Clone, Copy, Debug, Default)]
pub struct Crawl;

impl Command for Crawl {
    fn name(&self) -> &'static str {
        "crawl"
    }
    fn synopsis(&self) -> &'static str {
        CRAWL_SYNOPSIS
    }
    fn about(&self) -> &'static str {
        CRAWL_ABOUT
    }
    fn run<'a>(&'a self, app: &'a App, args: Vec<String>) -> CommandFuture<'a> {
        run(app, self.name(), args)
    }
}

/// `check BOT_FILE [--openapi FILE]`: the bot file's action blocks against the app's steps
/// (or those a document describes), each problem with its block and row.
#[derive(Clone, Copy, Debug, Default)]
pub struct Check;

impl Command for Check {
    fn name(&self) -> &'static str {
        "check"
    }
    fn synopsis(&self) -> &'static str {
        CHECK_SYNOPSIS
    }
    fn about(&self) -> &'static str {
        CHECK_ABOUT
    }
    fn run<'a>(&'a self, app: &'a App, args: Vec<String>) -> CommandFuture<'a> {
        run(app, self.name(), args)
    }
}

/// `emulate BOT_FILE [--backend URL] | --init [FILE] | --recording DIR`: serves the
/// emulator page beside the app's steps, calling them in-process (or the backend at URL);
/// writes a starter bot file for the app's steps; or shows a recording.
#[derive(Clone, Copy, Debug, Default)]
pub struct Emulate;

/// `converse BOT_FILE SCRIPT... [--backend URL]`: runs conversation scripts against the
/// app's steps in-process (or the backend at URL); every script runs, and the command fails
/// when any expectation is unmet.
#[derive(Clone, Copy, Debug, Default)]
pub struct Converse;

impl Command for Emulate {
    fn name(&self) -> &'static str {
        "emulate"
    }
    fn synopsis(&self) -> &'static str {
        EMULATE_SYNOPSIS
    }
    fn about(&self) -> &'static str {
        EMULATE_ABOUT
    }
    fn run<'a>(&'a self, app: &'a App, args: Vec<String>) -> CommandFuture<'a> {
        run(app, self.name(), args)
    }
}

impl Command for Converse {
    fn name(&self) -> &'static str {
        "converse"
    }
    fn synopsis(&self) -> &'static str {
        CONVERSE_SYNOPSIS
    }
    fn about(&self) -> &'static str {
        CONVERSE_ABOUT
    }
    fn run<'a>(&'a self, app: &'a App, args: Vec<String>) -> CommandFuture<'a> {
        run(app, self.name(), args)
    }
}

fn run<'a>(app: &'a App, name: &'static str, args: Vec<String>) -> CommandFuture<'a> {
    Box::pin(async move {
        let command = match cli::parse_command(name, args.into_iter()) {
            Some(Ok(command)) => command,
            Some(Err(problem)) => {
                return Err(ServeError::Usage(format!(
                    "{problem}\n\nusage: {}",
                    match name {
                        "emulate" => EMULATE_SYNOPSIS,
                        "check" => CHECK_SYNOPSIS,
                        "crawl" => CRAWL_SYNOPSIS,
                        _ => CONVERSE_SYNOPSIS,
                    }
                )));
            }
            None => unreachable!("`{name}` is an emulator command"),
        };
        // The app's deferred dependencies (`provide_with`) are made only for what calls
        // its steps: a starter file or a recording needs none of them.
        if command.calls_steps() {
            app.make_dependencies()?;
        }
        cli::run_command(command, Some(app as &dyn AppHost))
            .await
            .map_err(ServeError::from)
    })
}

/// An app is called as its standalone server answers: its router with a JSON 404.
impl InProcess for &App {
    fn into_router(self) -> Router {
        self.standalone_router()
    }

    fn signer(&self) -> Option<Arc<dyn RequestSigner>> {
        app_signer(self)
    }

    fn explain_fallback(&self) -> Option<ExplainFallback> {
        Some(fallback_cause)
    }
}

/// The error behind an app's fallback answer, as the transcript shows it.
fn fallback_cause(extensions: &axum::http::Extensions) -> Option<String> {
    let cause = extensions.get::<FallbackCause>()?;
    let mut text = cause.message.clone();
    if let Some(parameter) = &cause.parameter {
        text.push_str(&format!(" (parameter `{parameter}`)"));
    }
    if let Some(hint) = &cause.hint {
        text.push_str(&format!("; hint: {hint}"));
    }
    Some(text)
}

impl InProcess for App {
    fn into_router(self) -> Router {
        self.standalone_router()
    }

    fn signer(&self) -> Option<Arc<dyn RequestSigner>> {
        app_signer(self)
    }

    fn explain_fallback(&self) -> Option<ExplainFallback> {
        Some(fallback_cause)
    }
}

/// The app's own verifier, as a signer: calls are signed exactly as the app checks them.
fn app_signer(app: &App) -> Option<Arc<dyn RequestSigner>> {
    app.signature_verifier()
        .map(|verifier| Arc::new(AppSigner(verifier.clone())) as Arc<dyn RequestSigner>)
}

/// Signs with an app's [`SignatureVerifier`]: its header, its timestamp when it signs one.
struct AppSigner(SignatureVerifier);

impl std::fmt::Debug for AppSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("AppSigner")
            .field(&self.0.header_name())
            .finish()
    }
}

impl RequestSigner for AppSigner {
    fn headers(&self, method: &str, target: &str, body: &[u8]) -> Vec<(String, String)> {
        let timestamp = self.0.timestamp_header().map(|header| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs();
            (header.to_string(), now.to_string())
        });
        let signature = self.0.sign(
            method,
            target,
            body,
            timestamp.as_ref().map(|(_, now)| now.as_str()),
        );
        let mut headers = vec![(self.0.header_name().to_string(), signature)];
        headers.extend(timestamp);
        headers
    }
}

impl AppHost for App {
    fn backend(&self) -> Backend {
        Backend::in_process(self)
    }

    fn signer(&self) -> Option<Arc<dyn RequestSigner>> {
        app_signer(self)
    }

    fn starter_file(&self) -> String {
        starter_file(self)
    }

    fn document(&self) -> serde_json::Value {
        serde_json::to_value(self.openapi()).unwrap_or_default()
    }

    /// Serves `page` beside the app's own routes, on the server the app's environment
    /// configures.
    fn serve_page<'a>(
        &'a self,
        page: Router,
        described: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'a>> {
        Box::pin(async move {
            if self
                .steps()
                .iter()
                .any(|step| step.path().starts_with(page::PATH))
            {
                return Err(Error::Usage(format!(
                    "a step is served under {}, where the emulator's page goes",
                    page::PATH
                )));
            }
            let server = Server::from_environment(self.environment())
                .map_err(|problem| Error::Usage(problem.to_string()))?
                .for_app(self);
            page::warn_if_exposed(server.address());
            tracing::info!(
                "conversation emulator on http://{}{} ({described})",
                server.address(),
                page::PATH
            );
            server
                .serve(self.standalone_router().merge(page))
                .await
                .map_err(|error| match error {
                    ServeError::Bind { address, source } => Error::Bind { address, source },
                    ServeError::Io(source) => Error::Io(source),
                    other => Error::Usage(other.to_string()),
                })
        })
    }
}

impl From<Error> for ServeError {
    fn from(error: Error) -> Self {
        match error {
            Error::Usage(message) => ServeError::Usage(message),
            Error::Failed(message) => ServeError::Failed(message),
            Error::Bind { address, source } => ServeError::Bind { address, source },
            Error::Io(source) => ServeError::Io(source),
        }
    }
}
