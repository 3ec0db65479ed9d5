//! Where a conversation's API calls go: in-process to an app or axum `Router` (no socket),
//! or over HTTP to any base URL, so the same bot file tests a backend written in any
//! language.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use serde_json::Value;
use tower::ServiceExt;

use super::request::{Outgoing, hide_url_password, masked, masked_value};
use super::signing::RequestSigner;
use super::transcript::SentRequest;

/// The header a chatlayer-rs step answering with its fallback block sets, naming the error
/// code (the transcript shows it): chatlayer-runtime's `Fallback::HEADER`.
pub const FALLBACK_HEADER: &str = "x-chatlayer-fallback";

/// Chatlayer asks API steps to answer within 20 seconds; the emulator waits that long.
pub const CHATLAYER_TIMEOUT: Duration = Duration::from_secs(20);

/// The most of an answer the emulator reads; a reply is far smaller.
const ANSWER_LIMIT: usize = 16 * 1024 * 1024;

/// Where the API steps of a bot file are called.
///
/// ```
/// use chatlayer_emulator::Backend;
///
/// // A backend written in anything, served on port 3000:
/// let backend = Backend::url("http://localhost:3000");
/// # let _ = backend;
/// ```
#[derive(Clone, Debug)]
pub struct Backend {
    router: Option<Router>,
    base_url: Option<String>,
    client: reqwest::Client,
    timeout: Duration,
    signer: Option<Arc<dyn RequestSigner>>,
    explain: Option<ExplainFallback>,
}

/// Reads why an in-process answer is a fallback from the answer's extensions (see
/// [`InProcess::explain_fallback`]).
pub type ExplainFallback = fn(&axum::http::Extensions) -> Option<String>;

/// What [`Backend::in_process`] calls: an axum `Router`, or (with the `app` feature) a
/// chatlayer-rs `App`.
pub trait InProcess {
    /// The router the calls go to.
    fn into_router(self) -> Router;

    /// What signs the calls, when the target verifies signatures: a chatlayer-rs `App`
    /// signs with its own verifier. None by default.
    fn signer(&self) -> Option<Arc<dyn RequestSigner>> {
        None
    }

    /// How to read why an answer is a fallback (the error behind it), which the transcript
    /// then shows: a chatlayer-rs `App` leaves it in the answer's extensions. None by
    /// default.
    fn explain_fallback(&self) -> Option<ExplainFallback> {
        None
    }
}

impl InProcess for Router {
    fn into_router(self) -> Router {
        self
    }
}

/// An answer: its status and body, or why none came.
pub(crate) struct Answer {
    pub(crate) sent: SentRequest,
    pub(crate) latency: Duration,
    pub(crate) outcome: Result<Answered, CallFailure>,
}

/// The answer to a call.
pub(crate) struct Answered {
    pub(crate) status: u16,
    /// The error code of a step that failed and answered with its fallback block (this
    /// framework's `x-chatlayer-fallback` header).
    pub(crate) fallback: Option<String>,
    /// Why, when the backend said (in-process only).
    pub(crate) cause: Option<String>,
    pub(crate) body: Bytes,
}

impl Answered {
    fn new(status: axum::http::StatusCode, headers: &axum::http::HeaderMap, body: Bytes) -> Self {
        Answered {
            status: status.as_u16(),
            fallback: headers
                .get(FALLBACK_HEADER)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
            cause: None,
            body,
        }
    }
}

/// Why a call got no answer.
pub(crate) enum CallFailure {
    /// No answer within the timeout.
    Timeout(Duration),
    /// The request could not be sent or its answer read.
    Transport(String),
}

impl Backend {
    /// Calls the steps of `target` in-process, with no socket: any axum `Router` (a backend
    /// written with axum), or, with the `app` feature, a chatlayer-rs `App` as its
    /// standalone server answers. A step whose URL is absolute is still called over HTTP.
    ///
    /// ```
    /// use axum::{Json, Router, routing::post};
    /// use chatlayer_emulator::Backend;
    ///
    /// let router = Router::new().route("/hello", post(|| async { Json(serde_json::json!({})) }));
    /// let backend = Backend::in_process(router);
    /// assert_eq!(backend.describe(), "in-process");
    /// ```
    pub fn in_process(target: impl InProcess) -> Self {
        let signer = target.signer();
        let explain = target.explain_fallback();
        Backend {
            router: Some(target.into_router()),
            signer,
            explain,
            ..Backend::none()
        }
    }

    /// Calls relative step URLs under `base_url`, e.g. `http://localhost:3000` or
    /// `https://bot-backend.example.com/chatlayer`.
    pub fn url(base_url: impl Into<String>) -> Self {
        Backend {
            base_url: Some(base_url.into().trim_end_matches('/').to_owned()),
            ..Backend::none()
        }
    }

    /// Only absolute step URLs can be called.
    fn none() -> Self {
        Backend {
            router: None,
            base_url: None,
            client: client(),
            timeout: CHATLAYER_TIMEOUT,
            signer: None,
            explain: None,
        }
    }

    /// Signs every call with `signer`, unless the bot file names a `signature:` of its own.
    /// An app called in-process ([`in_process`](Self::in_process)) signs with its own
    /// verifier already.
    pub fn signed_by(mut self, signer: impl RequestSigner + 'static) -> Self {
        self.signer = Some(Arc::new(signer));
        self
    }

    /// The same, with a shared signer.
    pub(crate) fn signed_by_shared(mut self, signer: Option<Arc<dyn RequestSigner>>) -> Self {
        if signer.is_some() {
            self.signer = signer;
        }
        self
    }

    /// How long a call may take before it counts as failed (Chatlayer's 20 s by default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// A short description for logs and the page: `in-process` or the base URL.
    pub fn describe(&self) -> String {
        match (&self.router, &self.base_url) {
            (Some(_), _) => "in-process".to_owned(),
            (None, Some(url)) => hide_url_password(url),
            (None, None) => "absolute URLs only".to_owned(),
        }
    }

    /// Sends a request and waits for the whole answer, within the timeout.
    pub(crate) async fn send(&self, mut outgoing: Outgoing) -> Answer {
        let absolute = outgoing.url.starts_with("http://") || outgoing.url.starts_with("https://");
        self.sign(&mut outgoing, absolute);
        let started = Instant::now();
        let (sent, outcome) = match (&self.router, &self.base_url, absolute) {
            (Some(router), _, false) => {
                let sent = sent_request(&outgoing, outgoing.url.clone());
                let outcome = self.in_process_call(router.clone(), &outgoing).await;
                (sent, outcome)
            }
            (_, Some(base), false) => {
                let url = format!("{base}{}", outgoing.url);
                let sent = sent_request(&outgoing, url.clone());
                (sent, self.http_call(&outgoing, &url).await)
            }
            (_, _, true) => {
                let sent = sent_request(&outgoing, outgoing.url.clone());
                (sent, self.http_call(&outgoing, &outgoing.url).await)
            }
            (None, None, false) => {
                let sent = sent_request(&outgoing, outgoing.url.clone());
                let failure = CallFailure::Transport(format!(
                    "the step's URL `{}` is relative, and no backend URL is set: give one \
                     (`--backend http://...`, or `backend:` in the bot file)",
                    sent.url
                ));
                (sent, Err(failure))
            }
        };
        Answer {
            sent,
            latency: started.elapsed(),
            outcome,
        }
    }

    /// Adds the signature headers, computed over the request exactly as it will be sent:
    /// the path and query as the server sees them (a base URL's path included), and the
    /// body's bytes.
    fn sign(&self, outgoing: &mut Outgoing, absolute: bool) {
        let Some(signer) = outgoing.signer.clone().or_else(|| self.signer.clone()) else {
            return;
        };
        let target = match (&self.router, &self.base_url, absolute) {
            (Some(_), _, false) | (None, None, false) => outgoing.url.clone(),
            (_, Some(base), false) => path_and_query(&format!("{base}{}", outgoing.url)),
            (_, _, true) => path_and_query(&outgoing.url),
        };
        let body = outgoing
            .body
            .as_ref()
            .map(Value::to_string)
            .unwrap_or_default();
        let headers = signer.headers(&outgoing.method, &target, body.as_bytes());
        outgoing.headers.extend(headers);
    }

    async fn in_process_call(
        &self,
        router: Router,
        outgoing: &Outgoing,
    ) -> Result<Answered, CallFailure> {
        let mut request = axum::http::Request::builder()
            .method(outgoing.method.as_str())
            .uri(outgoing.url.as_str());
        for (name, value) in &outgoing.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let body = outgoing
            .body
            .as_ref()
            .map_or_else(Body::empty, |body| Body::from(body.to_string()));
        let request = request.body(body).map_err(|error| {
            CallFailure::Transport(format!("cannot build the request: {error}"))
        })?;
        let call = async {
            let response = router
                .oneshot(request)
                .await
                .unwrap_or_else(|never| match never {});
            let (parts, body) = response.into_parts();
            let body = axum::body::to_bytes(body, ANSWER_LIMIT)
                .await
                .map_err(|error| {
                    CallFailure::Transport(format!("cannot read the answer: {error}"))
                })?;
            let mut answered = Answered::new(parts.status, &parts.headers, body);
            if answered.fallback.is_some() {
                answered.cause = self.explain.and_then(|explain| explain(&parts.extensions));
            }
            Ok(answered)
        };
        self.within_timeout(call).await
    }

    async fn http_call(&self, outgoing: &Outgoing, url: &str) -> Result<Answered, CallFailure> {
        let method = reqwest::Method::from_bytes(outgoing.method.as_bytes())
            .map_err(|error| CallFailure::Transport(error.to_string()))?;
        let mut request = self.client.request(method, url);
        for (name, value) in &outgoing.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &outgoing.body {
            request = request.body(body.to_string());
        }
        let call = async {
            let response = request.send().await.map_err(|error| {
                CallFailure::Transport(format!(
                    "cannot reach {}: {}",
                    masked(url, &outgoing.secrets),
                    masked(&error_chain(&error), &outgoing.secrets)
                ))
            })?;
            let mut answered = Answered::new(response.status(), response.headers(), Bytes::new());
            let redirect = response
                .status()
                .is_redirection()
                .then(|| response.headers().get(reqwest::header::LOCATION).cloned())
                .flatten();
            answered.body = read_limited(response, ANSWER_LIMIT)
                .await
                .map_err(|problem| {
                    CallFailure::Transport(format!(
                        "cannot read the answer of {}: {problem}",
                        masked(url, &outgoing.secrets)
                    ))
                })?;
            if let Some(location) = redirect
                && answered.body.is_empty()
            {
                answered.body = Bytes::from(format!(
                    "a redirect to {}, not followed: the emulator sends a step's request (and \
                     its headers) only where the bot file says",
                    String::from_utf8_lossy(location.as_bytes())
                ));
            }
            Ok(answered)
        };
        self.within_timeout(call).await
    }
}

impl Backend {
    /// Waits for `call` at most the timeout, as Chatlayer would.
    async fn within_timeout(
        &self,
        call: impl Future<Output = Result<Answered, CallFailure>>,
    ) -> Result<Answered, CallFailure> {
        tokio::time::timeout(self.timeout, call)
            .await
            .unwrap_or(Err(CallFailure::Timeout(self.timeout)))
    }
}

/// The HTTP client of the calls: it follows no redirect. A step answering with a redirect
/// is shown as that answer (its status and `Location`), not followed: following it would
/// send the request's headers (the bot file's API keys and signatures) to wherever it
/// points, and Chatlayer's own behaviour on redirects is not published.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// The answer's body, at most `limit` bytes: a backend answering more (by mistake or on
/// purpose) fails the call instead of filling the emulator's memory, as in-process.
async fn read_limited(mut response: reqwest::Response, limit: usize) -> Result<Bytes, String> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(format!("it is over {} MiB", limit / (1024 * 1024)));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|error| error.to_string())? {
        if body.len() + chunk.len() > limit {
            return Err(format!("it is over {} MiB", limit / (1024 * 1024)));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

/// An error with its causes, e.g. `error sending request: connection refused`.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The request as the transcript (the page, its API, `converse`'s lines) shows it: every
/// value taken from the environment shown as its `${NAME}`, the Authorization header
/// hidden, and a URL's password too.
fn sent_request(outgoing: &Outgoing, url: String) -> SentRequest {
    let secrets = &outgoing.secrets;
    SentRequest {
        method: outgoing.method.clone(),
        url: masked(&url, secrets),
        headers: outgoing
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), masked(value, secrets)))
            .collect(),
        body: outgoing
            .body
            .as_ref()
            .map(|body| masked_value(body, secrets)),
    }
}

/// `/path?query` of an absolute URL, as an HTTP/1 request line carries it.
fn path_and_query(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) => match parsed.query() {
            Some(query) => format!("{}?{query}", parsed.path()),
            None => parsed.path().to_owned(),
        },
        Err(_) => url.to_owned(),
    }
}

/// An answer's body as the transcript shows it: JSON when it parses, else its text.
pub(crate) fn body_value(body: &[u8]) -> Option<Value> {
    if body.is_empty() {
        return None;
    }
    Some(
        serde_json::from_slice(body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned())),
    )
}
