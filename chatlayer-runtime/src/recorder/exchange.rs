//! One recorded exchange: the file format of a recording.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One request a step answered, and its reply, as a recording keeps it (one JSON file).
///
/// ```
/// use chatlayer_runtime::record::{Exchange, Payload};
///
/// let text = r#"{
///   "recorded_at": "2026-11-21T10:49:03.123456Z",
///   "step": "order",
///   "method": "POST",
///   "path": "/order",
///   "headers": { "content-type": "application/json", "authorization": "[redacted]" },
///   "body": { "json": { "sku": "A1", "quantity": 2 } },
///   "reply": { "status": 200, "body": { "json": { "messages": [] } } },
///   "latency_ms": 0.4
/// }"#;
/// let exchange: Exchange = serde_json::from_str(text).unwrap();
/// assert_eq!(exchange.step.as_deref(), Some("order"));
/// assert!(matches!(exchange.body, Payload::Json(_)));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Exchange {
    /// When the request arrived: RFC 3339 in UTC, e.g. `2026-11-21T10:49:03.123456Z`.
    pub recorded_at: String,
    /// The step that answered: its function's name.
    pub step: Option<String>,
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The path, as the step's router saw it.
    pub path: String,
    /// The query string, without its `?`, secret fields redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The headers, names in lower case (a repeated header's values joined by `, `),
    /// secrets redacted.
    pub headers: BTreeMap<String, String>,
    /// The request body, secret fields redacted.
    pub body: Payload,
    /// The reply.
    pub reply: RecordedReply,
    /// From the request's arrival to the reply's last byte, in milliseconds.
    pub latency_ms: f64,
}

/// A recorded reply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecordedReply {
    /// The HTTP status.
    pub status: u16,
    /// The body, secret fields redacted.
    pub body: Payload,
}

/// A recorded body: JSON when it is JSON, else its text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Payload {
    /// No body.
    Empty,
    /// A JSON body.
    Json(Value),
    /// Any other body, as text (bytes that are not UTF-8 replaced by U+FFFD).
    Text(String),
    /// A body longer than [`Recording::BODY_CAP`](super::Recording::BODY_CAP): its first
    /// part as text, and its whole length.
    Truncated {
        /// The first bytes, as text.
        head: String,
        /// The body's length in bytes.
        length: usize,
    },
}

impl Payload {
    /// Reads `bytes` as JSON when they are, else as text.
    pub(crate) fn of(bytes: &[u8], length: usize) -> Payload {
        if length > bytes.len() {
            return Payload::Truncated {
                head: String::from_utf8_lossy(bytes).into_owned(),
                length,
            };
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Payload::Empty;
        }
        match serde_json::from_slice(bytes) {
            Ok(value) => Payload::Json(value),
            Err(_) => Payload::Text(String::from_utf8_lossy(bytes).into_owned()),
        }
    }

    /// The body's bytes, as they are sent again: JSON compact, text as it is.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Payload::Empty => Vec::new(),
            Payload::Json(value) => serde_json::to_vec(value).unwrap_or_default(),
            Payload::Text(text) => text.clone().into_bytes(),
            Payload::Truncated { head, .. } => head.clone().into_bytes(),
        }
    }

    /// The body as JSON: a JSON body's value, or the text as a JSON string.
    pub fn to_json(&self) -> Value {
        match self {
            Payload::Empty => Value::Null,
            Payload::Json(value) => value.clone(),
            Payload::Text(text) => Value::String(text.clone()),
            Payload::Truncated { head, .. } => Value::String(head.clone()),
        }
    }
}

impl Exchange {
    /// Reads one recorded exchange from its file.
    pub fn read(path: &Path) -> Result<Exchange, String> {
        let text = read_recorded_file(path)?;
        serde_json::from_str(&text)
            .map_err(|error| format!("{} is not a recorded exchange: {error}", path.display()))
    }

    /// Every exchange recorded in `dir`, in the order they were recorded (their file names
    /// sort that way).
    pub fn read_dir(dir: &Path) -> Result<Vec<(std::path::PathBuf, Exchange)>, String> {
        let entries = std::fs::read_dir(dir)
            .map_err(|error| format!("cannot read the folder {}: {error}", dir.display()))?;
        let mut paths: Vec<std::path::PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|extension| extension == "json")
            })
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|path| Exchange::read(&path).map(|exchange| (path, exchange)))
            .collect()
    }
}

/// The most a recorded exchange's file holds: two bodies of at most 1 MiB each, written as
/// JSON (escapes can make text up to six times longer), with room to spare.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The text of the recorded exchange at `path`: a regular file only (a symbolic link to
/// `/dev/zero`, a FIFO or a device in a committed recording must not hang or exhaust a CI
/// machine), of at most [`MAX_FILE_BYTES`].
fn read_recorded_file(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let shown = path.display();
    let meta =
        std::fs::symlink_metadata(path).map_err(|error| format!("cannot read {shown}: {error}"))?;
    if meta.file_type().is_symlink() {
        return Err(format!(
            "{shown} is a symbolic link: recorded exchanges are read from regular files only"
        ));
    }
    if !meta.is_file() {
        return Err(format!(
            "{shown} is not a regular file (a FIFO, a device or a folder): recorded exchanges \
             are read from regular files only"
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{shown} holds {} bytes, more than a recorded exchange can ({} MiB)",
            meta.len(),
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_FILE_BYTES + 1).read_to_string(&mut text))
        .map_err(|error| format!("cannot read {shown}: {error}"))?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "{shown} grew past {} MiB while it was read",
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    Ok(text)
}
