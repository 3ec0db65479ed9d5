//! [`Limits`]: how much one request, and all of them at once, may take of the app.

use std::time::Duration;

/// What one request, and all requests at once, may take: the size of a body and what it
/// may hold, how long it may take to arrive, how long a step may run, and how many requests
/// are served at once. Set with [`AppBuilder::limits`](crate::AppBuilder::limits); each
/// applies however the app is served. (Connections are the server's:
/// [`Server`](crate::server::Server).)
///
/// ```
/// use std::time::Duration;
/// use chatlayer_runtime::prelude::*;
/// use chatlayer_runtime::Limits;
///
/// # #[api_step("/x")] fn x() -> Reply { Reply::new() }
/// let app = App::discover()
///     .limits(Limits::new().body(256 * 1024).step_timeout(Duration::from_secs(5)))
///     .build();
/// # let _ = app;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct Limits {
    pub(crate) body: usize,
    pub(crate) body_budget: usize,
    pub(crate) body_values: usize,
    pub(crate) body_timeout: Duration,
    pub(crate) step_timeout: Duration,
    pub(crate) concurrent_requests: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body: Self::DEFAULT_BODY,
            body_budget: Self::DEFAULT_BODY_BUDGET,
            body_values: Self::DEFAULT_BODY_VALUES,
            body_timeout: Self::DEFAULT_BODY_TIMEOUT,
            step_timeout: Self::DEFAULT_STEP_TIMEOUT,
            concurrent_requests: Self::DEFAULT_CONCURRENT_REQUESTS,
        }
    }
}

impl Limits {
    /// The default limit on a request body: 1 MiB.
    pub const DEFAULT_BODY: usize = 1024 * 1024;

    /// The default bound on the bytes of request bodies held at once while they arrive:
    /// 64 MiB.
    pub const DEFAULT_BODY_BUDGET: usize = 64 * 1024 * 1024;

    /// The default bound on the JSON values (numbers, strings, objects, arrays...) one
    /// body may hold.
    pub const DEFAULT_BODY_VALUES: usize = 10_000;

    /// How long a body may take to arrive, by default.
    pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

    /// The default deadline of a step: 10 s, well before Chatlayer gives up on an API step
    /// (it advises answering within 20 s).
    pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(10);

    /// The default number of requests served at once; more are refused with 503 and
    /// `Retry-After` rather than queued.
    pub const DEFAULT_CONCURRENT_REQUESTS: usize = 1024;

    /// The defaults.
    pub fn new() -> Self {
        Limits::default()
    }

    /// The largest request body accepted, in bytes (default
    /// [`DEFAULT_BODY`](Self::DEFAULT_BODY)). A larger one is refused with HTTP 413 without
    /// being read into memory.
    pub fn body(mut self, bytes: usize) -> Self {
        self.body = bytes;
        self
    }

    /// How many bytes of request bodies the app holds at once while they arrive (default
    /// [`DEFAULT_BODY_BUDGET`](Self::DEFAULT_BODY_BUDGET)). A body arriving when the budget
    /// is spent is refused with 503 `overloaded`. Bodies count only the bytes that have
    /// arrived (and 64 bytes more for each piece they arrived in, which keeping the piece
    /// costs), so clients trickling bodies byte by byte hold almost nothing, and the
    /// [concurrency limit](Self::concurrent_requests) applies only once a body is read:
    /// slow bodies cannot starve the steps.
    pub fn body_budget(mut self, bytes: usize) -> Self {
        self.body_budget = bytes.max(1);
        self
    }

    /// How many JSON values (numbers, strings, objects, arrays, ...) one body may hold
    /// (default [`DEFAULT_BODY_VALUES`](Self::DEFAULT_BODY_VALUES)). Parsed values take far
    /// more memory than their text (`[0,0,...]` about 16 times), so this, with the
    /// [body limit](Self::body), bounds the memory one request can make from its body. A
    /// body with more is refused with 413 `body_too_large`.
    pub fn body_values(mut self, values: usize) -> Self {
        self.body_values = values.max(1);
        self
    }

    /// How long a body may take to arrive (default
    /// [`DEFAULT_BODY_TIMEOUT`](Self::DEFAULT_BODY_TIMEOUT)); a slower client, as in a
    /// slow-body attack, gets a JSON 408 (`body_timeout`).
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// How long a step may run (default [`DEFAULT_STEP_TIMEOUT`](Self::DEFAULT_STEP_TIMEOUT));
    /// a step's own `timeout = "5s"` takes precedence. At the deadline the step is cancelled
    /// (its future is dropped) and the failure policy answers: the fallback block when there
    /// is one, else a JSON `step_timeout` error (504), well before Chatlayer gives up.
    pub fn step_timeout(mut self, timeout: Duration) -> Self {
        self.step_timeout = timeout;
        self
    }

    /// How many requests the app serves at once (default
    /// [`DEFAULT_CONCURRENT_REQUESTS`](Self::DEFAULT_CONCURRENT_REQUESTS)). Beyond it,
    /// requests are refused at once with 503, `Retry-After: 1` and a JSON `overloaded`
    /// error, instead of queueing until Chatlayer gives up: load is shed, latency stays
    /// bounded.
    pub fn concurrent_requests(mut self, limit: usize) -> Self {
        self.concurrent_requests = limit.max(1);
        self
    }
}
