//! A backend that answers with megabytes, or a reply that jumps back to its own block, cannot
//! make a conversation grow without end: a turn that adds too much stops, the oldest entries
//! are forgotten past the conversation's allowance, and the page is sent only what it does
//! not have. Driven over real sockets: a hostile backend, the library's `Conversation`, and
//! the standalone command's page.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use chatlayer_emulator::{Backend, BotFile, Conversation};
use serde_json::{Value, json};

mod support;
use support::serve;

const MIB: usize = 1024 * 1024;

/// A reply of about `size` bytes: one message of that length, then `next`.
fn reply(size: usize, next: &str) -> Value {
    json!({
        "messages": [{ "type": "text", "config": { "textMessages": [{ "text": "x".repeat(size) }] } }],
        "action": { "nextDialogstate": next },
    })
}

/// `/again` jumps back to its own block with 1 MiB each time; `/big` answers 3 MiB and
/// goes to the input block `ask`.
async fn hostile_backend() -> String {
    serve(
        Router::new()
            .route("/again", post(|| async { axum::Json(reply(MIB, "again")) }))
            .route("/big", post(|| async { axum::Json(reply(3 * MIB, "ask")) })),
    )
    .await
}

const BOT: &str = r#"
bot: Hostile
start: again
blocks:
  - id: again
    type: action
    api: { method: POST, url: /again }
  - id: big
    type: action
    api: { method: POST, url: /big }
  - id: ask
    type: input
    variable: answer
    messages: [ "Again?" ]
    goto: big
"#;

fn json_size(entries: &[chatlayer_emulator::Entry]) -> usize {
    serde_json::to_vec(entries).unwrap().len()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reply_that_jumps_to_itself_stops_before_filling_memory() {
    let backend = hostile_backend().await;
    let mut conversation = Conversation::new(BotFile::parse(BOT).unwrap(), Backend::url(&backend));
    conversation.start().await;
    let error = format!("{:?}", conversation.last_error().expect("the turn stopped"));
    assert!(
        error.contains("over the 40 MiB one turn may add"),
        "{error}"
    );
    let kept = json_size(conversation.transcript());
    assert!(kept < 48 * MIB, "kept {} MiB", kept / MIB);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_conversation_forgets_its_oldest_entries() {
    let backend = hostile_backend().await;
    let mut conversation = Conversation::new(BotFile::parse(BOT).unwrap(), Backend::url(&backend));
    conversation.start_at("big").await;
    for turn in 0..12 {
        conversation.say(&format!("turn {turn}")).await;
        assert!(conversation.last_error().is_none(), "turn {turn}");
        let kept = json_size(conversation.transcript());
        assert!(
            kept <= 64 * MIB,
            "turn {turn}: kept {} MiB, over 64",
            kept / MIB
        );
    }
    // About 6 MiB a turn (the answer and its message): 12 turns cannot all be kept.
    assert!(conversation.forgotten() > 0);
    let texts = conversation.last_texts();
    assert_eq!(
        texts.len(),
        2,
        "the reply's message, then the input block's"
    );
    assert_eq!(texts[1], "Again?");
}

struct Page {
    child: Child,
    base: String,
}

impl Drop for Page {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn page(backend: &str) -> Page {
    let dir = std::env::temp_dir().join(format!("chatlayer-bounded-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bot.yaml"), BOT).unwrap();
    let address = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let child = Command::new(env!("CARGO_BIN_EXE_chatlayer-emulator"))
        .args(["emulate", "bot.yaml", "--backend", backend])
        .current_dir(&dir)
        .env("CHATLAYER_ADDR", &address)
        .env("RUST_LOG", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let page = Page {
        child,
        base: format!("http://{address}/emulator/api"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{}/bot", page.base)).await.is_err() {
        assert!(Instant::now() < deadline, "the page did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    page
}

async fn post_json(url: String, body: Value) -> (Value, usize) {
    let response = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let bytes = response.bytes().await.unwrap();
    (serde_json::from_slice(&bytes).unwrap(), bytes.len())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_is_sent_what_changed_not_the_whole_transcript() {
    let backend = hostile_backend().await;
    let page = page(&backend).await;
    let (started, _) = post_json(
        format!("{}/conversations", page.base),
        json!({ "start": "big" }),
    )
    .await;
    let id = started["id"].as_u64().unwrap();
    let mut have = started["transcript"].as_array().unwrap().len();
    assert_eq!(started["from"], 0);
    let mut largest = 0;
    for turn in 0..10 {
        let (answer, size) = post_json(
            format!("{}/conversations/{id}/say", page.base),
            json!({ "text": format!("turn {turn}"), "since": have }),
        )
        .await;
        assert_eq!(
            answer["from"].as_u64().unwrap() as usize,
            have,
            "turn {turn}"
        );
        let first = answer["first"].as_u64().unwrap() as usize;
        assert!(first <= have);
        have += answer["transcript"].as_array().unwrap().len();
        assert!(
            answer["turn_start"].as_u64().unwrap() as usize >= first,
            "turn {turn}"
        );
        largest = largest.max(size);
    }
    // Each answer holds one turn (one 3 MiB reply, kept twice: the call and its message),
    // never the 60 MiB the ten turns added.
    assert!(largest < 10 * MIB, "an answer of {} MiB", largest / MIB);

    // Without `since`, the page is sent what is kept, which forgot the oldest entries.
    let whole: Value = reqwest::get(format!("{}/conversations/{id}", page.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        whole["first"].as_u64().unwrap() > 0,
        "nothing was forgotten"
    );
    assert_eq!(whole["from"], whole["first"]);
    assert_eq!(
        whole["first"].as_u64().unwrap() as usize + whole["transcript"].as_array().unwrap().len(),
        have
    );
}
