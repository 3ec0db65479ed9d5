//! [`App`]: the steps, their dependencies, their protections and the failure policy, checked
//! once by the [builder](AppBuilder) and turned into an axum `Router`; served on its own
//! ([`serve`]), with commands besides serving ([`commands`]).

mod builder;
mod commands;
mod limits;
mod serve;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use axum::routing::{MethodFilter, MethodRouter};

pub use builder::AppBuilder;
pub use commands::{Command, CommandFuture};
pub use limits::Limits;

use crate::config::Environment;
use crate::descriptor::{self, StepDescriptor};
use crate::dispatch::{self, PreparedStep, Runtime};
use crate::error;
use crate::health;
use crate::observe::endpoint as metrics_endpoint;
use crate::observe::{Observe, StepObserver};
use crate::openapi::OpenApi;
use crate::openapi::routes::{self as doc_routes, DocSource};
use crate::paths::{self, DOCS_PATH, HEALTH_PATH, METRICS_PATH, OPENAPI_PATH, READY_PATH};
use crate::problems::ServeError;
use crate::recorder::{RecordLayer, Recorder};
use crate::security::{Gate, Guards, SignatureVerifier};
use crate::server::Readiness;

/// A checked set of steps, ready to serve on its own or to mount in an axum app.
///
/// ```no_run
/// use chatlayer_runtime::prelude::*;
///
/// #[api_step("/hello")]
/// async fn hello(name: Option<String>) -> Reply {
///     Reply::new().add_message(format!("Hello {}!", name.as_deref().unwrap_or("there")))
/// }
///
/// #[tokio::main]
/// async fn main() -> Result<(), chatlayer_runtime::ServeError> {
///     // Serves every #[api_step] and #[next_block] of the program on 127.0.0.1:8080
///     // (CHATLAYER_ADDR=host:port or PORT=port change it).
///     App::discover().serve().await
/// }
/// ```
///
/// Embedded in an existing axum app, with the host's own state:
///
/// ```
/// use axum::{Router, routing::get};
/// use chatlayer_runtime::prelude::*;
///
/// #[next_block("/route")]
/// fn route(open: BlockId) -> BlockId { open }
///
/// #[derive(Clone)]
/// struct HostState { name: &'static str }
///
/// let steps = App::from_steps([route::STEP]).build().unwrap();
/// let host: Router = Router::new()
///     .route("/", get(|| async { "host home" }))
///     .nest("/chatlayer", steps.router())
///     .with_state(HostState { name: "shop" });
/// ```
///
/// However it is served, the app applies the same protections and answers the same way:
/// they are resolved when it is built (see [`security`](crate::security)).
#[derive(Clone)]
pub struct App {
    steps: Vec<&'static StepDescriptor>,
    runtime: Arc<Runtime>,
    guards: Arc<Guards>,
    docs: Arc<DocSource>,
    recorder: Option<Recorder>,
    served: Served,
    observe: Observe,
    readiness: Readiness,
    environment: Arc<Environment>,
    commands: Vec<Arc<dyn Command>>,
}

impl App {
    /// Where the router answers liveness probes (`GET`, always 200 while the process runs).
    pub const HEALTH_PATH: &'static str = HEALTH_PATH;
    /// Where the router answers readiness probes (`GET`, 503 once the server is draining).
    pub const READY_PATH: &'static str = READY_PATH;
    /// Where the router serves the OpenAPI document.
    pub const OPENAPI_PATH: &'static str = OPENAPI_PATH;
    /// Where the router serves the docs page.
    pub const DOCS_PATH: &'static str = DOCS_PATH;
    /// Where the router serves the metrics, in Prometheus's (OpenMetrics) text format.
    pub const METRICS_PATH: &'static str = METRICS_PATH;

    /// Starts an app with every step annotated in the program (every linked crate), found
    /// through `inventory` and sorted by path, method, module and name.
    ///
    /// A crate that nothing in the binary refers to is not linked, and its steps are not
    /// found: see [`BuildProblem::NoSteps`](crate::BuildProblem::NoSteps).
    pub fn discover() -> AppBuilder {
        AppBuilder::new(descriptor::registered(), true)
    }

    /// Starts an app with exactly these steps, e.g. `App::from_steps([order::STEP])`. For
    /// tests, for serving a subset, and for targets where `inventory` registers nothing.
    pub fn from_steps(steps: impl IntoIterator<Item = &'static StepDescriptor>) -> AppBuilder {
        AppBuilder::new(builder::sorted(steps), false)
    }

    /// The steps, sorted by path, method, module and name.
    pub fn steps(&self) -> &[&'static StepDescriptor] {
        &self.steps
    }

    /// The OpenAPI 3.1 document of the steps, as served at `/openapi.json` when the steps
    /// are at the root. The same app always gives the same document.
    ///
    /// ```
    /// use chatlayer_runtime::prelude::*;
    ///
    /// /// Say hello.
    /// #[api_step("/hello")]
    /// fn hello(name: String) -> Reply { Reply::new().add_message(format!("Hello {name}")) }
    ///
    /// let app = App::from_steps([hello::STEP])
    ///     .docs(chatlayer_runtime::openapi::ApiDocs::new().title("Greeter"))
    ///     .build()
    ///     .unwrap();
    /// let document = app.openapi();
    /// assert_eq!(document.info.title, "Greeter");
    /// assert!(document.operation("POST", "/hello").is_some());
    /// // `cargo run -- openapi` prints the same document: see `App::run`.
    /// println!("{}", document.to_json_pretty());
    /// ```
    pub fn openapi(&self) -> OpenApi {
        self.docs.document("")
    }

    /// The document for the steps served under `prefix` (e.g. `/chatlayer`): every path
    /// starts with it. [`mount`](Self::mount) and `Router::nest` serve this one.
    pub fn openapi_at(&self, prefix: &str) -> OpenApi {
        self.docs.document(prefix)
    }

    /// The steps (and the document and docs page, unless switched off) under `prefix`, for
    /// a host app to merge: `host.merge(app.mount("/chatlayer"))`. The same as
    /// `Router::new().nest(prefix, app.router())`; the served document's paths carry the
    /// prefix either way.
    pub fn mount<S: Clone + Send + Sync + 'static>(&self, prefix: &str) -> Router<S> {
        let prefix = paths::normalize_prefix(prefix);
        if prefix.is_empty() {
            self.routes(Some(""))
        } else {
            Router::new().nest(&prefix, self.routes(Some(&prefix)))
        }
    }

    /// The steps as an axum `Router` for any host state `S`: nest it
    /// (`host.nest("/chatlayer", app.router())`) or merge it into a host app. Requests to a
    /// step's path with another method get a JSON 405; other unknown paths fall through to
    /// the host's fallback. Unless switched off in the builder, the router also serves the
    /// OpenAPI document at `/openapi.json`, the docs page at `/docs`, and the health
    /// endpoints.
    ///
    /// Logs and metrics show each step's path as served, with the prefix the host nested
    /// the router at; as that is known only from requests, a step's metrics appear with its
    /// first request (served on its own or through [`mount`](Self::mount), they exist from
    /// the start, at zero).
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        self.routes(None)
    }

    /// The steps' router, served under `prefix` when that is known.
    fn routes<S: Clone + Send + Sync + 'static>(&self, prefix: Option<&str>) -> Router<S> {
        let mut by_path: BTreeMap<&'static str, Vec<&'static StepDescriptor>> = BTreeMap::new();
        for step in &self.steps {
            by_path.entry(step.path).or_default().push(step);
        }
        let mut router = Router::new();
        for (path, steps) in by_path {
            let allowed: Vec<Method> = steps.iter().map(|step| step.method.clone()).collect();
            let names: Vec<(Method, &'static str)> = steps
                .iter()
                .map(|step| (step.method.clone(), step.name))
                .collect();
            let gate = Gate::for_steps(&self.guards, steps.iter().copied());
            let mut methods = MethodRouter::new();
            for step in steps {
                let prepared = Arc::new(PreparedStep::new(
                    step,
                    Arc::clone(&self.runtime),
                    self.guards.for_step(step),
                    StepObserver::new(step, &self.observe, prefix),
                ));
                let filter = MethodFilter::try_from(step.method.clone())
                    .expect("the macros only accept methods axum routes");
                methods = methods.on(filter, dispatch::StepHandler(prepared));
            }
            // axum would answer HEAD with a GET step, running it: a step runs only for the
            // method it declares.
            let (head_gate, head_allowed) = (gate.clone(), allowed.clone());
            let methods = methods
                .on(MethodFilter::HEAD, move |request: Request| {
                    not_this_method(head_gate.clone(), request, head_allowed.clone())
                })
                .fallback(move |request: Request| {
                    not_this_method(gate.clone(), request, allowed.clone())
                });
            let methods = match &self.recorder {
                Some(recorder) => methods.layer(RecordLayer::new(Arc::clone(recorder), names)),
                None => methods,
            };
            router = router.route(path, methods);
        }
        if self.served.health {
            router = router.merge(health::routes(self.readiness.clone()));
        }
        if self.served.openapi {
            router = router.merge(doc_routes::routes(
                Arc::clone(&self.docs),
                self.served.docs_page,
            ));
        }
        if let Some(metrics) = &self.observe.metrics {
            router = router.merge(metrics_endpoint::routes(
                Arc::clone(metrics),
                self.observe.metrics_token.clone(),
            ));
        }
        router.with_state(())
    }

    /// The app's protections, as resolved when it was built.
    pub(crate) fn guards(&self) -> &Guards {
        &self.guards
    }

    /// How the app checks request signatures, when it requires them: for tools that call
    /// its steps and must sign what they send (a replay, the conversation emulator).
    pub fn signature_verifier(&self) -> Option<&SignatureVerifier> {
        self.guards.signature()
    }

    /// Makes the dependencies given with
    /// [`AppBuilder::provide_with`](crate::AppBuilder::provide_with) that are not made yet,
    /// and says which could not be. [`serve`](Self::serve),
    /// [`Server::serve`](crate::server::Server::serve) and the commands that run steps call
    /// it; a host serving [`router`](Self::router) itself calls
    /// it before it serves (otherwise each is made when a step first needs it, and a
    /// failure answers that step's requests with a 500).
    ///
    /// ```
    /// use chatlayer_runtime::prelude::*;
    ///
    /// struct Db;
    /// # #[api_step("/x")] async fn x(db: Dep<Db>) -> Reply { let _ = db; Reply::new() }
    /// let app = App::from_steps([x::STEP])
    ///     .provide_with(|| Err::<Db, _>("the database file is read-only"))
    ///     .build()
    ///     .unwrap();
    /// let problem = app.make_dependencies().unwrap_err().to_string();
    /// assert!(problem.contains("the database file is read-only"));
    /// ```
    pub fn make_dependencies(&self) -> Result<(), ServeError> {
        let failures = self.runtime.dependencies.make_deferred();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(ServeError::Failed(failures.join("\n")))
        }
    }

    /// Whether the router serves the docs page.
    pub(crate) fn serves_docs_page(&self) -> bool {
        self.served.docs_page
    }

    /// The handle the app's `/readyz` answers from: a [`Server`](crate::server::Server)
    /// serving the app turns it off when it starts draining
    /// ([`Server::for_app`](crate::server::Server::for_app) does that).
    pub fn readiness(&self) -> Readiness {
        self.readiness.clone()
    }

    /// The environment the app read its settings from when it was built (see
    /// [`AppBuilder::environment`]); commands read theirs from it too.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The commands added with [`AppBuilder::command`].
    pub(crate) fn commands(&self) -> &[Arc<dyn Command>] {
        &self.commands
    }

    /// The router a standalone server serves: [`router`](Self::router), plus a JSON 404
    /// for paths no step answers (and a count of them in the metrics).
    pub fn standalone_router(&self) -> Router {
        let metrics = self.observe.metrics.clone();
        let gate = Gate::for_steps(&self.guards, self.steps.iter().copied());
        let mut served: Vec<&'static str> = self.steps.iter().map(|step| step.path).collect();
        served.sort_unstable();
        served.dedup();
        let served: Arc<[&'static str]> = served.into();
        self.routes(Some("")).fallback(move |request: Request| {
            let metrics = metrics.clone();
            let gate = gate.clone();
            let served = Arc::clone(&served);
            async move {
                let (parts, body) = request.into_parts();
                if let Some(refused) = gate.refuse(&parts) {
                    return unrecorded(refused);
                }
                if let Some(metrics) = &metrics {
                    metrics.count_unmatched();
                }
                error::not_found(Request::from_parts(parts, body), &served)
            }
        })
    }
}

/// The answer to a method no step of the path declares: a stranger gets the steps'
/// refusal (so that the status does not tell it the path exists), anyone else a 405.
async fn not_this_method(gate: Gate, request: Request, allowed: Vec<Method>) -> Response {
    let (parts, _body) = request.into_parts();
    match gate.refuse(&parts) {
        Some(refused) => unrecorded(refused),
        None => error::method_not_allowed(allowed).await,
    }
}

/// A refusal is not the bot's traffic: the recorder leaves it out.
fn unrecorded(mut response: Response) -> Response {
    response
        .extensions_mut()
        .insert(crate::recorder::Unrecorded);
    response
}

/// What the app serves besides its steps.
#[derive(Clone, Copy, Debug)]
struct Served {
    health: bool,
    openapi: bool,
    docs_page: bool,
    metrics: bool,
}

impl Served {
    /// The setting that frees `path` when the app serves something there itself.
    fn reserving(&self, path: &str) -> Option<&'static str> {
        if self.health && (path == HEALTH_PATH || path == READY_PATH) {
            Some("AppBuilder::serve_health")
        } else if self.openapi && path == OPENAPI_PATH {
            Some("ApiDocs::serve")
        } else if self.docs_page && paths::in_docs(path) {
            Some("ApiDocs::serve_page")
        } else if self.metrics && path == METRICS_PATH {
            Some("Observability::metrics")
        } else {
            None
        }
    }
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("steps", &self.steps)
            .field("runtime", &self.runtime)
            .field("guards", &self.guards)
            .finish_non_exhaustive()
    }
}
