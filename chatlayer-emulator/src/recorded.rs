//! The files of a recording, as the emulator reads them: one JSON file per exchange, as
//! chatlayer-runtime's recorder writes them (`chatlayer_runtime::record::Exchange`). Read
//! here on their own, so the emulator needs nothing of the runtime to show a recording;
//! `tests/emulator.rs` reads files the runtime wrote, so the two cannot drift apart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// One request a step answered, and its reply, as a recording keeps it (one JSON file).
///
/// ```
/// use chatlayer_emulator::{Payload, RecordedExchange};
///
/// let exchange: RecordedExchange = serde_json::from_str(r#"{
///   "recorded_at": "2026-11-21T10:49:03.123456Z",
///   "step": "order",
///   "method": "POST",
///   "path": "/order",
///   "headers": { "content-type": "application/json" },
///   "body": { "json": { "sku": "A1" } },
///   "reply": { "status": 200, "body": { "json": { "messages": [] } } },
///   "latency_ms": 0.4
/// }"#).unwrap();
/// assert_eq!(exchange.step.as_deref(), Some("order"));
/// assert!(matches!(exchange.body, Payload::Json(_)));
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct RecordedExchange {
    /// When the request arrived: RFC 3339 in UTC.
    pub recorded_at: String,
    /// The step that answered: its function's name.
    pub step: Option<String>,
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The path, as the step's router saw it.
    pub path: String,
    /// The query string, without its `?`.
    #[serde(default)]
    pub query: Option<String>,
    /// The headers, names in lower case.
    pub headers: BTreeMap<String, String>,
    /// The request body.
    pub body: Payload,
    /// The reply.
    pub reply: RecordedReply,
    /// From the request's arrival to the reply's last byte, in milliseconds.
    pub latency_ms: f64,
}

/// A recorded reply.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct RecordedReply {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Payload,
}

/// A recorded body: JSON when it was JSON, else its text.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Payload {
    /// No body.
    Empty,
    /// A JSON body.
    Json(Value),
    /// Any other body, as text.
    Text(String),
    /// A body longer than the recording keeps: its first part as text, and its length.
    Truncated {
        /// The first bytes, as text.
        head: String,
        /// The body's length in bytes.
        length: usize,
    },
}

impl RecordedExchange {
    /// Every exchange recorded in `dir`, in the order they were recorded (their file names
    /// sort that way).
    pub fn read_dir(dir: &Path) -> Result<Vec<(PathBuf, RecordedExchange)>, String> {
        let entries = std::fs::read_dir(dir)
            .map_err(|error| format!("cannot read the folder {}: {error}", dir.display()))?;
        let mut paths: Vec<PathBuf> = entries
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
            .map(|path| {
                let text = read_recorded_file(&path)?;
                let exchange = serde_json::from_str(&text).map_err(|error| {
                    format!("{} is not a recorded exchange: {error}", path.display())
                })?;
                Ok((path, exchange))
            })
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
