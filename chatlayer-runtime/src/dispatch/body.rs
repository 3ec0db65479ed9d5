//! Reading a request's body: refused at once when the length it declares is over the limit
//! (so an `Expect: 100-continue` sender is never invited to upload it), refused as soon as
//! its bytes pass the limit, and counted against the app's budget for bodies in transit as
//! its bytes arrive (so a client trickling a body byte by byte holds almost nothing).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use http_body_util::BodyExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{ErrorCode, StepError};

/// The bytes of request bodies the app holds at once while they arrive.
pub(crate) struct BodyBudget {
    bytes: Arc<Semaphore>,
    total: usize,
}

impl BodyBudget {
    pub(crate) fn new(total: usize) -> Self {
        let total = total.min(Semaphore::MAX_PERMITS);
        BodyBudget {
            bytes: Arc::new(Semaphore::new(total)),
            total,
        }
    }

    /// Takes `len` more bytes of the budget into `held`.
    fn reserve(
        &self,
        held: &mut Option<OwnedSemaphorePermit>,
        len: usize,
    ) -> Result<(), StepError> {
        let permits = u32::try_from(len).map_err(|_| self.spent())?;
        let permit = Arc::clone(&self.bytes)
            .try_acquire_many_owned(permits)
            .map_err(|_| self.spent())?;
        match held {
            Some(held) => held.merge(permit),
            None => *held = Some(permit),
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

/// A body read whole, holding its share of the budget until dropped.
pub(crate) struct ReadBody {
    pub(crate) bytes: Bytes,
    _held: Option<OwnedSemaphorePermit>,
}

/// Reads `body`, at most `limit` bytes, within `budget`.
pub(crate) async fn read(
    headers: &HeaderMap,
    mut body: Body,
    limit: usize,
    budget: &BodyBudget,
) -> Result<ReadBody, StepError> {
    if declared_length(headers).is_some_and(|declared| declared > limit as u64) {
        return Err(too_large(limit));
    }
    let mut held = None;
    let mut first: Option<Bytes> = None;
    let mut joined: Option<Vec<u8>> = None;
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
        let read = first.as_ref().map_or(0, Bytes::len) + joined.as_ref().map_or(0, Vec::len);
        if read + data.len() > limit {
            return Err(too_large(limit));
        }
        budget.reserve(&mut held, data.len())?;
        // Most bodies are one frame: kept as it came, without a copy.
        match (&mut first, &mut joined) {
            (None, None) => first = Some(data),
            (Some(_), None) => {
                let mut bytes = first.take().expect("the first frame").to_vec();
                bytes.extend_from_slice(&data);
                joined = Some(bytes);
            }
            (_, Some(bytes)) => bytes.extend_from_slice(&data),
        }
    }
    let bytes = match joined {
        Some(bytes) => Bytes::from(bytes),
        None => first.unwrap_or_default(),
    };
    Ok(ReadBody { bytes, _held: held })
}

/// The `Content-Length` the request declares, when it declares one.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
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
    use axum::http::HeaderValue;

    fn declaring(length: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_LENGTH,
            HeaderValue::from_str(length).unwrap(),
        );
        headers
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_before_reading() {
        // The body would never end: refusing it means not reading it.
        let never =
            Body::from_stream(futures_util::stream::pending::<Result<Bytes, std::io::Error>>());
        let budget = BodyBudget::new(1024);
        let error = read(&declaring("1000000000000"), never, 100, &budget)
            .await
            .err()
            .unwrap();
        assert_eq!((error.status(), error.code()), (413, "body_too_large"));
    }

    #[tokio::test]
    async fn the_budget_counts_bytes_as_they_arrive_and_frees_them_with_the_body() {
        let budget = BodyBudget::new(10);
        let held = read(&HeaderMap::new(), Body::from("123456"), 100, &budget)
            .await
            .unwrap();
        assert_eq!(&held.bytes[..], b"123456");
        let error = read(&HeaderMap::new(), Body::from("12345"), 100, &budget)
            .await
            .err()
            .unwrap();
        assert_eq!((error.status(), error.code()), (503, "overloaded"));
        drop(held);
        assert!(
            read(&HeaderMap::new(), Body::from("12345"), 100, &budget)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn frames_are_joined_and_the_limit_holds_across_them() {
        let frames = futures_util::stream::iter(
            ["ab", "cd", "ef"].map(|part| Ok::<_, std::io::Error>(Bytes::from(part))),
        );
        let budget = BodyBudget::new(100);
        let read_whole = read(&HeaderMap::new(), Body::from_stream(frames), 6, &budget)
            .await
            .unwrap();
        assert_eq!(&read_whole.bytes[..], b"abcdef");
        let frames = futures_util::stream::iter(
            ["ab", "cd", "ef"].map(|part| Ok::<_, std::io::Error>(Bytes::from(part))),
        );
        let error = read(&HeaderMap::new(), Body::from_stream(frames), 5, &budget)
            .await
            .err()
            .unwrap();
        assert_eq!(error.code(), "body_too_large");
    }
}
