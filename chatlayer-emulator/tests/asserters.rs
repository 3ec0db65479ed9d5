//! Botium's `JSON_PATH`, `JSON_PATH_COUNT` and `TEXT_REGEXP_*` asserters, run against a real
//! backend over HTTP: what holds passes, what does not fails with what was found, and what
//! the runner cannot read is refused when the script is read.

use axum::Router;
use axum::routing::post;
use chatlayer_emulator::{Backend, BotFile, Script};
use serde_json::json;

mod support;
use support::serve;

const BOT: &str = r#"
bot: Orders
start: welcome
blocks:
  - { id: welcome, type: message, messages: ["Hello! Order 1234 is ready."], goto: order }
  - { id: order, type: action, api: { url: /order }, goto: ask }
  - { id: ask, type: input, messages: ["Anything else?"], variable: answer, goto: echo }
  - { id: echo, type: message, messages: ["You said {answer}."] }
"#;

async fn backend() -> String {
    let router = Router::new().route(
        "/order",
        post(|| async {
            axum::Json(json!({
                "session": { "namespace": "order", "data": { "total": 118, "items": ["A1", "B2"], "note": null } },
                "messages": [{ "type": "text", "config": { "textMessages": [{ "text": "Order id1_123 placed." }] } }],
            }))
        }),
    );
    serve(router).await
}

/// Runs a script whose second `#bot` (the step's message) holds `checks`; `Ok` when it
/// passes, else the failure.
async fn run(backend: &str, checks: &str) -> Result<(), String> {
    let text = format!("T\n\n#bot\nHello\n\n#bot\n{checks}\n");
    let script = Script::parse("t.convo.txt", &text)?;
    let report = script
        .run(&BotFile::parse(BOT).unwrap(), &Backend::url(backend))
        .await;
    match report.failure {
        None => Ok(()),
        Some(failure) => Err(failure.to_string()),
    }
}

#[tokio::test]
async fn json_path_reads_the_reply_of_the_step_that_sent_the_message() {
    let base = backend().await;
    for passes in [
        "JSON_PATH $.session.data.total|118",
        "JSON_PATH $.session.data.total",
        "JSON_PATH $.session.data.items[*]|B2",
        "JSON_PATH $.messages[0].type|text",
        "!JSON_PATH $.session.data.missing",
        "!JSON_PATH $.session.data.total|119",
        "JSON_PATH $.session.data.note|",
        "JSON_PATH_COUNT $.session.data.items|2",
        "JSON_PATH_COUNT $.session.data.items|>=1",
        "!JSON_PATH_COUNT $.session.data.total|1",
    ] {
        run(&base, passes)
            .await
            .unwrap_or_else(|failure| panic!("{passes}: {failure}"));
    }
    let failure = run(&base, "JSON_PATH $.session.data.total|200")
        .await
        .unwrap_err();
    assert!(
        failure.contains("the step's reply differs")
            && failure.contains("expected: 200 at $.session.data.total")
            && failure.contains("actual:   118"),
        "{failure}"
    );
    let failure = run(&base, "JSON_PATH $.nothing.here").await.unwrap_err();
    assert!(failure.contains("(nothing at that path)"), "{failure}");
}

#[tokio::test]
async fn json_path_on_a_message_block_fails_saying_it_has_no_reply() {
    let base = backend().await;
    let script = Script::parse("t.convo.txt", "T\n\n#bot\nJSON_PATH $.anything\n").unwrap();
    let report = script
        .run(&BotFile::parse(BOT).unwrap(), &Backend::url(&base))
        .await;
    let failure = report.failure.expect("no reply to read").to_string();
    assert!(
        failure.contains("comes from the block `welcome` itself, not from a step's reply"),
        "{failure}"
    );
}

#[tokio::test]
async fn text_regexp_matches_as_javascript_does() {
    let base = backend().await;
    for passes in [
        r"TEXT_REGEXP_ANY id1_\d\d\d|id2_\d\d\d",
        r"TEXT_REGEXP_ALL ^Order|placed\.$",
        r"TEXT_REGEXP_ANY_IC ORDER ID1_\d+",
        r"!TEXT_REGEXP_ANY id2_\d\d\d",
        r"TEXT_REGEXP_ANY (placed\|sent)",
    ] {
        run(&base, passes)
            .await
            .unwrap_or_else(|failure| panic!("{passes}: {failure}"));
    }
    let failure = run(&base, r"TEXT_REGEXP_ALL id1_\d+|sent")
        .await
        .unwrap_err();
    assert!(failure.contains("the text differs"), "{failure}");
}

#[test]
fn what_the_runner_cannot_read_is_refused_with_its_line() {
    for (line, why) in [
        ("TEXT_REGEXP_ANY (?=x)", "lookaround"),
        ("TEXT_REGEXP_ANY (a)\\1", "backreference"),
        ("JSON_PATH $.a[?", "not a JSONPath this runner reads"),
        ("JSON_PATH", "takes a JSONPath"),
        (
            "TEXT_REGEXP_ANY (placed|sent)",
            "write `\\|` for an alternation",
        ),
        ("JSON_PATH_COUNT $.a|many", "write the count"),
    ] {
        let error = Script::parse("t.convo.txt", &format!("T\n\n#bot\n{line}\n")).unwrap_err();
        assert!(
            error.starts_with("t.convo.txt:4:") && error.contains(why),
            "{line}: {error}"
        );
    }
}

/// botium.json's `SCRIPTING_MATCHING_MODE: regexp` compares every bot text as a pattern.
#[tokio::test]
async fn the_regexp_matching_mode_compares_texts_as_patterns() {
    let base = backend().await;
    let dir = support::folder(
        "regexp-mode",
        &[
            (
                "botium.json",
                r#"{ "botium": { "Capabilities": { "SCRIPTING_MATCHING_MODE": "regexpIgnoreCase" } } }"#,
            ),
            (
                "pass.convo.txt",
                "T\n\n#bot\n^hello! order \\d{4}\n\n#bot\nID1_\\d+ PLACED\n",
            ),
            ("fail.convo.txt", "T\n\n#bot\n^order\n"),
            ("invalid.convo.txt", "T\n\n#bot\n(?=x)\n"),
        ],
    );
    let (passing, failing, invalid) = (
        dir.join("pass.convo.txt"),
        dir.join("fail.convo.txt"),
        dir.join("invalid.convo.txt"),
    );
    let bot = BotFile::parse(BOT).unwrap();
    let backend = Backend::url(&base);
    let passed = Script::load(&passing).unwrap().run(&bot, &backend).await;
    assert!(passed.passed(), "{:?}", passed.failure);
    let failed = Script::load(&failing).unwrap().run(&bot, &backend).await;
    assert!(!failed.passed());
    let error = Script::load(&invalid).unwrap_err();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        error.contains("invalid.convo.txt:4:") && error.contains("lookaround"),
        "{error}"
    );
}

/// `ASSIGN_SCRIPTING_MEMORY` takes a value from the message (its text, or the step's reply as
/// `sourceData`), and later sections use it.
#[tokio::test]
async fn assign_scripting_memory_takes_a_value_from_the_message() {
    let base = backend().await;
    let dir = support::folder(
        "assign",
        &[
            (
                "botium.json",
                r#"{ "botium": { "Capabilities": { "SCRIPTING_ENABLE_MEMORY": true } } }"#,
            ),
            (
                "assign.convo.txt",
                "T\n\n#bot\nHello\n\n#bot\nASSIGN_SCRIPTING_MEMORY total|$.sourceData.session.data.total\n\
                 ASSIGN_SCRIPTING_MEMORY said|$.messageText\n\n#me\n$total for $said\n\n#bot\n\
                 You said 118 for Order id1_123 placed..\n",
            ),
            (
                "missing.convo.txt",
                "T\n\n#bot\nASSIGN_SCRIPTING_MEMORY total|$.sourceData.total\n",
            ),
        ],
    );
    let (script, missing) = (dir.join("assign.convo.txt"), dir.join("missing.convo.txt"));
    let bot = BotFile::parse(BOT).unwrap();
    let backend = Backend::url(&base);
    let passed = Script::load(&script).unwrap().run(&bot, &backend).await;
    let failed = Script::load(&missing).unwrap().run(&bot, &backend).await;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(passed.passed(), "{:?}", passed.failure);
    let failure = failed.failure.expect("no value there").to_string();
    assert!(
        failure.contains("ASSIGN_SCRIPTING_MEMORY found nothing at `$.sourceData.total`")
            && failure.contains("\"messageText\":\"Hello! Order 1234 is ready.\""),
        "{failure}"
    );
}
