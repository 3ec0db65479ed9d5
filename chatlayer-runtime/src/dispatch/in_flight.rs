//! The limit on requests a step runs at once (`Limits::concurrent_requests`): a counter,
//! since no request ever waits for a place (one that finds none is refused as overloaded).
//! A semaphore did the same with a compare-exchange to take its permit and a lock of its
//! waiters' list to give it back, on every request.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many requests are running, and how many may.
pub(crate) struct InFlight {
    running: AtomicUsize,
    max: usize,
}

/// A request's place, given back when dropped.
pub(crate) struct Place<'a>(&'a AtomicUsize);

impl InFlight {
    /// At most `max` requests at once.
    pub(crate) fn new(max: usize) -> Self {
        InFlight {
            running: AtomicUsize::new(0),
            max,
        }
    }

    /// How many requests may run at once.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// A place for one more request, or `None` when `max` are running.
    pub(crate) fn enter(&self) -> Option<Place<'_>> {
        let before = self.running.fetch_add(1, Ordering::AcqRel);
        if before >= self.max {
            self.running.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Place(&self.running))
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl std::fmt::Debug for InFlight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InFlight")
            .field("running", &self.running.load(Ordering::Relaxed))
            .field("max", &self.max)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_max_places_are_taken_and_dropping_one_frees_it() {
        let limit = InFlight::new(2);
        let first = limit.enter().unwrap();
        let _second = limit.enter().unwrap();
        assert!(limit.enter().is_none());
        assert!(limit.enter().is_none(), "a refused request holds no place");
        drop(first);
        assert!(limit.enter().is_some());
    }

    #[test]
    fn racing_requests_never_take_more_than_max() {
        let limit = std::sync::Arc::new(InFlight::new(3));
        let held = std::sync::Arc::new(AtomicUsize::new(0));
        let most = std::sync::Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (limit, held, most) = (limit.clone(), held.clone(), most.clone());
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        if let Some(_place) = limit.enter() {
                            let now = held.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            held.fetch_sub(1, Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        threads
            .into_iter()
            .for_each(|thread| thread.join().unwrap());
        assert!(most.load(Ordering::SeqCst) <= 3);
        assert_eq!(limit.running.load(Ordering::SeqCst), 0);
    }
}
