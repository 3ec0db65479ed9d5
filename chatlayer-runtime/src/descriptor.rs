//! [`StepDescriptor`]: everything the macros know about one step, as constant data.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use axum::http::Method;

use crate::Reply;
use crate::error::StepError;
use crate::extract::{ArgSpec, SchemaFn, StepInputs, StepRequest};

/// The future a step's generated adapter returns.
pub type StepFuture = Pin<Box<dyn Future<Output = Result<Reply, StepError>> + Send + 'static>>;

/// Which macro declared a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StepKind {
    /// `#[api_step]`: answers with a full [`Reply`].
    ApiStep,
    /// `#[next_block]`: answers only with the next block.
    NextBlock,
}

/// Everything known about one step: written by `#[api_step]` / `#[next_block]` as a
/// constant, reachable as `my_step::STEP`, and registered for [`App::discover`](crate::App::discover).
///
/// Read it through the methods.
///
/// ```
/// use chatlayer_runtime::prelude::*;
///
/// /// Where to go outside opening hours.
/// #[next_block]
/// fn opening_hours(open: BlockId, closed: BlockId) -> BlockId { open }
///
/// let step = opening_hours::STEP;
/// assert_eq!(step.path(), "/opening-hours");
/// assert_eq!(step.method(), Method::POST);
/// assert_eq!(step.name(), "opening_hours");
/// assert_eq!(step.docs(), "Where to go outside opening hours.");
/// ```
pub struct StepDescriptor {
    pub(crate) kind: StepKind,
    pub(crate) method: Method,
    pub(crate) path: &'static str,
    pub(crate) name: &'static str,
    pub(crate) module_path: &'static str,
    pub(crate) package: &'static str,
    pub(crate) package_version: &'static str,
    pub(crate) package_license: &'static str,
    pub(crate) package_description: &'static str,
    pub(crate) package_homepage: &'static str,
    pub(crate) package_repository: &'static str,
    pub(crate) file: &'static str,
    pub(crate) line: u32,
    pub(crate) column: u32,
    pub(crate) docs: &'static str,
    pub(crate) tag: Option<&'static str>,
    pub(crate) namespace: Option<&'static str>,
    pub(crate) session: Option<SchemaFn>,
    pub(crate) fallback: Option<&'static str>,
    pub(crate) fallback_message: Option<&'static str>,
    pub(crate) timeout: Option<std::time::Duration>,
    pub(crate) deny_unknown_params: bool,
    pub(crate) args: &'static [ArgSpec],
    pub(crate) handler: fn(StepRequest) -> StepFuture,
    pub(crate) describe: fn(&mut StepInputs),
}

/// A step's method as the macros write it: `Copy`, so that [`StepParts`] can be taken apart
/// in a `const fn` (axum's `Method` has a destructor). Not a public API.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
#[allow(clippy::upper_case_acronyms)]
pub enum StepMethod {
    GET,
    POST,
    PUT,
    PATCH,
    DELETE,
}

impl StepMethod {
    const fn method(self) -> Method {
        match self {
            StepMethod::GET => Method::GET,
            StepMethod::POST => Method::POST,
            StepMethod::PUT => Method::PUT,
            StepMethod::PATCH => Method::PATCH,
            StepMethod::DELETE => Method::DELETE,
        }
    }
}

/// The parts of a [`StepDescriptor`], as the macros write them. Not a public API: it
/// changes without notice.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct StepParts {
    pub kind: StepKind,
    pub method: StepMethod,
    pub path: &'static str,
    pub name: &'static str,
    pub module_path: &'static str,
    pub package: &'static str,
    pub package_version: &'static str,
    pub package_license: &'static str,
    pub package_description: &'static str,
    pub package_homepage: &'static str,
    pub package_repository: &'static str,
    pub file: &'static str,
    pub line: u32,
    pub column: u32,
    pub docs: &'static str,
    pub tag: Option<&'static str>,
    pub namespace: Option<&'static str>,
    pub session: Option<SchemaFn>,
    pub fallback: Option<&'static str>,
    pub fallback_message: Option<&'static str>,
    pub timeout: Option<std::time::Duration>,
    pub deny_unknown_params: bool,
    pub args: &'static [ArgSpec],
    pub handler: fn(StepRequest) -> StepFuture,
    pub describe: fn(&mut StepInputs),
}

impl StepDescriptor {
    /// Assembles a descriptor from the parts the macros write. Not a public API.
    #[doc(hidden)]
    pub const fn from_parts(parts: StepParts) -> StepDescriptor {
        let StepParts {
            kind,
            method,
            path,
            name,
            module_path,
            package,
            package_version,
            package_license,
            package_description,
            package_homepage,
            package_repository,
            file,
            line,
            column,
            docs,
            tag,
            namespace,
            session,
            fallback,
            fallback_message,
            timeout,
            deny_unknown_params,
            args,
            handler,
            describe,
        } = parts;
        StepDescriptor {
            kind,
            method: method.method(),
            path,
            name,
            module_path,
            package,
            package_version,
            package_license,
            package_description,
            package_homepage,
            package_repository,
            file,
            line,
            column,
            docs,
            tag,
            namespace,
            session,
            fallback,
            fallback_message,
            timeout,
            deny_unknown_params,
            args,
            handler,
            describe,
        }
    }

    /// Stands in for a step whose annotation had compile errors, so that code naming it
    /// does not add errors of its own. Never served: the crate does not compile.
    #[doc(hidden)]
    pub const INVALID: StepDescriptor = StepDescriptor {
        kind: StepKind::ApiStep,
        method: Method::POST,
        path: "/",
        name: "invalid",
        module_path: "",
        package: "",
        package_version: "",
        package_license: "",
        package_description: "",
        package_homepage: "",
        package_repository: "",
        file: "",
        line: 0,
        column: 0,
        docs: "",
        tag: None,
        namespace: None,
        session: None,
        fallback: None,
        fallback_message: None,
        timeout: None,
        deny_unknown_params: false,
        args: &[],
        handler: invalid_handler,
        describe: |_| {},
    };

    /// Which macro declared the step.
    pub fn kind(&self) -> StepKind {
        self.kind
    }

    /// The HTTP method it answers.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path it is served at (relative to wherever the app is mounted).
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// The function's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The module the function is in, e.g. `quickstart::steps`.
    pub fn module_path(&self) -> &'static str {
        self.module_path
    }

    /// The step's own deadline (`timeout = "5s"` in the attribute), when it sets one; the
    /// app's [`Limits::step_timeout`](crate::Limits::step_timeout) applies otherwise.
    pub fn timeout(&self) -> Option<std::time::Duration> {
        self.timeout
    }

    /// The Cargo package that defines the step, e.g. `quickstart`, and its version: the
    /// OpenAPI document's default title and version.
    pub fn package(&self) -> (&'static str, &'static str) {
        (self.package, self.package_version)
    }

    /// Where the function is: `file:line`.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// The function's doc comment.
    pub fn docs(&self) -> &'static str {
        self.docs
    }

    /// The `tag = ...` of the attribute.
    pub fn tag(&self) -> Option<&'static str> {
        self.tag
    }

    /// The session namespace the step declares with `namespace = ...`.
    pub fn namespace(&self) -> Option<&'static str> {
        self.namespace
    }

    /// The parameter carrying the step's failure block (`fallback = ...`).
    pub fn fallback_param(&self) -> Option<&'static str> {
        self.fallback
    }

    /// Whether the step refuses parameters that none of its arguments reads
    /// (`deny_unknown_params` in the attribute).
    pub fn denies_unknown_params(&self) -> bool {
        self.deny_unknown_params
    }

    /// The arguments, in signature order.
    pub fn args(&self) -> &'static [ArgSpec] {
        self.args
    }

    /// What the step's arguments read: parameters and dependencies.
    pub fn inputs(&self) -> StepInputs {
        let mut inputs = StepInputs::default();
        (self.describe)(&mut inputs);
        inputs
    }

    /// `quickstart::order at src/main.rs:12`: which function, and where.
    pub(crate) fn origin(&self) -> String {
        format!("{}::{} at {}", self.module_path, self.name, self.location())
    }

    /// `POST /order (quickstart::order at src/main.rs:12)`.
    pub(crate) fn label(&self) -> String {
        format!("{} {} ({})", self.method, self.path, self.origin())
    }

    /// Whether `other` is this step (the same function), whatever its address: a constant's
    /// data may be copied wherever it is used.
    pub(crate) fn is_same_step(&self, other: &StepDescriptor) -> bool {
        (
            self.file,
            self.line,
            self.column,
            self.module_path,
            self.name,
        ) == (
            other.file,
            other.line,
            other.column,
            other.module_path,
            other.name,
        )
    }

    /// Whether `other` is served at the same method and path.
    pub(crate) fn same_route(&self, other: &StepDescriptor) -> bool {
        self.path == other.path && self.method == other.method
    }
}

impl fmt::Debug for StepDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StepDescriptor")
            .field("kind", &self.kind)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("name", &self.name)
            .field("module_path", &self.module_path)
            .field("location", &self.location())
            .finish_non_exhaustive()
    }
}

fn invalid_handler(_: StepRequest) -> StepFuture {
    Box::pin(async { Err(StepError::internal("this step did not compile")) })
}

/// What `inventory` collects: one per annotated function.
#[doc(hidden)]
pub struct Registration(pub &'static StepDescriptor);

inventory::collect!(Registration);

/// Every step registered in the program, sorted by path, method, module and name (the order
/// `inventory` yields them in is unspecified).
pub(crate) fn registered() -> Vec<&'static StepDescriptor> {
    let mut steps: Vec<&'static StepDescriptor> = inventory::iter::<Registration>
        .into_iter()
        .map(|registration| registration.0)
        .collect();
    steps.sort_by_key(|step| sort_key(step));
    steps
}

pub(crate) fn sort_key(step: &StepDescriptor) -> (&'static str, &str, &'static str, &'static str) {
    (step.path, step.method.as_str(), step.module_path, step.name)
}
