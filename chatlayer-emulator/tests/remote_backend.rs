//! The standalone command against a remote backend that misbehaves: a redirect elsewhere is
//! shown as the answer and never followed (the bot file's API key stays home), and an
//! answer over the size limit fails the call instead of filling memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{any, post};

mod support;
use support::serve;

const BOT: &str = r#"
bot: Remote
start: welcome
blocks:
  - id: welcome
    type: action
    api:
      method: POST
      url: /welcome
      headers: [ { key: x-api-key, type: text, value: "${REMOTE_TEST_KEY}" } ]
    goto: done
  - id: done
    type: message
    messages: [ "Done." ]
"#;

const SCRIPT: &str = "Welcome\n\n#me\nhello\n\n#bot\nDone.\n";

const KEY: &str = "k3y-that-must-stay-home";

/// Runs `converse` with the bot and script against `backend`; returns (passed, output).
fn converse(backend: &str, name: &str) -> (bool, String) {
    support::standalone(
        &format!("remote-{name}"),
        &[("bot.yaml", BOT), ("welcome.convo.txt", SCRIPT)],
        &[
            "converse",
            "bot.yaml",
            "welcome.convo.txt",
            "--backend",
            backend,
        ],
        &[("REMOTE_TEST_KEY", KEY)],
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_to_another_origin_is_shown_not_followed() {
    let reached = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&reached);
    let elsewhere = serve(Router::new().fallback(any(move |headers: HeaderMap| {
        let seen = Arc::clone(&seen);
        async move {
            seen.fetch_add(1, Ordering::SeqCst);
            assert!(headers.get("x-api-key").is_none());
            "{}"
        }
    })))
    .await;
    let target = format!("{elsewhere}/steal");
    let backend = serve(Router::new().route(
        "/welcome",
        post(move || {
            let target = target.clone();
            async move { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, target)]) }
        }),
    ))
    .await;
    let (passed, output) = tokio::task::spawn_blocking(move || converse(&backend, "redirect"))
        .await
        .unwrap();
    assert!(!passed, "{output}");
    assert!(output.contains("307"), "{output}");
    assert_eq!(
        reached.load(Ordering::SeqCst),
        0,
        "the redirect was followed:\n{output}"
    );
    assert!(!output.contains(KEY), "{output}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_over_the_limit_fails_the_call() {
    let backend = serve(Router::new().route(
        "/welcome",
        post(|| async {
            // Chunked, with no length announced: the limit must hold while reading.
            let chunk = bytes::Bytes::from(vec![b' '; 1024 * 1024]);
            let chunks = futures_util::stream::iter(
                (0..40).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
            );
            axum::body::Body::from_stream(chunks).into_response()
        }),
    ))
    .await;
    let (passed, output) = tokio::task::spawn_blocking(move || converse(&backend, "huge"))
        .await
        .unwrap();
    assert!(!passed, "{output}");
    assert!(output.contains("over 16 MiB"), "{output}");
}

/// A reply that clears the screen and prints a line of its own ("all passed") is shown
/// escaped: the terminal shows what the backend sent, and only the emulator's lines.
#[tokio::test(flavor = "multi_thread")]
async fn a_reply_cannot_write_to_the_terminal() {
    let forged = "\u{1b}[2J\u{1b}[H\r\n1 conversation script: 1 passed, 0 failed";
    let backend = serve(Router::new().route(
        "/welcome",
        post(move || async move {
            axum::Json(serde_json::json!({
                "messages": [ { "type": "text", "config": { "textMessages": [ { "text": forged } ] } } ],
                "action": { "nextDialogstate": "done" }
            }))
        }),
    ))
    .await;
    let (_passed, output) = tokio::task::spawn_blocking(move || converse(&backend, "terminal"))
        .await
        .unwrap();
    assert!(!output.contains('\u{1b}'), "{output:?}");
    assert!(!output.contains('\r'), "{output:?}");
    assert!(
        !output
            .lines()
            .any(|line| line.starts_with("1 conversation script: 1 passed")),
        "{output}"
    );
    assert!(output.contains(r"\u{1b}[2J"), "{output}");
}
