//! Logging out of the box: a standalone server installs a `tracing` subscriber when the
//! program has none, so the requests it serves, the failures it answers and the fallbacks it
//! takes are on standard error without any setup: readable text for a person at a terminal,
//! JSON lines for a log collector (`CHATLAYER_LOG_FORMAT=json`). A program that installed
//! its own (an embedding app) keeps it: this never replaces a subscriber.
//!
//! Lines are formatted on the thread that logs them and written by a background thread in
//! batches ([`batch`]), so that a request never waits on a slow terminal or pipe.

pub(crate) mod access;
mod batch;

use std::io::IsTerminal;

use crate::config::{Environment, Variable, parse_switch};

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The filter when `RUST_LOG` is unset: the framework's start-up lines, access lines,
/// warnings and errors.
const DEFAULT_FILTER: &str = "info";

/// The target of the request span (see [`observe`](crate::observe)).
const REQUEST_SPAN_TARGET: &str = "chatlayer::request";

/// How log lines look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// One readable line per event, with the fields of its spans.
    Text,
    /// One JSON object per line: the event's fields at the top level, its request's span
    /// under `span`.
    Json,
}

impl Format {
    fn parse(text: &str) -> Option<Format> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "text" | "pretty" | "full" => Some(Format::Text),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Keeps the background writer of the default subscriber alive; dropping it writes what
/// is left. [`install_default_subscriber`] returns it.
#[must_use = "dropping the guard stops the log writer: hold it while the program runs"]
pub(crate) struct LogGuard {
    /// Flushes the spans not yet exported (dropped before the writer: it may log).
    #[cfg(feature = "otel")]
    export: Option<crate::observe::otel::ExportGuard>,
    writer: Option<batch::BatchGuard>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        #[cfg(feature = "otel")]
        drop(self.export.take());
        // Writes what is buffered, then says what could not be.
        let Some(writer) = self.writer.take() else {
            return;
        };
        let dropped = writer.dropped();
        drop(writer);
        if dropped > 0 {
            eprintln!(
                "{dropped} log line{} dropped: standard error could not keep up",
                if dropped == 1 { " was" } else { "s were" }
            );
        }
    }
}

/// Installs the framework's subscriber (lines on standard error, filtered by `RUST_LOG`,
/// `info` by default, in the format of `CHATLAYER_LOG_FORMAT`, as `env` says) unless the
/// program already has one. Returns the guard of its writer when it installed it.
pub(crate) fn install_default_subscriber(env: &Environment) -> Option<LogGuard> {
    if tracing::dispatcher::has_been_set() {
        return None;
    }
    let rust_log = env.get(Variable::RustLog).unwrap_or_default().to_owned();
    let (mut filter, bad_filter) = if rust_log.trim().is_empty() {
        (EnvFilter::new(DEFAULT_FILTER), None)
    } else {
        match EnvFilter::try_new(&rust_log) {
            Ok(filter) => (filter, None),
            Err(error) => (EnvFilter::new(DEFAULT_FILTER), Some(error)),
        }
    };
    let format_text = env.get(Variable::LogFormat).unwrap_or_default();
    let asked_format = Format::parse(format_text);
    // Colours only for a person at a terminal: log collectors get plain text.
    let colours = std::io::stderr().is_terminal() && env.get(Variable::NoColor).is_none();
    // When the output cannot keep up, lines are dropped rather than requests slowed; the
    // count is reported when the writer stops.
    let (writer, guard) = batch::BatchWriter::start(std::io::stderr());
    #[cfg(feature = "otel")]
    let (export, export_guard, export_problem) = match crate::observe::otel::layer(env) {
        Ok(Some((layer, guard))) => (Some(layer), Some(guard), None),
        Ok(None) => (None, None, None),
        Err(problem) => (None, None, Some(problem)),
    };
    #[cfg(not(feature = "otel"))]
    let export: Option<tracing_subscriber::layer::Identity> = None;
    // The request span costs the output several microseconds per request (its fields are
    // formatted when it opens and on every record); the access line carries the same fields,
    // so the output leaves the span out unless asked. An exporter still gets it.
    let show_spans = env
        .get(Variable::LogSpans)
        .and_then(parse_switch)
        .unwrap_or(false);
    // With nothing that shows or exports the span, it is not made at all (unless RUST_LOG
    // names its target): a request then pays nothing for it.
    if !show_spans && export.is_none() && !rust_log.contains(REQUEST_SPAN_TARGET) {
        filter = filter.add_directive(
            format!("{REQUEST_SPAN_TARGET}=off")
                .parse()
                .expect("a valid directive"),
        );
    }
    // The access lines have an encoder of their own (`access`): the general formatter
    // leaves them out.
    let output_filter = tracing_subscriber::filter::filter_fn(move |metadata| {
        if metadata.is_span() {
            show_spans || metadata.target() != REQUEST_SPAN_TARGET
        } else {
            metadata.target() != crate::observe::ACCESS_TARGET
        }
    });
    let format = asked_format.unwrap_or(Format::Text);
    let access_lines = access::AccessLines {
        writer: writer.clone(),
        format,
        colours,
    };
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(export)
        .with(access_lines);
    let installed = match format {
        Format::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(writer)
                    .with_ansi(colours)
                    .with_filter(output_filter),
            )
            .try_init(),
        Format::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(writer)
                    .with_filter(output_filter),
            )
            .try_init(),
    }
    .is_ok();
    if !installed {
        return None;
    }
    if let Some(error) = bad_filter {
        tracing::warn!(
            "RUST_LOG={rust_log:?} cannot be used ({error}); logging at `{DEFAULT_FILTER}`"
        );
    }
    if asked_format.is_none() {
        tracing::warn!(
            "{}={format_text:?} is neither `text` nor `json`; logging text",
            Variable::LogFormat
        );
    }
    #[cfg(feature = "otel")]
    if let Some(problem) = export_problem {
        tracing::warn!("OpenTelemetry export is off: {problem}");
    }
    Some(LogGuard {
        #[cfg(feature = "otel")]
        export: export_guard,
        writer: Some(guard),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_name() {
        assert_eq!(Format::parse(""), Some(Format::Text));
        assert_eq!(Format::parse("JSON"), Some(Format::Json));
        assert_eq!(Format::parse(" text "), Some(Format::Text));
        assert_eq!(Format::parse("xml"), None);
    }
}
