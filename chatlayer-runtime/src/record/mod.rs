//! Recording what Chatlayer really sends, and replaying it as regression tests.
//!
//! With recording on ([`AppBuilder::record`](crate::AppBuilder::record), or
//! `CHATLAYER_RECORD=dir`), every request a step answers is written to the folder as one
//! readable JSON file (an [`Exchange`]): the step, method, path, query, headers and body,
//! the reply's status and body, the latency and the time. Secrets are redacted before
//! anything is written (see [`Recording`]), the folder is bounded (a count cap and a size
//! cap: past either, nothing more is written), and recording never slows or fails a
//! request: the bytes are copied as they pass, and a thread of its own redacts and writes
//! them; a write that fails is logged, never answered.
//!
//! [`Replay`] sends every recorded request to an app again and compares the replies with
//! the recorded ones; [`ContractReport`] tells what a recording shows about what Chatlayer
//! sends. With the `emulator` feature, the emulator's page shows a recording as
//! conversations, one per session (`emulate --recording DIR`, or
//! `emulator::RecordedConversation`).

mod exchange;
mod layer;
mod redact;
mod replay;
mod report;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use exchange::{Exchange, Payload, RecordedReply};
pub(crate) use layer::RecordLayer;
pub use replay::{Replay, ReplayError, ReplayReport, Replayed};
pub use report::ContractReport;

use crate::security::Lookup;

/// The folder recording writes to, when set.
pub const RECORD_ENV: &str = "CHATLAYER_RECORD";
/// The most files recording writes (default [`Recording::DEFAULT_MAX_FILES`]).
pub const RECORD_MAX_FILES_ENV: &str = "CHATLAYER_RECORD_MAX_FILES";
/// The most bytes recording writes (default [`Recording::DEFAULT_MAX_BYTES`]).
pub const RECORD_MAX_BYTES_ENV: &str = "CHATLAYER_RECORD_MAX_BYTES";
/// More names of fields and headers to redact, separated by commas.
pub const RECORD_REDACT_ENV: &str = "CHATLAYER_RECORD_REDACT";

/// How to record: where, how much at most, and what else to redact.
///
/// Redacted always (the value becomes `"[redacted]"`):
/// - headers: `Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`, and any header
///   whose name holds `auth`, `token`, `secret`, `signature`, `password`, `api-key` or
///   `apikey` (so every signature header, whatever its name);
/// - body, query and reply fields, at any depth, whose name holds (ignoring case, `-` and
///   `_`) `password`, `passwd`, `secret`, `token`, `apikey`, `authorization`, `creditcard`,
///   `cardnumber`, `cvv`, `cvc`, `iban` or `ssn`;
/// - any header or field named in [`redact`](Self::redact) (exactly, ignoring case).
///
/// ```no_run
/// use chatlayer_runtime::prelude::*;
/// use chatlayer_runtime::record::Recording;
///
/// # #[api_step("/x")] fn x() -> Reply { Reply::new() }
/// # async fn run() -> Result<(), chatlayer_runtime::ServeError> {
/// App::discover()
///     .record(Recording::to("recordings").max_files(500).redact(["email", "phone"]))
///     .serve()
///     .await
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Recording {
    pub(crate) dir: PathBuf,
    pub(crate) max_files: usize,
    pub(crate) max_bytes: u64,
    pub(crate) redact: Vec<String>,
}

impl Recording {
    /// At most this many files, unless set otherwise.
    pub const DEFAULT_MAX_FILES: usize = 1_000;
    /// At most this many bytes (100 MiB), unless set otherwise.
    pub const DEFAULT_MAX_BYTES: u64 = 100 * 1024 * 1024;
    /// Of a body longer than this (1 MiB), the recording keeps this much, marked truncated.
    pub const BODY_CAP: usize = 1024 * 1024;

    /// Records into `dir` (created when missing), with the default caps.
    pub fn to(dir: impl AsRef<Path>) -> Self {
        Recording {
            dir: dir.as_ref().to_path_buf(),
            max_files: Self::DEFAULT_MAX_FILES,
            max_bytes: Self::DEFAULT_MAX_BYTES,
            redact: Vec::new(),
        }
    }

    /// Writes at most `files` files into the folder, those already there included.
    pub fn max_files(mut self, files: usize) -> Self {
        self.max_files = files;
        self
    }

    /// Writes at most `bytes` bytes into the folder, those already there included.
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Also redacts these headers and fields (exact names, ignoring case).
    pub fn redact<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.redact.extend(names.into_iter().map(Into::into));
        self
    }

    /// The settings the environment asks for: `CHATLAYER_RECORD` names the folder (none:
    /// no recording), `CHATLAYER_RECORD_MAX_FILES` and `CHATLAYER_RECORD_MAX_BYTES` the
    /// caps, `CHATLAYER_RECORD_REDACT` more names to redact (comma-separated).
    pub(crate) fn from_lookup(read: Lookup<'_>) -> Result<Option<Recording>, Vec<String>> {
        let Some(dir) = read(RECORD_ENV).filter(|dir| !dir.trim().is_empty()) else {
            return Ok(None);
        };
        let mut recording = Recording::to(dir.trim());
        let mut problems = Vec::new();
        match number_from_env(read, RECORD_MAX_FILES_ENV, "files") {
            Ok(files) => recording.max_files = files.unwrap_or(recording.max_files),
            Err(problem) => problems.push(problem),
        }
        match number_from_env(read, RECORD_MAX_BYTES_ENV, "bytes") {
            Ok(bytes) => recording.max_bytes = bytes.unwrap_or(recording.max_bytes),
            Err(problem) => problems.push(problem),
        }
        if let Some(text) = read(RECORD_REDACT_ENV) {
            recording = recording.redact(
                text.split(',')
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                    .map(str::to_owned),
            );
        }
        if problems.is_empty() {
            Ok(Some(recording))
        } else {
            Err(problems)
        }
    }
}

/// The number in `variable`, when it is set; `what` names what it counts, for the problem.
fn number_from_env<T: std::str::FromStr>(
    read: Lookup<'_>,
    variable: &str,
    what: &str,
) -> Result<Option<T>, String> {
    let Some(text) = read(variable) else {
        return Ok(None);
    };
    text.trim()
        .parse()
        .map(Some)
        .map_err(|_| format!("{variable}={text:?} cannot be used: expected a number of {what}"))
}

/// Marks a response whose exchange is not recorded (a request the guards refused).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unrecorded;

/// The running recorder of one app: what its steps' layers hand exchanges to.
pub(crate) type Recorder = Arc<writer::Writer>;

/// Starts recording as `recording` says.
pub(crate) fn start(recording: Recording) -> Recorder {
    Arc::new(writer::Writer::start(recording))
}
