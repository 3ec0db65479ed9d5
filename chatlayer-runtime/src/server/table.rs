//! [`ConnectionTable`]: the connections the server holds, bounded, and closed when they
//! hold nothing.
//!
//! At the bound, a new connection takes the place of the oldest one that has not sent a
//! request yet (a silent or slow client: exactly what an attacker opens by the thousand);
//! when every connection is busy with requests, the new one is refused at once. A sweeper
//! closes connections that have had no request in flight, and started none, for a read
//! timeout: from accept for a connection that never sends one. Closing is aborting the
//! connection's task, so that serving a request costs no timer and no extra wake-up.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use tokio::task::AbortHandle;

use super::readiness::Readiness;
use crate::throttled::Throttled;

/// One request started, in [`ConnectionState::requests`]: started requests count in the
/// high half, requests in flight in the low half.
const STARTED_ONE: u64 = 1 << 32;
const IN_FLIGHT: u64 = STARTED_ONE - 1;

/// What one connection's task, its requests, the accept loop and the sweeper share.
pub(crate) struct ConnectionState {
    /// Started requests (high 32 bits, wrapping) and requests in flight (low 32 bits), in
    /// one word so that a request costs one atomic operation to start and one to end.
    requests: AtomicU64,
    /// Whether the server is draining (its answers then say `Connection: close`).
    pub(crate) draining: Readiness,
    /// Closes the connection's task.
    abort: OnceLock<AbortHandle>,
    /// Whether its place in the count was given back (once: when evicted or when closed).
    released: AtomicBool,
    /// The sweeper's view: the started count it last saw, and for how many sweeps since
    /// then the connection was quiet.
    seen_started: AtomicU32,
    quiet_sweeps: AtomicU32,
}

impl ConnectionState {
    fn new(draining: Readiness) -> Self {
        ConnectionState {
            requests: AtomicU64::new(0),
            draining,
            abort: OnceLock::new(),
            released: AtomicBool::new(false),
            seen_started: AtomicU32::new(0),
            quiet_sweeps: AtomicU32::new(0),
        }
    }

    /// A request starts; the guard ends it when dropped.
    pub(crate) fn begin(self: &Arc<Self>) -> RequestGuard {
        self.requests.fetch_add(STARTED_ONE + 1, Ordering::AcqRel);
        RequestGuard(Arc::clone(self))
    }

    /// How many requests started (wrapping at 2^32), and how many are in flight.
    fn counts(&self) -> (u32, u32) {
        let requests = self.requests.load(Ordering::Acquire);
        ((requests >> 32) as u32, (requests & IN_FLIGHT) as u32)
    }

    pub(crate) fn in_flight(&self) -> u32 {
        self.counts().1
    }

    /// Whether the connection has never started a request.
    fn silent(&self) -> bool {
        self.requests.load(Ordering::Acquire) == 0
    }

    /// Gives the connection its task, for closing it.
    pub(crate) fn attach(&self, task: AbortHandle) {
        let _ = self.abort.set(task);
    }

    fn close(&self) {
        if let Some(task) = self.abort.get() {
            task.abort();
        }
    }
}

/// One request in flight on a connection.
pub(crate) struct RequestGuard(Arc<ConnectionState>);

impl RequestGuard {
    /// The connection's state.
    pub(crate) fn connection(&self) -> &ConnectionState {
        &self.0
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.requests.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The open connections, and those that may be evicted, oldest first.
pub(crate) struct ConnectionTable {
    max: usize,
    open: Arc<AtomicUsize>,
    draining: Readiness,
    /// Every connection, for the sweeper.
    all: Mutex<Vec<Weak<ConnectionState>>>,
    /// Connections that had not started a request when they were accepted, in accept
    /// order; one that has started one is dropped from here when met.
    silent: Mutex<VecDeque<Weak<ConnectionState>>>,
}

/// How many queued connections one admission looks at, at most: admission stays cheap
/// however many connections are open.
const SCAN: usize = 256;

/// Evictions and idle closes, logged at most once per interval.
static EVICTED: Throttled = Throttled::new();

impl ConnectionTable {
    pub(crate) fn new(max: usize, draining: Readiness) -> Self {
        ConnectionTable {
            max,
            open: Arc::default(),
            draining,
            all: Mutex::default(),
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
        let open = self.open.fetch_add(1, Ordering::AcqRel) + 1;
        let state = Arc::new(ConnectionState::new(self.draining.clone()));
        {
            let mut all = lock(&self.all);
            all.push(Arc::downgrade(&state));
            if too_long(all.len(), open) {
                all.retain(|weak| weak.strong_count() > 0);
            }
        }
        {
            let mut silent = lock(&self.silent);
            silent.push_back(Arc::downgrade(&state));
            if too_long(silent.len(), open) {
                silent.retain(|weak| weak.upgrade().is_some_and(|state| state.silent()));
            }
        }
        Some(Admitted {
            state,
            open: Arc::clone(&self.open),
        })
    }

    /// Evicts the oldest connection that has not started a request, if one is found among
    /// the next few in the queue.
    fn evict_one(&self) -> bool {
        let mut silent = lock(&self.silent);
        for _ in 0..SCAN {
            let Some(weak) = silent.pop_front() else {
                return false;
            };
            // A closed connection, or one that has sent a request: not evictable, and
            // never again, so it leaves the queue.
            if let Some(state) = weak.upgrade()
                && state.silent()
            {
                state.close();
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

    /// One sweep, every `interval`: closes the connections that have been quiet (no
    /// request in flight, none started) for `timeout`, and forgets the closed ones.
    pub(crate) fn sweep(&self, interval: Duration, timeout: Duration) {
        // One sweep more than the timeout holds: the first quiet sweep may come just after
        // the connection went quiet, and none may be closed before its timeout.
        let quiet_for = u32::try_from(timeout.div_duration_f64(interval).ceil() as u64)
            .unwrap_or(u32::MAX - 1)
            + 1;
        lock(&self.all).retain(|weak| {
            let Some(state) = weak.upgrade() else {
                return false;
            };
            let (started, in_flight) = state.counts();
            let quiet =
                in_flight == 0 && state.seen_started.swap(started, Ordering::AcqRel) == started;
            let sweeps = if quiet {
                state.quiet_sweeps.fetch_add(1, Ordering::AcqRel) + 1
            } else {
                state.quiet_sweeps.store(0, Ordering::Release);
                0
            };
            if sweeps >= quiet_for {
                state.close();
                return false;
            }
            true
        });
    }
}

/// Whether a queue of `len` entries, `open` connections being open, holds enough that have
/// ended (or, for the silent queue, started a request) to be pruned now. A connection's
/// entry keeps its state's memory until it leaves the queue: left to the sweeper (every few
/// seconds) and to evictions (only at the bound), a server taking a new connection per
/// request kept every connection it ever accepted in the silent queue, 81 MiB after a
/// minute at 11,000 connections a second. Pruned here, a queue holds at most about twice
/// the open connections, for an amortized constant cost per admission.
fn too_long(len: usize, open: usize) -> bool {
    len > 2 * open + SCAN
}

/// The sweeps of a server whose read timeout is `timeout`: close enough to close a quiet
/// connection within one and a half timeouts, rare enough to cost nothing.
pub(crate) fn sweep_interval(timeout: Duration) -> Duration {
    (timeout / 2).clamp(Duration::from_millis(10), Duration::from_secs(5))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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

    fn table(max: usize) -> ConnectionTable {
        ConnectionTable::new(max, Readiness::default())
    }

    #[test]
    fn at_the_bound_the_oldest_silent_connection_makes_room() {
        let table = table(2);
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
    fn ended_connections_are_forgotten_as_new_ones_come_not_kept_until_a_sweep() {
        let table = table(100_000);
        let open = table.admit().unwrap();
        let started = table.admit().unwrap();
        drop(started.state.begin());
        // A caller that opens a new connection for every request.
        for _ in 0..10_000 {
            let connection = table.admit().unwrap();
            drop(connection.state.begin());
            drop(connection);
        }
        let bound = 2 * 3 + SCAN + 1;
        assert!(
            lock(&table.all).len() <= bound,
            "{}",
            lock(&table.all).len()
        );
        assert!(
            lock(&table.silent).len() <= bound,
            "{}",
            lock(&table.silent).len()
        );
        // What is still open stays known: the sweeper and the evictions still find it.
        assert!(
            lock(&table.all)
                .iter()
                .any(|weak| weak.ptr_eq(&Arc::downgrade(&open.state)))
        );
        assert!(
            lock(&table.silent)
                .iter()
                .any(|weak| weak.ptr_eq(&Arc::downgrade(&open.state)))
        );
        drop(started);
    }

    #[test]
    fn a_connection_that_started_a_request_is_never_evicted() {
        let table = table(1);
        let client = table.admit().unwrap();
        drop(client.state.begin()); // one request, answered: now idle, but a real client
        assert!(table.admit().is_none());
    }

    #[tokio::test]
    async fn the_sweeper_closes_quiet_connections_only() {
        let table = table(10);
        let quiet = table.admit().unwrap();
        let busy = table.admit().unwrap();
        let active = table.admit().unwrap();
        let handles: Vec<_> = [&quiet, &busy, &active]
            .iter()
            .map(|admitted| {
                let task = tokio::spawn(std::future::pending::<()>());
                admitted.state.attach(task.abort_handle());
                task
            })
            .collect();
        let _in_flight = busy.state.begin();
        let second = Duration::from_secs(1);
        for _ in 0..3 {
            drop(active.state.begin());
            table.sweep(second, 2 * second);
        }
        tokio::task::yield_now().await;
        assert!(
            handles[0].is_finished(),
            "quiet for three sweeps of two timeouts' worth"
        );
        assert!(!handles[1].is_finished(), "a request in flight");
        assert!(!handles[2].is_finished(), "a request every sweep");
    }
}
