//! [`AppBuilder`]: the settings of an app, checked all at once by [`AppBuilder::build`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::problems::{BuildError, BuildProblem};
use super::{App, DOCS_PATH, HEALTH_PATH, METRICS_PATH, OPENAPI_PATH, READY_PATH};
use crate::BlockId;
use crate::deps::Dependencies;
use crate::descriptor::{self, StepDescriptor};
use crate::dispatch::{FailurePolicy, Runtime};
use crate::observe::ObserveSettings;
use crate::openapi::Info;
use crate::openapi::routes::DocSource;
use crate::record::{self, Recording};
use crate::security::{Auth, IpAllowList, SecuritySettings, SignatureVerifier, process_env};
use crate::serve::{DRAIN_DELAY_ENV, SHUTDOWN_TIMEOUT_ENV, ServerSettings, duration_from_env};

/// Configures an [`App`]; [`build`](Self::build) checks everything at once.
#[must_use = "call .build() or .serve() to use the app"]
pub struct AppBuilder {
    steps: Vec<&'static StepDescriptor>,
    discovered: bool,
    dependencies: Dependencies,
    failure: FailurePolicy,
    body_limit: usize,
    step_timeout: Duration,
    deny_unknown_params: bool,
    info: InfoSettings,
    serve_openapi: bool,
    serve_docs: bool,
    serve_health: bool,
    max_concurrent_requests: usize,
    body_budget: usize,
    body_value_limit: usize,
    server: ServerSettings,
    /// Set by the builder: the environment's value does not apply.
    drain_delay_set: bool,
    shutdown_timeout_set: bool,
    security: SecuritySettings,
    observe: ObserveSettings,
    recording: Option<Recording>,
}

/// What the builder was told for the OpenAPI document's `info` and `tags`.
#[derive(Default)]
struct InfoSettings {
    title: Option<String>,
    version: Option<String>,
    description: Option<String>,
    license: Option<String>,
    tags: BTreeMap<String, String>,
}

impl AppBuilder {
    /// The default limit on a request body: 1 MiB.
    pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

    /// The default number of requests served at once; more are refused with 503 and
    /// `Retry-After` rather than queued.
    pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 1024;

    /// How long a server that was told to stop waits for the requests in flight, by default.
    pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(20);

    /// How long a client may take to send a request's headers, and then its body, by default.
    pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);

    /// How long a server told to stop keeps serving (with `Connection: close`) before it
    /// stops accepting, by default.
    pub const DEFAULT_DRAIN_DELAY: Duration = Duration::from_secs(1);

    /// The default bound on the bytes of request bodies held at once while they arrive:
    /// 64 MiB.
    pub const DEFAULT_BODY_BUDGET: usize = 64 * 1024 * 1024;

    /// The default bound on the JSON values (numbers, strings, objects, arrays...) one
    /// body may hold.
    pub const DEFAULT_BODY_VALUE_LIMIT: usize = 10_000;

    /// The default bound on the connections a standalone server holds open (lower when
    /// the limit on open files is lower).
    pub const DEFAULT_MAX_CONNECTIONS: usize = crate::server::DEFAULT_MAX_CONNECTIONS;

    /// The default deadline of a step: 10 s, well before Chatlayer gives up on an API step
    /// (it advises answering within 20 s).
    pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(10);

    pub(super) fn new(steps: Vec<&'static StepDescriptor>, discovered: bool) -> Self {
        AppBuilder {
            steps,
            discovered,
            dependencies: Dependencies::default(),
            failure: FailurePolicy::default(),
            body_limit: Self::DEFAULT_BODY_LIMIT,
            step_timeout: Self::DEFAULT_STEP_TIMEOUT,
            deny_unknown_params: false,
            info: InfoSettings::default(),
            serve_openapi: true,
            serve_docs: true,
            serve_health: true,
            max_concurrent_requests: Self::DEFAULT_MAX_CONCURRENT_REQUESTS,
            body_budget: Self::DEFAULT_BODY_BUDGET,
            body_value_limit: Self::DEFAULT_BODY_VALUE_LIMIT,
            server: ServerSettings::default(),
            drain_delay_set: false,
            shutdown_timeout_set: false,
            security: SecuritySettings::default(),
            observe: ObserveSettings::default(),
            recording: None,
        }
    }

    /// Hands `value` to every step that takes a [`Dep<T>`](crate::Dep). Providing the same
    /// type again replaces the earlier value (e.g. a test double over the real one).
    pub fn provide<T: Send + Sync + 'static>(self, value: T) -> Self {
        self.provide_arc(Arc::new(value))
    }

    /// Like [`provide`](Self::provide), for a value already behind an `Arc`: steps that take
    /// `Dep<T>` share this `Arc<T>`.
    pub fn provide_arc<T: Send + Sync + 'static>(mut self, value: Arc<T>) -> Self {
        self.dependencies.insert(value);
        self
    }

    /// The block every step jumps to when it fails and has no fallback of its own: instead
    /// of an error, Chatlayer gets HTTP 200 with this block as the next one, and the error is
    /// logged. Without it, a failing step answers a JSON error (4xx or 5xx).
    pub fn fallback_block(mut self, block: impl Into<BlockId>) -> Self {
        self.failure.block = Some(block.into());
        self
    }

    /// A text message sent along with a jump to a fallback block, e.g. "Sorry, something
    /// went wrong." A step's own `fallback_message = ...` takes precedence, and an error's
    /// [user message](crate::StepError::with_user_message) over both.
    pub fn fallback_message(mut self, text: impl Into<String>) -> Self {
        self.failure.message = Some(text.into());
        self
    }

    /// Whether a request whose parameters do not fit the step (a missing, malformed or
    /// unknown parameter, an unreadable body: [`ErrorClass::Request`](crate::ErrorClass))
    /// jumps to the fallback block like a failure of the step (the default, so the
    /// conversation goes on), or answers its 4xx JSON error (`false`), which Chatlayer lists
    /// in the bot's error log: these usually mean the API step is configured wrong. Either
    /// way the error is logged at warn with the fix.
    pub fn fallback_for_request_errors(mut self, on: bool) -> Self {
        self.failure.request_errors = on;
        self
    }

    /// Refuses requests carrying parameters that none of a step's arguments reads, with a
    /// 400 `unknown_parameter` (a typo such as `E-mail` for `email` then fails loudly
    /// instead of leaving the argument empty). Off by default: such parameters are logged at
    /// warn, once per step and name. A step opts in on its own with `deny_unknown_params`
    /// in its attribute.
    pub fn deny_unknown_params(mut self, on: bool) -> Self {
        self.deny_unknown_params = on;
        self
    }

    /// The largest request body accepted, in bytes (default
    /// [`DEFAULT_BODY_LIMIT`](Self::DEFAULT_BODY_LIMIT)). A larger one is refused with HTTP
    /// 413 without being read into memory.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How long a step may run (default [`DEFAULT_STEP_TIMEOUT`](Self::DEFAULT_STEP_TIMEOUT),
    /// 10 s); a step's own `timeout = "5s"` takes precedence. At the deadline the step is
    /// cancelled (its future is dropped) and the failure policy answers: the fallback block
    /// when there is one, else a JSON `step_timeout` error (504), well before Chatlayer gives up.
    pub fn step_timeout(mut self, timeout: Duration) -> Self {
        self.step_timeout = timeout;
        self
    }

    /// The API's title in the OpenAPI document and the docs page. Defaults to the name of
    /// the Cargo package that defines the steps.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.info.title = Some(title.into());
        self
    }

    /// The API's version in the OpenAPI document. Defaults to the version of the Cargo
    /// package that defines the steps.
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.info.version = Some(version.into());
        self
    }

    /// What the API is for, shown at the top of the docs page (CommonMark).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.info.description = Some(text.into());
        self
    }

    /// The API's license in the OpenAPI document, as an SPDX expression (e.g.
    /// `"MIT OR Apache-2.0"`). Defaults to the `license` of the Cargo package that defines
    /// the steps, when it has one.
    pub fn license(mut self, spdx: impl Into<String>) -> Self {
        self.info.license = Some(spdx.into());
        self
    }

    /// Describes the steps tagged `name` (`tag = "orders"` in their attribute), for the
    /// docs page's groups.
    pub fn tag(mut self, name: impl Into<String>, description: impl Into<String>) -> Self {
        self.info.tags.insert(name.into(), description.into());
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
    /// JSON 401 and the step does not run. Without it, the app reads
    /// `CHATLAYER_BEARER_TOKEN`, or `CHATLAYER_BASIC_USER` and `CHATLAYER_BASIC_PASSWORD`,
    /// when it is built (see [`security`](crate::security)). The health endpoints and the
    /// docs stay open.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.security.auth = Some(auth);
        self
    }

    /// Who may call one step, instead of the app-wide [`auth`](Self::auth): e.g.
    /// `Auth::none()` to open it, or other credentials.
    pub fn auth_for(mut self, step: &'static StepDescriptor, auth: Auth) -> Self {
        self.security.auth_overrides.push((step, auth));
        self
    }

    /// Requires every request to carry an HMAC signature (see [`SignatureVerifier`]): a
    /// missing or wrong one gets a JSON 401 (`invalid_signature`) and the step does not run.
    /// Off by default. Without it, the app reads `CHATLAYER_SIGNATURE_SECRET` and friends
    /// when it is built (see [`SignatureVerifier::from_env`]).
    pub fn verify_signatures(mut self, verifier: SignatureVerifier) -> Self {
        self.security.signature = Some(verifier);
        self
    }

    /// Lets only callers from these networks reach the steps (see [`IpAllowList`]); others
    /// get a JSON 403 (`forbidden_ip`). Off by default. Without it, the app reads
    /// `CHATLAYER_ALLOW_IPS` and `CHATLAYER_TRUSTED_PROXIES` when it is built. An embedding
    /// app must serve with `into_make_service_with_connect_info::<SocketAddr>()`, or every
    /// request is refused (the caller's address is unknown).
    pub fn allow_ips(mut self, list: IpAllowList) -> Self {
        self.security.ip_allow_list = Some(list);
        self
    }

    /// Whether the security settings of the environment apply (default: yes, however the
    /// app is served: see [`security`](crate::security)). With `false`, only the builder's
    /// settings apply, and a `CHATLAYER_*` security variable that is set anyway is reported
    /// at warn when the app is built, since nothing applies it.
    pub fn security_from_env(mut self, on: bool) -> Self {
        self.security.from_env = on;
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
    /// [`DEFAULT_MAX_CONCURRENT_REQUESTS`](Self::DEFAULT_MAX_CONCURRENT_REQUESTS)). Beyond
    /// it, requests are refused at once with 503, `Retry-After: 1` and a JSON `overloaded`
    /// error, instead of queueing until Chatlayer gives up: load is shed, latency stays
    /// bounded.
    pub fn max_concurrent_requests(mut self, limit: usize) -> Self {
        self.max_concurrent_requests = limit.max(1);
        self
    }

    /// How long a client may take to send a request's headers (standalone server), and
    /// then its body (default [`DEFAULT_READ_TIMEOUT`](Self::DEFAULT_READ_TIMEOUT), 10 s). A
    /// client that is slower, as in a slowloris attack, loses its connection (headers) or
    /// gets a JSON 408 (`body_timeout`), so it cannot hold the server's connections forever.
    /// The standalone server also closes a connection that starts no request this long
    /// after it was accepted or after its last request (an idle keep-alive or HTTP/2
    /// connection), and pings HTTP/2 clients at this interval.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.server.header_read_timeout = timeout;
        self
    }

    /// How long the requests in flight may take to finish once the server stops accepting
    /// (after the [drain delay](Self::drain_delay)); default
    /// [`DEFAULT_SHUTDOWN_TIMEOUT`](Self::DEFAULT_SHUTDOWN_TIMEOUT). Whatever still runs
    /// then is dropped.
    ///
    /// Without this call, `CHATLAYER_SHUTDOWN_TIMEOUT` sets it (`20s`, `500ms`, `1m`).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.server.shutdown_timeout = timeout;
        self.shutdown_timeout_set = true;
        self
    }

    /// How long a standalone server told to stop (SIGINT, SIGTERM, or the `shutdown`
    /// future of [`App::serve_with`]) keeps accepting and serving before it stops accepting
    /// (default [`DEFAULT_DRAIN_DELAY`](Self::DEFAULT_DRAIN_DELAY)). Meanwhile `/readyz`
    /// answers 503 and every HTTP/1 answer carries `Connection: close`, so clients finish
    /// their request and move away instead of sending one into a closing connection. Behind
    /// a load balancer, set it to the time the balancer takes to stop sending (its
    /// deregistration delay).
    ///
    /// Without this call, `CHATLAYER_DRAIN_DELAY` sets it (`5s`, `500ms`): the setting a
    /// deployment changes without a new build.
    pub fn drain_delay(mut self, delay: Duration) -> Self {
        self.server.drain_delay = delay;
        self.drain_delay_set = true;
        self
    }

    /// How many connections a standalone server holds open at once (default
    /// [`DEFAULT_MAX_CONNECTIONS`](Self::DEFAULT_MAX_CONNECTIONS), and always below the
    /// process's limit on open files, which the server raises to its hard limit). At the
    /// bound, a new connection takes the place of the oldest one that has not sent a
    /// request yet, so silent clients cannot lock others out; when every connection is busy
    /// with requests, new ones are closed at once.
    pub fn max_connections(mut self, limit: usize) -> Self {
        self.server.max_connections = Some(limit.max(1));
        self
    }

    /// How many bytes of request bodies the app holds at once while they arrive (default
    /// [`DEFAULT_BODY_BUDGET`](Self::DEFAULT_BODY_BUDGET)). A body arriving when the budget
    /// is spent is refused with 503 `overloaded`. Bodies count only the bytes that have
    /// arrived (and 64 bytes more for each piece they arrived in, which keeping the piece
    /// costs), so clients trickling bodies byte by byte hold almost nothing, and the
    /// [concurrency limit](Self::max_concurrent_requests) applies only once a body is read:
    /// slow bodies cannot starve the steps.
    pub fn body_budget(mut self, bytes: usize) -> Self {
        self.body_budget = bytes.max(1);
        self
    }

    /// How many JSON values (numbers, strings, objects, arrays, ...) one body may hold
    /// (default [`DEFAULT_BODY_VALUE_LIMIT`](Self::DEFAULT_BODY_VALUE_LIMIT)). Parsed values
    /// take far more memory than their text (`[0,0,...]` about 16 times), so this, with the
    /// [body limit](Self::body_limit), bounds the memory one request can make from its body.
    /// A body with more is refused with 413 `body_too_large`.
    pub fn body_value_limit(mut self, values: usize) -> Self {
        self.body_value_limit = values.max(1);
        self
    }

    /// Whether every request to a step leaves an access line at `info` (target
    /// `chatlayer::access`): its step, status, outcome code, latency and whether the
    /// fallback block was taken (default: yes). Without this call, `CHATLAYER_ACCESS_LOG=off`
    /// switches it off; `RUST_LOG=info,chatlayer::access=off` hides it too. The request's
    /// span and the failures' lines stay either way. See [`observe`](crate::observe).
    pub fn access_log(mut self, on: bool) -> Self {
        self.observe.access_log = Some(on);
        self
    }

    /// Whether the app counts its requests and serves the counts to Prometheus at
    /// `GET /metrics` (default: yes). Without this call, `CHATLAYER_METRICS=off` switches
    /// them off, and then nothing is counted. See [`observe`](crate::observe) for the
    /// metrics.
    pub fn serve_metrics(mut self, on: bool) -> Self {
        self.observe.metrics = Some(on);
        self
    }

    /// Lets only scrapers sending `Authorization: Bearer <token>` read `/metrics` (others
    /// get a JSON 401). Without this call, `CHATLAYER_METRICS_TOKEN` sets it; without
    /// either, anyone who reaches the port may read the metrics.
    pub fn metrics_token(mut self, token: impl Into<String>) -> Self {
        self.observe.metrics_token = Some(token.into());
        self
    }

    /// Records every request a step answers, and its reply, into a folder: real traffic to
    /// replay as regression tests ([`Replay`](crate::record::Replay)) and to learn what
    /// Chatlayer sends ([`ContractReport`](crate::record::ContractReport)). Secrets are
    /// redacted before anything is written, and the folder is bounded: see [`Recording`].
    /// Off by default; without this call, `CHATLAYER_RECORD=dir` switches it on.
    ///
    /// Recordings hold what users told the bot: keep them where personal data may be kept,
    /// and delete them when they have served.
    pub fn record(mut self, recording: Recording) -> Self {
        self.recording = Some(recording);
        self
    }

    /// Keeps only the steps for which `keep` returns true, e.g. those of one module.
    pub fn retain(mut self, mut keep: impl FnMut(&StepDescriptor) -> bool) -> Self {
        self.steps.retain(|step| keep(step));
        self
    }

    /// Checks the whole app and returns every problem at once: no steps, a step listed
    /// twice, two steps on the same method and path, a step at a path the app serves
    /// itself, a dependency nobody provided, a setting naming a step the app does not serve,
    /// a body budget smaller than the body limit, a security setting in the environment that
    /// cannot be used.
    pub fn build(self) -> Result<App, BuildError> {
        self.build_with_env(&process_env)
    }

    /// [`build`](Self::build) with the environment as `read` sees it.
    pub(crate) fn build_with_env(
        self,
        read: crate::security::Lookup<'_>,
    ) -> Result<App, BuildError> {
        let mut problems = Vec::new();
        let steps = self.steps;
        if steps.is_empty() {
            problems.push(BuildProblem::NoSteps {
                discovered: self.discovered,
            });
        }
        for (index, pair) in steps.windows(2).enumerate() {
            let (first, second) = (pair[0], pair[1]);
            if first.is_same_step(second) {
                // Listed three times is one problem, not two.
                if index == 0 || !steps[index - 1].is_same_step(first) {
                    problems.push(BuildProblem::StepListedTwice {
                        step: first.origin(),
                    });
                }
            } else if first.same_route(second) {
                problems.push(BuildProblem::DuplicateRoute {
                    method: first.method.clone(),
                    path: first.path,
                    first: first.origin(),
                    second: second.origin(),
                });
            }
        }
        let mut server = self.server;
        let mut env_problems = Vec::new();
        for (variable, set, value) in [
            (
                DRAIN_DELAY_ENV,
                self.drain_delay_set,
                &mut server.drain_delay,
            ),
            (
                SHUTDOWN_TIMEOUT_ENV,
                self.shutdown_timeout_set,
                &mut server.shutdown_timeout,
            ),
        ] {
            match duration_from_env(read, variable) {
                Ok(Some(duration)) if !set => *value = duration,
                Ok(_) => {}
                Err(problem) => env_problems.push(problem),
            }
        }
        let (observe, observe_problems) = self.observe.resolve(read);
        env_problems.extend(observe_problems);
        let recording = match self.recording {
            Some(recording) => Some(recording),
            None => Recording::from_lookup(read).unwrap_or_else(|problems| {
                env_problems.extend(problems);
                None
            }),
        };
        problems.extend(
            env_problems
                .into_iter()
                .map(|problem| BuildProblem::Environment { problem }),
        );
        let served = Served {
            health: self.serve_health,
            openapi: self.serve_openapi,
            docs_page: self.serve_openapi && self.serve_docs,
            metrics: observe.metrics.is_some(),
        };
        for step in &steps {
            if let Some(switch) = served.reserving(step.path) {
                problems.push(BuildProblem::ReservedPath {
                    path: step.path,
                    step: step.origin(),
                    switch,
                });
            }
            for dependency in step.inputs().dependencies() {
                if !self.dependencies.contains(dependency.type_id) {
                    problems.push(BuildProblem::MissingDependency {
                        step: step.name,
                        location: step.location(),
                        type_name: dependency.type_name,
                        arc_provided: self.dependencies.contains(dependency.arc_type_id),
                    });
                }
            }
        }
        if self.body_budget < self.body_limit {
            problems.push(BuildProblem::BodyBudgetBelowLimit {
                budget: self.body_budget,
                limit: self.body_limit,
            });
        }
        let (guards, env_problems) = self.security.resolve(read);
        problems.extend(
            env_problems
                .into_iter()
                .map(|problem| BuildProblem::Environment { problem }),
        );
        for named in guards.overridden_steps() {
            if !steps.iter().any(|known| known.same_route(named)) {
                problems.push(BuildProblem::UnknownStep {
                    setting: "auth_for",
                    step: named.origin(),
                });
            }
        }
        if !problems.is_empty() {
            return Err(BuildError { problems });
        }

        server.peer_address = guards.checks_ip();
        let guards = Arc::new(guards);
        let (info, tags) = self.info.resolve(&steps);
        let docs = DocSource::new(
            steps.clone(),
            info,
            tags,
            self.failure.clone(),
            self.deny_unknown_params,
            Arc::clone(&guards),
        );
        Ok(App {
            recorder: recording.map(record::start),
            docs: Arc::new(docs),
            guards,
            serve_openapi: self.serve_openapi,
            serve_docs: self.serve_docs,
            serve_health: self.serve_health,
            observe,
            steps,
            runtime: Arc::new(Runtime {
                dependencies: Arc::new(self.dependencies),
                failure: self.failure,
                body_limit: self.body_limit,
                step_timeout: self.step_timeout,
                read_timeout: server.header_read_timeout,
                body_budget: crate::dispatch::BodyBudget::new(self.body_budget),
                body_value_limit: self.body_value_limit,
                deny_unknown_params: self.deny_unknown_params,
                in_flight: tokio::sync::Semaphore::new(self.max_concurrent_requests),
                max_concurrent_requests: self.max_concurrent_requests,
            }),
            server,
        })
    }
}

/// What the app serves besides its steps.
struct Served {
    health: bool,
    openapi: bool,
    docs_page: bool,
    metrics: bool,
}

impl Served {
    /// The builder switch that frees `path` when the app serves something there itself.
    fn reserving(&self, path: &str) -> Option<&'static str> {
        let in_docs = path == DOCS_PATH
            || path
                .strip_prefix(DOCS_PATH)
                .is_some_and(|rest| rest.starts_with('/'));
        if self.health && (path == HEALTH_PATH || path == READY_PATH) {
            Some("serve_health")
        } else if self.openapi && path == OPENAPI_PATH {
            Some("serve_openapi")
        } else if self.docs_page && in_docs {
            Some("serve_docs")
        } else if self.metrics && path == METRICS_PATH {
            Some("serve_metrics")
        } else {
            None
        }
    }
}

impl InfoSettings {
    /// The document's `info`, defaulting to the package that defines the most steps, and
    /// the tag descriptions.
    fn resolve(self, steps: &[&'static StepDescriptor]) -> (Info, BTreeMap<String, String>) {
        let package = main_package(steps);
        let mut info = match package {
            Some(step) => Info::new(step.package, step.package_version),
            None => Info::new("Chatlayer steps", "0.0.0"),
        };
        if let Some(title) = self.title {
            info.title = title;
        }
        if let Some(version) = self.version {
            info.version = version;
        }
        info.description = self.description;
        let license = self.license.or_else(|| {
            package
                .map(|step| step.package_license)
                .filter(|license| !license.is_empty())
                .map(str::to_owned)
        });
        info.license = license.map(crate::openapi::License::spdx);
        (info, self.tags)
    }
}

/// A step of the package that defines the most steps (ties go to the first name in
/// alphabetical order), for the document's default title, version and license.
fn main_package(steps: &[&'static StepDescriptor]) -> Option<&'static StepDescriptor> {
    let mut counts: BTreeMap<&str, (usize, &'static StepDescriptor)> = BTreeMap::new();
    for step in steps.iter().filter(|step| !step.package.is_empty()) {
        counts.entry(step.package).or_insert((0, step)).0 += 1;
    }
    let mut best: Option<(usize, &'static StepDescriptor)> = None;
    for (count, step) in counts.into_values() {
        if best.is_none_or(|(best_count, _)| count > best_count) {
            best = Some((count, step));
        }
    }
    best.map(|(_, step)| step)
}

/// Sorts steps for [`App::from_steps`]: the order discovery uses.
pub(super) fn sorted(
    steps: impl IntoIterator<Item = &'static StepDescriptor>,
) -> Vec<&'static StepDescriptor> {
    let mut steps: Vec<_> = steps.into_iter().collect();
    steps.sort_by_key(|step| descriptor::sort_key(step));
    steps
}
