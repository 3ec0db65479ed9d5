//! Replaying a recording: every recorded request sent to an app again, every reply compared
//! with the recorded one.

use std::fmt;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{self, HeaderName, HeaderValue};
use serde_json::Value;

use tower::ServiceExt;

use crate::recorder::{Exchange, Payload, REDACTED};
use crate::security::SignatureVerifier;
use crate::server::{Servable, Server};

/// Headers a replay does not send again: the connection's own, and what the new body
/// decides.
const NOT_SENT: [&str; 6] = [
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
    "keep-alive",
    "upgrade",
];

/// A replay of a recording against an app, in-process: a regression test made of real
/// traffic.
///
/// Each recorded request is sent again (redacted headers are left out: add what the app
/// needs with [`header`](Self::header), or replay against an app built without its
/// credentials), and each reply is compared with the recorded one: the status, and the
/// body value by value. A recorded `"[redacted]"` matches anything. Values that change by
/// nature (times, generated ids) are left out with [`ignore`](Self::ignore).
///
/// ```no_run
/// use chatlayer_runtime::prelude::*;
/// use chatlayer_runtime::record::Replay;
///
/// # #[api_step("/order")] fn order() -> Reply { Reply::new() }
/// # async fn test() {
/// let app = App::from_steps([order::STEP]).build().unwrap();
/// let report = Replay::from_dir("tests/recordings")
///     .ignore("/session/data/placedAt")
///     .ignore("/messages/*/id")
///     .run(&app)
///     .await
///     .unwrap();
/// report.assert_green(); // panics with a readable diff otherwise
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Replay {
    dir: PathBuf,
    ignore: Vec<String>,
    headers: Vec<(HeaderName, HeaderValue)>,
    signer: Option<SignatureVerifier>,
}

/// Why a replay could not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayError(String);

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReplayError {}

/// What a replay found.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ReplayReport {
    /// The folder replayed.
    pub dir: PathBuf,
    /// Each exchange, in the order recorded.
    pub replayed: Vec<Replayed>,
}

/// One exchange replayed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Replayed {
    /// Its file.
    pub file: PathBuf,
    /// What was recorded.
    pub exchange: Exchange,
    /// The status the app answered now.
    pub status: u16,
    /// What differs, one line each (`/path/in/body: recorded X, now Y`); empty when the
    /// reply matches.
    pub differences: Vec<String>,
}

impl Replay {
    /// Replays the exchanges recorded in `dir`.
    pub fn from_dir(dir: impl AsRef<Path>) -> Self {
        Replay {
            dir: dir.as_ref().to_path_buf(),
            ignore: Vec::new(),
            headers: Vec::new(),
            signer: None,
        }
    }

    /// Signs every body again as `verifier` checks it (with a fresh timestamp when it
    /// signs timestamps): the recording redacted the signatures Chatlayer sent.
    pub fn sign_with(mut self, verifier: SignatureVerifier) -> Self {
        self.signer = Some(verifier);
        self
    }

    /// Leaves a part of every reply body out of the comparison: a JSON pointer such as
    /// `/session/data/placedAt`, where `*` stands for any one key or index
    /// (`/messages/*/id`).
    pub fn ignore(mut self, pointer: impl Into<String>) -> Self {
        self.ignore.push(pointer.into());
        self
    }

    /// Adds a header to every request sent (e.g. the credentials the recording redacted).
    ///
    /// # Panics
    ///
    /// When `name` or `value` is not a valid header name or value.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::try_from(name).expect("a valid header name");
        let value = HeaderValue::try_from(value).expect("a valid header value");
        self.headers.push((name, value));
        self
    }

    /// Sends every recorded request to `target` in-process and compares the replies.
    pub async fn run(&self, target: impl Servable) -> Result<ReplayReport, ReplayError> {
        let exchanges = Exchange::read_dir(&self.dir).map_err(ReplayError)?;
        if exchanges.is_empty() {
            return Err(ReplayError(format!(
                "{} holds no recorded exchange (*.json)",
                self.dir.display()
            )));
        }
        let (router, _) = target.prepare(Server::new());
        let mut replayed = Vec::with_capacity(exchanges.len());
        for (file, exchange) in exchanges {
            let request = self.request(&exchange).map_err(|why| {
                ReplayError(format!("{}: cannot be sent again: {why}", file.display()))
            })?;
            let response = router
                .clone()
                .oneshot(request)
                .await
                .unwrap_or_else(|never| match never {});
            let status = response.status().as_u16();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .map_err(|error| {
                    ReplayError(format!(
                        "{}: the reply cannot be read: {error}",
                        file.display()
                    ))
                })?;
            let now = Payload::of(&body, body.len());
            let mut differences = Vec::new();
            if status != exchange.reply.status {
                differences.push(format!(
                    "status: recorded {}, now {status}",
                    exchange.reply.status,
                ));
            }
            compare(
                "",
                &exchange.reply.body.to_json(),
                &now.to_json(),
                &self.ignore,
                &mut differences,
            );
            replayed.push(Replayed {
                file,
                exchange,
                status,
                differences,
            });
        }
        Ok(ReplayReport {
            dir: self.dir.clone(),
            replayed,
        })
    }

    fn request(&self, exchange: &Exchange) -> Result<http::Request<Body>, String> {
        let uri = match &exchange.query {
            Some(query) => format!("{}?{query}", exchange.path),
            None => exchange.path.clone(),
        };
        let body = exchange.body.to_bytes();
        let mut headers = http::HeaderMap::new();
        for (name, value) in &exchange.headers {
            if value == REDACTED || NOT_SENT.contains(&name.as_str()) {
                continue;
            }
            let name = HeaderName::try_from(name.as_str()).map_err(|error| error.to_string())?;
            let value = HeaderValue::try_from(value.as_str()).map_err(|error| error.to_string())?;
            headers.insert(name, value);
        }
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        if let Some(signer) = &self.signer {
            let timestamp = signer.timestamp_header().map(|name| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs()
                    .to_string();
                if let Ok(value) = HeaderValue::try_from(now.as_str()) {
                    headers.insert(name.clone(), value);
                }
                now
            });
            let signature = signer.sign(&exchange.method, &uri, &body, timestamp.as_deref());
            let value = HeaderValue::try_from(signature).map_err(|error| error.to_string())?;
            headers.insert(signer.header_name().clone(), value);
        }
        let mut request = http::Request::builder()
            .method(exchange.method.as_str())
            .uri(uri)
            .body(Body::from(body))
            .map_err(|error| error.to_string())?;
        *request.headers_mut() = headers;
        Ok(request)
    }
}

impl ReplayReport {
    /// Whether every reply matched.
    pub fn is_green(&self) -> bool {
        self.replayed.iter().all(|one| one.differences.is_empty())
    }

    /// Panics with the report when a reply differs.
    #[track_caller]
    pub fn assert_green(&self) {
        assert!(self.is_green(), "{self}");
    }
}

impl fmt::Display for ReplayReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let differing = self
            .replayed
            .iter()
            .filter(|one| !one.differences.is_empty())
            .count();
        writeln!(
            f,
            "replayed {} exchanges from {}: {} match, {differing} differ",
            self.replayed.len(),
            self.dir.display(),
            self.replayed.len() - differing
        )?;
        for one in self
            .replayed
            .iter()
            .filter(|one| !one.differences.is_empty())
        {
            let name = one
                .file
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            writeln!(
                f,
                "\n{name} ({} {}{}):",
                one.exchange.method,
                one.exchange.path,
                one.exchange
                    .step
                    .as_deref()
                    .map(|step| format!(", step `{step}`"))
                    .unwrap_or_default()
            )?;
            for difference in &one.differences {
                writeln!(f, "  {difference}")?;
            }
        }
        // Refused now, answered when recorded: the credentials were redacted from the
        // recording, and the app asks for them.
        let refused = self
            .replayed
            .iter()
            .filter(|one| {
                matches!(one.status, 401 | 403) && one.exchange.reply.status != one.status
            })
            .count();
        if refused > 0 {
            writeln!(
                f,
                "\nhint: {refused} exchange{} refused now as unauthenticated, and answered when \
                 recorded: the recording redacts credentials; give them again with \
                 `--header 'Authorization: Bearer <token>'` (`Replay::header` in a test)",
                if refused == 1 { " was" } else { "s were" }
            )?;
        }
        Ok(())
    }
}

/// Compares `recorded` with `now` under `path` (a JSON pointer), one line per difference.
fn compare(path: &str, recorded: &Value, now: &Value, ignore: &[String], out: &mut Vec<String>) {
    if ignored(path, ignore) || recorded.as_str() == Some(REDACTED) {
        return;
    }
    match (recorded, now) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = format!("{path}/{}", escape(key));
                compare_child(&child, a.get(key), b.get(key), ignore, out);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for index in 0..a.len().max(b.len()) {
                let child = format!("{path}/{index}");
                compare_child(&child, a.get(index), b.get(index), ignore, out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(format!(
            "{}: recorded {a}, now {b}",
            if path.is_empty() { "body" } else { path }
        )),
    }
}

/// Compares a key or index that may be on one side only.
fn compare_child(
    path: &str,
    recorded: Option<&Value>,
    now: Option<&Value>,
    ignore: &[String],
    out: &mut Vec<String>,
) {
    match (recorded, now) {
        (Some(x), Some(y)) => compare(path, x, y, ignore, out),
        _ if ignored(path, ignore) => {}
        (Some(x), None) => out.push(format!("{path}: recorded {x}, now missing")),
        (None, Some(y)) => out.push(format!("{path}: not recorded, now {y}")),
        (None, None) => {}
    }
}

fn ignored(path: &str, ignore: &[String]) -> bool {
    ignore.iter().any(|pattern| matches(pattern, path))
}

/// Whether the pointer `path` is `pattern`, where a `*` segment matches any one segment.
fn matches(pattern: &str, path: &str) -> bool {
    let mut pattern = pattern.split('/');
    let mut path = path.split('/');
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some(want), Some(got)) if want == "*" || want == got => {}
            _ => return false,
        }
    }
}

/// A key as a JSON pointer segment.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn differences(recorded: Value, now: Value, ignore: &[&str]) -> Vec<String> {
        let ignore: Vec<String> = ignore.iter().map(|s| (*s).to_owned()).collect();
        let mut out = Vec::new();
        compare("", &recorded, &now, &ignore, &mut out);
        out
    }

    #[test]
    fn differences_name_their_place_and_ignored_places_are_skipped() {
        let recorded = json!({
            "messages": [{ "id": 1, "text": "You ordered 2" }],
            "session": { "data": { "at": "10:00", "token": REDACTED } }
        });
        let now = json!({
            "messages": [{ "id": 2, "text": "Thanks for 2" }],
            "session": { "data": { "at": "10:01", "token": "abc", "new": true } }
        });
        assert_eq!(
            differences(
                recorded.clone(),
                now.clone(),
                &["/messages/*/id", "/session/data/at"]
            ),
            [
                "/messages/0/text: recorded \"You ordered 2\", now \"Thanks for 2\"",
                "/session/data/new: not recorded, now true",
            ]
        );
        assert_eq!(
            differences(recorded.clone(), recorded, &[]),
            Vec::<String>::new()
        );
        assert_eq!(
            differences(json!("a"), json!("b"), &[]),
            ["body: recorded \"a\", now \"b\""]
        );
    }
}
