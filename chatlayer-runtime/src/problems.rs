//! Why an app cannot start: [`BuildError`] (everything wrong with it, found at once when it
//! is built) and [`ServeError`] (why a standalone app stopped, or could not start).

use std::fmt;
use std::io;

use axum::http::Method;

use crate::config::InvalidVariable;

/// Why an app could not be built: every problem found, not only the first.
pub struct BuildError {
    pub(crate) problems: Vec<BuildProblem>,
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
        /// Whether the steps were looked for with [`App::discover`](crate::App::discover).
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
    /// The same step is listed twice in [`App::from_steps`](crate::App::from_steps).
    StepListedTwice {
        /// The step: `module::name at file:line`.
        step: String,
    },
    /// A step takes `Dep<T>`, and no `T` was provided.
    MissingDependency {
        /// The step's function name.
        step: &'static str,
        /// Where it is: `file:line`.
        location: String,
        /// The type nobody provided.
        type_name: &'static str,
        /// Whether an `Arc<T>` was handed to `provide` instead (which provides `Arc<T>`, for
        /// `Dep<Arc<T>>`).
        arc_provided: bool,
    },
    /// An environment variable has a value that cannot be used (see
    /// [`config`](crate::config)): which, and why.
    Environment(InvalidVariable),
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
        /// The setting that frees the path, e.g. `ApiDocs::serve_page`.
        switch: &'static str,
    },
    /// The [body budget](crate::Limits::body_budget) is smaller than the
    /// [body limit](crate::Limits::body): a body of the limit could never be read.
    BodyBudgetBelowLimit {
        /// The budget, in bytes.
        budget: usize,
        /// The limit, in bytes.
        limit: usize,
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
            BuildProblem::StepListedTwice { step } => write!(
                f,
                "step {step} is listed twice in App::from_steps\n\
                 help: list each step once"
            ),
            BuildProblem::MissingDependency {
                step,
                location,
                type_name,
                arc_provided: false,
            } => write!(
                f,
                "step `{step}` ({location}) takes Dep<{type_name}>, but no `{type_name}` was provided\n\
                 help: hand one to the app: App::discover().provide(value)"
            ),
            BuildProblem::MissingDependency {
                step,
                location,
                type_name,
                arc_provided: true,
            } => write!(
                f,
                "step `{step}` ({location}) takes Dep<{type_name}>, but no `{type_name}` was provided: \
                 an `Arc<{type_name}>` was handed to provide(..), which provides Arc<{type_name}> \
                 itself (for a Dep<Arc<{type_name}>>)\n\
                 help: hand the Arc over with provide_arc(arc) instead: it provides the `{type_name}` inside"
            ),
            BuildProblem::Environment(invalid) => write!(
                f,
                "{invalid}\n\
                 help: fix or unset {} (the app reads its settings from the environment \
                 when it is built)",
                invalid.variable()
            ),
            BuildProblem::UnknownStep { setting, step } => write!(
                f,
                "{setting} names step {step}, which this app does not serve\n\
                 help: add the step to the app, or remove the setting"
            ),
            BuildProblem::ReservedPath { path, step, switch } => write!(
                f,
                "step {step} is at {path}, which the app itself serves\n\
                 help: give the step another path, or switch that off with {switch}(false)"
            ),
            BuildProblem::BodyBudgetBelowLimit { budget, limit } => write!(
                f,
                "the body budget ({budget} bytes) is smaller than the body limit ({limit} \
                 bytes): a body of the limit could never be read\n\
                 help: raise Limits::body_budget(..) to several times the limit, or lower \
                 Limits::body(..)"
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

/// Why a standalone app stopped or could not start.
#[non_exhaustive]
pub enum ServeError {
    /// The app failed its checks.
    Build(BuildError),
    /// Environment variables have values that cannot be used: each, and why.
    Config(Vec<InvalidVariable>),
    /// The address could not be bound (in use, not local, no permission).
    Bind {
        /// The address.
        address: String,
        /// The system's reason.
        source: io::Error,
    },
    /// The server failed while running.
    Io(io::Error),
    /// The command line of [`App::run`](crate::App::run) cannot be followed: the message
    /// says why, with the usage.
    Usage(String),
    /// The `healthcheck` command found no healthy server: the message says what it saw.
    Unhealthy(String),
    /// A command failed: the message says why (e.g. the conversation scripts that failed).
    Failed(String),
}

impl From<BuildError> for ServeError {
    fn from(error: BuildError) -> Self {
        ServeError::Build(error)
    }
}

impl From<InvalidVariable> for ServeError {
    fn from(error: InvalidVariable) -> Self {
        ServeError::Config(vec![error])
    }
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Build(error) => write!(f, "{error}"),
            ServeError::Config(problems) => {
                for (index, invalid) in problems.iter().enumerate() {
                    if index > 0 {
                        f.write_str("\n")?;
                    }
                    write!(f, "{invalid}")?;
                }
                Ok(())
            }
            ServeError::Bind { address, source } => write!(
                f,
                "cannot listen on {address}: {source}\n\
                 help: choose another address with CHATLAYER_ADDR=host:port (or PORT=port)"
            ),
            ServeError::Io(error) => write!(f, "the server failed: {error}"),
            ServeError::Usage(message)
            | ServeError::Unhealthy(message)
            | ServeError::Failed(message) => f.write_str(message),
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
            ServeError::Config(problems) => problems
                .first()
                .map(|error| error as &(dyn std::error::Error + 'static)),
            ServeError::Bind { source, .. } | ServeError::Io(source) => Some(source),
            ServeError::Usage(_) | ServeError::Unhealthy(_) | ServeError::Failed(_) => None,
        }
    }
}
