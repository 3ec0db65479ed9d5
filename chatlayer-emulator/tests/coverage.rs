//! Coverage against a real backend over HTTP: each outcome a step can have (answered, an
//! error code, a fallback, a timeout, unreachable) is told apart, through the Rust API and
//! the standalone command's `--coverage` and `--min-coverage`.

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use chatlayer_emulator::{Backend, BotFile, Conversation, Coverage, Outcome};
use serde_json::json;

mod support;
use support::serve;

/// A menu whose quick replies lead to a step with each outcome; `Never` leads nowhere used.
const BOT: &str = r#"
bot: Outcomes
start: menu
blocks:
  - id: menu
    type: message
    triggers: [menu]
    messages:
      - type: quickReplies
        config:
          textMessages: [{ text: "Which one?" }]
          quickReplies:
            - { type: postback, title: Fine, payload: { nextDialogstateId: fine } }
            - { type: postback, title: Broken, payload: { nextDialogstateId: broken } }
            - { type: postback, title: Fallback, payload: { nextDialogstateId: fallback } }
            - { type: postback, title: Slow, payload: { nextDialogstateId: slow } }
            - { type: postback, title: Away, payload: { nextDialogstateId: away } }
            - { type: postback, title: Never, payload: { nextDialogstateId: never } }
  - { id: fine, type: action, api: { url: /fine }, goto: menu }
  - { id: broken, type: action, api: { url: /broken }, on_error: menu }
  - { id: fallback, type: action, api: { url: /fallback }, goto: menu }
  - { id: slow, type: action, api: { url: /slow }, on_error: menu }
  - { id: away, type: action, api: { url: "http://127.0.0.1:9/away" }, on_error: menu }
  - { id: never, type: action, api: { url: /never }, goto: menu }
"#;

async fn backend() -> String {
    let router = Router::new()
        .route("/fine", post(|| async { axum::Json(json!({})) }))
        .route(
            "/broken",
            post(|| async {
                (
                    StatusCode::BAD_GATEWAY,
                    axum::Json(json!({ "error": { "code": "partner_down", "message": "no" } })),
                )
                    .into_response()
            }),
        )
        .route(
            "/fallback",
            post(|| async {
                (
                    [("x-chatlayer-fallback", "bad_request")],
                    axum::Json(json!({ "nextDialogstate": "menu" })),
                )
                    .into_response()
            }),
        )
        .route(
            "/slow",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                axum::Json(json!({}))
            }),
        );
    serve(router).await
}

#[tokio::test(flavor = "multi_thread")]
async fn each_outcome_of_a_step_is_told_apart() {
    let bot = BotFile::parse(BOT).unwrap();
    let backend = Backend::url(backend().await).timeout(Duration::from_millis(300));
    let mut conversation = Conversation::new(bot.clone(), backend);
    conversation.start().await;
    for title in ["Fine", "Broken", "Fallback", "Slow", "Away", "Fine"] {
        conversation.click(title).await;
        assert_eq!(conversation.current_block(), Some("menu"), "after {title}");
    }
    let mut coverage = Coverage::new(&bot);
    coverage.add(conversation.reached());
    let outcomes = |block: &str| -> Vec<(Outcome, usize)> {
        conversation
            .reached()
            .outcomes(block)
            .map(|(outcome, count)| (outcome.clone(), count))
            .collect()
    };
    assert_eq!(outcomes("fine"), [(Outcome::Answered, 2)]);
    assert_eq!(
        outcomes("broken"),
        [(Outcome::Error("partner_down".to_owned()), 1)]
    );
    assert_eq!(
        outcomes("fallback"),
        [(Outcome::Fallback("bad_request".to_owned()), 1)]
    );
    assert_eq!(outcomes("slow"), [(Outcome::Timeout, 1)]);
    assert_eq!(outcomes("away"), [(Outcome::Unreachable, 1)]);
    assert_eq!(coverage.blocks_missed(), ["never"]);
    let missed: Vec<&str> = coverage
        .choices_missed()
        .iter()
        .map(|choice| choice.title.as_str())
        .collect();
    assert_eq!(missed, ["Never"]);
    // 6 of 7 blocks, 5 of 6 steps, 5 of 6 quick replies.
    assert_eq!(coverage.percent(), 84.2);
    let never = coverage
        .steps()
        .into_iter()
        .find(|step| step.path == "/never")
        .unwrap();
    assert!(!never.called());
}

/// Runs the standalone `converse` with the bot file and `script`, and `extra` arguments.
fn converse(backend: &str, script: &str, extra: &[&str]) -> (bool, String) {
    let mut args = vec![
        "converse",
        "bot.yaml",
        "menu.convo.txt",
        "--backend",
        backend,
    ];
    args.extend(extra);
    support::standalone(
        &format!("coverage-{}", extra.len()),
        &[("bot.yaml", BOT), ("menu.convo.txt", script)],
        &args,
        &[],
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_command_reports_coverage_and_fails_below_the_minimum() {
    let base = backend().await;
    let script = "Two\n\n#me\nFine\n\n#bot\nWhich one?\n\n#me\nBroken\n\n#bot\nCHATLAYER_ERROR partner_down\n";
    let (passed, report) = {
        let base = base.clone();
        tokio::task::spawn_blocking(move || converse(&base, script, &["--coverage"]))
            .await
            .unwrap()
    };
    assert!(passed, "{report}");
    assert!(
        report.contains(
            "coverage 36.8%: blocks 3/7, steps 2/6, buttons and quick replies 2/6\n\
             blocks never reached:\n  fallback (action)\n  slow (action)\n  away (action)\n  \
             never (action)\nsteps:\n  POST /fine: answered x1\n  POST /broken: error \
             `partner_down` x1\n  POST /fallback: never called (from fallback)\n"
        ),
        "{report}"
    );
    assert!(
        report.contains("buttons and quick replies never clicked:\n  menu: Fallback\n"),
        "{report}"
    );

    let (passed, report) =
        tokio::task::spawn_blocking(move || converse(&base, script, &["--min-coverage", "60"]))
            .await
            .unwrap();
    assert!(!passed, "{report}");
    assert!(
        report.contains(
            "the scripts cover 36.8% of the bot file, under the 60% --min-coverage asks: the \
             report above lists what no script reached"
        ),
        "{report}"
    );
}
