//! [`Fallback`]: what an app answers when a step fails. Set once in the app; read by the
//! request path (which answers by it) and the OpenAPI document (which declares it).

use axum::http::HeaderName;

use crate::BlockId;
use crate::error::ErrorClass;

/// What the app answers when a step fails, set with
/// [`AppBuilder::fallback`](crate::AppBuilder::fallback).
///
/// With a fallback block (an app-wide one here, or a step's own `fallback = ...`
/// parameter), a failed request answers HTTP 200 with a jump to that block, and a message
/// when one is set, so the conversation goes on; the answer carries
/// `x-chatlayer-fallback: <error code>` ([`Fallback::HEADER`]) and the error is logged.
/// Without one, it answers its JSON error (4xx or 5xx), which shows in the bot's error log.
///
/// ```
/// use chatlayer_runtime::prelude::*;
/// use chatlayer_runtime::Fallback;
///
/// # #[api_step("/x")] fn x() -> Reply { Reply::new() }
/// let app = App::discover()
///     .fallback(Fallback::to("error-block").message("Sorry, something went wrong."))
///     .build();
/// # let _ = app;
/// ```
#[derive(Clone, Debug)]
pub struct Fallback {
    pub(crate) block: Option<BlockId>,
    pub(crate) message: Option<String>,
    pub(crate) request_errors: bool,
}

impl Default for Fallback {
    fn default() -> Self {
        Fallback {
            block: None,
            message: None,
            request_errors: true,
        }
    }
}

impl Fallback {
    /// The header naming the error behind a fallback answer, so that tests, proxies and
    /// logs can tell a fallback from the step's own jump.
    pub const HEADER: &'static str = "x-chatlayer-fallback";

    /// No app-wide block: a step falls back only to its own `fallback = ...` block.
    pub fn none() -> Self {
        Fallback::default()
    }

    /// Every step jumps to `block` when it fails and has no fallback of its own.
    pub fn to(block: impl Into<BlockId>) -> Self {
        Fallback {
            block: Some(block.into()),
            ..Fallback::default()
        }
    }

    /// A text message sent along with a jump to a fallback block, e.g. "Sorry, something
    /// went wrong." A step's own `fallback_message = ...` takes precedence, and an error's
    /// [user message](crate::StepError::with_user_message) over both.
    pub fn message(mut self, text: impl Into<String>) -> Self {
        self.message = Some(text.into());
        self
    }

    /// Whether a request whose parameters do not fit the step (a missing, malformed or
    /// unknown parameter, an unreadable body: [`ErrorClass::Request`]) jumps to the
    /// fallback block like a failure of the step (the default, so the conversation goes
    /// on), or answers its 4xx JSON error (`false`), which Chatlayer lists in the bot's
    /// error log: these usually mean the API step is configured wrong. Either way the
    /// error is logged at warn with the fix.
    pub fn request_errors(mut self, on: bool) -> Self {
        self.request_errors = on;
        self
    }

    /// Whether an error of `class` may jump to a fallback block.
    pub(crate) fn falls_back(&self, class: ErrorClass) -> bool {
        match class {
            ErrorClass::Refusal => false,
            ErrorClass::Request => self.request_errors,
            ErrorClass::Step => true,
        }
    }
}

/// [`Fallback::HEADER`], for responses.
pub(crate) const FALLBACK_HEADER: HeaderName = HeaderName::from_static(Fallback::HEADER);

/// Why a step answered with its fallback block, in that answer's extensions: for tools that
/// call the app in-process (the conversation emulator shows it in its transcript, where the
/// server's log is not at hand). Never sent on the wire, where only [`Fallback::HEADER`]
/// names the code.
///
/// ```
/// use chatlayer_runtime::prelude::*;
/// use chatlayer_runtime::FallbackCause;
/// use tower::ServiceExt;
///
/// #[api_step("/order", fallback = on_error)]
/// async fn order(sku: String, on_error: BlockId) -> Result<Reply, StepError> {
///     let _ = on_error;
///     Err(StepError::bad_request(format!("there is no product `{sku}`")).with_parameter("sku"))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = App::from_steps([order::STEP]).build().unwrap();
/// let request = axum::http::Request::post("/order")
///     .header("content-type", "application/json")
///     .body(axum::body::Body::from(r#"{"sku":"Z9","on_error":"sorry"}"#))
///     .unwrap();
/// let answer = app.router::<()>().oneshot(request).await.unwrap();
/// let cause = answer.extensions().get::<FallbackCause>().unwrap();
/// assert_eq!(cause.code, "bad_request");
/// assert_eq!(cause.parameter.as_deref(), Some("sku"));
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FallbackCause {
    /// The error's code, as the header names it.
    pub code: String,
    /// What went wrong.
    pub message: String,
    /// The parameter at fault, when one is.
    pub parameter: Option<String>,
    /// How to fix it, when the framework knows.
    pub hint: Option<String>,
}
