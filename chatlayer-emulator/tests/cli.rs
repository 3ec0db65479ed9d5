//! The standalone command, as a team whose backend is not Rust runs it: against a backend
//! at a URL (here the quickstart, served on a real socket).

use std::process::{Command, Output};

use chatlayer_runtime::testing::TestServer;

const QUICKSTART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/quickstart");

fn emulator(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chatlayer-emulator"))
        .args(args)
        .current_dir(QUICKSTART)
        .env("RUST_LOG", "off")
        .output()
        .expect("chatlayer-emulator runs")
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn converse_runs_the_scripts_against_a_backend_url() {
    let server = TestServer::start(quickstart::app().build().unwrap())
        .await
        .unwrap();
    let base = server.url("");
    let output = tokio::task::spawn_blocking(move || {
        emulator(&["converse", "bot.yaml", "convos", "--backend", &base])
    })
    .await
    .unwrap();
    let report = text(&output);
    assert!(output.status.success(), "{report}");
    assert!(report.contains("4 passed, 0 failed"), "{report}");
}

#[test]
fn without_a_backend_it_says_how_to_give_one() {
    let output = emulator(&["converse", "bot.yaml", "convos"]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("give the backend's URL with --backend http://host:port"),
        "{}",
        text(&output)
    );
}

#[test]
fn help_lists_the_commands() {
    let output = emulator(&["help"]);
    assert!(output.status.success());
    let usage = text(&output);
    assert!(
        usage.contains("emulate BOT_FILE [--backend URL]"),
        "{usage}"
    );
    assert!(usage.contains("converse BOT_FILE SCRIPT..."), "{usage}");
    assert!(!usage.contains("--init"), "{usage}");
}
