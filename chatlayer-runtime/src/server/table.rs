//! [`ConnectionTable`]: the connections the server holds, bounded. At the bound, a new
//! connection takes the place of the oldest one that has not sent a complete request yet (a
//! silent or slow client: exactly what an attacker opens by the thousand); when every
//! connection is busy with requests, the new one is refused at once.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::Notify;

use crate::throttled::Throttled;

/// What one connection's task and the accept loop share.
#[derive(Default)]
pub(crate) struct ConnectionState {
    /// Requests started on the connection; 0 until it sends its first complete head.
    started: AtomicUsize,
    in_flight: AtomicUsize,
    /// Asks the connection to close now, to make room for a new one.
    evict: Notify,
    /// Whether its place in the count was given back (once: when evicted or when closed).
    released: AtomicBool,
}

impl ConnectionState {
    /// A request starts; the guard ends it when dropped.
    pub(crate) fn begin(self: &Arc<Self>) -> RequestGuard {
        self.started.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        RequestGuard(Arc::clone(self))
    }

    pub(crate) fn started(&self) -> usize {
        self.started.load(Ordering::Relaxed)
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Completes when the accept loop evicts the connection.
    pub(crate) async fn evicted(&self) {
        self.evict.notified().await;
    }
}

/// One request in flight on a connection.
pub(crate) struct RequestGuard(Arc<ConnectionState>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The open connections, and those that may be evicted, oldest first.
pub(crate) struct ConnectionTable {
    max: usize,
    open: Arc<AtomicUsize>,
    /// Connections that had not started a request when they were accepted, in accept
    /// order; a connection that has started one is skipped (and dropped from here) when met.
    silent: Mutex<VecDeque<Weak<ConnectionState>>>,
}

/// How many queued connections one admission looks at, at most: admission stays cheap
/// however many connections are open.
const SCAN: usize = 256;

/// Evictions, logged at most once per interval.
static EVICTED: Throttled = Throttled::new();

impl ConnectionTable {
    pub(crate) fn new(max: usize) -> Self {
        ConnectionTable {
            max,
            open: Arc::default(),
            silent: Mutex::default(),
        }
    }

    /// The bound.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Makes room for one more connection, evicting the oldest silent one at the bound.
    /// `None` when every connection is busy: the new one must be refused.
    pub(crate) fn admit(&self) -> Option<Admitted> {
        if self.open.load(Ordering::Acquire) >= self.max && !self.evict_one() {
            return None;
        }
        self.open.fetch_add(1, Ordering::AcqRel);
        let state = Arc::new(ConnectionState::default());
        self.silent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push_back(Arc::downgrade(&state));
        Some(Admitted {
            state,
            open: Arc::clone(&self.open),
        })
    }

    /// Evicts the oldest connection that has not started a request, if one is found among
    /// the next few in the queue.
    fn evict_one(&self) -> bool {
        let mut silent = self
            .silent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for _ in 0..SCAN {
            let Some(weak) = silent.pop_front() else {
                return false;
            };
            // A closed connection, or one that has sent a request: not evictable, and
            // never again, so it leaves the queue.
            if let Some(state) = weak.upgrade()
                && state.started() == 0
            {
                state.evict.notify_one();
                EVICTED.record(|count| {
                    tracing::warn!(
                        evicted = count,
                        limit = self.max,
                        "at the limit of {} connections: closing the oldest that sent no \
                         request, to make room",
                        self.max
                    )
                });
                // Its task ends soon; its place goes to the newcomer now.
                release(&state, &self.open);
                return true;
            }
        }
        false
    }
}

/// An admitted connection: its shared state, and its place in the count until dropped.
pub(crate) struct Admitted {
    pub(crate) state: Arc<ConnectionState>,
    open: Arc<AtomicUsize>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        release(&self.state, &self.open);
    }
}

/// Gives the connection's place back, exactly once whoever comes first: its eviction or its
/// end.
fn release(state: &ConnectionState, open: &AtomicUsize) {
    if !state.released.swap(true, Ordering::AcqRel) {
        open.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_bound_the_oldest_silent_connection_makes_room() {
        let table = ConnectionTable::new(2);
        let first = table.admit().unwrap();
        let second = table.admit().unwrap();
        let _busy = second.state.begin();
        let third = table.admit().expect("the silent first one makes room");
        assert_eq!(table.open.load(Ordering::Acquire), 2);
        // The evicted connection ends: its place was already given.
        drop(first);
        assert_eq!(table.open.load(Ordering::Acquire), 2);
        let _also_busy = third.state.begin();
        assert!(table.admit().is_none(), "every connection is busy");
        drop(third);
        assert!(table.admit().is_some());
    }

    #[test]
    fn a_connection_that_started_a_request_is_never_evicted() {
        let table = ConnectionTable::new(1);
        let client = table.admit().unwrap();
        drop(client.state.begin()); // one request, answered: now idle, but a real client
        assert!(table.admit().is_none());
    }
}
