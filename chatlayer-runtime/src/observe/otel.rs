//! OpenTelemetry (feature `otel`): request spans exported over OTLP, and the caller's
//! `traceparent` as their parent.
//!
//! The default subscriber adds the export layer when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; the exporter reads the other standard
//! `OTEL_*` variables itself (headers, timeout). The service is `OTEL_SERVICE_NAME`, else the
//! program's file name. A program with its own subscriber adds its own
//! `tracing-opentelemetry` layer; [`set_parent`] works with it too.

use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, TracerProvider as _,
};
use opentelemetry_otlp::{SpanExporter, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Span;
use tracing::subscriber::Subscriber;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

use super::trace_context::TraceParent;
use crate::config::{Environment, Variable};

/// Makes `span`'s exported span a child of the caller's.
pub(crate) fn set_parent(span: &Span, parent: &TraceParent<'_>) {
    let (Ok(trace_id), Ok(span_id)) = (
        TraceId::from_hex(parent.trace_id),
        SpanId::from_hex(parent.parent_id),
    ) else {
        return;
    };
    let flags = if parent.sampled {
        TraceFlags::SAMPLED
    } else {
        TraceFlags::default()
    };
    let remote = SpanContext::new(trace_id, span_id, flags, true, TraceState::default());
    // Without an OpenTelemetry layer there is nothing to join: not an error.
    let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote));
}

/// Flushes the spans still queued when dropped.
pub(crate) struct ExportGuard(SdkTracerProvider);

impl Drop for ExportGuard {
    fn drop(&mut self) {
        if let Err(error) = self.0.shutdown() {
            eprintln!("OpenTelemetry: the last spans could not be exported: {error}");
        }
    }
}

/// The export layer, when an endpoint is configured; `Err` says why it cannot start.
pub(crate) fn layer<S>(env: &Environment) -> Result<Option<(impl Layer<S>, ExportGuard)>, String>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    // The endpoint is handed over as the app's environment says, rather than left to the
    // exporter's own reading of the process's: an app given its variables in a test
    // exports where they say.
    let endpoint = match (
        env.get(Variable::OtelTracesEndpoint),
        env.get(Variable::OtelEndpoint),
    ) {
        (Some(traces), _) => traces.to_owned(),
        (None, Some(base)) => format!("{}/v1/traces", base.trim_end_matches('/')),
        (None, None) => return Ok(None),
    };
    let exporter = SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .build()
        .map_err(|error| format!("the OTLP exporter cannot start: {error}"))?;
    let mut resource = Resource::builder();
    if env.get(Variable::OtelServiceName).is_none()
        && let Some(program) = std::env::current_exe().ok().and_then(|path| {
            path.file_stem()
                .map(|name| name.to_string_lossy().into_owned())
        })
    {
        resource = resource.with_service_name(program);
    }
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build();
    let tracer = provider.tracer("chatlayer-runtime");
    let layer = tracing_opentelemetry::layer().with_tracer(tracer);
    Ok(Some((layer, ExportGuard(provider))))
}
