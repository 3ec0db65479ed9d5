//! The test harnesses as a user's tests meet them: failures point at the test's own line,
//! a host app's router is served as it is, and a step function called directly shows the
//! reply the wire would carry.

use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::get;
use chatlayer_runtime::prelude::*;
use chatlayer_runtime::testing::{TestClient, TestServer, wire};

/// Stores a greeting under the step's namespace.
#[api_step("/greet", namespace = "greeting")]
fn greet(name: String) -> Reply {
    Reply::new().add_session_data(json!({ "greeted": name }))
}

/// Where VIPs go.
#[next_block("/vip")]
fn vip(is_vip: bool, desk: BlockId) -> Option<BlockId> {
    is_vip.then_some(desk)
}

fn app() -> App {
    App::from_steps([greet::STEP, vip::STEP]).build().unwrap()
}

/// The file and line a panic was reported at, for `call`.
fn panic_location(call: impl FnOnce()) -> (String, u32) {
    let seen: Arc<Mutex<Option<(String, u32)>>> = Arc::default();
    let hook_seen = Arc::clone(&seen);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let location = info.location().unwrap();
        *hook_seen.lock().unwrap() = Some((location.file().to_owned(), location.line()));
    }));
    let outcome = catch_unwind(AssertUnwindSafe(call));
    std::panic::set_hook(previous);
    assert!(outcome.is_err(), "the call did not panic");
    let location = seen.lock().unwrap().take();
    location.unwrap()
}

/// Before, a failing `reply()` pointed at `chatlayer-runtime/src/testing.rs`.
#[tokio::test]
async fn a_failing_assertion_points_at_the_test_line() {
    let client = TestClient::new(app());
    let failed = client.post("/greet", json!({})).await;
    let not_an_error = client.post("/greet", json!({ "name": "Ada" })).await;
    let here = Location::caller().file().to_owned();
    let (file, line) = panic_location(|| {
        failed.reply();
    });
    assert_eq!((file.as_str(), line), (here.as_str(), line!() - 2));
    let (file, line) = panic_location(|| {
        not_an_error.error();
    });
    assert_eq!((file.as_str(), line), (here.as_str(), line!() - 2));
}

/// A host app with its own route, a layer, and the steps under a prefix.
fn host() -> Router {
    Router::new()
        .route("/", get(|| async { "host home" }))
        .nest("/chatlayer", app().router())
        .layer(axum::middleware::from_fn(
            |request: axum::extract::Request, next: axum::middleware::Next| async move {
                let mut response = next.run(request).await;
                response
                    .headers_mut()
                    .insert("x-host", axum::http::HeaderValue::from_static("yes"));
                response
            },
        ))
}

#[tokio::test]
async fn the_harnesses_serve_a_host_apps_router() {
    let client = TestClient::new(host());
    let answer = client
        .post("/chatlayer/greet", json!({ "name": "Ada" }))
        .await;
    assert_eq!(answer.headers()["x-host"], "yes");
    assert_eq!(answer.reply().session_namespace(), Some("greeting"));

    let server = TestServer::start(host()).await.unwrap();
    let home = reqwest::get(server.url("/")).await.unwrap();
    assert_eq!(home.text().await.unwrap(), "host home");
    let answer = reqwest::Client::new()
        .post(server.url("/chatlayer/vip"))
        .json(&json!({ "is_vip": true, "desk": "d1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.headers()["x-host"], "yes");
    let reply: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(reply, json!({ "action": { "nextDialogstate": "d1" } }));
    server.stop().await.unwrap();
}

/// Called directly, a step's reply does not know its namespace (`add_session_data` writes
/// to the step's); `wire` shows it as sent.
#[test]
fn a_step_called_directly_shows_its_wire_reply() {
    let reply = greet("Ada".to_owned());
    assert_eq!(reply.session_namespace(), None);
    assert_eq!(
        wire(greet::STEP, reply).unwrap(),
        json!({ "session": { "namespace": "greeting", "data": { "greeted": "Ada" } } })
    );
    assert_eq!(
        wire(vip::STEP, vip(false, BlockId::new("d1"))).unwrap(),
        json!({})
    );
    let failed: Result<Reply, StepError> = Err(StepError::bad_request("no"));
    assert_eq!(wire(greet::STEP, failed).unwrap_err().code(), "bad_request");
}
