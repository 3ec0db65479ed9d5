//! [`Throttled`]: a condition that may happen thousands of times a second (an overload, a
//! refused connection) is logged at most once per interval, with how often it happened.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How often a throttled condition is logged at the most.
pub(crate) const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Counts occurrences of one condition and lets one in each interval through to the log.
pub(crate) struct Throttled {
    count: AtomicU64,
    last_logged: Mutex<Option<Instant>>,
}

impl Throttled {
    pub(crate) const fn new() -> Self {
        Throttled {
            count: AtomicU64::new(0),
            last_logged: Mutex::new(None),
        }
    }

    /// Records one occurrence; calls `log` with the number of occurrences since the last
    /// line when a line is due (the first occurrence, then at most once per interval).
    pub(crate) fn record(&self, log: impl FnOnce(u64)) {
        self.count.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let Ok(mut last) = self.last_logged.try_lock() else {
            // Another thread is logging this very condition right now.
            return;
        };
        if last.is_some_and(|last| now.duration_since(last) < LOG_INTERVAL) {
            return;
        }
        *last = Some(now);
        log(self.count.swap(0, Ordering::Relaxed));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_the_first_occurrence_then_at_most_once_per_interval() {
        let throttled = Throttled::new();
        let mut lines = Vec::new();
        for _ in 0..1000 {
            throttled.record(|count| lines.push(count));
        }
        assert_eq!(lines, [1]);
        *throttled.last_logged.lock().unwrap() = Some(Instant::now() - LOG_INTERVAL);
        throttled.record(|count| lines.push(count));
        assert_eq!(
            lines,
            [1, 1000],
            "the line says how many happened since the last one"
        );
    }
}
