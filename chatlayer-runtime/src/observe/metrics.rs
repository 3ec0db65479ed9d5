//! Prometheus metrics: one registry per app (no global state, so two apps in one process,
//! or in one test binary, never mix their counts), with handles resolved once per step so
//! that a successful request costs two atomic adds and a histogram observation.
//!
//! Every label value is a `&'static str` the program defines (a step's method, path and
//! name, an error code): a caller cannot create series, whatever path or code it sends.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::descriptor::StepDescriptor;
use crate::error::ErrorCode;

/// The latency buckets, in seconds: fine below 10 ms where a healthy step answers, then up
/// to the 20 s after which Chatlayer gives up on an API step.
const LATENCY_BUCKETS: [f64; 15] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0,
];

/// The `code` label of a request the step answered.
pub(crate) const OK_CODE: &str = "ok";

/// The `code` label of a request whose client went away before it was answered.
pub(crate) const CANCELLED_CODE: &str = "cancelled";

/// Which step: the route (method and path as served, a host's mount prefix included:
/// unique in an app) and the function's name.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabels {
    method: &'static str,
    path: Cow<'static, str>,
    step: &'static str,
}

impl StepLabels {
    /// The step's labels with an outcome `code`.
    fn with_code(&self, code: &'static str) -> OutcomeLabels {
        OutcomeLabels {
            method: self.method,
            path: self.path.clone(),
            step: self.step,
            code,
        }
    }
}

/// A step and how its request ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    method: &'static str,
    path: Cow<'static, str>,
    step: &'static str,
    code: &'static str,
}

/// Why a request was refused before its step ran.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusalLabels {
    reason: &'static str,
}

type HistogramFamily = Family<StepLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The app's metrics and the registry that renders them.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<OutcomeLabels, Counter>,
    duration: HistogramFamily,
    fallbacks: Family<StepLabels, Counter>,
    timeouts: Family<StepLabels, Counter>,
    panics: Family<StepLabels, Counter>,
    in_flight: Gauge,
    shed: Counter,
    refused: Family<RefusalLabels, Counter>,
    body_too_large: Counter,
    unmatched: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    pub(crate) fn new() -> Metrics {
        let metrics = Metrics {
            registry: Registry::with_prefix("chatlayer"),
            requests: Family::default(),
            duration: HistogramFamily::new_with_constructor(latency_histogram),
            fallbacks: Family::default(),
            timeouts: Family::default(),
            panics: Family::default(),
            in_flight: Gauge::default(),
            shed: Counter::default(),
            refused: Family::default(),
            body_too_large: Counter::default(),
            unmatched: Counter::default(),
        };
        let mut registry = metrics.registry;
        registry.register(
            "requests",
            "Requests to each step, by outcome: `ok`, an error code, or `cancelled` \
             (the client went away first)",
            metrics.requests.clone(),
        );
        registry.register_with_unit(
            "request_duration",
            "Time from the request's arrival at its step to its answer",
            Unit::Seconds,
            metrics.duration.clone(),
        );
        registry.register(
            "fallbacks",
            "Failed requests answered with a jump to the fallback block",
            metrics.fallbacks.clone(),
        );
        registry.register(
            "step_timeouts",
            "Steps cancelled at their deadline",
            metrics.timeouts.clone(),
        );
        registry.register(
            "step_panics",
            "Steps that panicked (the panic was caught and answered)",
            metrics.panics.clone(),
        );
        registry.register(
            "requests_in_flight",
            "Requests to steps being served now",
            metrics.in_flight.clone(),
        );
        registry.register(
            "shed",
            "Requests refused with 503 because the app was at its limit of requests at once",
            metrics.shed.clone(),
        );
        registry.register(
            "refused",
            "Requests refused before their step ran, by reason: auth, signature, ip",
            metrics.refused.clone(),
        );
        registry.register(
            "body_too_large",
            "Requests refused because their body was over the limit",
            metrics.body_too_large.clone(),
        );
        registry.register(
            "unmatched_requests",
            "Requests to a path no step answers (the standalone server's 404s)",
            metrics.unmatched.clone(),
        );
        // Refusal series exist from the start, at zero, so that rates and alerts work
        // before the first refusal.
        for reason in ["auth", "signature", "ip"] {
            metrics
                .refused
                .get_or_create_owned(&RefusalLabels { reason });
        }
        Metrics {
            registry,
            ..metrics
        }
    }

    /// The handles of `descriptor`'s series, served at `path` (under a host's mount prefix,
    /// if any), created at zero so that they exist before its first request there.
    pub(crate) fn for_step(
        self: &Arc<Self>,
        descriptor: &'static StepDescriptor,
        path: Cow<'static, str>,
    ) -> StepMetrics {
        let labels = StepLabels {
            method: descriptor.method.as_str(),
            path,
            step: descriptor.name,
        };
        StepMetrics {
            ok: self
                .requests
                .get_or_create_owned(&labels.with_code(OK_CODE)),
            duration: self.duration.get_or_create_owned(&labels),
            fallbacks: self.fallbacks.get_or_create_owned(&labels),
            timeouts: self.timeouts.get_or_create_owned(&labels),
            panics: self.panics.get_or_create_owned(&labels),
            app: Arc::clone(self),
            labels,
        }
    }

    /// Counts a request to a path no step answers.
    pub(crate) fn count_unmatched(&self) {
        self.unmatched.inc();
    }

    /// The metrics in `format`.
    pub(crate) fn render(&self, format: Exposition) -> String {
        let mut open_metrics = String::with_capacity(8 * 1024);
        // Writing to a String cannot fail.
        let _ = encode(&mut open_metrics, &self.registry);
        match format {
            Exposition::OpenMetrics => open_metrics,
            Exposition::Prometheus => to_prometheus_text(&open_metrics),
        }
    }
}

/// The two text formats scrapers read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exposition {
    /// OpenMetrics 1.0, which Prometheus asks for.
    OpenMetrics,
    /// Prometheus's text format 0.0.4, for every other reader (`curl`, `promtool`, older
    /// agents).
    Prometheus,
}

impl Exposition {
    /// The format a scraper's `Accept` header asks for.
    pub(crate) fn negotiate(accept: Option<&str>) -> Exposition {
        match accept {
            Some(accept) if accept.contains("application/openmetrics-text") => {
                Exposition::OpenMetrics
            }
            _ => Exposition::Prometheus,
        }
    }

    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Exposition::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Exposition::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
        }
    }
}

/// Rewrites OpenMetrics text as Prometheus text: a counter's family is named with its
/// `_total` suffix (OpenMetrics names it without, its samples with), and the `# UNIT` and
/// `# EOF` lines, which Prometheus text does not have, are left out. Samples are the same.
fn to_prometheus_text(open_metrics: &str) -> String {
    let mut text = String::with_capacity(open_metrics.len());
    let mut help: Option<&str> = None;
    for line in open_metrics.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            // Held until the TYPE line says whether the family is a counter.
            help = Some(rest);
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "untyped"));
            let suffix = if kind == "counter" { "_total" } else { "" };
            if let Some(help) = help.take() {
                let description = help.split_once(' ').map_or("", |(_, text)| text);
                text.push_str(&format!("# HELP {name}{suffix} {description}\n"));
            }
            text.push_str(&format!("# TYPE {name}{suffix} {kind}\n"));
            continue;
        }
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// One step's handles into the app's metrics: its own series, resolved once, and the
/// app-wide ones.
pub(crate) struct StepMetrics {
    labels: StepLabels,
    ok: Counter,
    duration: Histogram,
    fallbacks: Counter,
    timeouts: Counter,
    panics: Counter,
    app: Arc<Metrics>,
}

impl StepMetrics {
    /// A request ended with `code` (and a jump to the fallback block when `fallback`),
    /// `elapsed` after it started.
    pub(crate) fn finished(&self, code: &'static str, fallback: bool, elapsed: Duration) {
        self.app.in_flight.dec();
        self.duration.observe(elapsed.as_secs_f64());
        if code == OK_CODE {
            self.ok.inc();
            return;
        }
        // Failures are rarer: their series are found (or made) as they happen.
        let app = &self.app;
        app.requests
            .get_or_create(&self.labels.with_code(code))
            .inc();
        if fallback {
            self.fallbacks.inc();
        }
        let counter = match ErrorCode::from_code(code) {
            Some(ErrorCode::StepTimeout) => &self.timeouts,
            Some(ErrorCode::HandlerPanicked) => &self.panics,
            Some(ErrorCode::Overloaded) => &app.shed,
            Some(ErrorCode::BodyTooLarge) => &app.body_too_large,
            Some(ErrorCode::Unauthorized) => return app.refuse("auth"),
            Some(ErrorCode::InvalidSignature | ErrorCode::UnsignedQuery) => {
                return app.refuse("signature");
            }
            Some(ErrorCode::ForbiddenIp) => return app.refuse("ip"),
            _ => return,
        };
        counter.inc();
    }
}

impl Metrics {
    /// A request to a step started.
    pub(crate) fn started(&self) {
        self.in_flight.inc();
    }

    fn refuse(&self, reason: &'static str) {
        self.refused.get_or_create(&RefusalLabels { reason }).inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text_names_counters_with_their_suffix() {
        let open_metrics = "# HELP app_requests Requests.\n# TYPE app_requests counter\n\
                            app_requests_total{code=\"ok\"} 1\n\
                            # HELP app_wait Waiting.\n# TYPE app_wait histogram\n\
                            # UNIT app_wait seconds\napp_wait_count 0\n# EOF\n";
        assert_eq!(
            to_prometheus_text(open_metrics),
            "# HELP app_requests_total Requests.\n# TYPE app_requests_total counter\n\
             app_requests_total{code=\"ok\"} 1\n\
             # HELP app_wait Waiting.\n# TYPE app_wait histogram\napp_wait_count 0\n"
        );
    }

    #[test]
    fn prometheus_asks_for_open_metrics() {
        let prometheus = "application/openmetrics-text;version=1.0.0,\
                          application/openmetrics-text;version=0.0.1;q=0.75,\
                          text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(
            Exposition::negotiate(Some(prometheus)),
            Exposition::OpenMetrics
        );
        assert_eq!(Exposition::negotiate(Some("*/*")), Exposition::Prometheus);
        assert_eq!(Exposition::negotiate(None), Exposition::Prometheus);
    }

    #[test]
    fn buckets_rise_to_chatlayers_deadline() {
        assert!(LATENCY_BUCKETS.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(LATENCY_BUCKETS.last(), Some(&20.0));
    }
}
