//! Test harnesses: [`TestClient`] calls steps in-process, the way Chatlayer would, and reads
//! their replies; [`TestServer`] serves an app on a real local socket for HTTP clients; both
//! take an [`App`](crate::App) or any axum `Router` (a host app with its own routes, layers and
//! prefixes). [`wire`] shows what a step function's return value becomes on the wire, for
//! unit tests that call the function directly. The `chatlayer-emulator` crate runs whole
//! conversations from a bot file.

use std::io;
use std::net::SocketAddr;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{self, HeaderMap, Method, StatusCode, header};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::error::{ErrorBody, StepError};

use crate::fallback::Fallback;
use crate::reply::output::IntoReply;
use crate::server::Server;
use crate::{Reply, StepDescriptor};

/// What [`TestClient`] and [`TestServer`] serve: an [`App`](crate::App) (as its standalone
/// server does, JSON 404 included) or any axum `Router`, such as a host app that nests the
/// steps. The server's own trait, re-exported here for tests.
pub use crate::server::Servable;

/// What a step function's return value becomes on the wire: the JSON its server would send,
/// with the step's `namespace = ...` applied. For unit tests that call a step function
/// directly; `step` is its descriptor (`my_step::STEP`).
///
/// ```
/// use chatlayer_runtime::prelude::*;
/// use chatlayer_runtime::testing::wire;
///
/// #[api_step("/order", namespace = "order")]
/// fn order(sku: String) -> Reply {
///     Reply::new().add_session_data(json!({ "sku": sku }))
/// }
///
/// assert_eq!(
///     wire(order::STEP, order("A1".into())).unwrap(),
///     json!({ "session": { "namespace": "order", "data": { "sku": "A1" } } })
/// );
/// ```
///
/// An error comes back as the [`StepError`] the failure policy would answer.
pub fn wire(step: &StepDescriptor, output: impl IntoReply) -> Result<Value, StepError> {
    output.into_reply()?.to_json(step.namespace())
}

/// Calls the steps of an [`App`](crate::App) in-process, through the same router a server uses (no
/// socket), and parses what they answer.
///
/// ```
/// use chatlayer_runtime::prelude::*;
/// use chatlayer_runtime::testing::TestClient;
/// use serde_json::json;
///
/// #[api_step("/order", namespace = "order")]
/// async fn order(sku: String, #[param(default = 1)] quantity: u32, on_success: BlockId) -> Reply {
///     Reply::new()
///         .add_session_data(json!({ "sku": sku, "quantity": quantity }))
///         .set_next_dialog_state(on_success)
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(&App::from_steps([order::STEP]).build().unwrap());
///
/// let reply = client.post("/order", json!({ "sku": "A1", "on_success": "thanks" })).await.reply();
/// assert_eq!(reply.next_dialog_state(), Some(&BlockId::new("thanks")));
/// assert_eq!(reply.session_data().unwrap()["quantity"], 1);
///
/// let error = client.post("/order", json!({ "on_success": "thanks" })).await.error();
/// assert_eq!(error.error.code, "missing_parameter");
/// assert_eq!(error.error.parameter.as_deref(), Some("sku"));
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct TestClient {
    router: Router,
}

impl TestClient {
    /// A client for an app (`&app`, answering as the standalone server would, JSON 404
    /// included) or for any axum `Router`, e.g. the host app that nests the steps.
    pub fn new(target: impl Servable) -> Self {
        TestClient {
            router: target.prepare(Server::new()).0,
        }
    }

    /// Sends `params` as a JSON body with POST, as a Body tab does.
    pub async fn post(&self, path: &str, params: Value) -> TestResponse {
        self.call(Method::POST, path, params).await
    }

    /// Sends `params` as the query string with GET, as a Query tab does.
    pub async fn get(&self, path: &str, params: Value) -> TestResponse {
        self.call(Method::GET, path, params).await
    }

    /// Sends `params` with `method`: in the query string for GET, as a JSON body otherwise.
    pub async fn call(&self, method: Method, path: &str, params: Value) -> TestResponse {
        let builder = http::Request::builder().method(method.as_str());
        let request = if method == Method::GET {
            builder.uri(with_query(path, &params)).body(Body::empty())
        } else {
            builder
                .uri(path)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(params.to_string()))
        };
        self.send(request.expect("a valid test request")).await
    }

    /// Sends any request, e.g. one with form data or custom headers.
    pub async fn send(&self, request: http::Request<Body>) -> TestResponse {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|never| match never {});
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("the response body can be read");
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

/// `path?name=value&...`; objects and arrays are sent as JSON text, as a query string must.
fn with_query(path: &str, params: &Value) -> String {
    let Some(map) = params.as_object().filter(|map| !map.is_empty()) else {
        return path.to_owned();
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in map {
        match value {
            Value::Null => {}
            Value::String(text) => {
                query.append_pair(name, text);
            }
            other => {
                query.append_pair(name, &other.to_string());
            }
        }
    }
    format!("{path}?{}", query.finish())
}

/// What a step answered.
#[derive(Clone, Debug)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status.as_u16()
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The raw body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as JSON. Panics at the caller's line, showing the body, when it is not JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        match serde_json::from_slice(&self.body) {
            Ok(json) => json,
            Err(error) => panic!(
                "the response is not JSON ({error}): {}",
                String::from_utf8_lossy(&self.body)
            ),
        }
    }

    /// The reply of a step that succeeded. Panics at the caller's line, showing the body,
    /// when the status is not 200 or the body is not a Chatlayer reply.
    #[track_caller]
    pub fn reply(&self) -> Reply {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "expected a reply, got HTTP {}: {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
        match serde_json::from_slice(&self.body) {
            Ok(reply) => reply,
            Err(error) => panic!(
                "the response is not a Chatlayer reply ({error}): {}",
                String::from_utf8_lossy(&self.body)
            ),
        }
    }

    /// The error of a step that failed. Panics at the caller's line, showing the body, when
    /// the body is not an error.
    #[track_caller]
    pub fn error(&self) -> ErrorBody {
        match serde_json::from_slice(&self.body) {
            Ok(error) => error,
            Err(error) => panic!(
                "expected an error body ({error}), got HTTP {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            ),
        }
    }

    /// The error code behind a 200 that jumped to a fallback block (the
    /// `x-chatlayer-fallback` header), or `None` for a step's own answer.
    pub fn fallback_reason(&self) -> Option<&str> {
        self.headers
            .get(Fallback::HEADER)
            .and_then(|value| value.to_str().ok())
    }
}

/// An app (or any axum `Router`) served on a free port of `127.0.0.1` in the background, for
/// tests that use a real HTTP client, by the same server as [`App::serve`](crate::App::serve) (timeouts, the
/// caller's address for an IP allow-list, graceful drain). Stops gracefully on
/// [`stop`](Self::stop), or when dropped.
///
/// ```
/// use chatlayer_runtime::prelude::*;
/// use chatlayer_runtime::testing::TestServer;
///
/// #[next_block("/route")]
/// fn route(open: BlockId) -> BlockId { open }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let server = TestServer::start(App::from_steps([route::STEP]).build().unwrap()).await.unwrap();
/// let url = server.url("/route"); // e.g. http://127.0.0.1:41234/route
/// // ... send requests to `url` with any HTTP client ...
/// server.stop().await.unwrap();
/// # let _ = url; }
/// ```
#[derive(Debug)]
pub struct TestServer {
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl TestServer {
    /// Binds `127.0.0.1:0` and serves `target` (an app, or any axum `Router`) there until
    /// stopped, with the server's defaults ([`Server::new`]).
    pub async fn start(target: impl Servable) -> io::Result<Self> {
        TestServer::start_on(Server::new(), target).await
    }

    /// The same, with `server`'s settings (its address is not used: the test server binds
    /// `127.0.0.1:0`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use chatlayer_runtime::prelude::*;
    /// use chatlayer_runtime::server::Server;
    /// use chatlayer_runtime::testing::TestServer;
    ///
    /// # #[next_block("/route")] fn route(open: BlockId) -> BlockId { open }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::from_steps([route::STEP]).build().unwrap();
    /// let server = Server::new().drain_delay(Duration::ZERO);
    /// let served = TestServer::start_on(server, app).await.unwrap();
    /// served.stop().await.unwrap();
    /// # }
    /// ```
    pub async fn start_on(server: Server, target: impl Servable) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let (router, server) = target.prepare(server);
        let task = tokio::spawn(server.serve_with(listener, router, async {
            // A dropped sender stops the server too.
            let _ = stopped.await;
        }));
        Ok(TestServer {
            address,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    /// The address served.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The URL of `path` on this server, e.g. `http://127.0.0.1:41234/order`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Stops accepting connections, waits for the requests in flight, and reports how the
    /// server ended.
    pub async fn stop(mut self) -> io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Replays the exchanges recorded in `dir` against `target` in-process, and panics with a
/// readable diff when a reply differs from the recorded one. For more control (values to
/// ignore, headers to add), use [`Replay`](crate::record::Replay).
///
/// ```no_run
/// use chatlayer_runtime::prelude::*;
///
/// # #[api_step("/order")] fn order() -> Reply { Reply::new() }
/// #[tokio::test]
/// async fn the_recorded_traffic_still_gets_the_same_replies() {
///     let app = App::from_steps([order::STEP]).build().unwrap();
///     chatlayer_runtime::testing::replay(&app, "tests/recordings").await;
/// }
/// ```
#[track_caller]
pub fn replay<'a>(
    target: impl Servable + 'a,
    dir: impl AsRef<std::path::Path> + 'a,
) -> impl std::future::Future<Output = crate::record::ReplayReport> + 'a {
    let caller = std::panic::Location::caller();
    async move {
        let report = crate::record::Replay::from_dir(dir)
            .run(target)
            .await
            .unwrap_or_else(|error| panic!("{caller}: the replay could not run: {error}"));
        if !report.is_green() {
            panic!("{caller}: {report}");
        }
        report
    }
}
