//! What operators see: the metrics at `/metrics` count every outcome of every step, with
//! series only for what the program defines; the request span carries every field, and the
//! step's own events nest inside it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chatlayer_runtime::BuildProblem;
use chatlayer_runtime::prelude::*;
use chatlayer_runtime::security::Auth;
use chatlayer_runtime::testing::TestServer;
use chatlayer_tests::spans::{Seen, assert_span_fields};
use tokio::sync::Semaphore;
use tracing_subscriber::layer::SubscriberExt;

/// Answers.
#[api_step("/ok")]
async fn ok(sku: Option<String>) -> Reply {
    tracing::info!(
        sku = sku.as_deref().unwrap_or("none"),
        "looking the product up"
    );
    Reply::new().add_message("fine")
}

/// Fails with an error of its own.
#[api_step("/fails")]
async fn fails() -> Result<Reply, StepError> {
    Err(StepError::new(
        StatusCode::BAD_GATEWAY,
        "stock_unavailable",
        "the stock service is down",
    ))
}

/// Panics.
#[api_step("/panics")]
async fn panics() -> Reply {
    panic!("a bug in the step")
}

/// Runs past its deadline.
#[api_step("/slow", timeout = "20ms")]
async fn slow() -> Reply {
    tokio::time::sleep(Duration::from_secs(5)).await;
    Reply::new()
}

/// Waits until the test opens the gate: a request held in flight.
#[api_step("/held")]
async fn held(gate: Dep<Gate>) -> Reply {
    let _ = gate.0.acquire().await;
    Reply::new()
}

/// Requires credentials.
#[api_step("/private")]
async fn private() -> Reply {
    Reply::new()
}

struct Gate(Semaphore);

fn closed_gate() -> Arc<Gate> {
    Arc::new(Gate(Semaphore::new(0)))
}

fn app(gate: Arc<Gate>) -> App {
    App::from_steps([
        ok::STEP,
        fails::STEP,
        panics::STEP,
        slow::STEP,
        held::STEP,
        private::STEP,
    ])
    .provide_arc(gate)
    .security(
        chatlayer_runtime::security::Security::new()
            .auth_for(private::STEP, Auth::bearer("t0ken"))
            .from_env(false),
    )
    .limits(
        chatlayer_runtime::Limits::new()
            .body(1024)
            .concurrent_requests(1),
    )
    .observe(chatlayer_runtime::observe::Observability::new().metrics(true))
    .build()
    .unwrap()
}

/// The samples of the text at `/metrics`: series (name and labels, as written) to value.
async fn samples(server: &TestServer) -> BTreeMap<String, f64> {
    let response = reqwest::get(server.url("/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            (series.to_owned(), value.parse().unwrap())
        })
        .collect()
}

fn value(samples: &BTreeMap<String, f64>, series: &str) -> f64 {
    *samples
        .get(series)
        .unwrap_or_else(|| panic!("no series {series} in {samples:#?}"))
}

fn requests(path: &str, step: &str, code: &str) -> String {
    format!(
        r#"chatlayer_requests_total{{method="POST",path="{path}",step="{step}",code="{code}"}}"#
    )
}

fn per_step(name: &str, path: &str, step: &str) -> String {
    format!(r#"{name}{{method="POST",path="{path}",step="{step}"}}"#)
}

async fn post(server: &TestServer, path: &str, body: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.url(path))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn metrics_count_every_outcome() {
    let gate = closed_gate();
    let server = TestServer::start(app(Arc::clone(&gate))).await.unwrap();
    let before = samples(&server).await;
    // Every step's series exist before its first request, at zero.
    assert_eq!(value(&before, &requests("/ok", "ok", "ok")), 0.0);
    assert_eq!(
        value(
            &before,
            &per_step("chatlayer_step_timeouts_total", "/slow", "slow")
        ),
        0.0
    );
    assert_eq!(
        value(&before, r#"chatlayer_refused_total{reason="auth"}"#),
        0.0
    );

    for _ in 0..3 {
        assert_eq!(post(&server, "/ok", "{}").await.status(), 200);
    }
    assert_eq!(post(&server, "/fails", "{}").await.status(), 502);
    assert_eq!(post(&server, "/panics", "{}").await.status(), 500);
    assert_eq!(post(&server, "/slow", "{}").await.status(), 504);
    assert_eq!(post(&server, "/private", "{}").await.status(), 401);
    let big = format!(r#"{{"sku":"{}"}}"#, "x".repeat(2048));
    assert_eq!(post(&server, "/ok", &big).await.status(), 413);

    // One request held in flight takes the only place: the next one is shed.
    let held = tokio::spawn({
        let url = server.url("/held");
        async move { reqwest::Client::new().post(url).body("{}").send().await }
    });
    let mut in_flight = 0.0;
    for _ in 0..200 {
        in_flight = value(&samples(&server).await, "chatlayer_requests_in_flight");
        if in_flight == 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(in_flight, 1.0, "the held request is counted in flight");
    assert_eq!(post(&server, "/ok", "{}").await.status(), 503);
    gate.0.add_permits(1);
    assert_eq!(held.await.unwrap().unwrap().status(), 200);

    let after = samples(&server).await;
    assert_eq!(value(&after, &requests("/ok", "ok", "ok")), 3.0);
    assert_eq!(
        value(&after, &requests("/fails", "fails", "stock_unavailable")),
        1.0
    );
    assert_eq!(
        value(&after, &requests("/panics", "panics", "handler_panicked")),
        1.0
    );
    assert_eq!(
        value(&after, &requests("/slow", "slow", "step_timeout")),
        1.0
    );
    assert_eq!(
        value(&after, &requests("/private", "private", "unauthorized")),
        1.0
    );
    assert_eq!(value(&after, &requests("/ok", "ok", "body_too_large")), 1.0);
    assert_eq!(value(&after, &requests("/ok", "ok", "overloaded")), 1.0);
    assert_eq!(value(&after, &requests("/held", "held", "ok")), 1.0);
    assert_eq!(
        value(
            &after,
            &per_step("chatlayer_step_timeouts_total", "/slow", "slow")
        ),
        1.0
    );
    assert_eq!(
        value(
            &after,
            &per_step("chatlayer_step_panics_total", "/panics", "panics")
        ),
        1.0
    );
    assert_eq!(
        value(&after, r#"chatlayer_refused_total{reason="auth"}"#),
        1.0
    );
    assert_eq!(
        value(&after, r#"chatlayer_refused_total{reason="signature"}"#),
        0.0
    );
    assert_eq!(value(&after, "chatlayer_shed_total"), 1.0);
    assert_eq!(value(&after, "chatlayer_body_too_large_total"), 1.0);
    assert_eq!(value(&after, "chatlayer_requests_in_flight"), 0.0);
    // The latency histogram saw the five requests to /ok, whatever their outcome.
    assert_eq!(
        value(
            &after,
            &per_step("chatlayer_request_duration_seconds_count", "/ok", "ok")
        ),
        5.0
    );
    let slow_fast = r#"chatlayer_request_duration_seconds_bucket{le="0.01",method="POST",path="/slow",step="slow"}"#;
    assert_eq!(value(&after, slow_fast), 0.0, "the timeout took 20 ms");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn fallbacks_are_counted_with_their_error() {
    let app = App::from_steps([fails::STEP, ok::STEP])
        .fallback(chatlayer_runtime::Fallback::to("sorry"))
        .security(chatlayer_runtime::security::Security::new().from_env(false))
        .observe(chatlayer_runtime::observe::Observability::new().metrics(true))
        .build()
        .unwrap();
    let server = TestServer::start(app).await.unwrap();
    let answer = post(&server, "/fails", "{}").await;
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.headers()["x-chatlayer-fallback"],
        "stock_unavailable"
    );
    let after = samples(&server).await;
    assert_eq!(
        value(&after, &requests("/fails", "fails", "stock_unavailable")),
        1.0
    );
    assert_eq!(
        value(
            &after,
            &per_step("chatlayer_fallbacks_total", "/fails", "fails")
        ),
        1.0
    );
    assert_eq!(
        value(&after, &per_step("chatlayer_fallbacks_total", "/ok", "ok")),
        0.0
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn unknown_paths_and_codes_create_no_series() {
    let server = TestServer::start(app(closed_gate())).await.unwrap();
    let before = samples(&server).await;
    for index in 0..50 {
        let url = server.url(&format!("/probe-{index}?code=evil{index}"));
        let response = reqwest::Client::new()
            .post(url)
            .header("x-chatlayer-fallback", format!("made_up_{index}"))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
    }
    // A wrong method on a known path is a 405 of no step.
    let response = reqwest::get(server.url("/ok")).await.unwrap();
    assert_eq!(response.status(), 405);
    let after = samples(&server).await;
    let new_series: Vec<_> = after
        .keys()
        .filter(|key| !before.contains_key(*key))
        .collect();
    assert!(new_series.is_empty(), "new series: {new_series:?}");
    assert_eq!(value(&after, "chatlayer_unmatched_requests_total"), 50.0);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_metrics_token_guards_the_endpoint() {
    let app = App::from_steps([ok::STEP])
        .observe(
            chatlayer_runtime::observe::Observability::new()
                .metrics_token("scrape-s3cret")
                .metrics(true),
        )
        .security(chatlayer_runtime::security::Security::new().from_env(false))
        .build()
        .unwrap();
    let server = TestServer::start(app).await.unwrap();
    let client = reqwest::Client::new();
    let refused = client.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.headers()["www-authenticate"], "Bearer");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    let wrong = client
        .get(server.url("/metrics"))
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let read = client
        .get(server.url("/metrics"))
        .bearer_auth("scrape-s3cret")
        .header("accept", "application/openmetrics-text; version=1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(
        read.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert!(read.text().await.unwrap().ends_with("# EOF\n"));
    server.stop().await.unwrap();
}

/// A step of the app's own at the metrics path.
#[api_step("/metrics")]
async fn own_metrics() -> Reply {
    Reply::new()
}

#[tokio::test]
async fn metrics_switched_off_free_their_path() {
    let error = App::from_steps([own_metrics::STEP])
        .observe(chatlayer_runtime::observe::Observability::new().metrics(true))
        .build()
        .unwrap_err();
    assert!(
        error.problems().iter().any(|problem| matches!(
            problem,
            BuildProblem::ReservedPath {
                switch: "Observability::metrics",
                ..
            }
        )),
        "{error}"
    );
    let app = App::from_steps([ok::STEP])
        .observe(chatlayer_runtime::observe::Observability::new().metrics(false))
        .build()
        .unwrap();
    let server = TestServer::start(app).await.unwrap();
    let response = reqwest::get(server.url("/metrics")).await.unwrap();
    assert_eq!(response.status(), 404);
    server.stop().await.unwrap();
    App::from_steps([own_metrics::STEP])
        .observe(chatlayer_runtime::observe::Observability::new().metrics(false))
        .build()
        .unwrap();
}

#[tokio::test]
async fn one_span_per_request_carries_every_field() {
    let seen = Seen::default();
    let subscriber = tracing_subscriber::registry().with(seen.clone());
    let _guard = chatlayer_tests::logs::scoped(subscriber);
    let server = TestServer::start(app(closed_gate())).await.unwrap();
    let response = reqwest::Client::new()
        .post(server.url("/ok"))
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .json(&serde_json::json!({ "sku": "A1", "sessionId": "session-42" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    server.stop().await.unwrap();

    let (id, fields) = seen.only_request_span();
    assert_span_fields(
        &fields,
        &[
            ("step", "ok"),
            ("method", "POST"),
            ("path", "/ok"),
            ("session", "session-42"),
            ("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"),
            ("code", "ok"),
            ("status", "200"),
            ("fallback", "false"),
        ],
    );

    let events = seen.events.lock().unwrap().clone();
    let in_request = |message: &str| {
        events
            .iter()
            .filter(|(text, span)| text == message && *span == Some(id))
            .count()
    };
    assert_eq!(in_request("looking the product up"), 1, "{events:#?}");
    assert_eq!(in_request("answered"), 1, "one access line: {events:#?}");
}

#[tokio::test]
async fn the_access_line_can_be_switched_off() {
    let seen = Seen::default();
    let _guard = chatlayer_tests::logs::scoped(tracing_subscriber::registry().with(seen.clone()));
    let app = App::from_steps([ok::STEP])
        .observe(chatlayer_runtime::observe::Observability::new().access_log(false))
        .build()
        .unwrap();
    let server = TestServer::start(app).await.unwrap();
    assert_eq!(post(&server, "/ok", "{}").await.status(), 200);
    server.stop().await.unwrap();
    let events = seen.events.lock().unwrap().clone();
    assert!(
        events.iter().all(|(message, _)| message != "answered"),
        "{events:#?}"
    );
    // The span stays: the step's own events still nest in it.
    assert!(
        events
            .iter()
            .any(|(message, span)| message == "looking the product up" && span.is_some())
    );
}

#[tokio::test]
async fn a_request_whose_client_went_away_is_counted_cancelled() {
    let server = TestServer::start(app(closed_gate())).await.unwrap();
    let gone = reqwest::Client::new()
        .post(server.url("/held"))
        .body("{}")
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(gone.is_err(), "the client gave up");
    let cancelled = requests("/held", "held", "cancelled");
    let mut seen = None;
    for _ in 0..100 {
        let now = samples(&server).await;
        if now.get(&cancelled) == Some(&1.0) {
            seen = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let now = seen.unwrap_or_else(|| panic!("no {cancelled}"));
    assert_eq!(value(&now, "chatlayer_requests_in_flight"), 0.0);
    server.stop().await.unwrap();
}

/// Nested in a host's router, a step's span, access line and metrics show the path as
/// served, prefix included (they said `/ok` for `/chatlayer/ok`); nested twice, each mount
/// has its own series.
#[tokio::test]
async fn a_nested_app_shows_the_path_as_served() {
    let seen = Seen::default();
    let _guard = chatlayer_tests::logs::scoped(tracing_subscriber::registry().with(seen.clone()));
    let app = App::from_steps([ok::STEP]).build().unwrap();
    let host = axum::Router::new()
        .nest("/chatlayer", app.router())
        .nest("/v2/bot", app.router());
    let server = TestServer::start(host).await.unwrap();
    for path in ["/chatlayer/ok", "/chatlayer/ok", "/v2/bot/ok"] {
        assert_eq!(post(&server, path, "{}").await.status(), 200, "{path}");
    }
    let metrics = reqwest::get(server.url("/chatlayer/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    server.stop().await.unwrap();

    let (_, fields) = seen.only_request_span_where("path", "/v2/bot/ok");
    assert_span_fields(&fields, &[("step", "ok"), ("path", "/v2/bot/ok")]);
    assert!(
        metrics.contains(&format!("{} 2", requests("/chatlayer/ok", "ok", "ok"))),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!("{} 1", requests("/v2/bot/ok", "ok", "ok"))),
        "{metrics}"
    );
    assert!(!metrics.contains(r#"path="/ok""#), "{metrics}");
}
