//! [`Seen`]: a `tracing` layer that keeps every span's fields and every event's span, to
//! check what the framework records of a request.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context as LayerContext;
use tracing_subscriber::registry::LookupSpan;

/// A span's name and its fields as text.
pub type SeenSpan = (String, BTreeMap<String, String>);

/// An event's message and the id of the span it happened in.
pub type SeenEvent = (String, Option<u64>);

/// The spans (by id) and events the layer saw.
#[derive(Clone, Default)]
pub struct Seen {
    pub spans: Arc<Mutex<BTreeMap<u64, SeenSpan>>>,
    pub events: Arc<Mutex<Vec<SeenEvent>>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Seen {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: LayerContext<'_, S>) {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        self.spans
            .lock()
            .unwrap()
            .insert(id.into_u64(), (attrs.metadata().name().to_owned(), fields));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: LayerContext<'_, S>) {
        if let Some((_, fields)) = self.spans.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, context: LayerContext<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let span = context.event_span(event).map(|span| span.id().into_u64());
        let message = fields.remove("message").unwrap_or_default();
        self.events.lock().unwrap().push((message, span));
    }
}

impl Seen {
    /// The id and fields of the one `request` span seen; panics unless there is exactly one.
    pub fn only_request_span(&self) -> (u64, BTreeMap<String, String>) {
        let spans = self.spans.lock().unwrap().clone();
        let requests: Vec<_> = spans
            .into_iter()
            .filter(|(_, (name, _))| name == "request")
            .collect();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        let (id, (_, fields)) = requests.into_iter().next().unwrap();
        (id, fields)
    }

    /// The one request span whose `field` is `value`.
    pub fn only_request_span_where(
        &self,
        field: &str,
        value: &str,
    ) -> (u64, BTreeMap<String, String>) {
        let spans = self.spans.lock().unwrap().clone();
        let requests: Vec<_> = spans
            .into_iter()
            .filter(|(_, (name, fields))| {
                name == "request" && fields.get(field).map(String::as_str) == Some(value)
            })
            .collect();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        let (id, (_, fields)) = requests.into_iter().next().unwrap();
        (id, fields)
    }
}

/// Asserts that `fields` hold every `(field, value)` of `expected`, and a latency.
pub fn assert_span_fields(fields: &BTreeMap<String, String>, expected: &[(&str, &str)]) {
    for (field, value) in expected {
        assert_eq!(
            fields.get(*field).map(String::as_str),
            Some(*value),
            "{field}: {fields:?}"
        );
    }
    let latency: f64 = fields["latency_ms"].parse().unwrap();
    assert!(latency > 0.0 && latency < 10_000.0, "{latency}");
}
