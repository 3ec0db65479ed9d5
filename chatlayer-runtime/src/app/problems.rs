//! [`BuildError`]: everything wrong with an app, found at once when it is built.

use std::fmt;

use axum::http::Method;

/// Why an app could not be built: every problem found, not only the first.
pub struct BuildError {
    pub(super) problems: Vec<BuildProblem>,
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
    /// A security setting in the environment cannot be used (see
    /// [`security`](crate::security)).
    Environment {
        /// What is wrong, naming the variable.
        problem: String,
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
    /// The [body budget](crate::AppBuilder::body_budget) is smaller than the
    /// [body limit](crate::AppBuilder::body_limit): a body of the limit could never be read.
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
            BuildProblem::Environment { problem } => write!(
                f,
                "{problem}\n\
                 help: fix or unset the variable (the app reads its settings from the \
                 environment when it is built)"
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
            BuildProblem::BodyBudgetBelowLimit { budget, limit } => write!(
                f,
                "the body budget ({budget} bytes) is smaller than the body limit ({limit} \
                 bytes): a body of the limit could never be read\n\
                 help: raise body_budget(..) to several times the limit, or lower body_limit(..)"
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
