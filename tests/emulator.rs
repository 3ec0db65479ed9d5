//! The conversation emulator's semantics, one test each: how a reply is applied (session
//! merge, interpolation, order, jump), go-tos, postbacks, read-only `internal`, failed
//! calls (JSON errors with hints, bodies that are not replies, timeouts), and calls over
//! HTTP to a backend that is not a chatlayer-rs app.

use std::time::Duration;

use axum::Router;
use axum::routing::post;
use chatlayer_emulator::Entry;
use chatlayer_emulator::{Backend, BotFile, Conversation};
use chatlayer_runtime::prelude::*;
use chatlayer_runtime::testing::TestServer;
use serde_json::Value;

/// A hand-written backend (any axum router): each path answers a fixed JSON body, except
/// `/echo` (the request body, as a message) and `/slow` (never in time).
fn fixed_backend() -> Router {
    let fixed = |body: Value| post(move || async move { axum::Json(body) });
    Router::new()
        .route(
            "/profile",
            fixed(json!({
                "session": { "namespace": "user", "data": { "plan": "gold" } },
                "messages": [
                    { "type": "text", "config": { "textMessages": [{ "text": "Hi {user.name}, you are on {user.plan}." }] } }
                ],
                "action": { "nextDialogstate": "after" }
            })),
        )
        .route(
            "/internal",
            fixed(json!({ "session": { "namespace": "internal", "data": { "channel": "hacked" } } })),
        )
        .route("/not-a-reply", fixed(json!(["not", "a", "reply"])))
        .route(
            "/refuse",
            post(|| async {
                (
                    axum::http::StatusCode::BAD_REQUEST,
                    axum::Json(json!({ "error": {
                        "code": "missing_parameter",
                        "message": "the parameter `sku` is missing",
                        "hint": "add a Body row `sku` to the API step"
                    } })),
                )
            }),
        )
        .route(
            "/echo",
            post(|body: String| async move {
                axum::Json(json!({ "messages": [
                    { "type": "text", "config": { "textMessages": [{ "text": body }] } }
                ] }))
            }),
        )
        .route(
            "/slow",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                axum::Json(json!({}))
            }),
        )
}

fn bot(yaml: &str) -> BotFile {
    BotFile::parse(yaml).unwrap_or_else(|error| panic!("{error}"))
}

fn action(url: &str, extra: &str) -> String {
    format!(
        "start: call\nsession:\n  user: {{ name: Ada, plan: free }}\nblocks:\n  - id: call\n    type: action\n    api: {{ url: {url} }}\n{extra}  - id: after\n    type: message\n    messages: [\"After: {{user.plan}}\"]\n  - id: oops\n    type: message\n    messages: [\"Something went wrong.\"]\n"
    )
}

#[tokio::test]
async fn a_reply_is_applied_session_first_then_messages_then_the_jump() {
    let mut conversation = Conversation::new(
        bot(&action("/profile", "")),
        Backend::in_process(fixed_backend()),
    );
    let turn = conversation.start().await.to_vec();
    // Merge: `plan` is overwritten, `name` (not in the reply) is kept.
    conversation
        .assert_variable("user.plan", "gold")
        .assert_variable("user.name", "Ada");
    // Interpolation uses the new values, in the reply's messages and the next block's.
    conversation
        .assert_said("Hi Ada, you are on gold.")
        .assert_said("After: gold")
        .assert_block("after");
    let kinds: Vec<&str> = turn
        .iter()
        .map(|entry| match entry {
            Entry::Block { .. } => "block",
            Entry::Exchange(_) => "exchange",
            Entry::Session { .. } => "session",
            Entry::Bot { .. } => "bot",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["block", "exchange", "session", "bot", "block", "bot"],
        "session, then messages, then the jump"
    );
}

#[tokio::test]
async fn an_action_without_a_next_block_follows_its_go_to() {
    let mut conversation = Conversation::new(
        bot(&action("/echo", "    goto: after\n")),
        Backend::in_process(fixed_backend()),
    );
    conversation.start().await;
    conversation
        .assert_no_error()
        .assert_said("After: free")
        .assert_block("after");
}

#[tokio::test]
async fn a_postback_writes_its_params_and_goes_to_its_block() {
    let mut conversation = Conversation::new(
        bot(r#"
blocks:
  - id: ask
    type: message
    messages:
      - type: buttons
        config:
          textMessages: [{ text: "Pick one" }]
          buttons:
            - { type: postback, title: Blue, payload: { nextDialogstateId: picked, params: [{ key: choice.color, value: blue }] } }
  - id: picked
    type: message
    messages: ["You picked {choice.color}."]
"#),
        Backend::url("http://127.0.0.1:9"),
    );
    conversation.start().await;
    conversation.click("blue").await;
    conversation
        .assert_variable("choice.color", "blue")
        .assert_said("You picked blue.")
        .assert_block("picked")
        .assert_variable("internal.messageType", "postback")
        .assert_variable("internal.currentDialogstate.id", "picked")
        .assert_variable("internal.previousDialogstate.id", "ask");
}

#[tokio::test]
async fn internal_is_read_only() {
    let mut conversation = Conversation::new(
        bot(&action("/internal", "    goto: after\n")),
        Backend::in_process(fixed_backend()),
    );
    conversation.start().await;
    conversation.assert_variable("internal.channel", "web");
    let noted = conversation.last_turn().iter().any(
        |entry| matches!(entry, Entry::Note { text } if text.contains("`internal`, which is read-only")),
    );
    assert!(noted, "the transcript says the write was ignored");
}

#[tokio::test]
async fn a_json_error_stops_the_conversation_with_its_code_and_hint() {
    let mut conversation = Conversation::new(
        bot(&action("/refuse", "")),
        Backend::in_process(fixed_backend()),
    );
    conversation.start().await;
    let error = conversation.last_error().cloned();
    let Some(Entry::Error {
        block,
        message,
        code,
        hint,
    }) = error
    else {
        panic!("expected an error")
    };
    assert_eq!(block, "call");
    assert_eq!(message, "HTTP 400: the parameter `sku` is missing");
    assert_eq!(code.as_deref(), Some("missing_parameter"));
    assert_eq!(
        hint.as_deref(),
        Some("add a Body row `sku` to the API step")
    );
    assert_eq!(conversation.waiting(), chatlayer_emulator::Waiting::Stopped);
    conversation.say("hello").await;
    conversation.assert_error("stopped at an error");
}

#[tokio::test]
async fn a_bot_file_can_route_errors_to_a_block() {
    let mut conversation = Conversation::new(
        bot(&action("/refuse", "    on_error: oops\n")),
        Backend::in_process(fixed_backend()),
    );
    conversation.start().await;
    conversation
        .assert_error("missing_parameter")
        .assert_said("Something went wrong.")
        .assert_block("oops");
}

#[tokio::test]
async fn a_body_that_is_not_a_reply_is_an_error() {
    let mut conversation = Conversation::new(
        bot(&action("/not-a-reply", "")),
        Backend::in_process(fixed_backend()),
    );
    conversation.start().await;
    conversation.assert_error("is not a Chatlayer reply");
}

#[tokio::test]
async fn no_answer_within_the_timeout_is_an_error() {
    let mut conversation = Conversation::new(
        bot(&action("/slow", "")),
        Backend::in_process(fixed_backend()).timeout(Duration::from_millis(200)),
    );
    conversation.start().await;
    conversation.assert_error("no answer within 0.2 s");
    let statuses: Vec<Option<u16>> = conversation
        .exchanges()
        .map(|exchange| exchange.status)
        .collect();
    assert_eq!(statuses, [None], "the exchange is kept, with no status");
}

#[tokio::test]
async fn a_jump_to_a_block_the_bot_file_lacks_is_an_error_naming_it() {
    let mut conversation = Conversation::new(
        bot("blocks:\n  - id: call\n    type: action\n    api: { url: /profile }\n"),
        Backend::in_process(fixed_backend()),
    );
    conversation.start().await;
    conversation.assert_error("sent to the block `after`, which the bot file does not have");
}

#[tokio::test]
async fn rows_become_the_query_the_body_the_headers_and_the_authorization() {
    let mut conversation = Conversation::new(
        bot(r#"
session:
  cart: { sku: A1, count: 2 }
blocks:
  - id: call
    type: action
    api:
      method: POST
      url: /echo?fixed=1
      query:
        - { key: source, type: text, value: Chatlayer }
      body:
        - { key: sku, type: variable, value: cart.sku }
        - { key: count, type: variable, value: cart.count }
        - { key: missing, type: variable, value: cart.nothing }
        - { key: next, type: dialogstate, value: done }
      headers:
        - { key: x-api-key, type: text, value: secret }
      auth: { type: basic, username: bot, password: pw }
  - id: done
    type: message
    messages: [done]
"#),
        Backend::in_process(fixed_backend()),
    );
    conversation.start().await;
    let exchange = conversation.exchanges().next().unwrap().clone();
    assert_eq!(exchange.request.url, "/echo?fixed=1&source=Chatlayer");
    assert_eq!(
        exchange.request.body,
        Some(json!({ "sku": "A1", "count": 2, "next": "done" }))
    );
    assert!(
        exchange
            .request
            .headers
            .contains(&("x-api-key".into(), "secret".into()))
    );
    // The transcript (what the page and `converse` show) hides the credentials; the
    // request carried them.
    assert!(
        exchange
            .request
            .headers
            .contains(&("authorization".into(), "Basic [hidden]".into()))
    );
    // The backend saw the same body.
    conversation.assert_said(r#"{"count":2,"next":"done","sku":"A1"}"#);
    let noted = conversation.transcript().iter().any(
        |entry| matches!(entry, Entry::Note { text } if text.contains("`cart.nothing`, which is not set")),
    );
    assert!(noted);
}

#[tokio::test]
async fn input_blocks_store_the_answer_and_conditions_route_on_it() {
    let mut conversation = Conversation::new(
        bot(r#"
blocks:
  - id: ask
    type: input
    messages: ["How old are you?"]
    variable: user.age
    goto: check
  - id: check
    type: condition
    rules:
      - { variable: user.age, less_than: 18, goto: young }
      - { variable: user.age, equals: 18, goto: exactly }
    goto: adult
  - { id: young, type: message, messages: ["Young"] }
  - { id: exactly, type: message, messages: ["Just 18"] }
  - { id: adult, type: message, messages: ["Adult"] }
  - { id: help, type: message, messages: ["Help is here"], triggers: [help] }
"#),
        Backend::url("http://127.0.0.1:9"),
    );
    conversation.start().await;
    assert_eq!(conversation.waiting(), chatlayer_emulator::Waiting::Input);
    conversation.say("18").await;
    conversation
        .assert_variable("user.age", "18")
        .assert_said("Just 18");
    conversation.say("help").await;
    conversation.assert_said("Help is here");
    conversation.say("what?").await;
    conversation.assert_error("the emulator has no NLP");
}

/// The same bot file against a backend over HTTP: any server, here a chatlayer-rs app on a
/// real socket, so the request is a real HTTP request with its real answer.
#[tokio::test]
async fn calls_go_over_http_to_a_base_url() {
    #[api_step("/greet", namespace = "greeting")]
    fn greet(name: String, next: BlockId) -> Reply {
        Reply::new()
            .add_session_data(json!({ "done": true }))
            .add_message(format!("Hello {name}!"))
            .set_next_dialog_state(next)
    }
    let server = TestServer::start(App::from_steps([greet::STEP]).build().unwrap())
        .await
        .unwrap();
    let mut conversation = Conversation::new(
        bot(
            "blocks:\n  - id: call\n    type: action\n    api:\n      url: /greet\n      body:\n        - { key: name, type: text, value: Ada }\n        - { key: next, type: dialogstate, value: end }\n  - { id: end, type: message, messages: [\"Done: {greeting.done}\"] }\n",
        ),
        Backend::url(server.url("")),
    );
    conversation.start().await;
    conversation
        .assert_no_error()
        .assert_said("Hello Ada!")
        .assert_said("Done: true")
        .assert_block("end");
    let urls: Vec<&str> = conversation
        .exchanges()
        .map(|exchange| exchange.request.url.as_str())
        .collect();
    assert_eq!(urls, [server.url("/greet")]);
}

#[tokio::test]
async fn an_unreachable_backend_is_an_error_naming_it() {
    let mut conversation = Conversation::new(
        bot(&action("/profile", "")),
        Backend::url("http://127.0.0.1:9"),
    );
    conversation.start().await;
    conversation.assert_error("cannot reach http://127.0.0.1:9/profile");
}

#[test]
fn a_bot_file_with_a_misplaced_key_says_which_block_and_key() {
    let error = BotFile::parse(
        "blocks:\n  - id: ask\n    type: message\n    messages: [hi]\n    variable: x\n",
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "block `ask`: `variable` does not apply to a message block (it takes `messages`)"
    );
}
