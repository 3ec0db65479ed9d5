//! [`StepError`]: why a step could not answer normally, and the one JSON shape every error
//! the framework produces has ([`ErrorBody`]).

use std::fmt;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

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
/// `StepError` deliberately does not implement `Display` or `std::error::Error`: that is what
/// lets every displayable error convert into it. Read it with [`message`](Self::message).
pub struct StepError {
    status: StatusCode,
    code: &'static str,
    message: String,
    parameter: Option<String>,
    hint: Option<String>,
    detail: Option<String>,
}

impl StepError {
    /// An error with a status, a machine-readable code and a message sent to Chatlayer.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        StepError {
            status,
            code,
            message: message.into(),
            parameter: None,
            hint: None,
            detail: None,
        }
    }

    /// The request was wrong (HTTP 400, code `bad_request`); `message` says how.
    pub fn bad_request(message: impl Into<String>) -> Self {
        StepError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// The step failed on its side (HTTP 500, code `handler_error`); `message` is sent.
    pub fn internal(message: impl Into<String>) -> Self {
        StepError::new(StatusCode::INTERNAL_SERVER_ERROR, "handler_error", message)
    }

    /// Required parameter `name` was not sent (HTTP 400, code `missing_parameter`).
    pub fn missing_parameter(name: &str) -> Self {
        StepError::new(
            StatusCode::BAD_REQUEST,
            "missing_parameter",
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
        StepError::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            format!("parameter `{name}` is invalid: {reason}"),
        )
        .with_parameter(name)
    }

    /// Names the parameter the error is about.
    pub fn with_parameter(mut self, name: impl Into<String>) -> Self {
        self.parameter = Some(name.into());
        self
    }

    /// Adds advice on how to fix the problem, sent along with the message.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds detail for the server log only; it is never sent to Chatlayer.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
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
        self.parameter.as_deref()
    }

    /// The advice sent along with the message, if any.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The log-only detail, if any.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    pub(crate) fn status_code(&self) -> StatusCode {
        self.status
    }

    pub(crate) fn invalid_body(message: String) -> Self {
        StepError::new(StatusCode::BAD_REQUEST, "invalid_body", message).with_hint(
            "Chatlayer sends the API step's Body rows as one JSON object; send form data with \
             `Content-Type: application/x-www-form-urlencoded`",
        )
    }

    /// The JSON body Chatlayer receives for this error, for the step named `step`.
    pub(crate) fn to_body(&self, step: Option<&str>) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message.clone(),
                parameter: self.parameter.clone(),
                step: step.map(str::to_owned),
                hint: self.hint.clone(),
            },
        }
    }
}

impl<E: fmt::Display> From<E> for StepError {
    fn from(error: E) -> Self {
        StepError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "handler_error",
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
        if let Some(parameter) = &self.parameter {
            debug.field("parameter", parameter);
        }
        if let Some(hint) = &self.hint {
            debug.field("hint", hint);
        }
        if let Some(detail) = &self.detail {
            debug.field("detail", detail);
        }
        debug.finish()
    }
}

/// The JSON body of every error the framework answers with:
/// `{"error": {"code", "message", "parameter"?, "step"?, "hint"?}}`.
///
/// The HTTP status carries the class (4xx: the request was wrong, 5xx: the step failed);
/// `code` says exactly what happened:
///
/// | code | status | meaning |
/// |---|---|---|
/// | `missing_parameter` | 400 | a required parameter was not sent, or sent as `null` or `""` |
/// | `invalid_parameter` | 400 | a parameter was sent but does not fit the argument's type |
/// | `invalid_body` | 400 | the body is neither a JSON object nor form data |
/// | `bad_request` | 400 | the step rejected the request ([`StepError::bad_request`]) |
/// | `body_too_large` | 413 | the body is over the app's limit |
/// | `not_found` | 404 | no step at this path |
/// | `method_not_allowed` | 405 | a step is at this path, with another method |
/// | `handler_error` | 500 | the step returned an error |
/// | `handler_panicked` | 500 | the step panicked |
/// | `invalid_reply` | 500 | the step's reply breaks Chatlayer's rules (e.g. two session namespaces) |
/// | `unauthorized` | 401 | the Bearer or Basic credentials are missing, malformed or wrong |
/// | `invalid_signature` | 401 | the HMAC signature or its timestamp is missing or wrong |
/// | `forbidden_ip` | 403 | the caller is not on the IP allow-list |
/// | `body_timeout` | 408 | the body did not arrive within the read timeout |
/// | `overloaded` | 503 | the app is at its limit of requests at once (with `Retry-After`) |
/// | `step_timeout` | 504 | the step did not answer within its deadline and was cancelled |
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
