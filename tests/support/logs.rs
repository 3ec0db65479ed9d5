//! [`Logs`]: what the framework logs during a test, as text.

use std::io::Write;
use std::sync::{Arc, Mutex, Once};

use tracing::subscriber::{DefaultGuard, Interest};
use tracing::{Event, Metadata, Subscriber, span};
use tracing_subscriber::fmt::MakeWriter;

/// Makes `subscriber` this thread's default while the guard lives, as `set_default` does,
/// without losing events to the other tests of the binary.
///
/// `tracing` caches whether a line of code is of interest once, for the whole process, when
/// that line first runs. While at most one subscriber is registered it asks only the
/// subscriber of the thread that got there first: a test running beside this one with none
/// made it "never", and this test's own subscriber then saw nothing from that line (a fallback
/// line missing, on a loaded machine only). A global subscriber that says "sometimes" and
/// enables nothing keeps every line asking each thread's own subscriber.
pub fn scoped(subscriber: impl Subscriber + Send + Sync + 'static) -> DefaultGuard {
    static UNDECIDED: Once = Once::new();
    UNDECIDED.call_once(|| {
        let _ = tracing::subscriber::set_global_default(Undecided);
    });
    tracing::subscriber::set_default(subscriber)
}

/// Interested in every line sometimes, enabling none: each event then asks the subscriber of
/// its own thread.
struct Undecided;

impl Subscriber for Undecided {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    fn enabled(&self, _: &Metadata<'_>) -> bool {
        false
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, _: &Event<'_>) {}

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

/// Collects every log line of this thread while it lives. Tests on tokio's default
/// (current-thread) runtime see the server's lines too: its tasks run on the same thread.
pub struct Logs {
    buffer: Arc<Mutex<Vec<u8>>>,
    _guard: DefaultGuard,
}

impl Logs {
    /// Starts collecting, at every level.
    pub fn capture() -> Logs {
        Logs::collect(|builder, writer| scoped(builder.with_writer(writer).finish()))
    }

    /// Starts collecting, at every level, one JSON object per line (as
    /// `CHATLAYER_LOG_FORMAT=json` writes them).
    pub fn capture_json() -> Logs {
        Logs::collect(|builder, writer| scoped(builder.json().with_writer(writer).finish()))
    }

    /// Collects what the subscriber `install` makes from the common builder writes.
    fn collect(
        install: impl FnOnce(tracing_subscriber::fmt::SubscriberBuilder, Buffer) -> DefaultGuard,
    ) -> Logs {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let builder = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE);
        Logs {
            _guard: install(builder, Buffer(Arc::clone(&buffer))),
            buffer,
        }
    }

    /// The JSON lines logged so far.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.text()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap()).into_owned()
    }

    /// How many lines contain `needle`.
    pub fn count(&self, needle: &str) -> usize {
        self.text()
            .lines()
            .filter(|line| line.contains(needle))
            .count()
    }
}

#[derive(Clone)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
