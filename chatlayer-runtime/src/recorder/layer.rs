//! The layer that records the steps of one path: it copies the request body's bytes as the
//! step reads them, and the reply's as they are sent, and hands both over when the reply
//! has ended. The step reads its body as always, limits and timeouts included.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Instant, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use http_body::{Frame, SizeHint};

use super::Recorder;
use super::writer::{Captured, MemoryBudget, Reservation};

/// Records the requests to one path (one step per method).
#[derive(Clone)]
pub(crate) struct RecordLayer {
    recorder: Recorder,
    steps: Arc<[(Method, &'static str)]>,
    body_cap: usize,
}

impl RecordLayer {
    pub(crate) fn new(recorder: Recorder, steps: Vec<(Method, &'static str)>) -> Self {
        RecordLayer {
            recorder,
            steps: steps.into(),
            body_cap: super::Recording::BODY_CAP,
        }
    }
}

impl<S> tower::Layer<S> for RecordLayer {
    type Service = RecordService<S>;

    fn layer(&self, inner: S) -> RecordService<S> {
        RecordService {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Clone)]
pub(crate) struct RecordService<S> {
    inner: S,
    layer: RecordLayer,
}

impl<S> tower::Service<Request> for RecordService<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let started = Instant::now();
        let arrived = SystemTime::now();
        let step = self
            .layer
            .steps
            .iter()
            .find(|(method, _)| *method == request.method())
            .map(|(_, name)| *name);
        // A method no step declares is no exchange of the bot's: answered (405, or the
        // refusal a stranger gets), never recorded, and nothing is copied for it.
        // Nor is anything copied once the folder is at its caps.
        let Some(step) = step.filter(|_| self.layer.recorder.takes_more()) else {
            let clone = self.inner.clone();
            let mut inner = std::mem::replace(&mut self.inner, clone);
            return Box::pin(inner.call(request));
        };
        let (parts, body) = request.into_parts();
        let memory = self.layer.recorder.memory();
        let read = Arc::new(Mutex::new(Copied::new(self.layer.body_cap, memory)));
        let body = Body::new(Tee {
            inner: body,
            sink: Arc::clone(&read),
        });
        let pending = Pending {
            recorder: Arc::clone(&self.layer.recorder),
            started,
            arrived,
            step: Some(step),
            method: parts.method.clone(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers.clone(),
            request: read,
        };
        // The service was made ready for this call: the clone takes its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let answer = inner.call(Request::from_parts(parts, body));
        let body_cap = self.layer.body_cap;
        let memory = Arc::clone(memory);
        Box::pin(async move {
            let response = answer.await?;
            if response.extensions().get::<super::Unrecorded>().is_some() {
                return Ok(response);
            }
            let status = response.status().as_u16();
            Ok(response.map(|body| {
                Body::new(Tee {
                    inner: body,
                    sink: ReplySink {
                        copied: Copied::new(body_cap, &memory),
                        pending: Some((pending, status)),
                    },
                })
            }))
        })
    }
}

/// The bytes of a body seen so far, the first `cap` of them kept, in memory taken from the
/// recording's budget; when the budget has no room, the copy is given up (`over`).
struct Copied {
    bytes: Vec<u8>,
    length: usize,
    cap: usize,
    held: Reservation,
    over: bool,
}

impl Copied {
    fn new(cap: usize, memory: &Arc<MemoryBudget>) -> Self {
        Copied {
            bytes: Vec::new(),
            length: 0,
            cap,
            held: Reservation::new(memory),
            over: false,
        }
    }

    fn push(&mut self, data: &[u8]) {
        self.length += data.len();
        let room = self.cap.saturating_sub(self.bytes.len());
        let kept = &data[..data.len().min(room)];
        if self.over || kept.is_empty() {
            return;
        }
        // The allocation is what costs memory: count its growth, and grow it exactly.
        let needed = self.bytes.len() + kept.len();
        if needed > self.bytes.capacity() {
            let grown = needed.max(self.bytes.capacity() * 2).min(self.cap);
            if !self.held.grow(grown - self.bytes.capacity()) {
                self.over = true;
                self.bytes = Vec::new();
                self.held.release();
                return;
            }
            self.bytes.reserve_exact(grown - self.bytes.len());
        }
        self.bytes.extend_from_slice(kept);
    }
}

/// What the reply's end completes into a [`Captured`].
struct Pending {
    recorder: Recorder,
    started: Instant,
    arrived: SystemTime,
    step: Option<&'static str>,
    method: Method,
    path: String,
    query: Option<String>,
    headers: axum::http::HeaderMap,
    request: Arc<Mutex<Copied>>,
}

/// Where a [`Tee`] puts what passes.
trait Sink {
    fn data(&mut self, data: &[u8]);
    /// The body ended, failed, or was dropped before its end: called at least once.
    fn end(&mut self);
}

/// The request body's copy, shared with the reply's end, which hands it over.
impl Sink for Arc<Mutex<Copied>> {
    fn data(&mut self, data: &[u8]) {
        if let Ok(mut copied) = self.lock() {
            copied.push(data);
        }
    }

    fn end(&mut self) {}
}

/// The reply's copy, and what its end completes into an exchange.
struct ReplySink {
    copied: Copied,
    pending: Option<(Pending, u16)>,
}

impl Sink for ReplySink {
    fn data(&mut self, data: &[u8]) {
        self.copied.push(data);
    }

    fn end(&mut self) {
        finish(&mut self.pending, &mut self.copied);
    }
}

pin_project_lite::pin_project! {
    /// A body, copied into its sink as it passes: the request's as the step reads it, the
    /// reply's as it is sent (at its end, or when the connection drops it, the exchange is
    /// handed to the recorder).
    struct Tee<S: Sink> {
        #[pin]
        inner: Body,
        sink: S,
    }

    impl<S: Sink> PinnedDrop for Tee<S> {
        fn drop(this: Pin<&mut Self>) {
            this.project().sink.end();
        }
    }
}

impl<S: Sink> http_body::Body for Tee<S> {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        match &frame {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    this.sink.data(data);
                }
            }
            Some(Err(_)) | None => this.sink.end(),
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Hands the exchange over, once.
fn finish(pending: &mut Option<(Pending, u16)>, reply: &mut Copied) {
    let Some((pending, status)) = pending.take() else {
        return;
    };
    let Ok(mut request_copy) = pending.request.lock() else {
        return;
    };
    if request_copy.over || reply.over {
        pending.recorder.over_memory();
        return;
    }
    let (request, request_length) = (std::mem::take(&mut request_copy.bytes), request_copy.length);
    let request_held = std::mem::replace(
        &mut request_copy.held,
        Reservation::new(pending.recorder.memory()),
    );
    drop(request_copy);
    let reply_held =
        std::mem::replace(&mut reply.held, Reservation::new(pending.recorder.memory()));
    pending.recorder.record(Captured {
        arrived: pending.arrived,
        step: pending.step,
        method: pending.method,
        path: pending.path,
        query: pending.query,
        headers: pending.headers,
        request,
        request_length,
        status,
        reply: std::mem::take(&mut reply.bytes),
        reply_length: reply.length,
        latency: pending.started.elapsed(),
        _held: [request_held, reply_held],
    });
}
