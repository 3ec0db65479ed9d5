//! A per-connection timer for hyper's header read timeout that costs no timer-wheel work per
//! request.
//!
//! hyper starts a fresh timeout for every request head on a connection and drops it once the
//! head is read. With `hyper_util`'s `TokioTimer` that is a boxed `tokio::time::Sleep`
//! registered in and removed from tokio's timer wheel for every request: about 4% of the
//! whole cost of a small request, measured with callgrind. Here every timeout of one
//! connection shares a single tokio `Sleep`, re-armed only when it fires early (at an older,
//! earlier deadline) or when a timeout asks for an earlier deadline than the armed one. A
//! request then costs a clock read and an uncontended lock, and a dropped timeout leaves
//! behind at most one early wake-up of its connection.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};

/// The timer of one connection; give each connection its own.
#[derive(Clone, Default)]
pub(crate) struct ConnectionTimer {
    shared: Arc<SharedSleep>,
}

/// The one tokio sleep of a connection, made by its first timeout; its own deadline is the
/// one it is armed for.
type SharedSleep = Mutex<Option<Pin<Box<tokio::time::Sleep>>>>;

impl Timer for ConnectionTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(Timeout {
            deadline,
            shared: Arc::clone(&self.shared),
        })
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<Timeout>() {
            Some(mut timeout) => timeout.deadline = new_deadline,
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// One timeout: done once the clock passes `deadline`.
struct Timeout {
    deadline: Instant,
    shared: Arc<SharedSleep>,
}

impl Future for Timeout {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = self.deadline;
        if Instant::now() >= deadline {
            return Poll::Ready(());
        }
        let mut armed = self
            .shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let sleep =
            armed.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline.into())));
        // Armed later than this deadline (a timeout made with another length): move it
        // earlier, or this timeout would fire late.
        if sleep.deadline() > deadline.into() {
            sleep.as_mut().reset(deadline.into());
        }
        loop {
            match sleep.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                // Fired for an older deadline: arm it for this one and wait again.
                Poll::Ready(()) if Instant::now() < deadline => {
                    sleep.as_mut().reset(deadline.into());
                }
                Poll::Ready(()) => return Poll::Ready(()),
            }
        }
    }
}

impl Sleep for Timeout {}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    const MS: Duration = Duration::from_millis(1);

    #[tokio::test]
    async fn a_timeout_fires_at_its_own_deadline_whatever_came_before() {
        let timer = ConnectionTimer::default();
        let start = Instant::now();
        // A first request's timeout, armed and then dropped, as hyper does once a head is read.
        let mut first = timer.sleep(200 * MS);
        assert!(first.as_mut().now_or_never().is_none());
        drop(first);
        // 100 ms later the next request's timeout must still run its full 200 ms.
        tokio::time::sleep(100 * MS).await;
        timer.sleep(200 * MS).await;
        let waited = start.elapsed();
        assert!(waited >= 300 * MS, "fired after {waited:?}");
    }

    #[tokio::test]
    async fn a_shorter_timeout_moves_the_shared_sleep_earlier_and_reset_moves_one_later() {
        let timer = ConnectionTimer::default();
        let start = Instant::now();
        let mut long = timer.sleep(Duration::from_secs(60));
        assert!(long.as_mut().now_or_never().is_none());
        timer.sleep(50 * MS).await;
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the short one waited for the long one"
        );
        // reset() pushes a timeout out without touching tokio's wheel.
        let mut pushed = timer.sleep(10 * MS);
        timer.reset(&mut pushed, Instant::now() + 150 * MS);
        pushed.await;
        assert!(
            start.elapsed() >= 200 * MS,
            "fired after {:?}",
            start.elapsed()
        );
    }
}
