//! The failure policy: a failed request jumps to a fallback block (HTTP 200) when the bot
//! gave one and the error's [class](ErrorClass) allows it, else it answers its JSON error.
//! Either way it is logged once, with the fix when the framework knows it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::error::{ErrorCode, StepError, error_response, json_response};
use crate::fallback::{FALLBACK_HEADER, FallbackCause};
use crate::security::{AuthKind, challenge};
use crate::throttled::Throttled;
use crate::untrusted::{Bounded, Untrusted};

/// How many characters of an error's log-only detail (a panic message, an error's cause
/// chain) a log line shows.
const DETAIL_CHARS: usize = 2_000;
use crate::{BlockId, Reply};

/// How one failed request of `step` is answered.
pub(crate) struct Failure<'a> {
    pub(crate) step: &'a str,
    pub(crate) error: StepError,
    /// The block to jump to, when the policy allows it and the bot gave one.
    pub(crate) fallback: Option<BlockId>,
    /// The text sent with the jump when the error has none of its own.
    pub(crate) fallback_message: Option<&'a str>,
    /// The step's auth scheme, for the challenge of a 401.
    pub(crate) auth: Option<AuthKind>,
}

impl Failure<'_> {
    /// Logs the failure and answers it.
    pub(crate) fn answer(self) -> Response {
        if self.error.code() == ErrorCode::Overloaded.as_str() {
            // Thousands a second under load: one line per interval says how many.
            static OVERLOADED: Throttled = Throttled::new();
            OVERLOADED.record(|count| {
                tracing::warn!(
                    refused = count,
                    "overloaded: {}",
                    Bounded::message(self.error.message())
                )
            });
        } else {
            log(self.step, &self.error, self.fallback.as_ref());
        }
        let Some(block) = self.fallback else {
            let mut response = error_response(&self.error, Some(self.step));
            let headers = response.headers_mut();
            if self.error.code() == ErrorCode::Unauthorized.as_str()
                && let Some(kind) = self.auth
            {
                headers.insert(header::WWW_AUTHENTICATE, challenge(kind));
            }
            if self.error.code() == ErrorCode::Overloaded.as_str() {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            return response;
        };
        let mut reply = Reply::new();
        if let Some(text) = self.error.user_message().or(self.fallback_message) {
            reply = reply.add_message(text);
        }
        match reply.set_next_dialog_state(block).to_json_bytes(None) {
            Ok(bytes) => {
                let mut response = json_response(StatusCode::OK, bytes);
                if let Ok(code) = HeaderValue::from_str(self.error.code()) {
                    response.headers_mut().insert(FALLBACK_HEADER, code);
                }
                response.extensions_mut().insert(FallbackCause {
                    code: self.error.code().to_owned(),
                    message: self.error.message().to_owned(),
                    parameter: self.error.parameter().map(str::to_owned),
                    hint: self.error.hint().map(str::to_owned),
                });
                response
            }
            Err(error) => error_response(&error, Some(self.step)),
        }
    }
}

/// One log line per failure: warn for what the caller or the bot builder can fix, error for
/// failures of the server's own side that nothing caught. Options are recorded only when
/// present, so log lines carry no empty fields.
fn log(step: &str, error: &StepError, fallback: Option<&BlockId>) {
    // `tracing` needs each level and field list written out; this writes them once.
    // Every text may quote a caller: bounded and escaped, so that no one forges a line.
    let message = Bounded::message(error.message());
    let parameter = error.parameter().map(Bounded::message);
    let hint = error.hint().map(Bounded::message);
    let detail = error.detail().map(|detail| Bounded(detail, DETAIL_CHARS));
    macro_rules! log_line {
        ($level:ident, $($fallback:tt)*) => {
            tracing::$level!(
                step,
                code = error.code(),
                status = error.status(),
                parameter = parameter.map(tracing::field::display),
                hint = hint.map(tracing::field::display),
                detail = detail.map(tracing::field::display),
                $($fallback)*
            )
        };
    }
    match fallback {
        Some(block) => log_line!(
            warn,
            fallback_block = %Untrusted(block.as_str()),
            "{message}; answering with the fallback block"
        ),
        None if error.status() >= 500 => log_line!(error, "{message}"),
        None => log_line!(warn, "{message}"),
    }
}
