//! Parameters that no argument reads, over a real socket: logged once per step and name
//! with the likely intended name, or refused where the step or the app denies them.

use chatlayer_runtime::prelude::*;
use chatlayer_tests::logs::Logs;
use chatlayer_tests::{post_json, send, serve};
use serde::Deserialize;

/// Books a slot; the email is optional.
#[api_step("/book")]
async fn book(slot: String, email: Option<String>, context: Context) -> Reply {
    let _ = context;
    Reply::new().add_message(format!("{slot} for {}", email.unwrap_or_default()))
}

/// The same, refusing parameters it does not read.
#[api_step("/book-strict", deny_unknown_params, fallback = on_error)]
async fn book_strict(slot: String, email: Option<String>, on_error: BlockId) -> Reply {
    Reply::new().add_message(format!("{slot} for {}", email.unwrap_or_default()))
}

#[derive(Deserialize)]
struct Booking {
    slot: String,
}

/// Reads its parameters as a struct.
#[api_step("/book-form")]
async fn book_form(form: Params<Booking>) -> Reply {
    Reply::new().add_message(form.0.slot)
}

/// Sees every parameter.
#[api_step("/echo")]
async fn echo(raw: RawRequest) -> Reply {
    Reply::new().add_message(format!("{} parameters", raw.params().len()))
}

fn app() -> App {
    App::from_steps([book::STEP, book_strict::STEP, book_form::STEP, echo::STEP])
        .build()
        .unwrap()
}

/// Before, `"E-mail"` for `email` left `email` empty with nothing logged.
#[tokio::test]
async fn an_unknown_parameter_is_logged_once_per_step_and_name_with_the_likely_name() {
    let logs = Logs::capture();
    let server = serve(app()).await;
    for _ in 0..3 {
        let answer = post_json(
            &server,
            "/book",
            &json!({ "slot": "10:00", "E-mail": "ada@example.com", "sessionId": "s1" }),
        )
        .await;
        assert_eq!(answer.status, 200);
    }
    let said = "parameter \"E-mail\" is not read by this step (did you mean `email`?)";
    assert_eq!(logs.count(said), 1, "{}", logs.text());
    // Context's parameters, a struct's fields and anything a RawRequest sees are read.
    post_json(&server, "/book-form", &json!({ "slot": "10:00" })).await;
    post_json(&server, "/echo", &json!({ "whatever": 1 })).await;
    assert_eq!(logs.count("is not read by this step"), 1, "{}", logs.text());
    post_json(
        &server,
        "/book-form",
        &json!({ "slot": "10:00", "colour": "red" }),
    )
    .await;
    assert_eq!(
        logs.count("parameter \"colour\" is not read"),
        1,
        "{}",
        logs.text()
    );
}

#[tokio::test]
async fn unknown_parameters_are_refused_where_the_step_denies_them() {
    let server = serve(app()).await;
    let body = json!({ "slot": "10:00", "E-mail": "ada@example.com" });
    let refused = send(
        &server,
        reqwest::Method::POST,
        "/book-strict",
        Some("application/json"),
        body.to_string(),
    )
    .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json["error"]["code"], "unknown_parameter");
    assert_eq!(refused.json["error"]["parameter"], "E-mail");
    assert!(
        refused.json["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("did you mean `email`?"),
        "{}",
        refused.json
    );
    // In the query string too; the fallback parameter is known; a fallback catches it.
    let query = send(
        &server,
        reqwest::Method::POST,
        "/book-strict?source=chatlayer",
        None,
        json!({ "slot": "10:00", "on_error": "oops" }).to_string(),
    )
    .await;
    assert_eq!(query.status, 200);
    assert_eq!(query.json["action"]["nextDialogstate"], "oops");
    let fine = post_json(
        &server,
        "/book-strict",
        &json!({ "slot": "10:00", "on_error": "x" }),
    )
    .await;
    assert_eq!(fine.status, 200);
    assert!(fine.json.get("action").is_none(), "{}", fine.json);
}

#[tokio::test]
async fn an_app_can_deny_unknown_parameters_for_every_step() {
    let app = App::from_steps([book::STEP, echo::STEP])
        .deny_unknown_params(true)
        .build()
        .unwrap();
    let server = serve(app).await;
    let refused = post_json(&server, "/book", &json!({ "slot": "1", "slott": "2" })).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json["error"]["code"], "unknown_parameter");
    let context = post_json(&server, "/book", &json!({ "slot": "1", "botId": "b" })).await;
    assert_eq!(context.status, 200, "Context reads botId");
    let raw = post_json(&server, "/echo", &json!({ "anything": 1 })).await;
    assert_eq!(raw.status, 200, "a RawRequest step reads every parameter");
}

/// The parameters the framework itself reads (the `Context` ones: the access line shows
/// `sessionId`) are never unknown, even to a step without a `Context` argument. Before, a
/// strict step refused every request Chatlayer mapped `sessionId` into, and a lenient one
/// called it a typo.
#[tokio::test]
async fn the_frameworks_own_parameters_are_never_unknown() {
    let logs = Logs::capture();
    let server = serve(app()).await;
    let chatlayer_rows = json!({
        "slot": "10:00", "on_error": "x", "sessionId": "s1", "botId": "b1", "channel": "web",
        "language": "en", "locale": "en-us", "version": "LIVE",
    });
    let strict = post_json(&server, "/book-strict", &chatlayer_rows).await;
    assert_eq!(strict.status, 200, "{}", strict.json);
    assert!(strict.json.get("action").is_none(), "{}", strict.json);
    let lenient = post_json(&server, "/book-form", &chatlayer_rows).await;
    assert_eq!(lenient.status, 200, "{}", lenient.json);
    assert_eq!(
        logs.count("\"sessionId\" is not read"),
        0,
        "{}",
        logs.text()
    );
    assert_eq!(logs.count("\"on_error\" is not read"), 1, "{}", logs.text());
    // The list of what a step reads names its own parameters only.
    let refused = post_json(
        &server,
        "/book-strict",
        &json!({ "slot": "1", "slott": "2" }),
    )
    .await;
    let message = refused.json["error"]["message"].as_str().unwrap();
    assert!(!message.contains("sessionId"), "{message}");
}

/// In JSON logs the unknown parameter's field holds its name, as failure events do; it was
/// quoted twice (`"\"E-mail\""`).
#[tokio::test]
async fn json_logs_name_the_unknown_parameter_once_quoted() {
    let logs = Logs::capture_json();
    let server = serve(app()).await;
    post_json(
        &server,
        "/book",
        &json!({ "slot": "1", "E-mail": "ada@example.com" }),
    )
    .await;
    let fields: Vec<serde_json::Value> = logs
        .json_lines()
        .into_iter()
        .filter_map(|line| line.get("fields").cloned())
        .filter(|fields| fields.get("parameter").is_some())
        .collect();
    assert_eq!(fields.len(), 1, "{}", logs.text());
    assert_eq!(fields[0]["parameter"], "E-mail", "{}", logs.text());
}
