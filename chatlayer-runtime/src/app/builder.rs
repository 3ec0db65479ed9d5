//! [`AppBuilder`]: the settings of an app, checked all at once by [`AppBuilder::build`].

use std::sync::Arc;

use super::commands::Command;
use super::limits::Limits;
use super::{App, Served};
use crate::config::Environment;
use crate::descriptor::{self, StepDescriptor};
use crate::dispatch::{BodyBudget, Runtime};
use crate::extract::Dependencies;
use crate::fallback::Fallback;
use crate::observe::Observability;
use crate::openapi::ApiDocs;
use crate::openapi::routes::DocSource;
use crate::problems::{BuildError, BuildProblem};
use crate::recorder::{self, Recording};
use crate::security::Security;
use crate::server::Readiness;

/// Configures an [`App`]; [`build`](Self::build) checks everything at once.
///
/// Settings come in groups, each a type of its own: [`Fallback`] (what a failure answers),
/// [`Limits`] (what a request may take), [`Security`](crate::security::Security) (who may
/// call), [`Observability`](crate::observe::Observability) (logs and metrics),
/// [`ApiDocs`](crate::openapi::ApiDocs) (the OpenAPI document) and
/// [`Recording`](crate::record::Recording) (recording traffic). How connections are served
/// is the [`Server`](crate::server::Server)'s.
#[must_use = "call .build(), .serve() or .run() to use the app"]
pub struct AppBuilder {
    steps: Vec<&'static StepDescriptor>,
    discovered: bool,
    dependencies: Dependencies,
    fallback: Fallback,
    limits: Limits,
    deny_unknown_params: bool,
    docs: ApiDocs,
    serve_health: bool,
    security: Security,
    observe: Observability,
    recording: Option<Recording>,
    environment: Option<Environment>,
    commands: Vec<Arc<dyn Command>>,
}

impl AppBuilder {
    pub(super) fn new(steps: Vec<&'static StepDescriptor>, discovered: bool) -> Self {
        AppBuilder {
            steps,
            discovered,
            dependencies: Dependencies::default(),
            fallback: Fallback::default(),
            limits: Limits::default(),
            deny_unknown_params: false,
            docs: ApiDocs::default(),
            serve_health: true,
            security: Security::default(),
            observe: Observability::default(),
            recording: None,
            environment: None,
            commands: Vec::new(),
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

    /// Hands every step that takes a [`Dep<T>`](crate::Dep) the value `make` returns, made
    /// only when the app first needs it: when it starts serving, or when a command runs its
    /// steps (`replay`, `emulate`, `converse`). The commands that only read the app
    /// (`help`, `openapi`, `steps`, `sign`, `contract`, `healthcheck`) never make it, so a
    /// container's health probe does not open the database on a read-only disk. An error
    /// from `make` stops the start with the dependency's type and the error.
    ///
    /// ```no_run
    /// use chatlayer_runtime::prelude::*;
    ///
    /// struct Db;
    /// impl Db {
    ///     fn open() -> std::io::Result<Db> { Ok(Db) }
    /// }
    ///
    /// #[api_step("/returns")]
    /// async fn returns(db: Dep<Db>) -> Reply { let _ = db; Reply::new() }
    ///
    /// #[tokio::main]
    /// async fn main() -> Result<(), chatlayer_runtime::ServeError> {
    ///     App::discover().provide_with(Db::open).run().await
    /// }
    /// ```
    pub fn provide_with<T, E>(
        mut self,
        make: impl FnOnce() -> Result<T, E> + Send + 'static,
    ) -> Self
    where
        T: Send + Sync + 'static,
        E: std::fmt::Display,
    {
        self.dependencies.insert_deferred(make);
        self
    }

    /// Keeps only the steps for which `keep` returns true, e.g. those of one module.
    pub fn retain(mut self, mut keep: impl FnMut(&StepDescriptor) -> bool) -> Self {
        self.steps.retain(|step| keep(step));
        self
    }

    /// What a failing step answers (see [`Fallback`]): by default a JSON error, or a jump
    /// to the step's own `fallback = ...` block when it has one.
    pub fn fallback(mut self, fallback: Fallback) -> Self {
        self.fallback = fallback;
        self
    }

    /// What one request, and all of them at once, may take (see [`Limits`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Who may call the steps (see [`Security`]). What is not set there comes from the
    /// environment when the app is built.
    pub fn security(mut self, security: Security) -> Self {
        self.security = security;
        self
    }

    /// The access line and the metrics (see [`Observability`]). What is not set there comes
    /// from the environment when the app is built.
    pub fn observe(mut self, observe: Observability) -> Self {
        self.observe = observe;
        self
    }

    /// The OpenAPI document's `info` and tags, and whether the document and the docs page
    /// are served (see [`ApiDocs`]).
    pub fn docs(mut self, docs: ApiDocs) -> Self {
        self.docs = docs;
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

    /// Refuses requests carrying parameters that none of a step's arguments reads, with a
    /// 400 `unknown_parameter` (a typo such as `E-mail` for `email` then fails loudly
    /// instead of leaving the argument empty). Off by default: such parameters are logged at
    /// warn, once per step and name. A step opts in on its own with `deny_unknown_params`
    /// in its attribute.
    pub fn deny_unknown_params(mut self, on: bool) -> Self {
        self.deny_unknown_params = on;
        self
    }

    /// Whether the router answers `GET /healthz` (always 200 while the process runs) and
    /// `GET /readyz` (200, or 503 once the server serving the app is draining), for
    /// orchestrators' probes (default: yes).
    pub fn serve_health(mut self, on: bool) -> Self {
        self.serve_health = on;
        self
    }

    /// The environment the app reads its settings from when it is built (default: the
    /// process's, read then). Tests hand in the variables they need, instead of changing
    /// the process's environment, which every test running at once would see:
    ///
    /// ```
    /// use chatlayer_runtime::prelude::*;
    /// use chatlayer_runtime::config::{Environment, Variable};
    ///
    /// # #[api_step("/x")] fn x() -> Reply { Reply::new() }
    /// let app = App::from_steps([x::STEP])
    ///     .environment(Environment::empty().with(Variable::BearerToken, "t0ken"))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(app.openapi().security.len(), 1); // the document declares it
    /// ```
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// Adds a command to the app's binary, run by [`App::run`] when the command line names
    /// it (see [`Command`]): e.g. the conversation emulator's `emulate` and `converse`.
    pub fn command(mut self, command: impl Command) -> Self {
        self.commands.push(Arc::new(command));
        self
    }

    /// Adds several commands at once (see [`command`](Self::command)).
    pub fn commands(mut self, commands: impl IntoIterator<Item = Arc<dyn Command>>) -> Self {
        self.commands.extend(commands);
        self
    }

    /// Checks the whole app and returns every problem at once: no steps, a step listed
    /// twice, two steps on the same method and path, a step at a path the app serves
    /// itself, a dependency nobody provided, a setting naming a step the app does not serve,
    /// a body budget smaller than the body limit, an environment variable that cannot be
    /// used.
    pub fn build(self) -> Result<App, BuildError> {
        let environment = self.environment.unwrap_or_else(Environment::process);
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
        let mut env_problems = environment.renamed_problems();
        let (observe, observe_problems) = self.observe.resolve(&environment);
        env_problems.extend(observe_problems);
        let recording = match self.recording {
            Some(recording) => Some(recording),
            None => Recording::from_environment(&environment).unwrap_or_else(|invalid| {
                env_problems.extend(invalid);
                None
            }),
        };
        let (guards, security_problems) = self.security.resolve(&environment);
        env_problems.extend(security_problems);
        // What the app itself knows is secret is never recorded, whatever its name.
        let recording = recording.map(|recording| {
            recording.redact(
                guards
                    .signature()
                    .map(|verifier| verifier.header_name().as_str().to_owned()),
            )
        });
        problems.extend(env_problems.into_iter().map(BuildProblem::Environment));
        let served = Served {
            health: self.serve_health,
            openapi: self.docs.serve,
            docs_page: self.docs.serves_page(),
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
        let limits = self.limits;
        if limits.body_budget < limits.body {
            problems.push(BuildProblem::BodyBudgetBelowLimit {
                budget: limits.body_budget,
                limit: limits.body,
            });
        }
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
        warn_of_unsigned_urls(&guards, &steps);

        let guards = Arc::new(guards);
        let (info, tags) = self.docs.resolve(&steps);
        let docs = DocSource::new(
            steps.clone(),
            info,
            tags,
            self.fallback.clone(),
            self.deny_unknown_params,
            Arc::clone(&guards),
        );
        Ok(App {
            recorder: recording.map(recorder::start),
            docs: Arc::new(docs),
            guards,
            served,
            observe,
            steps,
            readiness: Readiness::new(),
            environment: Arc::new(environment),
            commands: self.commands,
            runtime: Arc::new(Runtime {
                dependencies: Arc::new(self.dependencies),
                failure: self.fallback,
                body_limit: limits.body,
                step_timeout: limits.step_timeout,
                read_timeout: limits.body_timeout,
                body_budget: BodyBudget::new(limits.body_budget),
                body_value_limit: limits.body_values,
                deny_unknown_params: self.deny_unknown_params,
                in_flight: crate::dispatch::InFlight::new(limits.concurrent_requests),
            }),
        })
    }
}

/// Sorts steps for [`App::from_steps`]: the order discovery uses.
pub(super) fn sorted(
    steps: impl IntoIterator<Item = &'static StepDescriptor>,
) -> Vec<&'static StepDescriptor> {
    let mut steps: Vec<_> = steps.into_iter().collect();
    steps.sort_by_key(|step| descriptor::sort_key(step));
    steps
}

/// A `GET` step's parameters come in the URL, which a signature over the body does not
/// cover: with such signatures every request that carries them is refused, which the
/// builder of the bot would only learn from Chatlayer's error log.
fn warn_of_unsigned_urls(guards: &crate::security::Guards, steps: &[&'static StepDescriptor]) {
    let Some(verifier) = guards.signature() else {
        return;
    };
    if verifier.signed_content() != crate::security::SignedContent::Body {
        return;
    }
    for step in steps {
        let inputs = step.inputs();
        if step.method() == axum::http::Method::GET
            && (!inputs.params().is_empty()
                || inputs.param_names().is_none_or(|names| !names.is_empty()))
        {
            tracing::warn!(
                "{}: a GET step's parameters come in the query string, which signatures over \
                 the body do not cover, so requests carrying them are refused \
                 (unsigned_query); make it a POST step, or sign the whole request \
                 (SignedContent::Request) if the sender does",
                step.label()
            );
        }
    }
}
