//! Recording what Chatlayer really sends, as it passes: the settings ([`Recording`]), the
//! layer on each step's route that copies the request and the reply ([`layer`]), and the
//! thread that redacts and writes them ([`writer`]), in the format of [`Exchange`]. Reading
//! a recording again (replay, the contract report) is [`record`](crate::record)'s.

mod exchange;
mod layer;
mod redact;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use exchange::{Exchange, Payload, RecordedReply};
pub(crate) use layer::RecordLayer;
pub(crate) use redact::REDACTED;

use crate::config::{Environment, InvalidVariable, Variable};

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
    pub(crate) max_memory: usize,
    pub(crate) redact: Vec<String>,
}

impl Recording {
    /// At most this many files, unless set otherwise.
    pub const DEFAULT_MAX_FILES: usize = 1_000;
    /// At most this many bytes (100 MiB), unless set otherwise.
    pub const DEFAULT_MAX_BYTES: u64 = 100 * 1024 * 1024;
    /// Of a body longer than this (1 MiB), the recording keeps this much, marked truncated.
    pub const BODY_CAP: usize = 1024 * 1024;
    /// At most this much memory (32 MiB) holds copies of bodies for the recording, unless
    /// set otherwise.
    pub const DEFAULT_MAX_MEMORY: usize = 32 * 1024 * 1024;

    /// Records into `dir` (created when missing), with the default caps.
    pub fn to(dir: impl AsRef<Path>) -> Self {
        Recording {
            dir: dir.as_ref().to_path_buf(),
            max_files: Self::DEFAULT_MAX_FILES,
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_memory: Self::DEFAULT_MAX_MEMORY,
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

    /// Holds at most `bytes` of body copies at once: those of the requests being served and
    /// those waiting to be written. An exchange whose copy does not fit is served as always
    /// and not recorded (logged, at most once per interval), so recording adds at most this
    /// much to the server's memory however many large bodies arrive at once. Nothing is
    /// copied once the folder is at its caps.
    pub fn max_memory(mut self, bytes: usize) -> Self {
        self.max_memory = bytes;
        self
    }

    /// Also redacts these headers and fields (exact names, ignoring case).
    pub fn redact<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.redact.extend(names.into_iter().map(Into::into));
        self
    }

    /// The settings the environment asks for: `CHATLAYER_RECORD` names the folder (none:
    /// no recording), `CHATLAYER_RECORD_MAX_FILES` and `CHATLAYER_RECORD_MAX_BYTES` the
    /// caps, `CHATLAYER_RECORD_MAX_MEMORY` the memory bound, `CHATLAYER_RECORD_REDACT` more names to redact (comma-separated).
    pub(crate) fn from_environment(
        env: &Environment,
    ) -> Result<Option<Recording>, Vec<InvalidVariable>> {
        let Some(dir) = env.get(Variable::Record) else {
            return Ok(None);
        };
        let mut recording = Recording::to(dir);
        let mut problems = Vec::new();
        match env.number(Variable::RecordMaxFiles, "files") {
            Ok(files) => recording.max_files = files.unwrap_or(recording.max_files),
            Err(problem) => problems.push(problem),
        }
        match env.number(Variable::RecordMaxBytes, "bytes") {
            Ok(bytes) => recording.max_bytes = bytes.unwrap_or(recording.max_bytes),
            Err(problem) => problems.push(problem),
        }
        match env.number(Variable::RecordMaxMemory, "bytes") {
            Ok(bytes) => recording.max_memory = bytes.unwrap_or(recording.max_memory),
            Err(problem) => problems.push(problem),
        }
        recording = recording.redact(env.list(Variable::RecordRedact));
        if problems.is_empty() {
            Ok(Some(recording))
        } else {
            Err(problems)
        }
    }
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
