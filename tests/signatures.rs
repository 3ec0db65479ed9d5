//! Request signatures cover what reaches a step's arguments, over a real socket: with the
//! body alone signed, a query string is refused before the step runs; with the request
//! signed, a signature made for one step, method or query is refused by every other. The
//! MACs are computed by Python's `hmac`, so the documented signed bytes are what is checked,
//! not this crate's own signer.

use axum::Router;
use chatlayer_runtime::prelude::*;
use chatlayer_runtime::security::{Security, SignatureVerifier, SignedContent};
use chatlayer_runtime::server::Server;
use chatlayer_runtime::testing::TestServer;
use chatlayer_tests::external::python_hmac;
use chatlayer_tests::logs::Logs;
use chatlayer_tests::{Calls, serve};
use serde_json::Value;

const SECRET: &str = "sh4red";

/// Places an order; counts its calls, which must stay at zero for every refused request.
#[api_step("/order")]
async fn order(sku: String, quantity: u32, calls: Dep<Calls>) -> Reply {
    calls.record();
    Reply::new().add_message(format!("{quantity} x {sku}"))
}

/// Moves money: a second step whose parameters a body made for `order` could fill.
#[api_step("/transaction")]
async fn transaction(sku: String, quantity: u32, calls: Dep<Calls>) -> Reply {
    calls.record();
    Reply::new().add_message(format!("paid {quantity} for {sku}"))
}

/// Reads its parameter from the URL, as Chatlayer's GET API steps send it.
#[api_step("/order/status", method = GET)]
async fn status(order_id: String, calls: Dep<Calls>) -> Reply {
    calls.record();
    Reply::new().add_message(format!("order {order_id} shipped"))
}

fn app(covers: SignedContent) -> (App, std::sync::Arc<Calls>) {
    let calls = std::sync::Arc::new(Calls::default());
    let app = App::from_steps([order::STEP, transaction::STEP, status::STEP])
        .provide_arc(std::sync::Arc::clone(&calls))
        .security(Security::new().signatures(SignatureVerifier::new(SECRET).covers(covers)))
        .build()
        .unwrap();
    (app, calls)
}

/// Sends `method target` with `body` and the signature header `signature`.
async fn send(
    server: &TestServer,
    method: &str,
    target: &str,
    body: &str,
    signature: &str,
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .request(method.parse().unwrap(), server.url(target))
        .header("content-type", "application/json")
        .header("x-chatlayer-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn mac(message: &[u8]) -> Option<String> {
    python_hmac(SECRET, message, "sha256", "hex")
}

#[tokio::test]
#[cfg_attr(not(tool_python3), ignore = "needs python3; .ci/run installs it")]
async fn with_the_body_signed_no_query_parameter_reaches_a_step() {
    let (app, calls) = app(SignedContent::Body);
    let server = serve(app).await;
    let Some(empty) = mac(b"") else { return };
    let body = r#"{"sku":"A1","quantity":2}"#;
    let Some(signed) = mac(body.as_bytes()) else {
        return;
    };

    // What the attack did: the empty body's signature never changes, and the query string
    // filled every argument; a signed body had its quantity overridden from the URL.
    for (what, method, target, body, signature) in [
        (
            "an order from the query",
            "POST",
            "/order?sku=B2&quantity=7",
            "",
            &empty,
        ),
        (
            "a query beside a signed body",
            "POST",
            "/order?quantity=999",
            body,
            &signed,
        ),
        (
            "a transaction from the query",
            "POST",
            "/transaction?sku=B2&quantity=7",
            "",
            &empty,
        ),
        (
            "a GET step's lookup",
            "GET",
            "/order/status?order_id=any",
            "",
            &empty,
        ),
    ] {
        let (status, reply) = send(&server, method, target, body, signature).await;
        assert_eq!(status, 400, "{what}: {reply}");
        assert_eq!(reply["error"]["code"], "unsigned_query", "{what}: {reply}");
        let hint = reply["error"]["hint"].as_str().unwrap();
        assert!(hint.contains("SignedContent::Request"), "{what}: {hint}");
    }
    assert_eq!(calls.count(), 0, "no refused request reached a step");

    // The same body, signed and without a query, is served.
    let (status, reply) = send(&server, "POST", "/order", body, &signed).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply["messages"][0]["config"]["textMessages"][0]["text"],
        "2 x A1"
    );
    // A bare `?` carries nothing and is no reason to refuse.
    assert_eq!(send(&server, "POST", "/order?", body, &signed).await.0, 200);
}

#[tokio::test]
#[cfg_attr(not(tool_python3), ignore = "needs python3; .ci/run installs it")]
async fn with_the_request_signed_a_signature_is_bound_to_its_method_path_and_query() {
    let (app, calls) = app(SignedContent::Request);
    let server = serve(app).await;
    let body = r#"{"sku":"A1"}"#;
    // The documented signed bytes: `METHOD path?query`, a line feed, then the body.
    let Some(order) = mac(format!("POST /order?quantity=3\n{body}").as_bytes()) else {
        return;
    };
    let (status, reply) = send(&server, "POST", "/order?quantity=3", body, &order).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply["messages"][0]["config"]["textMessages"][0]["text"],
        "3 x A1"
    );
    assert_eq!(calls.count(), 1);

    for (what, method, target) in [
        ("another step", "POST", "/transaction?quantity=3"),
        ("another query", "POST", "/order?quantity=999"),
        ("a query added", "POST", "/order?quantity=3&sku=B2"),
        ("another method", "PUT", "/order?quantity=3"),
    ] {
        let (status, reply) = send(&server, method, target, body, &order).await;
        assert!(status == 401 || status == 405, "{what}: {status} {reply}");
        if status == 401 {
            assert_eq!(
                reply["error"]["code"], "invalid_signature",
                "{what}: {reply}"
            );
            let message = reply["error"]["message"].as_str().unwrap();
            assert!(
                message.contains("method, path, query and body"),
                "{message}"
            );
        }
    }
    assert_eq!(calls.count(), 1, "no other request reached a step");

    // GET steps work too: their query is signed.
    let Some(lookup) = mac(b"GET /order/status?order_id=77\n") else {
        return;
    };
    let (status, reply) = send(&server, "GET", "/order/status?order_id=77", "", &lookup).await;
    assert_eq!(status, 200, "{reply}");
}

#[tokio::test]
#[cfg_attr(not(tool_python3), ignore = "needs python3; .ci/run installs it")]
async fn a_nested_app_checks_the_path_the_sender_signed() {
    let (app, _calls) = app(SignedContent::Request);
    let host = Router::new().nest("/chatlayer", app.router());
    let server = TestServer::start_on(Server::new(), host).await.unwrap();
    let body = r#"{"sku":"A1","quantity":1}"#;
    let Some(full) = mac(format!("POST /chatlayer/order\n{body}").as_bytes()) else {
        return;
    };
    let (status, reply) = send(&server, "POST", "/chatlayer/order", body, &full).await;
    assert_eq!(status, 200, "{reply}");
    // The path the step sees under the host's prefix is not what was signed.
    let Some(inner) = mac(format!("POST /order\n{body}").as_bytes()) else {
        return;
    };
    assert_eq!(
        send(&server, "POST", "/chatlayer/order", body, &inner)
            .await
            .0,
        401
    );
}

#[test]
fn the_signer_signs_what_the_verifier_checks() {
    let verifier = SignatureVerifier::new(SECRET).covers(SignedContent::Request);
    let one = verifier.sign("POST", "/order?a=1", b"{}", None);
    assert_ne!(one, verifier.sign("POST", "/order?a=2", b"{}", None));
    assert_ne!(one, verifier.sign("GET", "/order?a=1", b"{}", None));
    // Over the body alone, method and path do not count.
    let body_only = SignatureVerifier::new(SECRET);
    assert_eq!(
        body_only.sign("POST", "/order", b"{}", None),
        body_only.sign("GET", "/elsewhere", b"{}", None)
    );
}

#[test]
fn a_get_step_under_body_signatures_is_reported_when_the_app_is_built() {
    let logs = Logs::capture();
    let _ = app(SignedContent::Body);
    assert_eq!(logs.count("GET /order/status"), 1, "{}", logs.text());
    assert!(logs.text().contains("unsigned_query"), "{}", logs.text());
    let logs = Logs::capture();
    let _ = app(SignedContent::Request);
    assert_eq!(logs.count("GET /order/status"), 0, "{}", logs.text());
}

#[test]
fn the_environment_chooses_what_is_signed() {
    use chatlayer_runtime::config::{Environment, Variable};
    let env = Environment::empty()
        .with(Variable::SignatureSecret, SECRET)
        .with(Variable::SignatureCovers, "request");
    let verifier = SignatureVerifier::from_environment(&env).unwrap().unwrap();
    assert_eq!(verifier.signed_content(), SignedContent::Request);
    let env = env.with(Variable::SignatureCovers, "url");
    let problem = SignatureVerifier::from_environment(&env)
        .unwrap_err()
        .to_string();
    assert!(problem.contains("CHATLAYER_SIGNATURE_COVERS"), "{problem}");
    assert!(problem.contains("body or request"), "{problem}");
}
