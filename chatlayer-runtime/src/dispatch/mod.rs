//! The one axum handler behind every step, in [`handle`]: one request, in this order, each
//! refusal an early return:
//!
//! 1. the caller's address and credentials ([`StepGuards::admit`]);
//! 2. the body's format, from its headers (a compressed or multipart body is refused
//!    before it is read);
//! 3. the body, within the read timeout, the size limit and the budget for bodies in
//!    transit ([`body`]);
//! 4. the signature over the body;
//! 5. the parameters, decoded once; parameters no argument reads (logged, or refused);
//! 6. a place among the requests served at once (else 503, load shed): taken only now, so
//!    that slow bodies cannot hold the places the steps need;
//! 7. the step, under its deadline, its panics caught;
//! 8. the reply, checked against Chatlayer's rules and serialized.
//!
//! Every failure goes through the [failure policy](failure): a fallback block when the bot
//! gave one and the error's class allows it, else the JSON error.

mod body;
mod failure;
mod in_flight;
mod unknown;
mod within;

pub(crate) use in_flight::InFlight;

use std::any::Any;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use futures_util::FutureExt;
use serde::Deserialize;
use std::task::{Poll, ready};

pub(crate) use body::BodyBudget;

use crate::BlockId;
use crate::descriptor::StepDescriptor;
use crate::error::{ErrorCode, StepError, json_response};
use crate::extract::Dependencies;
use crate::extract::StepRequest;
use crate::fallback::Fallback;
use crate::observe::metrics::OK_CODE;
use crate::observe::{Outcome, RequestWatch, StepObserver, Wanted};
use crate::param_map::lenient::Lenient;
use crate::param_map::{BodyFormat, SentParams};
use crate::security::StepGuards;
use failure::Failure;
use unknown::KnownParams;
use within::{TimedOut, within};

/// What every request of an app needs besides its step, built once with the app.
pub(crate) struct Runtime {
    pub(crate) dependencies: Arc<Dependencies>,
    pub(crate) failure: Fallback,
    pub(crate) body_limit: usize,
    pub(crate) step_timeout: Duration,
    /// How long a body may take to arrive.
    pub(crate) read_timeout: Duration,
    /// The bytes of bodies held at once while they arrive.
    pub(crate) body_budget: BodyBudget,
    /// The JSON values one body may hold.
    pub(crate) body_value_limit: usize,
    pub(crate) deny_unknown_params: bool,
    /// A place per request in flight; none left means overload.
    pub(crate) in_flight: InFlight,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("failure", &self.failure)
            .field("body_limit", &self.body_limit)
            .field("step_timeout", &self.step_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("body_budget", &self.body_budget)
            .field("body_value_limit", &self.body_value_limit)
            .field("deny_unknown_params", &self.deny_unknown_params)
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}

/// A step bound to its app: what each request needs, resolved once when the router is built.
pub(crate) struct PreparedStep {
    descriptor: &'static StepDescriptor,
    runtime: Arc<Runtime>,
    guards: StepGuards,
    known: KnownParams,
    observer: Arc<StepObserver>,
    /// The schema of the step's `session = Type`, to check replies against (debug builds).
    #[cfg(debug_assertions)]
    declared_session: Option<(String, serde_json::Value)>,
}

impl PreparedStep {
    pub(crate) fn new(
        descriptor: &'static StepDescriptor,
        runtime: Arc<Runtime>,
        guards: StepGuards,
        observer: StepObserver,
    ) -> Self {
        let names = descriptor.inputs().param_names().map(|mut names| {
            names.extend(descriptor.fallback);
            names
        });
        let deny = descriptor.deny_unknown_params || runtime.deny_unknown_params;
        PreparedStep {
            descriptor,
            runtime,
            guards,
            known: KnownParams::new(names, deny),
            observer: Arc::new(observer),
            #[cfg(debug_assertions)]
            declared_session: descriptor.session.map(|schema| {
                let schema = crate::reply::declared::declared_schema(schema);
                (crate::reply::declared::type_name(&schema), schema)
            }),
        }
    }

    /// The step's deadline: its own `timeout = ...`, else the app's.
    fn timeout(&self) -> Duration {
        self.descriptor.timeout.unwrap_or(self.runtime.step_timeout)
    }

    /// The block named by the step's `fallback = ...` parameter, when the request carries one.
    /// Read only when the step failed, so successful requests never pay for it.
    fn fallback_from(&self, params: &SentParams) -> Option<BlockId> {
        let value = params.present(self.descriptor.fallback?)?;
        value.with_node(|node| BlockId::deserialize(Lenient(node)).ok())
    }

    /// Answers a request the guards refused (its caller, credentials or signature): as the
    /// failure policy says, and never recorded, since it is not the bot's traffic (and a
    /// stranger must not fill a recording's caps).
    fn refuse(&self, error: StepError) -> Answer {
        let mut answer = self.fail(error, None);
        answer
            .response
            .extensions_mut()
            .insert(crate::recorder::Unrecorded);
        answer
    }

    /// Answers `error` by the failure policy; `params` are the request's parameters, when
    /// they could be read (they may name the step's fallback block).
    fn fail(&self, error: StepError, params: Option<&SentParams>) -> Answer {
        let policy = &self.runtime.failure;
        let fallback = if policy.falls_back(error.class()) {
            params
                .and_then(|params| self.fallback_from(params))
                .or_else(|| policy.block.clone())
        } else {
            None
        };
        let code = error.code();
        let fell_back = fallback.is_some();
        let response = Failure {
            step: self.descriptor.name,
            error,
            fallback,
            fallback_message: self
                .descriptor
                .fallback_message
                .or(policy.message.as_deref()),
            auth: self.guards.auth_kind(),
        }
        .answer();
        Answer {
            response,
            code,
            fallback: fell_back,
            session: None,
        }
    }
}

/// A request's answer, with what its access line and metrics record.
struct Answer {
    response: Response,
    /// `ok`, or the code of the error answered (also when the fallback block was taken).
    code: &'static str,
    /// Whether the answer is a jump to the fallback block.
    fallback: bool,
    /// The conversation's session id, when it was read.
    session: Option<String>,
}

impl Answer {
    fn ok(response: Response) -> Self {
        Answer {
            response,
            code: OK_CODE,
            fallback: false,
            session: None,
        }
    }

    fn with_session(mut self, session: Option<String>) -> Self {
        self.session = session;
        self
    }
}

/// A step as axum calls it. axum's handler for a closure keeps the request in its own
/// future next to the closure's future, for the whole request (an async block keeps what it
/// captured); through this handler, the one future boxed per request is [`dispatch`]'s.
/// With a closure that box was 1,136 bytes, past the 1,032 bytes glibc serves from its
/// per-thread cache; through this handler a request costs about 800 instructions less
/// (counted under callgrind, server included).
#[derive(Clone)]
pub(crate) struct StepHandler(pub(crate) Arc<PreparedStep>);

/// [`StepHandler`]'s marker among axum's handler kinds.
pub(crate) struct WholeRequest;

impl<S> axum::handler::Handler<WholeRequest, S> for StepHandler {
    type Future = std::pin::Pin<Box<dyn Future<Output = Response> + Send>>;

    fn call(self, request: Request, _state: S) -> Self::Future {
        Box::pin(dispatch(self.0, request))
    }
}

pub(crate) fn dispatch(
    step: Arc<PreparedStep>,
    request: Request,
) -> impl Future<Output = Response> + Send {
    // Split before the future is made: an async fn keeps its arguments for its whole life,
    // so taking the request whole and splitting it inside would store it twice. axum boxes
    // this future for every request, and its size decides how fast that box is allocated
    // (at most 1,032 bytes stays in glibc's per-thread cache): so the request's span and
    // outcome are kept by a small hand-written wrapper, not by a second async fn around
    // `handle`, which would hold the request's parts a second time.
    let (parts, body) = request.into_parts();
    // Nested in a host's router (`host.nest("/chatlayer", app.router())`), the step's lines
    // and metrics show the path as served, prefix included.
    let prefix = parts
        .extensions
        .get::<axum::extract::NestedPath>()
        .map(axum::extract::NestedPath::as_str);
    let watch = step.observer.watch(&parts.headers, prefix);
    let wanted = watch.wanted();
    Observed {
        answer: handle(step, parts, body, wanted),
        watch: Some(watch),
    }
}

pin_project_lite::pin_project! {
    /// A request's [`handle`] future, run inside the request's span; when it is answered,
    /// the outcome is recorded (when it is dropped first, the watch records it cancelled).
    struct Observed<F> {
        #[pin]
        answer: F,
        watch: Option<RequestWatch>,
    }
}

impl<F: Future<Output = Answer>> Future for Observed<F> {
    type Output = Response;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Response> {
        let this = self.project();
        let Some(watch) = this.watch.as_ref() else {
            panic!("a request future was polled after it answered");
        };
        let answer = {
            let _in_span = watch.span().enter();
            ready!(this.answer.poll(cx))
        };
        if let Some(watch) = this.watch.take() {
            watch.answered(Outcome {
                status: answer.response.status().as_u16(),
                code: answer.code,
                fallback: answer.fallback,
                session: answer.session,
            });
        }
        Poll::Ready(answer.response)
    }
}

/// One request, in the order of the module's list. `wanted`: what shows the request's
/// session id.
async fn handle(step: Arc<PreparedStep>, parts: Parts, body: Body, wanted: Wanted) -> Answer {
    // Before anything else: a caller from elsewhere, or without credentials, gets nothing.
    if let Err(error) = step.guards.admit(&parts) {
        return step.refuse(error);
    }
    let format = match BodyFormat::of(&parts.headers) {
        Ok(format) => format,
        Err(error) => return step.fail(error, None),
    };
    let runtime = &step.runtime;
    let reading = body::read(body, runtime.body_limit, &runtime.body_budget);
    let body = match within(runtime.read_timeout, reading).await {
        Ok(Ok(body)) => body,
        Ok(Err(error)) => return step.fail(error, None),
        Err(TimedOut) => return step.fail(body_timeout(runtime.read_timeout), None),
    };
    if let Err(error) = step.guards.verify(&parts, &body.bytes) {
        return step.refuse(error);
    }
    let decoded = SentParams::decode(
        format,
        parts.uri.query(),
        &body.bytes,
        runtime.body_value_limit,
    );
    // The raw bytes, and their share of the budget, are not needed past here.
    drop(body);
    let params = match decoded {
        Ok(params) => params,
        Err(error) => return step.fail(error, None),
    };
    let session = crate::observe::session_of(&params, wanted);
    if let Err(error) = step.known.check(step.descriptor.name, &params) {
        return step.fail(error, Some(&params));
    }
    // Held until the answer is built; none left means the app is at its limit.
    let Some(_place) = runtime.in_flight.enter() else {
        return step.fail(overloaded(runtime.in_flight.max()), None);
    };
    let params = Arc::new(params);
    let request = StepRequest::new(
        parts,
        Arc::clone(&params),
        Arc::clone(&step.runtime.dependencies),
    );

    let deadline = step.timeout();
    let handler = AssertUnwindSafe((step.descriptor.handler)(request)).catch_unwind();
    // On timeout the handler's future is dropped: the step is cancelled at its next await.
    let outcome = match within(deadline, handler).await {
        Ok(finished) => finished.unwrap_or_else(|panic| Err(panicked(panic.as_ref()))),
        Err(TimedOut) => Err(timed_out(deadline)),
    };
    let bytes = outcome.and_then(|reply| {
        #[cfg(debug_assertions)]
        if let Some((name, schema)) = &step.declared_session {
            reply.check_declared_session(name, schema)?;
        }
        reply.warn_about_limits(step.descriptor.name);
        reply.to_json_bytes(step.descriptor.namespace)
    });
    match bytes {
        Ok(bytes) => Answer::ok(json_response(StatusCode::OK, bytes)),
        Err(error) => step.fail(error, Some(&params)),
    }
    .with_session(session)
}

/// Load shedding: refuse at once rather than queue (the failure policy logs it, throttled,
/// and adds `Retry-After`).
fn overloaded(limit: usize) -> StepError {
    StepError::of(
        ErrorCode::Overloaded,
        format!("the server is at its limit of {limit} requests at once; retry shortly"),
    )
}

fn timed_out(deadline: Duration) -> StepError {
    StepError::of(
        ErrorCode::StepTimeout,
        format!("the step did not answer within {deadline:?} and was cancelled"),
    )
    .with_hint(
        "make the step faster (e.g. time out its own calls), or raise its deadline with \
         `timeout = \"...\"` in the attribute or App::discover().step_timeout(..)",
    )
}

fn panicked(payload: &(dyn Any + Send)) -> StepError {
    let message = payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-text payload".to_owned());
    StepError::of(
        ErrorCode::HandlerPanicked,
        "the step panicked; the details are in the server log",
    )
    .with_detail(message)
}

/// The body did not arrive within the read timeout: a slow or stalled client.
fn body_timeout(read_timeout: Duration) -> StepError {
    StepError::of(
        ErrorCode::BodyTimeout,
        format!("the request body did not arrive within {read_timeout:?}"),
    )
}
