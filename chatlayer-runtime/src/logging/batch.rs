//! [`BatchWriter`]: log lines appended to a shared buffer and written to standard error by a
//! background thread every few milliseconds, in one `write` per batch.
//!
//! A writer that hands each line to a thread through a channel wakes that thread for each
//! line: on a busy server that is a futex call and often a context switch per request,
//! which cost more than formatting the line. Here a line costs a lock and a copy; the
//! writer thread sleeps between batches and is never woken by a line.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How often the buffer is written out.
const FLUSH_EVERY: Duration = Duration::from_millis(20);

/// The bytes held at most when the output cannot keep up; lines beyond are dropped and
/// counted, rather than memory grown or requests slowed.
const MAX_BUFFERED: usize = 8 * 1024 * 1024;

/// What the loggers and the writer thread share.
struct Shared {
    buffer: Mutex<Buffer>,
    /// Wakes the writer thread early: at shutdown.
    wake: Condvar,
    dropped: AtomicU64,
}

#[derive(Default)]
struct Buffer {
    bytes: Vec<u8>,
    closing: bool,
}

/// The [`MakeWriter`] of the default subscriber.
#[derive(Clone)]
pub(crate) struct BatchWriter {
    shared: Arc<Shared>,
}

/// Stops the writer thread when dropped, after it wrote everything buffered.
pub(crate) struct BatchGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl BatchWriter {
    /// Starts the writer thread, writing to `out`.
    pub(crate) fn start(out: impl Write + Send + 'static) -> (BatchWriter, BatchGuard) {
        let shared = Arc::new(Shared {
            buffer: Mutex::new(Buffer::default()),
            wake: Condvar::new(),
            dropped: AtomicU64::new(0),
        });
        let thread = std::thread::Builder::new()
            .name("chatlayer-log".to_owned())
            .spawn({
                let shared = Arc::clone(&shared);
                move || write_batches(&shared, out)
            })
            .ok();
        let guard = BatchGuard {
            shared: Arc::clone(&shared),
            thread,
        };
        (BatchWriter { shared }, guard)
    }
}

/// The writer thread: every [`FLUSH_EVERY`], takes what was logged and writes it.
fn write_batches(shared: &Shared, mut out: impl Write) {
    let mut batch = Vec::new();
    loop {
        let closing = {
            let buffer = shared
                .buffer
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            let (mut buffer, _) = shared
                .wake
                .wait_timeout_while(buffer, FLUSH_EVERY, |buffer| !buffer.closing)
                .unwrap_or_else(|poison| poison.into_inner());
            // The buffer keeps its capacity for the next lines; `batch` keeps its own.
            std::mem::swap(&mut buffer.bytes, &mut batch);
            buffer.closing
        };
        if !batch.is_empty() {
            // Standard error closed or full: nothing better to do with the lines.
            let _ = out.write_all(&batch).and_then(|()| out.flush());
            batch.clear();
        }
        if closing {
            return;
        }
    }
}

impl BatchGuard {
    /// How many lines were dropped because the output could not keep up.
    pub(crate) fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for BatchGuard {
    fn drop(&mut self) {
        if let Ok(mut buffer) = self.shared.buffer.lock() {
            buffer.closing = true;
        }
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Write for BatchWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut buffer = self
            .shared
            .buffer
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if buffer.bytes.len() + bytes.len() > MAX_BUFFERED {
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            buffer.bytes.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchWriter {
    type Writer = BatchWriter;

    fn make_writer(&'a self) -> BatchWriter {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output the test reads back.
    #[derive(Clone, Default)]
    struct Collected(Arc<Mutex<Vec<u8>>>);

    impl Write for Collected {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn writes_every_line_in_order_by_the_time_the_guard_is_dropped() {
        let out = Collected::default();
        let (writer, guard) = BatchWriter::start(out.clone());
        for index in 0..1000 {
            writer
                .make_writer()
                .write_all(format!("line {index}\n").as_bytes())
                .unwrap();
        }
        drop(guard);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1000);
        assert_eq!(lines[999], "line 999");
    }

    #[test]
    fn writes_without_waiting_for_the_end() {
        let out = Collected::default();
        let (writer, guard) = BatchWriter::start(out.clone());
        writer.make_writer().write_all(b"early\n").unwrap();
        let mut written = false;
        for _ in 0..500 {
            if !out.0.lock().unwrap().is_empty() {
                written = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(written, "the line was not written within a second");
        drop(guard);
    }

    #[test]
    fn drops_and_counts_lines_beyond_the_bound() {
        // No writer thread: nothing empties the buffer, as when standard error is stuck.
        let mut writer = BatchWriter {
            shared: Arc::new(Shared {
                buffer: Mutex::new(Buffer::default()),
                wake: Condvar::new(),
                dropped: AtomicU64::new(0),
            }),
        };
        let line = vec![b'x'; 1024 * 1024];
        for _ in 0..10 {
            writer.write_all(&line).unwrap();
        }
        assert_eq!(writer.shared.dropped.load(Ordering::Relaxed), 2);
        assert_eq!(
            writer.shared.buffer.lock().unwrap().bytes.len(),
            MAX_BUFFERED
        );
    }
}
