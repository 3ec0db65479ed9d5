//! What operators see of each request: one `tracing` span per request to a step (the
//! step's own events nest inside it), one access line when it is answered, and the
//! Prometheus metrics served at `/metrics`.
//!
//! The settings are resolved once when the app is built (from [`Observability`] and the environment); each
//! step gets a `StepObserver` with its metric handles, and each request a
//! `RequestWatch` that records its outcome exactly once: when it is answered, or, when the
//! client went away first and the request was dropped, as `cancelled`.

pub(crate) mod endpoint;
pub(crate) mod metrics;
#[cfg(feature = "otel")]
pub(crate) mod otel;
mod trace_context;

use std::borrow::Cow;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use axum::http::HeaderMap;
use tracing::Span;
use tracing::field::{Empty, display};

use crate::config::{Environment, InvalidVariable, Variable};
use crate::descriptor::StepDescriptor;
use crate::param_map::SentParams;
use crate::param_map::lenient::Node;
use crate::untrusted::log_token;
pub(crate) use endpoint::MetricsToken;
use metrics::{CANCELLED_CODE, Metrics, StepMetrics};
use trace_context::TraceParent;

/// The target of the access line, one event per request.
pub(crate) const ACCESS_TARGET: &str = "chatlayer::access";

/// How many characters of a session id the span shows.
const SESSION_CHARS: usize = 128;

/// What operators see of the app: its access line and its metrics, set with
/// [`AppBuilder::observe`](crate::AppBuilder::observe). A setting left alone here is read
/// from the environment when the app is built (`CHATLAYER_ACCESS_LOG`, `CHATLAYER_METRICS`,
/// `CHATLAYER_METRICS_TOKEN`); both are on by default.
///
/// ```
/// use chatlayer_runtime::prelude::*;
/// use chatlayer_runtime::observe::Observability;
///
/// # #[api_step("/x")] fn x() -> Reply { Reply::new() }
/// let app = App::discover()
///     .observe(Observability::new().access_log(false).metrics_token("scr4per"))
///     .build();
/// # let _ = app;
/// ```
#[derive(Clone, Debug, Default)]
pub struct Observability {
    access_log: Option<bool>,
    metrics: Option<bool>,
    metrics_token: Option<String>,
}

impl Observability {
    /// Nothing set: the environment, then the defaults, decide.
    pub fn new() -> Self {
        Observability::default()
    }

    /// Whether every request to a step leaves an access line at `info` (target
    /// `chatlayer::access`): its step, status, outcome code, latency and whether the
    /// fallback block was taken (default: yes). `RUST_LOG=info,chatlayer::access=off`
    /// hides it too. The request's span and the failures' lines stay either way.
    pub fn access_log(mut self, on: bool) -> Self {
        self.access_log = Some(on);
        self
    }

    /// Whether the app counts its requests and serves the counts to Prometheus at
    /// `GET /metrics` (default: yes); off, nothing is counted.
    pub fn metrics(mut self, on: bool) -> Self {
        self.metrics = Some(on);
        self
    }

    /// Lets only scrapers sending `Authorization: Bearer <token>` read `/metrics` (others
    /// get a JSON 401). Without it, anyone who reaches the port may read the metrics.
    pub fn metrics_token(mut self, token: impl Into<String>) -> Self {
        self.metrics_token = Some(token.into());
        self
    }

    /// These settings over the environment's, with what is wrong with the environment's
    /// values.
    pub(crate) fn resolve(self, env: &Environment) -> (Observe, Vec<InvalidVariable>) {
        let mut problems = Vec::new();
        let mut switch = |set: Option<bool>, variable: Variable| {
            set.unwrap_or_else(|| {
                env.switch(variable)
                    .unwrap_or_else(|problem| {
                        problems.push(problem);
                        None
                    })
                    .unwrap_or(true)
            })
        };
        let access_log = switch(self.access_log, Variable::AccessLog);
        let metrics = switch(self.metrics, Variable::Metrics);
        let metrics_token = self
            .metrics_token
            .or_else(|| env.get(Variable::MetricsToken).map(str::to_owned))
            .map(MetricsToken::new);
        let observe = Observe {
            access_log,
            metrics: metrics.then(|| Arc::new(Metrics::new())),
            metrics_token,
        };
        (observe, problems)
    }
}

/// The app's observability, resolved.
#[derive(Clone, Debug)]
pub(crate) struct Observe {
    pub(crate) access_log: bool,
    pub(crate) metrics: Option<Arc<Metrics>>,
    pub(crate) metrics_token: Option<MetricsToken>,
}

/// What one step records of its requests.
pub(crate) struct StepObserver {
    step: &'static StepDescriptor,
    access_log: bool,
    /// The app's metrics, for the step's series.
    app_metrics: Option<Arc<Metrics>>,
    /// The step as served at the first prefix seen (or the one known when the router was
    /// made): one mount is the common case, and reading it takes no lock.
    first_mount: OnceLock<Mounted>,
    /// Under any other prefix: an app nested at more than one.
    other_mounts: Mutex<Vec<Arc<Mounted>>>,
}

/// A step as served under a prefix (`""` at the root, `/chatlayer` nested in a host): the
/// path its lines and metrics show, and its series.
struct Mounted {
    prefix: Box<str>,
    path: Box<str>,
    metrics: Option<StepMetrics>,
}

/// Where a request reached its step.
enum Mount {
    First,
    Other(Arc<Mounted>),
}

impl StepObserver {
    /// The observer of `step`, served under `prefix` when the router's place is known (the
    /// app served on its own: `""`; [`App::mount`](crate::App::mount)): its series exist
    /// from the start, at zero. Nested by a host at a place only requests tell
    /// (`host.nest("/chatlayer", app.router())`), a series appears with its first request.
    pub(crate) fn new(
        step: &'static StepDescriptor,
        observe: &Observe,
        prefix: Option<&str>,
    ) -> Self {
        let observer = StepObserver {
            step,
            access_log: observe.access_log,
            app_metrics: observe.metrics.clone(),
            first_mount: OnceLock::new(),
            other_mounts: Mutex::new(Vec::new()),
        };
        if let Some(prefix) = prefix {
            let _ = observer.first_mount.set(observer.mounted(prefix));
        }
        observer
    }

    fn mounted(&self, prefix: &str) -> Mounted {
        let path: Cow<'static, str> = if prefix.is_empty() {
            Cow::Borrowed(self.step.path)
        } else {
            Cow::Owned(format!("{prefix}{}", self.step.path))
        };
        Mounted {
            prefix: prefix.into(),
            path: path.as_ref().into(),
            metrics: self
                .app_metrics
                .as_ref()
                .map(|metrics| metrics.for_step(self.step, path)),
        }
    }

    /// Where a request nested under `prefix` (axum's `NestedPath`, e.g. `/chatlayer`; `None`
    /// at the root) reached the step.
    fn mount(&self, prefix: Option<&str>) -> Mount {
        let prefix = prefix.map_or("", |prefix| prefix.trim_end_matches('/'));
        if &*self.first_mount.get_or_init(|| self.mounted(prefix)).prefix == prefix {
            return Mount::First;
        }
        let mut others = self
            .other_mounts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(known) = others.iter().find(|known| &*known.prefix == prefix) {
            return Mount::Other(Arc::clone(known));
        }
        let mounted = Arc::new(self.mounted(prefix));
        others.push(Arc::clone(&mounted));
        Mount::Other(mounted)
    }

    /// The path served and the series counted for a request that reached the step at
    /// `mount`.
    fn served<'a>(&'a self, mount: &'a Mount) -> (&'a str, Option<&'a StepMetrics>) {
        let mounted = match mount {
            Mount::First => self.first_mount.get().expect("set when the mount was seen"),
            Mount::Other(mounted) => mounted,
        };
        (&mounted.path, mounted.metrics.as_ref())
    }

    /// Starts watching a request that reached the step under `prefix` (the host's, when it
    /// nested the app; `None` at the root): its span (when a subscriber records
    /// `chatlayer::request` at `info`), its clock, its place among the requests in flight.
    pub(crate) fn watch(
        self: &Arc<Self>,
        headers: &HeaderMap,
        prefix: Option<&str>,
    ) -> RequestWatch {
        let mount = self.mount(prefix);
        let (path, _) = self.served(&mount);
        let span = tracing::info_span!(
            target: "chatlayer::request",
            "request",
            step = %self.step.name,
            method = %self.step.method,
            path = %path,
            session = Empty,
            trace_id = Empty,
            code = Empty,
            status = Empty,
            latency_ms = Empty,
            fallback = Empty,
        );
        let mut watch = RequestWatch {
            observer: Arc::clone(self),
            mount,
            span,
            trace_id: None,
            started: None,
            ended: false,
        };
        let wanted = watch.wanted();
        // The clock is read only for what shows the latency.
        if wanted.any() || self.app_metrics.is_some() {
            watch.started = Some(Instant::now());
        }
        if wanted.any()
            && let Some(parent) = TraceParent::of(headers)
        {
            if wanted.span {
                join_callers_trace(&watch.span, &parent);
            }
            watch.trace_id = parent.trace_id.as_bytes().try_into().ok();
        }
        if let Some(metrics) = &self.app_metrics {
            metrics.started();
        }
        watch
    }
}

/// Who shows what is read of a request (its session id, its caller's trace): its access
/// line, its span, or neither (then nothing is read for them).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wanted {
    pub(crate) access_line: bool,
    pub(crate) span: bool,
}

impl Wanted {
    /// Whether anything shows the request's details.
    pub(crate) fn any(self) -> bool {
        self.access_line || self.span
    }
}

/// Makes the request's (enabled) span part of the trace its `traceparent` names: its trace
/// id in the logs, and with the `otel` feature, the exported span's parent.
fn join_callers_trace(span: &Span, parent: &TraceParent<'_>) {
    span.record("trace_id", display(parent.trace_id));
    #[cfg(feature = "otel")]
    otel::set_parent(span, parent);
}

/// The conversation's session id (the `sessionId` parameter of [`Context`](crate::Context)),
/// when the request carries one: added to the current request's span (it is entered while
/// the request runs) when the span is recorded, and returned when the access line shows it.
pub(crate) fn session_of(params: &SentParams, wanted: Wanted) -> Option<String> {
    if !wanted.any() {
        return None;
    }
    params.present("sessionId")?.with_node(|node| {
        let Node::Text(id) = node else {
            return None;
        };
        let shown = log_token(id, SESSION_CHARS);
        if wanted.span {
            Span::current().record("session", display(&shown));
        }
        wanted.access_line.then_some(shown)
    })
}

/// One request being served: ends exactly once, answered or dropped.
pub(crate) struct RequestWatch {
    observer: Arc<StepObserver>,
    /// Where it reached the step: the path its line and metrics show.
    mount: Mount,
    span: Span,
    /// The caller's trace id (32 hexadecimal digits), for the access line.
    trace_id: Option<[u8; 32]>,
    /// When the request began, when anything shows its latency.
    started: Option<Instant>,
    ended: bool,
}

/// How a request ended, for [`RequestWatch::answered`].
pub(crate) struct Outcome {
    pub(crate) status: u16,
    /// `ok`, or the code of the error answered.
    pub(crate) code: &'static str,
    pub(crate) fallback: bool,
    pub(crate) session: Option<String>,
}

impl RequestWatch {
    /// The request's span, to run the request in.
    pub(crate) fn span(&self) -> &Span {
        &self.span
    }

    /// What shows the request's details.
    pub(crate) fn wanted(&self) -> Wanted {
        Wanted {
            access_line: self.observer.access_log,
            span: !self.span.is_disabled(),
        }
    }

    /// The request was answered.
    pub(crate) fn answered(mut self, outcome: Outcome) {
        self.end(
            Some(outcome.status),
            outcome.code,
            outcome.fallback,
            outcome.session,
        );
    }

    fn end(
        &mut self,
        status: Option<u16>,
        code: &'static str,
        fallback: bool,
        session: Option<String>,
    ) {
        self.ended = true;
        let Some(started) = self.started else {
            return;
        };
        let elapsed = started.elapsed();
        let observer = &self.observer;
        let (path, metrics) = observer.served(&self.mount);
        if let Some(metrics) = metrics {
            metrics.finished(code, fallback, elapsed);
        }
        // Milliseconds with three decimals: shown as written, e.g. `0.412`.
        let latency_ms = elapsed.as_micros() as f64 / 1000.0;
        if observer.access_log {
            // The line carries who asked itself: it needs no span to be read, so an output
            // that leaves spans out (the default one) pays nothing for them.
            let step = observer.step;
            let trace_id = self
                .trace_id
                .as_ref()
                .and_then(|id| std::str::from_utf8(id).ok());
            let what = match status {
                Some(_) => "answered",
                None => "the client went away before the answer",
            };
            tracing::info!(
                target: ACCESS_TARGET,
                parent: &self.span,
                step = %step.name,
                method = %step.method,
                path = %path,
                session = session.as_deref().map(display),
                trace_id = trace_id.map(display),
                status,
                code = %code,
                latency_ms,
                fallback,
                "{what}"
            );
        }
        if self.span.is_disabled() {
            return;
        }
        self.span.record("code", code);
        if let Some(status) = status {
            self.span.record("status", status);
        }
        self.span.record("latency_ms", latency_ms);
        self.span.record("fallback", fallback);
    }
}

impl Drop for RequestWatch {
    fn drop(&mut self) {
        if !self.ended {
            self.end(None, CANCELLED_CODE, false, None);
        }
    }
}
