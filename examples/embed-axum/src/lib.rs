//! An existing axum app (its own state, routes and middleware) that mounts Chatlayer steps
//! under `/chatlayer`. The steps keep their own dependencies; the host keeps its own state.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use chatlayer_runtime::BuildError;
use chatlayer_runtime::prelude::*;
use chatlayer_runtime::serde_json::Value;

/// The host application's own state.
#[derive(Clone, Default)]
pub struct HostState {
    /// How many requests the host has seen, steps included (counted by its middleware).
    pub requests: Arc<AtomicU64>,
}

/// A service the steps use, provided to the Chatlayer app (not part of the host state).
pub struct Greeter {
    pub shop_name: String,
}

/// Greet the user by name.
#[api_step("/greet", namespace = "greeting")]
pub async fn greet(name: Option<String>, greeter: Dep<Greeter>) -> Reply {
    let name = name.unwrap_or_else(|| "there".to_owned());
    Reply::new()
        .add_session_data(json!({ "greeted": name }))
        .add_message(format!("Hi {name}, welcome to {}!", greeter.shop_name))
}

/// VIPs go to the VIP desk; everyone else continues with the Action block's go-to.
#[next_block("/route/vip")]
pub fn route_vip(is_vip: bool, vip_desk: BlockId) -> Option<BlockId> {
    is_vip.then_some(vip_desk)
}

/// The host's middleware: counts requests and tags every response.
async fn count_requests(State(state): State<HostState>, request: Request, next: Next) -> Response {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert("x-served-by", HeaderValue::from_static("embed-axum"));
    response
}

async fn stats(State(state): State<HostState>) -> Json<Value> {
    Json(json!({ "requests": state.requests.load(Ordering::Relaxed) }))
}

/// The host app: its router (its own routes and middleware, the steps under `/chatlayer`),
/// and the steps' app, which the server serving the router tracks (its `/readyz` turns 503
/// when the server drains).
pub struct Host {
    /// What the server serves.
    pub router: Router,
    /// The Chatlayer steps mounted in it.
    pub steps: App,
}

/// Builds the host app around `state`.
pub fn host_app(state: HostState) -> Result<Host, BuildError> {
    let steps = App::from_steps([greet::STEP, route_vip::STEP])
        .provide(Greeter {
            shop_name: "the corner shop".to_owned(),
        })
        .build()?;
    let router = Router::new()
        .route("/", get(|| async { "the host app's home page" }))
        .route("/stats", get(stats))
        .nest("/chatlayer", steps.router())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .with_state(state);
    Ok(Host { router, steps })
}
