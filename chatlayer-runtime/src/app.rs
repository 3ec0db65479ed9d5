//! [`App`]: the steps, their dependencies and the failure policy, checked once and turned
//! into an axum `Router`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::routing::MethodRouter;

use crate::BlockId;
use crate::auth::{Auth, AuthTable};
use crate::deps::Dependencies;
use crate::descriptor::{self, Method, StepDescriptor};
use crate::dispatch::{self, PreparedStep};
use crate::health::{self, Draining, HEALTH_PATH, READY_PATH};
use crate::ip::IpAllowList;
use crate::openapi::OpenApi;
use crate::openapi::document::default_info;
use crate::openapi::routes::{self as doc_routes, DOCS_PATH, DocSource, OPENAPI_PATH};
use crate::signature::SignatureVerifier;

/// The default limit on a request body: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The default number of requests served at once; more are refused with 503 and
/// `Retry-After` rather than queued.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 1024;

/// How long a server that was told to stop waits for the requests in flight, by default.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a client may take to send a request's headers, and then its body, by default.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The default deadline of a step: 10 s, well before Chatlayer gives up on an API step (it
/// advises answering within 20 s).
pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(10);

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
#[derive(Clone)]
pub struct App {
    steps: Vec<&'static StepDescriptor>,
    pub(crate) shared: Arc<Shared>,
    docs: Arc<DocSource>,
    auth: Arc<AuthTable>,
    signature: Option<Arc<SignatureVerifier>>,
    ip_allow_list: Option<Arc<IpAllowList>>,
    serve_openapi: bool,
    serve_docs: bool,
    serve_health: bool,
}

/// What every request of an app shares; built once, never rebuilt per request.
pub(crate) struct Shared {
    pub(crate) dependencies: Arc<Dependencies>,
    pub(crate) fallback_block: Option<BlockId>,
    pub(crate) fallback_message: Option<String>,
    pub(crate) body_limit: usize,
    pub(crate) step_timeout: Duration,
    /// One permit per request in flight; none left means overload.
    pub(crate) in_flight: tokio::sync::Semaphore,
    pub(crate) max_concurrent_requests: usize,
    pub(crate) draining: Draining,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) read_timeout: Duration,
}

impl App {
    /// Starts an app with every step annotated in the program (every linked crate), found
    /// through `inventory` and sorted by path, method, module and name.
    ///
    /// A crate that nothing in the binary refers to is not linked, and its steps are not
    /// found: see [`BuildProblem::NoSteps`].
    pub fn discover() -> AppBuilder {
        AppBuilder::new(descriptor::registered(), true)
    }

    /// Starts an app with exactly these steps, e.g. `App::from_steps([order::STEP])`. For
    /// tests, for serving a subset, and for targets where `inventory` registers nothing.
    pub fn from_steps(steps: impl IntoIterator<Item = &'static StepDescriptor>) -> AppBuilder {
        let mut steps: Vec<_> = steps.into_iter().collect();
        steps.sort_by_key(|step| descriptor::sort_key(step));
        AppBuilder::new(steps, false)
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
    /// let app = App::from_steps([hello::STEP]).title("Greeter").build().unwrap();
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
        let prefix = crate::openapi::document::normalize_prefix(prefix);
        if prefix.is_empty() {
            self.router()
        } else {
            Router::new().nest(&prefix, self.router())
        }
    }

    /// The steps as an axum `Router` for any host state `S`: nest it
    /// (`host.nest("/chatlayer", app.router())`) or merge it into a host app. Requests to a
    /// step's path with another method get a JSON 405; other unknown paths fall through to
    /// the host's fallback. Unless switched off in the builder, the router also serves the
    /// OpenAPI document at `/openapi.json` and the docs page at `/docs`.
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let mut by_path: BTreeMap<&'static str, Vec<&'static StepDescriptor>> = BTreeMap::new();
        for step in &self.steps {
            by_path.entry(step.path).or_default().push(step);
        }
        let mut router = Router::new();
        for (path, steps) in by_path {
            let allowed: Vec<Method> = steps.iter().map(|step| step.method).collect();
            let mut methods = MethodRouter::new();
            for step in steps {
                let auth = self.auth.for_step(step);
                let prepared = Arc::new(PreparedStep::new(
                    step,
                    Arc::clone(&self.shared),
                    auth,
                    self.signature.clone(),
                    self.ip_allow_list.clone(),
                ));
                methods = methods.on(step.method.filter(), move |request: Request| {
                    dispatch::dispatch(Arc::clone(&prepared), request)
                });
            }
            let methods = methods.fallback(move || dispatch::method_not_allowed(allowed.clone()));
            router = router.route(path, methods);
        }
        if self.serve_health {
            router = router.merge(health::routes(self.shared.draining.clone()));
        }
        if self.serve_openapi {
            router = router.merge(doc_routes::routes(Arc::clone(&self.docs), self.serve_docs));
        }
        router.with_state(())
    }

    /// The app with the standalone server's auth and signature settings from the
    /// environment ([`Auth::from_env`], [`SignatureVerifier::from_env`]), where they are set
    /// there and not in the builder (the builder wins, with a warning).
    pub(crate) fn with_security_from_env(mut self) -> Result<App, String> {
        if let Some(auth) = Auth::from_env()? {
            if self.auth.default.is_some() {
                tracing::warn!(
                    "authentication is configured both in the app builder and in the \
                     environment; the builder's wins"
                );
            } else {
                let mut table = (*self.auth).clone();
                table.default = Some(auth);
                self.auth = Arc::new(table);
            }
        }
        if let Some(verifier) = SignatureVerifier::from_env()? {
            if self.signature.is_some() {
                tracing::warn!(
                    "request signatures are configured both in the app builder and in the \
                     environment; the builder's win"
                );
            } else {
                self.signature = Some(Arc::new(verifier));
            }
        }
        if let Some(list) = IpAllowList::from_env()? {
            if self.ip_allow_list.is_some() {
                tracing::warn!(
                    "an IP allow-list is configured both in the app builder and in the \
                     environment; the builder's wins"
                );
            } else {
                self.ip_allow_list = Some(Arc::new(list));
            }
        }
        let mut security = self.auth.security(&self.steps, self.signature.as_deref());
        security.ip_allow_list = self.ip_allow_list.is_some();
        self.docs = Arc::new(self.docs.with_security(security));
        Ok(self)
    }

    /// The signature verifier, when requests must be signed.
    pub(crate) fn signature_verifier(&self) -> Option<&SignatureVerifier> {
        self.signature.as_deref()
    }

    /// Whether the router serves the docs page.
    pub(crate) fn serves_docs_page(&self) -> bool {
        self.serve_openapi && self.serve_docs
    }

    /// The router served on its own: [`router`](Self::router) plus a JSON 404 for paths
    /// with no step.
    pub(crate) fn standalone_router(&self) -> Router {
        self.router().fallback(dispatch::not_found)
    }
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("steps", &self.steps)
            .field("fallback_block", &self.shared.fallback_block)
            .field("body_limit", &self.shared.body_limit)
            .finish_non_exhaustive()
    }
}

/// Configures an [`App`]; [`build`](Self::build) checks everything at once.
#[must_use = "call .build() or .serve() to use the app"]
pub struct AppBuilder {
    steps: Vec<&'static StepDescriptor>,
    discovered: bool,
    dependencies: Dependencies,
    fallback_block: Option<BlockId>,
    fallback_message: Option<String>,
    body_limit: usize,
    step_timeout: Duration,
    title: Option<String>,
    api_version: Option<String>,
    description: Option<String>,
    serve_openapi: bool,
    serve_docs: bool,
    serve_health: bool,
    max_concurrent_requests: usize,
    shutdown_timeout: Duration,
    read_timeout: Duration,
    auth: AuthTable,
    signature: Option<SignatureVerifier>,
    ip_allow_list: Option<IpAllowList>,
}

impl AppBuilder {
    fn new(steps: Vec<&'static StepDescriptor>, discovered: bool) -> Self {
        AppBuilder {
            steps,
            discovered,
            dependencies: Dependencies::default(),
            fallback_block: None,
            fallback_message: None,
            body_limit: DEFAULT_BODY_LIMIT,
            step_timeout: DEFAULT_STEP_TIMEOUT,
            title: None,
            api_version: None,
            description: None,
            serve_openapi: true,
            serve_docs: true,
            serve_health: true,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            auth: AuthTable::default(),
            signature: None,
            ip_allow_list: None,
        }
    }

    /// Hands `value` to every step that takes a [`Dep<T>`](crate::Dep).
    pub fn provide<T: Send + Sync + 'static>(self, value: T) -> Self {
        self.provide_arc(Arc::new(value))
    }

    /// Like [`provide`](Self::provide), for a value already behind an `Arc`.
    pub fn provide_arc<T: Send + Sync + 'static>(mut self, value: Arc<T>) -> Self {
        self.dependencies.insert(value);
        self
    }

    /// The block every step jumps to when it fails and has no fallback of its own: instead
    /// of an error, Chatlayer gets HTTP 200 with this block as the next one, and the error is
    /// logged. Without it, a failing step answers a JSON error (4xx or 5xx).
    pub fn fallback_block(mut self, block: impl Into<BlockId>) -> Self {
        self.fallback_block = Some(block.into());
        self
    }

    /// A text message sent along with a jump to a fallback block, e.g. "Sorry, something
    /// went wrong." A step's own `fallback_message = ...` takes precedence.
    pub fn fallback_message(mut self, text: impl Into<String>) -> Self {
        self.fallback_message = Some(text.into());
        self
    }

    /// The largest request body accepted, in bytes (default [`DEFAULT_BODY_LIMIT`]). A larger
    /// one is refused with HTTP 413 without being read into memory.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How long a step may run (default [`DEFAULT_STEP_TIMEOUT`], 10 s); a step's own
    /// `timeout = "5s"` takes precedence. At the deadline the step is cancelled (its future
    /// is dropped) and the failure policy answers: the fallback block when there is one,
    /// else a JSON `step_timeout` error (504), well before Chatlayer gives up.
    pub fn step_timeout(mut self, timeout: Duration) -> Self {
        self.step_timeout = timeout;
        self
    }

    /// The API's title in the OpenAPI document and the docs page. Defaults to the name of
    /// the Cargo package that defines the steps.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// The API's version in the OpenAPI document. Defaults to the version of the Cargo
    /// package that defines the steps.
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = Some(version.into());
        self
    }

    /// What the API is for, shown at the top of the docs page (CommonMark).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Whether the router serves the OpenAPI document at `/openapi.json` (default: yes).
    /// Switching it off switches off the docs page too, since the page reads the document.
    /// [`App::openapi`] works either way.
    pub fn serve_openapi(mut self, on: bool) -> Self {
        self.serve_openapi = on;
        self
    }

    /// Whether the router serves the docs page (Swagger UI) at `/docs` (default: yes). Its
    /// scripts and styles are compiled into the binary and served by the app: the page
    /// works without internet access.
    pub fn serve_docs(mut self, on: bool) -> Self {
        self.serve_docs = on;
        self
    }

    /// Who may call every step (default: anyone), as the API steps' Authorization tab is set:
    /// [`Auth::bearer`] or [`Auth::basic`]. A request without the right credentials gets a
    /// JSON 401 and the step does not run. A standalone server with no auth set here reads
    /// it from the environment (`CHATLAYER_BEARER_TOKEN`, or `CHATLAYER_BASIC_USER` and
    /// `CHATLAYER_BASIC_PASSWORD`). The health endpoints and the docs stay open.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth.default = Some(auth);
        self
    }

    /// Who may call one step, instead of the app-wide [`auth`](Self::auth): e.g.
    /// `Auth::none()` to open it, or other credentials.
    pub fn auth_for(mut self, step: &'static StepDescriptor, auth: Auth) -> Self {
        self.auth.overrides.push((step, auth));
        self
    }

    /// Requires every request to carry an HMAC signature (see [`SignatureVerifier`]): a
    /// missing or wrong one gets a JSON 401 (`invalid_signature`) and the step does not run.
    /// Off by default. A standalone server with none set here reads it from the environment
    /// (`CHATLAYER_SIGNATURE_SECRET` and friends: see [`SignatureVerifier::from_env`]).
    pub fn verify_signatures(mut self, verifier: SignatureVerifier) -> Self {
        self.signature = Some(verifier);
        self
    }

    /// Lets only callers from these networks reach the steps (see [`IpAllowList`]); others
    /// get a JSON 403 (`forbidden_ip`). Off by default. A standalone server with none set
    /// here reads `CHATLAYER_ALLOW_IPS` and `CHATLAYER_TRUSTED_PROXIES`. An embedding app
    /// must serve with `into_make_service_with_connect_info::<SocketAddr>()`, or every
    /// request is refused (the caller's address is unknown).
    pub fn allow_ips(mut self, list: IpAllowList) -> Self {
        self.ip_allow_list = Some(list);
        self
    }

    /// Whether the router answers `GET /healthz` (always 200 while the process runs) and
    /// `GET /readyz` (200, or 503 once the server is draining), for orchestrators' probes
    /// (default: yes).
    pub fn serve_health(mut self, on: bool) -> Self {
        self.serve_health = on;
        self
    }

    /// How many requests the app serves at once (default
    /// [`DEFAULT_MAX_CONCURRENT_REQUESTS`]). Beyond it, requests are refused at once with
    /// 503, `Retry-After: 1` and a JSON `overloaded` error, instead of queueing until
    /// Chatlayer gives up: load is shed, latency stays bounded.
    pub fn max_concurrent_requests(mut self, limit: usize) -> Self {
        self.max_concurrent_requests = limit.max(1);
        self
    }

    /// How long a client may take to send a request's headers (standalone server), and
    /// then its body (default [`DEFAULT_READ_TIMEOUT`], 10 s). A client that is slower, as
    /// in a slowloris attack, loses its connection (headers) or gets a JSON 408
    /// (`body_timeout`), so it cannot hold the server's connections forever.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// How long the server waits for the requests in flight once told to stop (SIGINT,
    /// SIGTERM, or the `shutdown` future of [`App::serve_with`]); default
    /// [`DEFAULT_SHUTDOWN_TIMEOUT`]. Meanwhile no new connection is accepted and `/readyz`
    /// answers 503.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Keeps only the steps for which `keep` returns true, e.g. those of one module.
    pub fn retain(mut self, mut keep: impl FnMut(&StepDescriptor) -> bool) -> Self {
        self.steps.retain(|step| keep(step));
        self
    }

    /// Checks the whole app and returns every problem at once: no steps, two steps on the
    /// same method and path, a dependency nobody provided.
    pub fn build(self) -> Result<App, BuildError> {
        let mut steps = self.steps;
        // The same step listed twice (or discovered and listed) is one step.
        steps.dedup_by_key(|step| {
            (
                step.path,
                step.method,
                step.module_path,
                step.name,
                step.file,
                step.line,
            )
        });

        let mut problems = Vec::new();
        if steps.is_empty() {
            problems.push(BuildProblem::NoSteps {
                discovered: self.discovered,
            });
        }
        for pair in steps.windows(2) {
            let (first, second) = (pair[0], pair[1]);
            if first.path == second.path && first.method == second.method {
                problems.push(BuildProblem::DuplicateRoute {
                    method: first.method,
                    path: first.path,
                    first: first.origin(),
                    second: second.origin(),
                });
            }
        }
        let docs_page = self.serve_openapi && self.serve_docs;
        for step in &steps {
            let in_docs = step.path == DOCS_PATH
                || step
                    .path
                    .strip_prefix(DOCS_PATH)
                    .is_some_and(|rest| rest.starts_with('/'));
            let health = step.path == HEALTH_PATH || step.path == READY_PATH;
            let switch = if self.serve_health && health {
                Some("serve_health")
            } else if self.serve_openapi && step.path == OPENAPI_PATH {
                Some("serve_openapi")
            } else if docs_page && in_docs {
                Some("serve_docs")
            } else {
                None
            };
            if let Some(switch) = switch {
                problems.push(BuildProblem::ReservedPath {
                    path: step.path,
                    step: step.origin(),
                    switch,
                });
            }
            for dependency in step.signature().dependencies() {
                if !self.dependencies.contains(dependency.type_id) {
                    problems.push(BuildProblem::MissingDependency {
                        step: step.name,
                        location: step.location(),
                        type_name: dependency.type_name,
                    });
                }
            }
        }
        if !problems.is_empty() {
            return Err(BuildError { problems });
        }
        let mut info = default_info(&steps);
        if let Some(title) = self.title {
            info.title = title;
        }
        if let Some(version) = self.api_version {
            info.version = version;
        }
        info.description = self.description;
        for (step, _) in &self.auth.overrides {
            if !steps
                .iter()
                .any(|known| known.path == step.path && known.method == step.method)
            {
                problems.push(BuildProblem::UnknownStep {
                    setting: "auth_for",
                    step: step.origin(),
                });
            }
        }
        if !problems.is_empty() {
            return Err(BuildError { problems });
        }
        let mut security = self.auth.security(&steps, self.signature.as_ref());
        security.ip_allow_list = self.ip_allow_list.is_some();
        let docs = DocSource::new(steps.clone(), info, self.fallback_block.is_some(), security);
        Ok(App {
            docs: Arc::new(docs),
            auth: Arc::new(self.auth),
            signature: self.signature.map(Arc::new),
            ip_allow_list: self.ip_allow_list.map(Arc::new),
            serve_openapi: self.serve_openapi,
            serve_docs: self.serve_docs,
            serve_health: self.serve_health,
            steps,
            shared: Arc::new(Shared {
                dependencies: Arc::new(self.dependencies),
                fallback_block: self.fallback_block,
                fallback_message: self.fallback_message,
                body_limit: self.body_limit,
                step_timeout: self.step_timeout,
                in_flight: tokio::sync::Semaphore::new(self.max_concurrent_requests),
                max_concurrent_requests: self.max_concurrent_requests,
                draining: Draining::default(),
                shutdown_timeout: self.shutdown_timeout,
                read_timeout: self.read_timeout,
            }),
        })
    }
}

/// Why an app could not be built: every problem found, not only the first.
pub struct BuildError {
    problems: Vec<BuildProblem>,
}

impl BuildError {
    /// The problems, in the order they were found.
    pub fn problems(&self) -> &[BuildProblem] {
        &self.problems
    }
}

/// One reason an app cannot be built.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildProblem {
    /// The app has no steps.
    NoSteps {
        /// Whether the steps were looked for with [`App::discover`].
        discovered: bool,
    },
    /// Two steps answer the same method and path.
    DuplicateRoute {
        /// The method.
        method: Method,
        /// The path.
        path: &'static str,
        /// One step: `module::name at file:line`.
        first: String,
        /// The other step.
        second: String,
    },
    /// A step takes `Dep<T>`, and no `T` was provided.
    MissingDependency {
        /// The step's function name.
        step: &'static str,
        /// Where it is: `file:line`.
        location: String,
        /// The type nobody provided.
        type_name: &'static str,
    },
    /// A setting names a step the app does not serve.
    UnknownStep {
        /// The builder method, e.g. `auth_for`.
        setting: &'static str,
        /// The step: `module::name at file:line`.
        step: String,
    },
    /// A step is at a path the app serves its OpenAPI document, docs page or health
    /// endpoints at.
    ReservedPath {
        /// The step's path.
        path: &'static str,
        /// The step: `module::name at file:line`.
        step: String,
        /// The builder switch that frees the path, e.g. `serve_docs`.
        switch: &'static str,
    },
}

impl fmt::Display for BuildProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildProblem::NoSteps { discovered: true } => write!(
                f,
                "no steps were found: App::discover() collects the functions annotated with \
                 #[api_step] or #[next_block] in every crate linked into this program, and found none\n\
                 help: if the steps live in a library crate, make the binary link it by adding \
                 `use my_steps as _;` to main.rs (cargo does not link a crate nothing refers to)\n\
                 help: on targets without static constructors, list the steps yourself: \
                 App::from_steps([order::STEP, ...])"
            ),
            BuildProblem::NoSteps { discovered: false } => write!(
                f,
                "App::from_steps was given no steps\n\
                 help: list them, e.g. App::from_steps([order::STEP])"
            ),
            BuildProblem::DuplicateRoute {
                method,
                path,
                first,
                second,
            } => write!(
                f,
                "two steps answer {method} {path}: {first}, and {second}\n\
                 help: give one of them another path or method"
            ),
            BuildProblem::MissingDependency {
                step,
                location,
                type_name,
            } => write!(
                f,
                "step `{step}` ({location}) takes Dep<{type_name}>, but no `{type_name}` was provided\n\
                 help: hand one to the app: App::discover().provide(value)"
            ),
            BuildProblem::UnknownStep { setting, step } => write!(
                f,
                "{setting} names step {step}, which this app does not serve\n\
                 help: add the step to the app, or remove the setting"
            ),
            BuildProblem::ReservedPath { path, step, switch } => write!(
                f,
                "step {step} is at {path}, which the app itself serves\n\
                 help: give the step another path, or switch that off with .{switch}(false)"
            ),
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        write!(
            f,
            "the Chatlayer app cannot be built ({count} problem{}):",
            if count == 1 { "" } else { "s" }
        )?;
        for (index, problem) in self.problems.iter().enumerate() {
            let text = problem.to_string().replace('\n', "\n     ");
            write!(f, "\n  {}. {text}", index + 1)?;
        }
        Ok(())
    }
}

/// Prints like `Display`, so that `main` returning `Result<(), BuildError>` shows a readable
/// message.
impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for BuildError {}
