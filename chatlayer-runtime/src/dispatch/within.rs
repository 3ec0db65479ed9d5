//! [`within`]: a deadline that costs nothing when the future finishes at once.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// A deadline passed before the future finished.
pub(crate) struct TimedOut;

/// Runs `future` for at most `limit`, counted from its first poll.
pub(crate) fn within<F: Future>(limit: Duration, future: F) -> Within<F> {
    Within {
        future,
        limit,
        timer: None,
    }
}

pin_project_lite::pin_project! {
    /// [`within`]'s future. Unlike `tokio::time::timeout`, it reads the clock and arms a
    /// timer only when the future does not finish on its first poll: most bodies are already
    /// in the buffer and most steps never wait, so most requests pay for no timer at all.
    /// The timer lives on the heap once armed, which keeps its hundred-odd bytes out of every
    /// request's future: axum boxes that future, and a small box is allocated much faster.
    pub(crate) struct Within<F> {
        #[pin]
        future: F,
        limit: Duration,
        timer: Option<Pin<Box<tokio::time::Sleep>>>,
    }
}

impl<F: Future> Future for Within<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        let limit = *this.limit;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        timer.as_mut().poll(cx).map(|()| Err(TimedOut))
    }
}
