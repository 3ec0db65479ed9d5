//! [`StepError`]: why a step could not answer normally; the one JSON shape every error the
//! framework produces has ([`ErrorBody`]); and the table of the framework's own codes
//! ([`ErrorCode`]).

mod codes;
mod response;

use std::fmt;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

pub(crate) use codes::Documented;
pub use codes::{ErrorClass, ErrorCode};
pub(crate) use response::{error_response, get_only, json_response, method_not_allowed, not_found};

use crate::untrusted::Bounded;

/// Why a step could not answer normally.
///
/// Steps return it (`Result<Reply, StepError>`), and so does everything the framework checks
/// before calling them (a missing parameter, a malformed body). What happens next is the
/// failure policy: when the bot gave the step a fallback block, the conversation jumps there
/// (HTTP 200) and the error is logged; otherwise Chatlayer gets the error as JSON with this
/// status, and it shows in the bot's error log.
///
/// Any error type that implements `Display` converts into a `StepError` (so `?` works on
/// `std::io::Error`, `anyhow::Error`, `String`...). Such errors count as internal failures
/// (HTTP 500): their text is logged, never sent, since it may contain details of your
/// systems. Build a `StepError` yourself to choose the status and the message Chatlayer sees.
///
/// ```
/// use chatlayer_runtime::StepError;
///
/// fn parse_quantity(text: &str) -> Result<u32, StepError> {
///     let quantity: u32 = text.parse()?; // a ParseIntError becomes an internal error
///     if quantity == 0 {
///         return Err(StepError::bad_request("quantity must be at least 1"));
///     }
///     Ok(quantity)
/// }
///
/// assert_eq!(parse_quantity("0").unwrap_err().status(), 400);
/// assert_eq!(parse_quantity("x").unwrap_err().status(), 500);
/// ```
///
/// When the step has a fallback block, the conversation goes there instead, and the user
/// sees the step's [`Fallback::message`](crate::Fallback::message), or the error's
/// own [user message](Self::with_user_message) when it has one:
///
/// ```
/// use chatlayer_runtime::StepError;
///
/// let taken = StepError::bad_request("slot 2026-11-23T10:00 is already booked")
///     .with_user_message("Sorry, that slot was just taken. Please pick another one.");
/// assert_eq!(taken.user_message(), Some("Sorry, that slot was just taken. Please pick another one."));
/// ```
///
/// `StepError` deliberately does not implement `Display` or `std::error::Error`: that is what
/// lets every displayable error convert into it. Read it with [`message`](Self::message).
pub struct StepError {
    status: StatusCode,
    code: &'static str,
    class: ErrorClass,
    message: String,
    /// Boxed: most errors have none, and a small error keeps every `Result` small.
    notes: Option<Box<Notes>>,
}

/// What an error may say besides its message.
#[derive(Default)]
struct Notes {
    parameter: Option<String>,
    hint: Option<String>,
    detail: Option<String>,
    user_message: Option<String>,
}

impl StepError {
    /// An error of the step with a status, a machine-readable code of your own and a
    /// message sent to Chatlayer. It counts as a failure of the step
    /// ([`ErrorClass::Step`]): a fallback block catches it.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        StepError {
            status,
            code,
            class: ErrorClass::Step,
            message: message.into(),
            notes: None,
        }
    }

    /// An error with one of the framework's codes: its status and class come from the table.
    pub(crate) fn of(code: ErrorCode, message: impl Into<String>) -> Self {
        StepError {
            class: code.class(),
            ..StepError::new(
                StatusCode::from_u16(code.status()).expect("the table holds valid statuses"),
                code.as_str(),
                message,
            )
        }
    }

    /// The request was wrong (HTTP 400, code `bad_request`); `message` says how.
    pub fn bad_request(message: impl Into<String>) -> Self {
        StepError::of(ErrorCode::BadRequest, message)
    }

    /// The step failed on its side (HTTP 500, code `handler_error`); `message` is sent.
    pub fn internal(message: impl Into<String>) -> Self {
        StepError::of(ErrorCode::HandlerError, message)
    }

    /// Required parameter `name` was not sent (HTTP 400, code `missing_parameter`).
    pub fn missing_parameter(name: &str) -> Self {
        StepError::of(
            ErrorCode::MissingParameter,
            format!("required parameter `{name}` is missing"),
        )
        .with_parameter(name)
        .with_hint(format!(
            "add a Body or Query row with key `{name}` to the API step, or make the argument an \
             Option"
        ))
    }

    /// Parameter `name` was sent but cannot be read (HTTP 400, code `invalid_parameter`).
    pub fn invalid_parameter(name: &str, reason: impl fmt::Display) -> Self {
        StepError::of(
            ErrorCode::InvalidParameter,
            format!("parameter `{name}` is invalid: {reason}"),
        )
        .with_parameter(name)
    }

    /// A text for the user, shown in place of the fallback message when this error sends
    /// the conversation to a fallback block (e.g. "That slot was just taken."). Without a
    /// fallback block it is not sent: Chatlayer shows error bodies to no one.
    pub fn with_user_message(mut self, text: impl Into<String>) -> Self {
        self.notes().user_message = Some(text.into());
        self
    }

    /// The text for the user, if the step gave one.
    pub fn user_message(&self) -> Option<&str> {
        self.note(|notes| &notes.user_message)
    }

    /// Whether a fallback block applies: a refusal, a request that does not fit, or a
    /// failure of the step.
    pub fn class(&self) -> ErrorClass {
        self.class
    }

    /// Names the parameter the error is about.
    pub fn with_parameter(mut self, name: impl Into<String>) -> Self {
        self.notes().parameter = Some(name.into());
        self
    }

    /// Adds advice on how to fix the problem, sent along with the message.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.notes().hint = Some(hint.into());
        self
    }

    /// Adds detail for the server log only; it is never sent to Chatlayer.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.notes().detail = Some(detail.into());
        self
    }

    /// The HTTP status this error answers with when no fallback block applies.
    pub fn status(&self) -> u16 {
        self.status.as_u16()
    }

    /// The machine-readable code, e.g. `missing_parameter`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message sent to Chatlayer.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The parameter the error is about, if any.
    pub fn parameter(&self) -> Option<&str> {
        self.note(|notes| &notes.parameter)
    }

    /// The advice sent along with the message, if any.
    pub fn hint(&self) -> Option<&str> {
        self.note(|notes| &notes.hint)
    }

    /// The log-only detail, if any.
    pub fn detail(&self) -> Option<&str> {
        self.note(|notes| &notes.detail)
    }

    fn notes(&mut self) -> &mut Notes {
        self.notes.get_or_insert_default()
    }

    fn note(&self, which: impl FnOnce(&Notes) -> &Option<String>) -> Option<&str> {
        self.notes
            .as_deref()
            .and_then(|notes| which(notes).as_deref())
    }

    pub(crate) fn status_code(&self) -> StatusCode {
        self.status
    }

    pub(crate) fn invalid_body(message: String) -> Self {
        StepError::of(ErrorCode::InvalidBody, message).with_hint(
            "Chatlayer sends the API step's Body rows as one JSON object; send form data with \
             `Content-Type: application/x-www-form-urlencoded`",
        )
    }

    /// The JSON body Chatlayer receives for this error, for the step named `step`. Its
    /// texts are bounded: a message may quote what a caller sent, and a caller must not be
    /// able to make one request answer megabytes.
    pub(crate) fn to_body(&self, step: Option<&str>) -> ErrorBody {
        let bounded = |text: &str| Bounded::message(text).to_string();
        ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: bounded(&self.message),
                parameter: self.parameter().map(bounded),
                step: step.map(str::to_owned),
                hint: self.hint().map(bounded),
            },
        }
    }
}

impl<E: fmt::Display> From<E> for StepError {
    fn from(error: E) -> Self {
        StepError::of(
            ErrorCode::HandlerError,
            "the step failed; the details are in the server log",
        )
        // `{:#}` prints the whole cause chain for error types that support it (anyhow).
        .with_detail(format!("{error:#}"))
    }
}

impl fmt::Debug for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("StepError");
        debug
            .field("status", &self.status.as_u16())
            .field("code", &self.code)
            .field("message", &self.message);
        if let Some(parameter) = self.parameter() {
            debug.field("parameter", &parameter);
        }
        if let Some(hint) = self.hint() {
            debug.field("hint", &hint);
        }
        if let Some(detail) = self.detail() {
            debug.field("detail", &detail);
        }
        if let Some(text) = self.user_message() {
            debug.field("user_message", &text);
        }
        debug.finish()
    }
}

/// The JSON body of every error the framework answers with:
/// `{"error": {"code", "message", "parameter"?, "step"?, "hint"?}}`.
///
/// The HTTP status carries the class (4xx: the request was wrong, 5xx: the step failed);
/// `code` says exactly what happened. The framework's codes:
///
#[doc = include_str!("codes.md")]
///
/// ```
/// use chatlayer_runtime::ErrorBody;
///
/// let body: ErrorBody = serde_json::from_str(
///     r#"{"error": {"code": "missing_parameter", "message": "required parameter `sku` is missing",
///                   "parameter": "sku", "step": "order"}}"#,
/// ).unwrap();
/// assert_eq!(body.error.parameter.as_deref(), Some("sku"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(description = "The JSON body of every error the framework answers.")]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The inside of an [`ErrorBody`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct ErrorDetail {
    /// Machine-readable, e.g. `missing_parameter`.
    pub code: String,
    /// For people: what went wrong.
    pub message: String,
    /// The parameter concerned, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// The step that answered (its function name), when the request reached one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// What to do about it, when the framework knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}
