//! [`ErrorCode`]: every error the framework answers, with its status, its meaning and what a
//! fallback block does about it, stated once. Dispatch, the security checks, reply
//! validation, the OpenAPI document and the guide's table all read this table.

/// What a fallback block does about an error: the three kinds of failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The request was refused before the step ran (credentials, signature, caller's address,
    /// overload, a body too slow or too large, no such step): the caller's problem, not the
    /// conversation's. Answered as a JSON error, never with the fallback block.
    Refusal,
    /// The request's parameters do not fit the step: usually the API step's configuration
    /// (a row missing, a typo in a key) or session data that is not set yet. Answered with
    /// the fallback block when there is one, unless
    /// [`Fallback::request_errors(false)`](crate::Fallback::request_errors)
    /// sends these to Chatlayer's error log as a 4xx instead.
    Request,
    /// The step ran and failed: it returned an error, panicked, ran past its deadline or
    /// built a reply Chatlayer cannot use. Answered with the fallback block when there is one.
    Step,
}

/// When the OpenAPI document lists a code among an operation's answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Documented {
    /// On every operation.
    Always,
    /// When the step requires credentials.
    WithAuth,
    /// When requests must be signed.
    WithSignature,
    /// When an IP allow-list applies.
    WithIpAllowList,
    /// When the step refuses unknown parameters.
    WithStrictParams,
    /// Never per operation: the request reached no step.
    NoStep,
}

macro_rules! error_codes {
    ($(
        $variant:ident = $code:literal, $status:literal, $class:ident, $documented:ident,
        $meaning:literal;
    )*) => {
        /// Every error code the framework answers with, in the `code` field of an
        /// [`ErrorBody`](crate::ErrorBody). A step's own errors may use codes of their own
        /// ([`StepError::new`](crate::StepError::new)).
        ///
        /// ```
        /// use chatlayer_runtime::{ErrorClass, ErrorCode};
        ///
        /// let code = ErrorCode::MissingParameter;
        /// assert_eq!((code.as_str(), code.status()), ("missing_parameter", 400));
        /// assert_eq!(code.class(), ErrorClass::Request);
        /// assert_eq!(ErrorCode::from_code("overloaded"), Some(ErrorCode::Overloaded));
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $(
                #[doc = concat!("`", $code, "` (HTTP ", stringify!($status), "): ", $meaning, ".")]
                $variant,
            )*
        }

        impl ErrorCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The code's row of the table.
            const fn row(self) -> Row {
                match self {
                    $(ErrorCode::$variant => Row {
                        code: $code,
                        status: $status,
                        class: ErrorClass::$class,
                        documented: Documented::$documented,
                        meaning: $meaning,
                    },)*
                }
            }
        }
    };
}

error_codes! {
    MissingParameter = "missing_parameter", 400, Request, Always,
        "a required parameter is absent, `null` or `\"\"`";
    InvalidParameter = "invalid_parameter", 400, Request, Always,
        "a parameter does not fit its type (the message names the value and the path inside it)";
    UnknownParameter = "unknown_parameter", 400, Request, WithStrictParams,
        "a parameter that no argument reads, when the step refuses unknown parameters \
         (`deny_unknown_params`)";
    InvalidBody = "invalid_body", 400, Request, Always,
        "the body is neither a JSON object nor form data";
    BadRequest = "bad_request", 400, Step, Always,
        "the step refused the request (`StepError::bad_request`)";
    Unauthorized = "unauthorized", 401, Refusal, WithAuth,
        "the Bearer or Basic credentials are missing, malformed or wrong (sent with \
         `WWW-Authenticate`)";
    InvalidSignature = "invalid_signature", 401, Refusal, WithSignature,
        "the HMAC signature (or its timestamp) is missing, malformed, wrong or outside the \
         replay window";
    UnsignedQuery = "unsigned_query", 400, Refusal, WithSignature,
        "the request has a query string while signatures cover the body only: a query \
         parameter would reach the step unsigned (`SignedContent`)";
    InvalidRequest = "invalid_request", 400, Refusal, NoStep,
        "the request breaks HTTP itself: an HTTP/1.1 request without exactly one `Host` header";
    ForbiddenIp = "forbidden_ip", 403, Refusal, WithIpAllowList,
        "the caller is not on the IP allow-list";
    NotFound = "not_found", 404, Refusal, NoStep,
        "no step answers at that path";
    MethodNotAllowed = "method_not_allowed", 405, Refusal, NoStep,
        "a step is at that path, with another method (sent with `Allow`)";
    BodyTimeout = "body_timeout", 408, Refusal, Always,
        "the body did not arrive within the read timeout (10 s by default, `Limits::body_timeout(..)`)";
    BodyTooLarge = "body_too_large", 413, Refusal, Always,
        "the body is over the limit (1 MiB by default, `Limits::body(..)`), refused by its declared \
         length before it is read, or it holds more than `Limits::body_values(..)` JSON values \
         (10,000 by default) or nests arrays and objects deeper than 512 levels";
    UnsupportedMediaType = "unsupported_media_type", 415, Request, Always,
        "the body is compressed (`Content-Encoding`), multipart, or in a charset the server \
         does not know: it reads JSON or form data, uncompressed, in UTF-8 or the charset the \
         `Content-Type` names";
    HandlerError = "handler_error", 500, Step, Always,
        "the step returned an error (its text is logged, never sent)";
    HandlerPanicked = "handler_panicked", 500, Step, Always,
        "the step panicked (the server keeps serving)";
    InvalidReply = "invalid_reply", 500, Step, Always,
        "the reply breaks Chatlayer's rules: two session namespaces, the read-only `internal` \
         namespace, session data that is not an object";
    Overloaded = "overloaded", 503, Refusal, Always,
        "more requests at once than `Limits::concurrent_requests(..)` (1024 by default), or more \
         body bytes arriving at once than `Limits::body_budget(..)` (64 MiB by default); sent with \
         `Retry-After: 1`, never queued";
    StepTimeout = "step_timeout", 504, Step, Always,
        "the step ran past its deadline (`timeout = \"5s\"` in the attribute, else \
         `step_timeout(..)`, 10 s by default) and was cancelled";
}

/// One row of the table.
struct Row {
    code: &'static str,
    status: u16,
    class: ErrorClass,
    documented: Documented,
    meaning: &'static str,
}

impl ErrorCode {
    /// The code on the wire, e.g. `missing_parameter`.
    pub const fn as_str(self) -> &'static str {
        self.row().code
    }

    /// The HTTP status it answers with when no fallback block applies.
    pub const fn status(self) -> u16 {
        self.row().status
    }

    /// When it happens, in a sentence (Markdown).
    pub const fn meaning(self) -> &'static str {
        self.row().meaning
    }

    /// Whether a fallback block applies to it.
    pub const fn class(self) -> ErrorClass {
        self.row().class
    }

    pub(crate) const fn documented(self) -> Documented {
        self.row().documented
    }

    /// The code named `code` on the wire, if the framework has one by that name.
    pub fn from_code(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|known| known.as_str() == code)
    }

    /// What a fallback block does about it, in words (for the tables in the docs).
    pub(crate) fn fallback_text(self) -> &'static str {
        match self.class() {
            ErrorClass::Refusal => "never: answered as is",
            ErrorClass::Request => "jumps there, unless `Fallback::request_errors(false)`",
            ErrorClass::Step => "jumps there",
        }
    }

    /// The Markdown table of every code, as the guide and the rustdoc of
    /// [`ErrorBody`](crate::ErrorBody) show it.
    #[doc(hidden)]
    pub fn markdown_table() -> String {
        let mut table =
            String::from("| code | status | when | with a fallback block |\n|---|---|---|---|\n");
        for code in ErrorCode::ALL {
            table.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                code.as_str(),
                code.status(),
                code.meaning(),
                code.fallback_text()
            ));
        }
        table
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_statuses_are_errors() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert!((400..600).contains(&code.status()), "{code}");
            assert_eq!(ErrorCode::from_code(code.as_str()), Some(*code));
        }
        assert_eq!(ErrorCode::from_code("my_own_code"), None);
    }

    /// The table in the rustdoc of `ErrorBody` is this table; `CHATLAYER_BLESS=1` rewrites it.
    #[test]
    fn the_rustdoc_table_is_the_code_table() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/error/codes.md");
        let table = ErrorCode::markdown_table();
        if std::env::var_os("CHATLAYER_BLESS").is_some() {
            std::fs::write(&path, &table).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == table,
            "src/error/codes.md is out of date; rerun with CHATLAYER_BLESS=1:\n{table}"
        );
    }

    #[test]
    fn refusals_are_the_only_codes_that_never_fall_back() {
        for code in ErrorCode::ALL {
            let before_the_step = matches!(
                code.documented(),
                Documented::WithAuth
                    | Documented::WithSignature
                    | Documented::WithIpAllowList
                    | Documented::NoStep
            );
            if before_the_step {
                assert_eq!(code.class(), ErrorClass::Refusal, "{code}");
            }
        }
    }
}
