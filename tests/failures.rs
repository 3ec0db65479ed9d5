//! Every bad input and every failure, over a real socket: each answers JSON as specified
//! (a fallback jump when the bot gave one, else a JSON error naming the problem), and the
//! server keeps serving.

use chatlayer_runtime::StepError;
use chatlayer_runtime::prelude::*;
use chatlayer_runtime::testing::TestServer;
use chatlayer_tests::{Answer, post_json, send, serve};
use reqwest::Method as Http;
use serde::Deserialize;

/// Echoes what it read, so tests see the coercions.
#[api_step("/strict")]
async fn strict(amount: f64, name: String, count: Option<u32>, flag: bool) -> Reply {
    Reply::new().add_session_variable(
        "echo",
        json!({ "amount": amount, "name": name, "count": count, "flag": flag }),
    )
}

#[derive(Deserialize)]
struct Address {
    city: String,
    zip: u32,
}

#[api_step("/nested")]
async fn nested(address: Address) -> Reply {
    Reply::new().add_message(format!("{} {}", address.zip, address.city))
}

#[api_step("/query", method = GET)]
async fn query(sku: String, quantity: u32) -> Reply {
    Reply::new().add_message(format!("{quantity} x {sku}"))
}

#[api_step("/fails")]
async fn fails() -> Result<Reply, std::io::Error> {
    Err(std::io::Error::other("database password is hunter2"))
}

#[api_step("/rejects")]
async fn rejects() -> Result<Reply, StepError> {
    Err(StepError::bad_request("that product is sold out").with_parameter("sku"))
}

#[api_step("/panics")]
async fn panics(trigger: bool) -> Reply {
    if trigger {
        panic!("the step fell over");
    }
    Reply::new().add_message("still standing")
}

#[api_step("/two-namespaces")]
async fn two_namespaces() -> Reply {
    Reply::new()
        .add_session_variable("order", json!({ "id": 1 }))
        .add_session_variable("user", json!({ "name": "Ada" }))
}

#[api_step("/internal-namespace")]
async fn internal_namespace() -> Reply {
    Reply::new().add_session_variable("internal", json!({ "botId": "x" }))
}

#[api_step("/not-an-object")]
async fn not_an_object() -> Reply {
    Reply::new().add_session_variable("user", "Joachim")
}

#[api_step("/no-namespace")]
async fn no_namespace() -> Reply {
    Reply::new().add_session_data(json!({ "a": 1 }))
}

#[api_step("/guarded", fallback = on_error, fallback_message = "Sorry, something went wrong.")]
async fn guarded(amount: f64, on_error: BlockId, crash: Option<bool>) -> Result<Reply, StepError> {
    let _ = on_error;
    if crash == Some(true) {
        panic!("crashed on purpose");
    }
    if amount < 0.0 {
        return Err(StepError::bad_request("negative amount"));
    }
    Ok(Reply::new().add_message("ok"))
}

#[api_step("/guarded-by-wire-name", fallback = "errorBlock")]
async fn guarded_by_wire_name(amount: f64) -> Reply {
    Reply::new().add_message(format!("{amount}"))
}

fn all_steps() -> App {
    App::from_steps([
        strict::STEP,
        nested::STEP,
        query::STEP,
        fails::STEP,
        rejects::STEP,
        panics::STEP,
        two_namespaces::STEP,
        internal_namespace::STEP,
        not_an_object::STEP,
        no_namespace::STEP,
        guarded::STEP,
        guarded_by_wire_name::STEP,
    ])
    .build()
    .unwrap()
}

async fn server() -> TestServer {
    serve(all_steps()).await
}

fn assert_error(answer: &Answer, status: u16, code: &str, parameter: Option<&str>) {
    assert_eq!(answer.status, status, "{:?}", answer.json);
    assert_eq!(answer.content_type, "application/json; charset=utf-8");
    assert_eq!(answer.json["error"]["code"], code, "{:?}", answer.json);
    match parameter {
        Some(name) => assert_eq!(answer.json["error"]["parameter"], name, "{:?}", answer.json),
        None => assert!(
            answer.json["error"].get("parameter").is_none(),
            "{:?}",
            answer.json
        ),
    }
    assert!(
        answer.json["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

#[tokio::test]
async fn a_missing_parameter_is_a_400_naming_it() {
    let server = server().await;
    let answer = post_json(&server, "/strict", &json!({ "amount": 1, "flag": true })).await;
    assert_error(&answer, 400, "missing_parameter", Some("name"));
    assert_eq!(answer.json["error"]["step"], "strict");
    assert!(
        answer.json["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("`name`")
    );
}

#[tokio::test]
async fn null_and_empty_parameters_count_as_missing() {
    let server = server().await;
    for name in [json!(null), json!("")] {
        let answer = post_json(
            &server,
            "/strict",
            &json!({ "amount": 1, "name": name, "flag": true }),
        )
        .await;
        assert_error(&answer, 400, "missing_parameter", Some("name"));
    }
    // ... and as None for an Option.
    let answer = post_json(
        &server,
        "/strict",
        &json!({ "amount": 1, "name": "n", "flag": true, "count": "" }),
    )
    .await;
    assert_eq!(answer.json["session"]["data"]["count"], json!(null));
}

#[tokio::test]
async fn a_malformed_parameter_is_a_400_naming_it_and_the_value() {
    let server = server().await;
    let cases = [
        (
            json!({ "amount": "lots", "name": "n", "flag": true }),
            "amount",
            "lots",
        ),
        (
            json!({ "amount": 1, "name": "n", "flag": "maybe" }),
            "flag",
            "maybe",
        ),
        (
            json!({ "amount": 1, "name": "n", "flag": true, "count": -3 }),
            "count",
            "-3",
        ),
        (
            json!({ "amount": 1, "name": ["a"], "flag": true }),
            "name",
            "sequence",
        ),
    ];
    for (body, parameter, shown) in cases {
        let answer = post_json(&server, "/strict", &body).await;
        assert_error(&answer, 400, "invalid_parameter", Some(parameter));
        let message = answer.json["error"]["message"].as_str().unwrap();
        assert!(message.contains(shown), "{message}");
    }
}

#[tokio::test]
async fn a_malformed_nested_value_names_the_path() {
    let server = server().await;
    let answer = post_json(
        &server,
        "/nested",
        &json!({ "address": { "city": "Ghent", "zip": "nine" } }),
    )
    .await;
    assert_error(&answer, 400, "invalid_parameter", Some("address"));
    assert!(
        answer.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at `zip`")
    );
    let ok = post_json(
        &server,
        "/nested",
        &json!({ "address": { "city": "Ghent", "zip": "9000" } }),
    )
    .await;
    assert_eq!(
        ok.json["messages"][0]["config"]["textMessages"][0]["text"],
        "9000 Ghent"
    );
}

#[tokio::test]
async fn values_coerce_leniently() {
    let server = server().await;
    let answer = post_json(
        &server,
        "/strict",
        &json!({ "amount": "12.5", "name": 42, "count": "7", "flag": "true" }),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json["session"]["data"],
        json!({ "amount": 12.5, "name": "42", "count": 7, "flag": true })
    );
}

#[tokio::test]
async fn the_body_is_json_whatever_the_content_type_says() {
    let server = server().await;
    let body = r#"{"amount": 1, "name": "n", "flag": false}"#;
    for content_type in [
        None,
        Some("text/plain"),
        Some("text/html"),
        Some("application/json;"),
    ] {
        let answer = send(&server, Http::POST, "/strict", content_type, body).await;
        assert_eq!(answer.status, 200, "{content_type:?}: {:?}", answer.json);
    }
}

#[tokio::test]
async fn a_form_body_is_read_when_the_request_says_so() {
    let server = server().await;
    let answer = send(
        &server,
        Http::POST,
        "/strict",
        Some("application/x-www-form-urlencoded"),
        "amount=3&name=Ada+L&flag=false",
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json["session"]["data"]["name"], "Ada L");
}

#[tokio::test]
async fn query_and_body_merge_and_the_body_wins() {
    let server = server().await;
    let answer = send(
        &server,
        Http::POST,
        "/strict?name=from-query&amount=99&count=4",
        None,
        r#"{"amount": 1, "flag": true}"#,
    )
    .await;
    assert_eq!(
        answer.json["session"]["data"],
        json!({ "amount": 1.0, "name": "from-query", "count": 4, "flag": true })
    );
    let get = send(&server, Http::GET, "/query?sku=A1&quantity=2", None, "").await;
    assert_eq!(
        get.json["messages"][0]["config"]["textMessages"][0]["text"],
        "2 x A1"
    );
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_a_400() {
    let server = server().await;
    for body in ["{\"amount\": ", "[1, 2, 3]", "\"text\"", "<html>"] {
        let answer = send(
            &server,
            Http::POST,
            "/strict",
            Some("application/json"),
            body,
        )
        .await;
        assert_error(&answer, 400, "invalid_body", None);
    }
}

#[tokio::test]
async fn a_handler_error_is_a_500_that_does_not_leak_its_details() {
    let server = server().await;
    let answer = post_json(&server, "/fails", &json!({})).await;
    assert_error(&answer, 500, "handler_error", None);
    assert!(!answer.json.to_string().contains("hunter2"));
}

#[tokio::test]
async fn a_step_error_keeps_its_status_and_message() {
    let server = server().await;
    let answer = post_json(&server, "/rejects", &json!({})).await;
    assert_error(&answer, 400, "bad_request", Some("sku"));
    assert_eq!(answer.json["error"]["message"], "that product is sold out");
}

#[tokio::test]
async fn a_panic_is_a_500_and_the_server_keeps_serving() {
    let server = server().await;
    let answer = post_json(&server, "/panics", &json!({ "trigger": true })).await;
    assert_error(&answer, 500, "handler_panicked", None);
    assert!(!answer.json.to_string().contains("fell over"));
    let after = post_json(&server, "/panics", &json!({ "trigger": false })).await;
    assert_eq!(after.status, 200);
    assert_eq!(
        after.json["messages"][0]["config"]["textMessages"][0]["text"],
        "still standing"
    );
}

#[tokio::test]
async fn a_reply_that_breaks_chatlayers_rules_is_rejected_loudly() {
    let server = server().await;
    for (path, said) in [
        ("/two-namespaces", "`order` and `user`"),
        ("/internal-namespace", "read-only"),
        ("/not-an-object", "must be a JSON object"),
        ("/no-namespace", "declares no namespace"),
    ] {
        let answer = post_json(&server, path, &json!({})).await;
        assert_error(&answer, 500, "invalid_reply", None);
        let message = answer.json["error"]["message"].as_str().unwrap();
        assert!(message.contains(said), "{path}: {message}");
    }
}

#[tokio::test]
async fn a_step_fallback_turns_every_failure_into_a_jump() {
    let server = server().await;
    let expected = json!({
        "messages": [ { "type": "text", "config": { "textMessages": [ { "text": "Sorry, something went wrong." } ] } } ],
        "action": { "nextDialogstate": "error-block" }
    });
    for body in [
        json!({ "on_error": "error-block" }), // missing amount
        json!({ "on_error": "error-block", "amount": "x" }), // malformed amount
        json!({ "on_error": "error-block", "amount": -1 }), // step error
        json!({ "on_error": "error-block", "amount": 1, "crash": true }), // panic
    ] {
        let answer = post_json(&server, "/guarded", &body).await;
        assert_eq!((answer.status, &answer.json), (200, &expected), "{body}");
    }
    let fine = post_json(
        &server,
        "/guarded",
        &json!({ "on_error": "error-block", "amount": 1 }),
    )
    .await;
    assert_eq!(
        fine.json["messages"][0]["config"]["textMessages"][0]["text"],
        "ok"
    );
}

#[tokio::test]
async fn a_fallback_named_by_its_wire_name_comes_from_query_or_body() {
    let server = server().await;
    let answer = send(
        &server,
        Http::POST,
        "/guarded-by-wire-name?errorBlock=eb",
        None,
        "{}",
    )
    .await;
    assert_eq!(
        (answer.status, &answer.json),
        (200, &json!({ "action": { "nextDialogstate": "eb" } }))
    );
}

#[tokio::test]
async fn without_the_fallback_parameter_the_error_is_answered() {
    let server = server().await;
    let answer = post_json(&server, "/guarded", &json!({ "amount": "x" })).await;
    assert_error(&answer, 400, "invalid_parameter", Some("amount"));
}

#[tokio::test]
async fn an_app_wide_fallback_block_catches_every_step() {
    let app = App::from_steps([strict::STEP, fails::STEP, guarded::STEP])
        .fallback(chatlayer_runtime::Fallback::to("app-fallback").message("Let me get a human."))
        .build()
        .unwrap();
    let server = serve(app).await;
    let expected = json!({
        "messages": [ { "type": "text", "config": { "textMessages": [ { "text": "Let me get a human." } ] } } ],
        "action": { "nextDialogstate": "app-fallback" }
    });
    assert_eq!(
        post_json(&server, "/strict", &json!({})).await.json,
        expected
    );
    assert_eq!(
        post_json(&server, "/fails", &json!({})).await.json,
        expected
    );
    // A step's own fallback parameter and message take precedence.
    let own = post_json(&server, "/guarded", &json!({ "on_error": "own" })).await;
    assert_eq!(own.json["action"]["nextDialogstate"], "own");
    assert_eq!(
        own.json["messages"][0]["config"]["textMessages"][0]["text"],
        "Sorry, something went wrong."
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_json() {
    let server = server().await;
    let unknown = send(&server, Http::POST, "/nope", None, "{}").await;
    assert_error(&unknown, 404, "not_found", None);
    let wrong = reqwest::Client::new()
        .put(server.url("/strict"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 405);
    assert_eq!(wrong.headers()["allow"], "POST");
    assert_eq!(
        wrong.headers()["content-type"],
        "application/json; charset=utf-8"
    );
}

#[tokio::test]
async fn an_oversized_body_is_a_413() {
    let app = App::from_steps([strict::STEP])
        .limits(chatlayer_runtime::Limits::new().body(1024))
        .build()
        .unwrap();
    let server = serve(app).await;
    let big = format!(
        r#"{{"name": "{}", "amount": 1, "flag": true}}"#,
        "x".repeat(4096)
    );
    let answer = send(
        &server,
        Http::POST,
        "/strict",
        Some("application/json"),
        big,
    )
    .await;
    assert_error(&answer, 413, "body_too_large", None);
    let small = post_json(
        &server,
        "/strict",
        &json!({ "name": "n", "amount": 1, "flag": true }),
    )
    .await;
    assert_eq!(small.status, 200);
}

mod declared_session {
    use super::*;
    use serde::Serialize;

    /// What a return stores.
    #[derive(Serialize, schemars::JsonSchema)]
    pub struct ReturnSession {
        pub return_id: String,
        pub reason: String,
    }

    /// What an order stores: another type.
    #[derive(Serialize, schemars::JsonSchema)]
    pub struct OrderSession {
        pub order_id: String,
        pub status: String,
    }

    /// Declares one type and writes another, as a copied step would.
    #[api_step("/start-return", namespace = "return", session = ReturnSession)]
    pub async fn start_return(order_id: String) -> Reply {
        Reply::new().add_session_data(OrderSession {
            order_id,
            status: "delivered".to_owned(),
        })
    }

    /// Declares and writes the same type.
    #[api_step("/file-return", namespace = "return", session = ReturnSession)]
    pub async fn file_return(order_id: String) -> Reply {
        Reply::new().add_session_data(ReturnSession {
            return_id: format!("R-{order_id}"),
            reason: "too small".to_owned(),
        })
    }
}

/// `session = T` is checked against what the reply writes (in debug builds, as tests run):
/// a step declaring `ReturnSession` and writing an `OrderSession` was served silently, and
/// the OpenAPI document disagreed with the wire.
#[tokio::test]
async fn session_data_of_another_type_than_declared_fails_the_step() {
    let app = App::from_steps([
        declared_session::start_return::STEP,
        declared_session::file_return::STEP,
    ])
    .build()
    .unwrap();
    let server = serve(app).await;
    let wrong = post_json(
        &server,
        "/start-return",
        &serde_json::json!({ "order_id": "1001" }),
    )
    .await;
    assert_eq!(wrong.status, 500, "{}", wrong.json);
    assert_eq!(wrong.json["error"]["code"], "invalid_reply");
    let message = wrong.json["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("not the step's declared `session = ReturnSession`")
            && message.contains("session.data.return_id is missing")
            && message.contains("session.data.order_id is not a field of the type"),
        "{message}"
    );
    let right = post_json(
        &server,
        "/file-return",
        &serde_json::json!({ "order_id": "1001" }),
    )
    .await;
    assert_eq!(right.status, 200, "{}", right.json);
    assert_eq!(right.json["session"]["data"]["return_id"], "R-1001");
}
