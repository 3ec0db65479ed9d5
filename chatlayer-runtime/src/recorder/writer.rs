//! The thread that turns captured exchanges into files: redacted, bounded, and never in a
//! request's way (requests hand over their bytes without waiting; when the thread is
//! behind by [`QUEUE`] exchanges, the next ones are not recorded, and that is logged).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, Method};

use super::Recording;
use super::exchange::{Exchange, Payload, RecordedReply};
use super::redact::{REDACTED, Redaction};
use crate::throttled::Throttled;

/// How many exchanges may wait for the thread.
const QUEUE: usize = 1024;

/// One exchange as it passed: bytes copied, nothing redacted or parsed yet.
pub(crate) struct Captured {
    pub(crate) arrived: SystemTime,
    pub(crate) step: Option<&'static str>,
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) request: Vec<u8>,
    /// The request body's whole length (more than `request` holds when capped).
    pub(crate) request_length: usize,
    pub(crate) status: u16,
    pub(crate) reply: Vec<u8>,
    pub(crate) reply_length: usize,
    pub(crate) latency: Duration,
    /// The memory the copies hold, given back when the exchange is written or dropped.
    pub(crate) _held: [Reservation; 2],
}

/// The memory recording may hold in body copies, and how much it holds.
#[derive(Debug)]
pub(crate) struct MemoryBudget {
    used: AtomicUsize,
    total: usize,
}

impl MemoryBudget {
    fn new(total: usize) -> Arc<Self> {
        Arc::new(MemoryBudget {
            used: AtomicUsize::new(0),
            total,
        })
    }

    /// The bound, in bytes.
    pub(crate) fn total(&self) -> usize {
        self.total
    }
}

/// A share of the [`MemoryBudget`], given back when dropped.
#[derive(Debug)]
pub(crate) struct Reservation {
    budget: Arc<MemoryBudget>,
    bytes: usize,
}

impl Reservation {
    pub(crate) fn new(budget: &Arc<MemoryBudget>) -> Self {
        Reservation {
            budget: Arc::clone(budget),
            bytes: 0,
        }
    }

    /// Takes `bytes` more, or nothing when they do not fit.
    pub(crate) fn grow(&mut self, bytes: usize) -> bool {
        let before = self.budget.used.fetch_add(bytes, Ordering::AcqRel);
        if before.saturating_add(bytes) > self.budget.total {
            self.budget.used.fetch_sub(bytes, Ordering::AcqRel);
            return false;
        }
        self.bytes += bytes;
        true
    }

    /// Gives everything back.
    pub(crate) fn release(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::AcqRel);
        self.bytes = 0;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.release();
    }
}

/// Hands exchanges to the writing thread.
pub(crate) struct Writer {
    /// `None` once dropped: the thread then writes what is queued, and ends.
    queue: Option<SyncSender<Captured>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Set once the folder is at its caps (or the thread could not start): nothing more
    /// will be written, so nothing more is copied.
    full: Arc<AtomicBool>,
    memory: Arc<MemoryBudget>,
}

impl Drop for Writer {
    /// Waits for what is queued to be written (at most [`QUEUE`] exchanges), so that a
    /// server that shuts down loses none.
    fn drop(&mut self) {
        self.queue = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Writer {
    pub(crate) fn start(recording: Recording) -> Writer {
        let (queue, exchanges) = sync_channel(QUEUE);
        let full = Arc::new(AtomicBool::new(false));
        let memory = MemoryBudget::new(recording.max_memory);
        let folder_full = Arc::clone(&full);
        let spawned = std::thread::Builder::new()
            .name("chatlayer-record".to_owned())
            .spawn(move || Folder::open(recording, folder_full).write_all(exchanges));
        let thread = spawned
            .map_err(|error| {
                full.store(true, Ordering::Release);
                tracing::error!("recording is off: its thread could not start: {error}")
            })
            .ok();
        Writer {
            queue: Some(queue),
            thread,
            full,
            memory,
        }
    }

    /// Whether anything more may be written: when not, the layer copies nothing.
    pub(crate) fn takes_more(&self) -> bool {
        !self.full.load(Ordering::Acquire)
    }

    /// The memory body copies may take.
    pub(crate) fn memory(&self) -> &Arc<MemoryBudget> {
        &self.memory
    }

    /// An exchange was not recorded because its copy did not fit in memory.
    pub(crate) fn over_memory(&self) {
        static OVER: Throttled = Throttled::new();
        OVER.record(|count| {
            tracing::warn!(
                not_recorded = count,
                "recording holds {} bytes of bodies at most (Recording::max_memory, \
                 CHATLAYER_RECORD_MAX_MEMORY): exchanges that did not fit were served and \
                 not recorded",
                self.memory.total()
            )
        });
    }

    /// Hands `captured` over, or drops it when the thread is behind (or gone).
    pub(crate) fn record(&self, captured: Captured) {
        let Some(queue) = &self.queue else {
            return;
        };
        match queue.try_send(captured) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                static BEHIND: Throttled = Throttled::new();
                BEHIND.record(|count| {
                    tracing::warn!(
                        not_recorded = count,
                        "recording is behind: exchanges were not recorded"
                    )
                });
            }
        }
    }
}

/// The folder being written, and what it holds.
struct Folder {
    recording: Recording,
    redaction: Redaction,
    files: usize,
    bytes: u64,
    /// Numbers the files of this run, after the time, so that names sort in order.
    sequence: u64,
    full_logged: bool,
    /// Shared with the layers: set when the caps are reached.
    full: Arc<AtomicBool>,
}

impl Folder {
    fn open(recording: Recording, full: Arc<AtomicBool>) -> Folder {
        let (mut files, mut bytes) = (0, 0);
        if let Err(error) = std::fs::create_dir_all(&recording.dir) {
            tracing::warn!(
                "recording into {} will fail: {error}",
                recording.dir.display()
            );
        }
        if let Ok(entries) = std::fs::read_dir(&recording.dir) {
            for entry in entries.filter_map(Result::ok) {
                if let Ok(meta) = entry.metadata()
                    && meta.is_file()
                {
                    files += 1;
                    bytes += meta.len();
                }
            }
        }
        if files >= recording.max_files || bytes >= recording.max_bytes {
            full.store(true, Ordering::Release);
        }
        tracing::info!(
            "recording exchanges into {} (at most {} files and {} bytes; {files} files there)",
            recording.dir.display(),
            recording.max_files,
            recording.max_bytes
        );
        Folder {
            redaction: Redaction::new(&recording.redact),
            recording,
            files,
            bytes,
            sequence: 0,
            full_logged: false,
            full,
        }
    }

    fn write_all(mut self, exchanges: Receiver<Captured>) {
        for captured in exchanges {
            self.write(captured);
        }
    }

    fn write(&mut self, captured: Captured) {
        if self.files >= self.recording.max_files || self.bytes >= self.recording.max_bytes {
            self.full();
            return;
        }
        let exchange = self.exchange(captured);
        let name = self.file_name(&exchange);
        let mut text = match serde_json::to_vec_pretty(&exchange) {
            Ok(text) => text,
            Err(error) => {
                tracing::warn!("an exchange could not be recorded: {error}");
                return;
            }
        };
        text.push(b'\n');
        if self.bytes + text.len() as u64 > self.recording.max_bytes {
            self.full();
            return;
        }
        match write_new(&self.recording.dir, &name, &text) {
            Ok(()) => {
                self.files += 1;
                self.bytes += text.len() as u64;
            }
            Err(error) => {
                static FAILED: Throttled = Throttled::new();
                FAILED.record(|count| {
                    tracing::warn!(
                        failed = count,
                        "an exchange could not be recorded into {}: {error}",
                        self.recording.dir.display()
                    )
                });
            }
        }
    }

    fn full(&mut self) {
        self.full.store(true, Ordering::Release);
        if !self.full_logged {
            self.full_logged = true;
            tracing::warn!(
                "recording stopped: {} holds {} files and {} bytes, the caps are {} and {}",
                self.recording.dir.display(),
                self.files,
                self.bytes,
                self.recording.max_files,
                self.recording.max_bytes
            );
        }
    }

    /// `20261121T104903.123456Z-000001-post-order.json`: the arrival time first, so that
    /// names sort in the order of arrival, across runs too.
    fn file_name(&mut self, exchange: &Exchange) -> String {
        self.sequence += 1;
        let time: String = exchange
            .recorded_at
            .chars()
            .filter(|c| *c != '-' && *c != ':')
            .collect();
        let slug: String = exchange
            .path
            .trim_matches('/')
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .take(60)
            .collect();
        format!(
            "{time}-{:06}-{}-{}.json",
            self.sequence,
            exchange.method.to_ascii_lowercase(),
            if slug.is_empty() { "root" } else { &slug }
        )
    }

    /// The exchange as written: secrets redacted.
    fn exchange(&self, captured: Captured) -> Exchange {
        let redaction = &self.redaction;
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in &captured.headers {
            let name = name.as_str();
            let value = if redaction.header(name) {
                REDACTED.to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            match headers.get_mut(name) {
                Some(values) => {
                    values.push_str(", ");
                    values.push_str(&value);
                }
                None => {
                    headers.insert(name.to_owned(), value);
                }
            }
        }
        let mut recorded_at = String::new();
        crate::logging::access::push_timestamp(
            &mut recorded_at,
            captured
                .arrived
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
        );
        let form = headers
            .get("content-type")
            .is_some_and(|kind| kind.contains("x-www-form-urlencoded"));
        Exchange {
            recorded_at,
            step: captured.step.map(str::to_owned),
            method: captured.method.as_str().to_owned(),
            path: captured.path,
            query: captured.query.map(|query| redaction.query(&query)),
            headers,
            body: self.payload(&captured.request, captured.request_length, form),
            reply: RecordedReply {
                status: captured.status,
                body: self.payload(&captured.reply, captured.reply_length, false),
            },
            latency_ms: captured.latency.as_secs_f64() * 1000.0,
        }
    }

    fn payload(&self, bytes: &[u8], length: usize, form: bool) -> Payload {
        match Payload::of(bytes, length) {
            Payload::Json(mut value) => {
                self.redaction.json(&mut value);
                Payload::Json(value)
            }
            Payload::Text(text) if form => Payload::Text(self.redaction.form(&text)),
            // Text that is neither JSON nor form data has no shape to redact by (an escaped
            // key, `pass\u0077ord`, hides from any scan of its words): only its length is
            // kept.
            Payload::Text(text) if !text.is_empty() => Payload::Truncated {
                head: REDACTED.to_owned(),
                length: text.len(),
            },
            Payload::Truncated { length, .. } => Payload::Truncated {
                head: REDACTED.to_owned(),
                length,
            },
            other => other,
        }
    }
}

/// Writes `text` as `dir/name` in one go: to a hidden temporary name first, then renamed,
/// so that a replay never reads half a file.
fn write_new(dir: &std::path::Path, name: &str, text: &[u8]) -> std::io::Result<()> {
    let temporary: PathBuf = dir.join(format!(".{name}.partial"));
    let mut file = std::fs::File::create(&temporary)?;
    let written = file.write_all(text).and_then(|()| file.flush());
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error);
    }
    std::fs::rename(&temporary, dir.join(name))
}
