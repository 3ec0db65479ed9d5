//! Helpers shared by the integration tests: a real HTTP client against a `TestServer`.

pub mod external;
pub mod logs;
pub mod openapi_contract;
pub mod programs;
pub mod spans;

use chatlayer_runtime::App;
use chatlayer_runtime::server::Server;
use chatlayer_runtime::testing::TestServer;
use serde_json::Value;

/// What came back: status, content type and the body parsed as JSON.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub json: Value,
}

/// Serves `app` on a local port.
pub async fn serve(app: App) -> TestServer {
    TestServer::start(app).await.expect("a local port")
}

/// Serves `app` on a local port, with `server`'s settings.
pub async fn serve_on(server: Server, app: App) -> TestServer {
    TestServer::start_on(server, app)
        .await
        .expect("a local port")
}

/// Sends `body` (raw bytes) with an optional content type, and parses the JSON answer.
/// Panics when the answer is not JSON: the framework never answers anything else.
pub async fn send(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Answer {
    let mut request = reqwest::Client::new()
        .request(method, server.url(path))
        .body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = response.text().await.expect("a body");
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("HTTP {status} answered non-JSON ({error}): {text:?}"));
    Answer {
        status,
        content_type,
        json,
    }
}

/// GETs `url` and parses the answer as JSON, e.g. a served OpenAPI document.
pub async fn get_json(url: impl reqwest::IntoUrl) -> Value {
    reqwest::get(url)
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a JSON body")
}

/// POSTs `body` as JSON.
pub async fn post_json(server: &TestServer, path: &str, body: &Value) -> Answer {
    send(
        server,
        reqwest::Method::POST,
        path,
        Some("application/json"),
        body.to_string(),
    )
    .await
}

/// How many times a step ran, counted for one app: a test hands its own to the app with
/// `provide_arc`, so tests running at once never see each other's calls (a `static` counter
/// shared by two tests in one binary made a count flaky).
#[derive(Debug, Default)]
pub struct Calls(std::sync::atomic::AtomicUsize);

impl Calls {
    /// Counts one call.
    pub fn record(&self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// The calls so far.
    pub fn count(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}
