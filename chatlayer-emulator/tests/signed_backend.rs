//! A backend that verifies HMAC signatures, called by the emulator: the bot file's
//! `signature:` signs each call (its secret from `${NAME}`, given by a test with
//! `BotFile::with_value` or by the environment), and an app called in-process signs with its
//! own verifier. The backend is the quickstart, served on a real socket with signatures on.

use std::process::Command;

use chatlayer_emulator::{Backend, BotFile, Conversation};
use chatlayer_runtime::config::{Environment, Variable};
use chatlayer_runtime::testing::TestServer;

const SECRET: &str = "emulator-signing-secret";

const BOT: &str = r#"
bot: Signed
start: welcome
signature:
  secret: "${SIGNED_TEST_SECRET}"
  covers: request
blocks:
  - id: welcome
    type: action
    api:
      method: POST
      url: /welcome
      query: [ { key: language, type: text, value: en } ]
    goto: done
  - id: done
    type: message
    messages: [ "Done." ]
"#;

fn signing_app(covers: &str) -> chatlayer_runtime::App {
    let environment = Environment::empty()
        .with(Variable::SignatureSecret, SECRET)
        .with(Variable::SignatureCovers, covers);
    quickstart::app().environment(environment).build().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bot_files_signature_signs_each_call() {
    let server = TestServer::start(signing_app("request")).await.unwrap();
    let bot = BotFile::parse(BOT).unwrap();

    let mut signed = Conversation::new(
        bot.clone().with_value("SIGNED_TEST_SECRET", SECRET),
        Backend::url(server.url("")),
    );
    signed.start().await;
    assert!(signed.last_error().is_none(), "{:?}", signed.last_error());
    assert_eq!(signed.current_block(), Some("done"));
    let exchange = signed.exchanges().next().unwrap();
    assert!(
        exchange
            .request
            .headers
            .iter()
            .any(|(name, _)| name == "x-chatlayer-signature"),
        "{:?}",
        exchange.request.headers
    );

    let mut wrong = Conversation::new(
        bot.with_value("SIGNED_TEST_SECRET", "another-secret"),
        Backend::url(server.url("")),
    );
    wrong.start().await;
    let error = format!("{:?}", wrong.last_error());
    assert!(error.contains("HTTP 401"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_secret_names_how_to_give_it() {
    let server = TestServer::start(signing_app("request")).await.unwrap();
    let mut conversation =
        Conversation::new(BotFile::parse(BOT).unwrap(), Backend::url(server.url("")));
    conversation.start().await;
    let error = format!("{:?}", conversation.last_error());
    assert!(error.contains("SIGNED_TEST_SECRET"), "{error}");
    assert!(error.contains("BotFile::with_value"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_in_process_signs_with_its_own_verifier() {
    // No `signature:` in the file: the app's verifier signs, over the body only here.
    let bot = BotFile::parse(
        "start: welcome\nblocks:\n  - id: welcome\n    type: action\n    api: { method: POST, url: /welcome, body: [ { key: language, type: text, value: en } ] }\n    goto: done\n  - id: done\n    type: message\n    messages: [ Done. ]\n",
    )
    .unwrap();
    let app = signing_app("body");
    let mut conversation = Conversation::new(bot, Backend::in_process(&app));
    conversation.start().await;
    assert!(
        conversation.last_error().is_none(),
        "{:?}",
        conversation.last_error()
    );
    assert_eq!(conversation.current_block(), Some("done"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_standalone_command_signs_with_the_secret_from_the_environment() {
    let server = TestServer::start(signing_app("request")).await.unwrap();
    let dir = std::env::temp_dir().join(format!("chatlayer-signed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bot.yaml"), BOT).unwrap();
    std::fs::write(
        dir.join("welcome.convo.txt"),
        "Welcome\n\n#bot\nWelcome to our shop!\n\n#bot\nDone.\n",
    )
    .unwrap();
    let base = server.url("");
    let run = move |secret: &str| {
        Command::new(env!("CARGO_BIN_EXE_chatlayer-emulator"))
            .args([
                "converse",
                "bot.yaml",
                "welcome.convo.txt",
                "--backend",
                &base,
            ])
            .current_dir(&dir)
            .env("SIGNED_TEST_SECRET", secret)
            .env("RUST_LOG", "off")
            .output()
            .unwrap()
    };
    let (good, bad) = tokio::task::spawn_blocking(move || (run(SECRET), run("wrong")))
        .await
        .unwrap();
    let text = |output: &std::process::Output| {
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr)
    };
    assert!(good.status.success(), "{}", text(&good));
    assert!(!text(&good).contains(SECRET), "{}", text(&good));
    assert!(!bad.status.success(), "{}", text(&bad));
    assert!(text(&bad).contains("401"), "{}", text(&bad));
}
