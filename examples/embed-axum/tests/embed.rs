//! The host app, served on a real socket: host routes, host state, host middleware and the
//! nested steps all work together.

use std::sync::atomic::Ordering;

use chatlayer_runtime::server::Server;
use embed_axum::{HostState, host_app};
use serde_json::{Value, json};

/// Serves the host app as its `main` does, on the framework's server.
async fn serve(state: HostState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let host = host_app(state).expect("the steps build");
    let server = Server::new().for_app(&host.steps);
    tokio::spawn(server.serve_with(listener, host.router, std::future::pending()));
    url
}

/// POSTs `body` as JSON and returns the JSON answer.
async fn post_json(client: &reqwest::Client, url: String, body: Value) -> Value {
    client
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn steps_answer_under_the_prefix_through_the_host_middleware() {
    let state = HostState::default();
    let url = serve(state.clone()).await;
    let client = reqwest::Client::new();

    let response = client
        .post(format!("{url}/chatlayer/greet"))
        .json(&json!({ "name": "Ada" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-served-by"], "embed-axum");
    let reply: Value = response.json().await.unwrap();
    assert_eq!(
        reply,
        json!({
            "session": { "namespace": "greeting", "data": { "greeted": "Ada" } },
            "messages": [ { "type": "text", "config": { "textMessages": [
                { "text": "Hi Ada, welcome to the corner shop!" } ] } } ]
        })
    );

    let vip = post_json(
        &client,
        format!("{url}/chatlayer/route/vip"),
        json!({ "is_vip": "true", "vip_desk": "desk" }),
    )
    .await;
    assert_eq!(vip, json!({ "action": { "nextDialogstate": "desk" } }));
    let regular = post_json(
        &client,
        format!("{url}/chatlayer/route/vip"),
        json!({ "is_vip": false, "vip_desk": "desk" }),
    )
    .await;
    assert_eq!(regular, json!({}));

    assert_eq!(state.requests.load(Ordering::Relaxed), 3);
}

#[tokio::test]
async fn host_routes_and_state_keep_working() {
    let state = HostState::default();
    let url = serve(state.clone()).await;
    let home = reqwest::get(format!("{url}/")).await.unwrap();
    assert_eq!(home.headers()["x-served-by"], "embed-axum");
    assert_eq!(home.text().await.unwrap(), "the host app's home page");
    let stats: Value = reqwest::get(format!("{url}/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats, json!({ "requests": 2 }));
}

#[tokio::test]
async fn step_errors_and_wrong_methods_stay_json_inside_the_host() {
    let url = serve(HostState::default()).await;
    let client = reqwest::Client::new();
    let error = client
        .post(format!("{url}/chatlayer/route/vip"))
        .json(&json!({ "vip_desk": "desk" }))
        .send()
        .await
        .unwrap();
    assert_eq!(error.status(), 400);
    let body: Value = error.json().await.unwrap();
    assert_eq!(body["error"]["parameter"], "is_vip");

    let wrong_method = client
        .get(format!("{url}/chatlayer/greet"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(wrong_method.headers()["allow"], "POST");
    let body: Value = wrong_method.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");

    // Paths the steps do not own fall through to the host's own (default) fallback.
    let unknown = client
        .get(format!("{url}/chatlayer/unknown"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

/// The nested steps' document is served under the same prefix, with prefixed paths, and it
/// passes the OpenAPI validator; the docs page is there too.
#[tokio::test]
#[cfg_attr(
    not(tool_openapi_spec_validator),
    ignore = "needs openapi-spec-validator; .ci/run installs it"
)]
async fn the_document_under_the_prefix_is_valid_and_names_the_prefixed_paths() {
    let url = serve(HostState::default()).await;
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{url}/chatlayer/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-served-by"], "embed-axum");
    let text = response.text().await.unwrap();
    let document: Value = serde_json::from_str(&text).unwrap();
    let paths: Vec<&String> = document["paths"].as_object().unwrap().keys().collect();
    assert_eq!(paths, ["/chatlayer/greet", "/chatlayer/route/vip"]);
    let greet = &document["paths"]["/chatlayer/greet"]["post"];
    assert_eq!(greet["summary"], "Greet the user by name.");

    chatlayer_tests::external::validate_openapi_text(&text);

    let page = client
        .get(format!("{url}/chatlayer/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("/chatlayer/openapi.json")
    );
}
