//! What a fallback block tells the user and the bot builder, over a real socket: a step's
//! own user message reaches the user, every fallback says why (header and log line with the
//! fix), and request errors can go to Chatlayer's error log instead.

use chatlayer_runtime::prelude::*;
use chatlayer_tests::logs::Logs;
use chatlayer_tests::{post_json, serve};

/// Books a slot; the slot `taken` is always taken.
#[api_step("/book", fallback = on_error, fallback_message = "Sorry, something went wrong.")]
async fn book(slot: String, on_error: BlockId) -> Result<Reply, StepError> {
    if slot == "taken" {
        return Err(
            StepError::bad_request(format!("slot {slot} is already booked"))
                .with_user_message("Sorry, that slot was just taken. Please pick another one."),
        );
    }
    if slot == "broken" {
        return Err(StepError::bad_request("the calendar refused the slot"));
    }
    Ok(Reply::new().add_message(format!("Booked {slot}.")))
}

fn text_of(reply: &serde_json::Value) -> &str {
    reply["messages"][0]["config"]["textMessages"][0]["text"]
        .as_str()
        .unwrap()
}

/// Before, every failure showed the static fallback message: "slot already taken" could not
/// reach the user.
#[tokio::test]
async fn the_errors_own_user_message_reaches_the_user() {
    let server = serve(App::from_steps([book::STEP]).build().unwrap()).await;
    let taken = post_json(
        &server,
        "/book",
        &json!({ "slot": "taken", "on_error": "pick" }),
    )
    .await;
    assert_eq!(taken.status, 200);
    assert_eq!(
        text_of(&taken.json),
        "Sorry, that slot was just taken. Please pick another one."
    );
    assert_eq!(taken.json["action"]["nextDialogstate"], "pick");
    let broken = post_json(
        &server,
        "/book",
        &json!({ "slot": "broken", "on_error": "pick" }),
    )
    .await;
    assert_eq!(text_of(&broken.json), "Sorry, something went wrong.");
}

/// A fallback answer names its cause in a header, and the log line says what to fix.
#[tokio::test]
async fn every_fallback_says_why_in_a_header_and_in_the_log() {
    let logs = Logs::capture();
    let server = serve(App::from_steps([book::STEP]).build().unwrap()).await;
    let response = reqwest::Client::new()
        .post(server.url("/book"))
        .json(&json!({ "on_error": "pick" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["x-chatlayer-fallback"],
        "missing_parameter"
    );
    let ok = reqwest::Client::new()
        .post(server.url("/book"))
        .json(&json!({ "slot": "10:00", "on_error": "pick" }))
        .send()
        .await
        .unwrap();
    assert!(ok.headers().get("x-chatlayer-fallback").is_none());
    let text = logs.text();
    let line = text
        .lines()
        .find(|line| line.contains("answering with the fallback block"))
        .unwrap_or_else(|| panic!("no fallback line in:\n{text}"));
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains("code=\"missing_parameter\""), "{line}");
    assert!(
        line.contains("add a Body or Query row with key `slot` to the API step"),
        "the fix is in the line: {line}"
    );
}

/// Configuration errors (a missing or malformed parameter) can answer their 4xx, which
/// Chatlayer lists in the bot's error log, while failures of the step still fall back.
#[tokio::test]
async fn request_errors_can_go_to_chatlayers_error_log_instead() {
    let app = App::from_steps([book::STEP])
        .fallback(chatlayer_runtime::Fallback::none().request_errors(false))
        .build()
        .unwrap();
    let server = serve(app).await;
    let missing = post_json(&server, "/book", &json!({ "on_error": "pick" })).await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.json["error"]["code"], "missing_parameter");
    let taken = post_json(
        &server,
        "/book",
        &json!({ "slot": "taken", "on_error": "pick" }),
    )
    .await;
    assert_eq!(taken.status, 200);
    assert_eq!(taken.json["action"]["nextDialogstate"], "pick");
}

/// The log capture the tests above rely on: a line that a thread without a subscriber
/// reached first (as a test running beside them does) is still captured here. `tracing`
/// had cached it as of no interest, for the whole process.
#[test]
fn a_line_reached_first_by_a_thread_without_a_subscriber_is_still_captured() {
    fn say() {
        tracing::warn!("a line reached first elsewhere");
    }
    // This test's capture is the process's only subscriber, and a thread with none (another
    // test's) reaches the line first.
    let logs = Logs::capture();
    std::thread::spawn(say).join().unwrap();
    say();
    assert_eq!(
        logs.count("a line reached first elsewhere"),
        1,
        "{}",
        logs.text()
    );
}
