//! Reading a request's body: refused at once when the length it declares is over the limit
//! (so an `Expect: 100-continue` sender is never invited to upload it), refused as soon as
//! its bytes pass the limit, and counted against the app's budget for bodies in transit as
//! its bytes arrive (so a client trickling a body byte by byte holds almost nothing).

use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::{Body, Bytes};
use http_body_util::BodyExt;

use crate::error::{ErrorCode, StepError};

/// The bytes of request bodies the app holds at once while they arrive: a counter, since
/// nothing ever waits for room (a body that finds none is refused).
pub(crate) struct BodyBudget {
    used: AtomicUsize,
    total: usize,
}

impl BodyBudget {
    pub(crate) fn new(total: usize) -> Self {
        BodyBudget {
            used: AtomicUsize::new(0),
            total,
        }
    }

    /// Takes `len` more bytes of the budget into `held`.
    fn reserve<'a>(&'a self, held: &mut Held<'a>, len: usize) -> Result<(), StepError> {
        let before = self.used.fetch_add(len, Ordering::AcqRel);
        if before.saturating_add(len) > self.total {
            self.used.fetch_sub(len, Ordering::AcqRel);
            return Err(self.spent());
        }
        match &mut held.0 {
            Some((_, bytes)) => *bytes += len,
            None => held.0 = Some((&self.used, len)),
        }
        Ok(())
    }

    fn spent(&self) -> StepError {
        StepError::of(
            ErrorCode::Overloaded,
            format!(
                "the request bodies arriving now fill the server's budget of {} bytes; retry \
                 shortly",
                self.total
            ),
        )
    }
}

impl std::fmt::Debug for BodyBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyBudget")
            .field("total", &self.total)
            .finish()
    }
}

/// A share of the budget, given back when dropped. It borrows the budget (the request's
/// step holds it for the whole request) rather than sharing it: no reference count to
/// change for every request.
#[derive(Default)]
struct Held<'a>(Option<(&'a AtomicUsize, usize)>);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some((used, bytes)) = &self.0 {
            used.fetch_sub(*bytes, Ordering::AcqRel);
        }
    }
}

/// A body read whole, holding its share of the budget until dropped.
pub(crate) struct ReadBody<'a> {
    pub(crate) bytes: Bytes,
    _held: Held<'a>,
}

/// What keeping one more frame costs beyond its bytes: its place in the list (and the list's
/// growth), and the framing around it that its slice of the read buffer keeps alive. A body
/// sent in one-byte chunks so costs the budget what it costs the memory.
const FRAME_COST: usize = 64;

/// Reads `body`, at most `limit` bytes, within `budget`.
pub(crate) async fn read(
    mut body: Body,
    limit: usize,
    budget: &BodyBudget,
) -> Result<ReadBody<'_>, StepError> {
    // hyper knows the declared `Content-Length`: a body declared too large is never read.
    if http_body::Body::size_hint(&body)
        .exact()
        .is_some_and(|declared| declared > limit as u64)
    {
        return Err(too_large(limit));
    }
    let mut held = Held::default();
    // The frames as they came, without a copy: each is a slice of the connection's read
    // buffer, so what is counted against the budget is the memory held. Most bodies are one
    // frame, kept as it is (no list is allocated for it); more are joined once, at the end,
    // into one allocation of the exact length.
    let mut first: Option<Bytes> = None;
    let mut more: Vec<Bytes> = Vec::new();
    let mut read = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| {
            StepError::of(ErrorCode::InvalidBody, "the request body could not be read")
                .with_detail(error.to_string())
        })?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers carry no parameters
        };
        if data.is_empty() {
            continue;
        }
        if read + data.len() > limit {
            return Err(too_large(limit));
        }
        budget.reserve(&mut held, data.len() + FRAME_COST)?;
        read += data.len();
        match first {
            None => first = Some(data),
            Some(_) => more.push(data),
        }
    }
    let bytes = match first {
        None => Bytes::new(),
        Some(only) if more.is_empty() => only,
        Some(first) => {
            let mut joined = Vec::with_capacity(read);
            joined.extend_from_slice(&first);
            for frame in more {
                joined.extend_from_slice(&frame);
            }
            Bytes::from(joined)
        }
    };
    Ok(ReadBody { bytes, _held: held })
}

fn too_large(limit: usize) -> StepError {
    StepError::of(
        ErrorCode::BodyTooLarge,
        format!("the request body is larger than the limit of {limit} bytes"),
    )
    .with_hint("send fewer or smaller parameters, or raise the app's body_limit")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body that declares `length` bytes and never sends them.
    struct Declared(u64);

    impl http_body::Body for Declared {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
            std::task::Poll::Pending
        }

        fn size_hint(&self) -> http_body::SizeHint {
            http_body::SizeHint::with_exact(self.0)
        }
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_before_reading() {
        let budget = BodyBudget::new(1024);
        let never = Body::new(Declared(1_000_000_000_000));
        let error = read(never, 100, &budget).await.err().unwrap();
        assert_eq!((error.status(), error.code()), (413, "body_too_large"));
    }

    #[tokio::test]
    async fn the_budget_counts_bytes_as_they_arrive_and_frees_them_with_the_body() {
        let budget = BodyBudget::new(10 + FRAME_COST);
        let held = read(Body::from("123456"), 100, &budget).await.unwrap();
        assert_eq!(&held.bytes[..], b"123456");
        let error = read(Body::from("12345"), 100, &budget).await.err().unwrap();
        assert_eq!((error.status(), error.code()), (503, "overloaded"));
        drop(held);
        assert!(read(Body::from("12345"), 100, &budget).await.is_ok());
    }

    #[tokio::test]
    async fn tiny_frames_cost_what_keeping_them_costs() {
        let one_byte_frames = || {
            futures_util::stream::iter(
                (0..100).map(|_| Ok::<_, std::io::Error>(Bytes::from_static(b"a"))),
            )
        };
        // 100 bytes, but 100 frames: far more memory than 100 bytes in one piece.
        let budget = BodyBudget::new(1_000);
        let error = read(Body::from_stream(one_byte_frames()), 1_000, &budget)
            .await
            .err()
            .unwrap();
        assert_eq!(error.code(), "overloaded");
        let budget = BodyBudget::new(100 * (1 + FRAME_COST));
        let whole = read(Body::from_stream(one_byte_frames()), 1_000, &budget)
            .await
            .unwrap();
        assert_eq!(whole.bytes.len(), 100);
    }

    #[tokio::test]
    async fn frames_are_joined_and_the_limit_holds_across_them() {
        let frames = futures_util::stream::iter(
            ["ab", "cd", "ef"].map(|part| Ok::<_, std::io::Error>(Bytes::from(part))),
        );
        let budget = BodyBudget::new(1_000);
        let read_whole = read(Body::from_stream(frames), 6, &budget).await.unwrap();
        assert_eq!(&read_whole.bytes[..], b"abcdef");
        let frames = futures_util::stream::iter(
            ["ab", "cd", "ef"].map(|part| Ok::<_, std::io::Error>(Bytes::from(part))),
        );
        let error = read(Body::from_stream(frames), 5, &budget)
            .await
            .err()
            .unwrap();
        assert_eq!(error.code(), "body_too_large");
    }
}
