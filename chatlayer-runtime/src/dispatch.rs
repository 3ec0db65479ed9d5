//! The one axum handler behind every step: read the body, decode the parameters once, call
//! the step's adapter, and answer with its reply or with the failure policy.

use std::any::Any;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::FutureExt;
use serde::Deserialize;

use crate::app::Shared;
use crate::auth::Auth;
use crate::descriptor::{Method, StepDescriptor};
use crate::error::StepError;
use crate::extract::StepRequest;
use crate::ip::IpAllowList;
use crate::params::ParamMap;
use crate::params::lenient::Lenient;
use crate::signature::SignatureVerifier;
use crate::{BlockId, Reply};

const JSON: &str = "application/json; charset=utf-8";

/// A step bound to its app: what each request needs, resolved once when the router is built.
pub(crate) struct PreparedStep {
    descriptor: &'static StepDescriptor,
    shared: Arc<Shared>,
    auth: Auth,
    signature: Option<Arc<SignatureVerifier>>,
    ip_allow_list: Option<Arc<IpAllowList>>,
}

impl PreparedStep {
    pub(crate) fn new(
        descriptor: &'static StepDescriptor,
        shared: Arc<Shared>,
        auth: Auth,
        signature: Option<Arc<SignatureVerifier>>,
        ip_allow_list: Option<Arc<IpAllowList>>,
    ) -> Self {
        PreparedStep {
            descriptor,
            shared,
            auth,
            signature,
            ip_allow_list,
        }
    }

    /// The step's deadline: its own `timeout = ...`, else the app's.
    fn timeout(&self) -> Duration {
        self.descriptor.timeout.unwrap_or(self.shared.step_timeout)
    }

    /// The block named by the step's `fallback = ...` parameter, when the request carries one.
    /// Read only when the step failed, so successful requests never pay for it.
    fn fallback_from(&self, params: &ParamMap) -> Option<BlockId> {
        let value = params.present(self.descriptor.fallback?)?;
        BlockId::deserialize(Lenient(value)).ok()
    }

    /// The failure policy: jump to a fallback block when there is one, else a JSON error.
    fn failed(&self, error: StepError, fallback: Option<BlockId>) -> Response {
        let step = self.descriptor.name;
        let Some(block) = fallback.or_else(|| self.shared.fallback_block.clone()) else {
            return refuse(step, &error);
        };
        log_failure(step, &error, Some(&block));
        let mut reply = Reply::new();
        if let Some(text) = self
            .descriptor
            .fallback_message
            .or(self.shared.fallback_message.as_deref())
        {
            reply = reply.add_message(text);
        }
        match reply.set_next_dialog_state(block).to_json_bytes(None) {
            Ok(bytes) => json_response(StatusCode::OK, bytes),
            Err(error) => error_response(&error, Some(step)),
        }
    }
}

pub(crate) fn dispatch(
    step: Arc<PreparedStep>,
    request: Request,
) -> impl Future<Output = Response> + Send {
    // Split before the future is made: an async fn keeps its arguments for its whole life,
    // so taking the request whole and splitting it inside would store it twice. axum boxes
    // this future for every request, and its size decides how fast that box is allocated.
    let (parts, body) = request.into_parts();
    handle(step, parts, body)
}

async fn handle(step: Arc<PreparedStep>, parts: Parts, body: Body) -> Response {
    // Before anything else: a caller from elsewhere, or without credentials, gets nothing.
    if let Some(list) = &step.ip_allow_list {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0);
        if let Err(error) = list.check(peer, &parts.headers) {
            return refuse(step.descriptor.name, &error);
        }
    }
    if let Err(error) = step.auth.check(&parts.headers) {
        return unauthorized(&step, &error);
    }
    // Held until the answer is built; none left means the app is at its limit.
    let Ok(_permit) = step.shared.in_flight.try_acquire() else {
        return overloaded(&step);
    };
    let limit = step.shared.body_limit;
    let bytes = match within(step.shared.read_timeout, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => return body_error(&error, limit, step.descriptor.name),
        Err(TimedOut) => return body_timeout(&step),
    };
    if let Some(verifier) = &step.signature
        && let Err(error) = verifier.verify(&parts.headers, &bytes)
    {
        return unauthorized(&step, &error);
    }
    let params = match ParamMap::decode(&parts.headers, parts.uri.query(), &bytes) {
        Ok(params) => params,
        Err(error) => return step.failed(error, None),
    };
    let params = Arc::new(params);
    let request = StepRequest::new(
        parts,
        Arc::clone(&params),
        Arc::clone(&step.shared.dependencies),
    );

    let deadline = step.timeout();
    let handler = AssertUnwindSafe((step.descriptor.handler)(request)).catch_unwind();
    // On timeout the handler's future is dropped: the step is cancelled at its next await.
    let outcome = match within(deadline, handler).await {
        Ok(finished) => finished.unwrap_or_else(|panic| Err(panicked(panic.as_ref()))),
        Err(TimedOut) => Err(timed_out(deadline)),
    };
    let bytes = outcome.and_then(|reply| {
        reply.warn_about_limits(step.descriptor.name);
        reply.to_json_bytes(step.descriptor.namespace)
    });
    match bytes {
        Ok(bytes) => json_response(StatusCode::OK, bytes),
        Err(error) => step.failed(error, step.fallback_from(&params)),
    }
}

/// A deadline passed before the future finished.
struct TimedOut;

/// Runs `future` for at most `limit`, counted from its first poll.
fn within<F: Future>(limit: Duration, future: F) -> Within<F> {
    Within {
        future,
        limit,
        timer: None,
    }
}

pin_project_lite::pin_project! {
    /// [`within`]'s future. Unlike `tokio::time::timeout`, it reads the clock and arms a
    /// timer only when the future does not finish on its first poll: most bodies are already
    /// in the buffer and most steps never wait, so most requests pay for no timer at all.
    /// The timer lives on the heap once armed, which keeps its hundred-odd bytes out of every
    /// request's future: axum boxes that future, and a small box is allocated much faster.
    struct Within<F> {
        #[pin]
        future: F,
        limit: Duration,
        timer: Option<Pin<Box<tokio::time::Sleep>>>,
    }
}

impl<F: Future> Future for Within<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        let limit = *this.limit;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        timer.as_mut().poll(cx).map(|()| Err(TimedOut))
    }
}

fn unauthorized(step: &PreparedStep, error: &StepError) -> Response {
    let mut response = refuse(step.descriptor.name, error);
    if let Some(kind) = step.auth.kind() {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, crate::auth::challenge(kind));
    }
    response
}

/// Load shedding: refuse at once rather than queue. Logged for the first refusal and then
/// every thousandth, so that an overload does not also flood the log.
fn overloaded(step: &PreparedStep) -> Response {
    static REFUSED: AtomicU64 = AtomicU64::new(0);
    let refused = REFUSED.fetch_add(1, Ordering::Relaxed);
    let limit = step.shared.max_concurrent_requests;
    if refused.is_multiple_of(1000) {
        tracing::warn!(
            step = step.descriptor.name,
            limit,
            refused = refused + 1,
            "overloaded: refusing requests beyond {limit} at once"
        );
    }
    let error = StepError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "overloaded",
        format!("the server is at its limit of {limit} requests at once; retry shortly"),
    );
    let mut response = error_response(&error, Some(step.descriptor.name));
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

fn timed_out(deadline: Duration) -> StepError {
    StepError::new(
        StatusCode::GATEWAY_TIMEOUT,
        "step_timeout",
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
    StepError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "handler_panicked",
        "the step panicked; the details are in the server log",
    )
    .with_detail(message)
}

/// The body did not arrive within the read timeout: a slow or stalled client.
fn body_timeout(step: &PreparedStep) -> Response {
    let error = StepError::new(
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        format!(
            "the request body did not arrive within {:?}",
            step.shared.read_timeout
        ),
    );
    refuse(step.descriptor.name, &error)
}

fn body_error(error: &axum::Error, limit: usize, step: &str) -> Response {
    let too_large =
        std::iter::successors(Some(error as &(dyn std::error::Error + 'static)), |error| {
            error.source()
        })
        .any(|error| error.is::<http_body_util::LengthLimitError>());
    let error = if too_large {
        StepError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body is larger than the limit of {limit} bytes"),
        )
        .with_hint("send fewer or smaller parameters, or raise the app's body_limit")
    } else {
        StepError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "the request body could not be read",
        )
        .with_detail(error.to_string())
    };
    refuse(step, &error)
}

/// Answers `error` as JSON, logged, with no fallback block: for refusals and for failures
/// of a step that has none.
fn refuse(step: &str, error: &StepError) -> Response {
    log_failure(step, error, None);
    error_response(error, Some(step))
}

fn log_failure(step: &str, error: &StepError, fallback: Option<&BlockId>) {
    // Options are recorded only when present, so log lines carry no empty fields.
    let detail = error.detail();
    let parameter = error.parameter();
    match fallback {
        Some(block) => tracing::warn!(
            step,
            code = error.code(),
            status = error.status(),
            parameter,
            detail,
            fallback_block = %block,
            "{}; answering with the fallback block",
            error.message()
        ),
        None if error.status() >= 500 => tracing::error!(
            step,
            code = error.code(),
            status = error.status(),
            parameter,
            detail,
            "{}",
            error.message()
        ),
        None => tracing::warn!(
            step,
            code = error.code(),
            status = error.status(),
            parameter,
            detail,
            "{}",
            error.message()
        ),
    }
}

pub(crate) fn error_response(error: &StepError, step: Option<&str>) -> Response {
    let body = serde_json::to_vec(&error.to_body(step)).unwrap_or_else(|_| b"{}".to_vec());
    json_response(error.status_code(), body)
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}

pub(crate) async fn method_not_allowed(allowed: Vec<Method>) -> Response {
    let names: Vec<&str> = allowed.iter().map(|method| method.as_str()).collect();
    let error = StepError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("this path answers {}", names.join(", ")),
    )
    .with_hint("set the API step's method to match the step");
    let mut response = error_response(&error, None);
    if let Ok(allow) = HeaderValue::from_str(&names.join(", ")) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

pub(crate) async fn not_found(request: Request) -> Response {
    let error = StepError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no step answers {}", request.uri().path()),
    )
    .with_hint("check the API step's URL against the paths this server logged at start-up");
    error_response(&error, None)
}
