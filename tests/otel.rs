//! OpenTelemetry export (the `otel` feature): a server with no setup of its own exports its
//! request spans over OTLP/HTTP, as children of the caller's `traceparent`, to a receiver
//! that decodes them with the OpenTelemetry protocol's own definitions.

use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use chatlayer_tests::programs::{start_program, stop_program};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    let value = span.attributes.iter().find(|pair| pair.key == key)?;
    Some(match value.value.as_ref()?.value.as_ref()? {
        AnyValue::StringValue(text) => text.clone(),
        AnyValue::IntValue(number) => number.to_string(),
        AnyValue::BoolValue(flag) => flag.to_string(),
        AnyValue::DoubleValue(number) => number.to_string(),
        other => format!("{other:?}"),
    })
}

/// An OTLP/HTTP receiver on a local port: the export requests it got, decoded.
async fn receiver() -> (u16, Arc<Mutex<Vec<ExportTraceServiceRequest>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = Arc::clone(&received);
    let app = Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| {
            let store = Arc::clone(&store);
            async move {
                let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
                store.lock().unwrap().push(request);
                // An empty ExportTraceServiceResponse.
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_spans_are_exported_as_children_of_the_callers_trace() {
    let (receiver_port, received) = receiver().await;
    let mut command = Command::new(env!("CARGO_BIN_EXE_otel-server"));
    command
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{receiver_port}"),
        )
        .env("OTEL_SERVICE_NAME", "greeter")
        .env("RUST_LOG", "info");
    let (child, port) = start_program(command).await;
    let answer = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/hello"))
        .header("traceparent", format!("00-{TRACE_ID}-{PARENT_ID}-01"))
        .json(&serde_json::json!({ "name": "Ada", "sessionId": "s-7" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    // On SIGTERM the server stops and flushes the spans it has not exported yet.
    let output = stop_program(child);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    let requests = received.lock().unwrap().clone();
    let mut spans = Vec::new();
    for request in &requests {
        for resource in &request.resource_spans {
            let service = resource
                .resource
                .as_ref()
                .and_then(|resource| {
                    resource
                        .attributes
                        .iter()
                        .find(|pair| pair.key == "service.name")
                })
                .and_then(|pair| pair.value.as_ref()?.value.clone());
            assert_eq!(
                service,
                Some(AnyValue::StringValue("greeter".to_owned())),
                "the service is OTEL_SERVICE_NAME"
            );
            for scope in &resource.scope_spans {
                spans.extend(scope.spans.iter().cloned());
            }
        }
    }
    let request_spans: Vec<&Span> = spans.iter().filter(|span| span.name == "request").collect();
    assert_eq!(request_spans.len(), 1, "{spans:#?}\n{stderr}");
    let span = request_spans[0];
    assert_eq!(hex(&span.trace_id), TRACE_ID, "the caller's trace");
    assert_eq!(
        hex(&span.parent_span_id),
        PARENT_ID,
        "a child of the caller's span"
    );
    for (key, expected) in [
        ("step", "hello"),
        ("method", "POST"),
        ("path", "/hello"),
        ("session", "s-7"),
        ("code", "ok"),
        ("status", "200"),
        ("fallback", "false"),
    ] {
        assert_eq!(
            attribute(span, key).as_deref(),
            Some(expected),
            "{key}: {span:#?}"
        );
    }
    assert!(attribute(span, "latency_ms").is_some(), "{span:#?}");
    // The step's own event and the access line are events of the span.
    let events: Vec<&str> = span
        .events
        .iter()
        .map(|event| event.name.as_str())
        .collect();
    assert!(events.contains(&"greeting"), "{events:?}");
    assert!(events.contains(&"answered"), "{events:?}");
}
