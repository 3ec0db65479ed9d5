//! What operators see of each request: one `tracing` span per request to a step (the
//! step's own events nest inside it), one access line when it is answered, and the
//! Prometheus metrics served at `/metrics`.
//!
//! The settings are resolved once when the app is built ([`ObserveSettings::resolve`]); each
//! step gets a [`StepObserver`] with its metric handles, and each request a
//! [`RequestWatch`] that records its outcome exactly once: when it is answered, or, when the
//! client went away first and the request was dropped, as `cancelled`.

pub(crate) mod endpoint;
pub(crate) mod metrics;
#[cfg(feature = "otel")]
pub(crate) mod otel;
mod trace_context;

use std::sync::Arc;
use std::time::Instant;

use axum::http::HeaderMap;
use tracing::Span;
use tracing::field::{Empty, display};

use crate::descriptor::StepDescriptor;
use crate::param_map::SentParams;
use crate::param_map::lenient::Node;
use crate::security::Lookup;
use crate::untrusted::Bounded;
pub(crate) use endpoint::MetricsToken;
use metrics::{CANCELLED_CODE, Metrics, StepMetrics};
use trace_context::TraceParent;

/// Switches the access line off (`off`, `false`, `0`) or on (`on`, `true`, `1`).
pub const ACCESS_LOG_ENV: &str = "CHATLAYER_ACCESS_LOG";
/// Switches the metrics (and `/metrics`) off or on, like [`ACCESS_LOG_ENV`].
pub const METRICS_ENV: &str = "CHATLAYER_METRICS";
/// The Bearer token a scraper must send to read `/metrics`; unset, anyone who reaches the
/// port may read them.
pub const METRICS_TOKEN_ENV: &str = "CHATLAYER_METRICS_TOKEN";

/// The target of the access line, one event per request.
pub(crate) const ACCESS_TARGET: &str = "chatlayer::access";

/// How many characters of a session id the span shows.
const SESSION_CHARS: usize = 128;

/// What the builder was told; the environment fills what it was not.
#[derive(Clone, Debug, Default)]
pub(crate) struct ObserveSettings {
    pub(crate) access_log: Option<bool>,
    pub(crate) metrics: Option<bool>,
    pub(crate) metrics_token: Option<String>,
}

/// The app's observability, resolved.
#[derive(Clone, Debug)]
pub(crate) struct Observe {
    pub(crate) access_log: bool,
    pub(crate) metrics: Option<Arc<Metrics>>,
    pub(crate) metrics_token: Option<MetricsToken>,
}

impl ObserveSettings {
    /// The builder's settings over the environment's (read through `read`), with what is
    /// wrong with the environment's values.
    pub(crate) fn resolve(self, read: Lookup<'_>) -> (Observe, Vec<String>) {
        let mut problems = Vec::new();
        let mut switch = |builder: Option<bool>, variable: &str| {
            builder.unwrap_or_else(|| match read(variable) {
                None => true,
                Some(text) => parse_switch(&text).unwrap_or_else(|| {
                    problems.push(format!(
                        "{variable}={text:?} cannot be used: expected on or off"
                    ));
                    true
                }),
            })
        };
        let access_log = switch(self.access_log, ACCESS_LOG_ENV);
        let metrics = switch(self.metrics, METRICS_ENV);
        let metrics_token = self
            .metrics_token
            .or_else(|| read(METRICS_TOKEN_ENV))
            .map(MetricsToken::new);
        let observe = Observe {
            access_log,
            metrics: metrics.then(|| Arc::new(Metrics::new())),
            metrics_token,
        };
        (observe, problems)
    }
}

/// `on`/`off` and their usual spellings.
pub(crate) fn parse_switch(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Some(true),
        "off" | "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// What one step records of its requests.
pub(crate) struct StepObserver {
    step: &'static StepDescriptor,
    access_log: bool,
    metrics: Option<StepMetrics>,
}

impl StepObserver {
    pub(crate) fn new(step: &'static StepDescriptor, observe: &Observe) -> Self {
        StepObserver {
            step,
            access_log: observe.access_log,
            metrics: observe
                .metrics
                .as_ref()
                .map(|metrics| metrics.for_step(step)),
        }
    }

    /// Starts watching a request: its span (when a subscriber records
    /// `chatlayer::request` at `info`), its clock, its place among the requests in flight.
    pub(crate) fn watch(self: &Arc<Self>, headers: &HeaderMap) -> RequestWatch {
        let span = tracing::info_span!(
            target: "chatlayer::request",
            "request",
            step = %self.step.name,
            method = %self.step.method,
            path = %self.step.path,
            session = Empty,
            trace_id = Empty,
            code = Empty,
            status = Empty,
            latency_ms = Empty,
            fallback = Empty,
        );
        let mut watch = RequestWatch {
            observer: Arc::clone(self),
            span,
            trace_id: None,
            started: None,
            ended: false,
        };
        let wanted = watch.wanted();
        // The clock is read only for what shows the latency.
        if wanted.any() || self.metrics.is_some() {
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
        if let Some(metrics) = &self.metrics {
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
        let shown = Bounded(id, SESSION_CHARS);
        if wanted.span {
            Span::current().record("session", display(shown));
        }
        wanted.access_line.then(|| shown.to_string())
    })
}

/// One request being served: ends exactly once, answered or dropped.
pub(crate) struct RequestWatch {
    observer: Arc<StepObserver>,
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
        if let Some(metrics) = &observer.metrics {
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
                path = %step.path,
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
