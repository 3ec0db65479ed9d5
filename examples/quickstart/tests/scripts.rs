//! The quickstart's conversation scripts, run by its own binary as a CI job would:
//! `quickstart converse examples/quickstart/bot.yaml examples/quickstart/convos`, in-process
//! and over HTTP, and a script with a wrong expectation failing with its turn and diff.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use chatlayer_runtime::testing::TestServer;
use support::{quickstart, text};

const DIR: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn the_scripts_pass_in_process() {
    let output = quickstart(["converse", "bot.yaml", "convos"]);
    let report = text(&output);
    assert!(output.status.success(), "{report}");
    assert!(
        report.contains("6 conversation scripts: 6 passed, 0 failed (steps: in-process)"),
        "{report}"
    );
    assert!(
        report.contains("== Order a product (convos/order.convo.txt)"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scripts_pass_over_http() {
    let server = TestServer::start(quickstart::app().build().unwrap())
        .await
        .unwrap();
    let base = server.url("");
    let output = tokio::task::spawn_blocking(move || {
        quickstart(["converse", "bot.yaml", "convos", "--backend", &base])
    })
    .await
    .unwrap();
    let report = text(&output);
    assert!(output.status.success(), "{report}");
    assert!(
        report.contains(&format!("6 passed, 0 failed (steps: {})", server.url(""))),
        "{report}"
    );
}

#[test]
fn a_wrong_expectation_fails_naming_the_turn_and_the_difference() {
    let script = std::env::temp_dir().join(format!("wrong-{}.convo.txt", std::process::id()));
    std::fs::write(
        &script,
        "Wrong total\n\n#me\nOrder a product\n\n#me\nA1\n\n#me\n2\n\n#bot\nYou ordered 3 x Red sneakers\n",
    )
    .unwrap();
    let output = quickstart(["converse", "bot.yaml", script.to_str().unwrap()]);
    let _ = std::fs::remove_file(&script);
    let report = text(&output);
    assert!(!output.status.success(), "{report}");
    let expected = format!(
        "FAIL {}:12: turn 4: line 13: the text differs\n    expected: You ordered 3 x Red sneakers\n    actual:   You ordered 2 x Red sneakers for EUR 118.00.",
        script.display()
    );
    assert!(report.contains(&expected), "{report}");
    assert!(
        report.contains("1 of 1 conversation scripts failed"),
        "{report}"
    );
}

#[test]
fn the_starter_file_command_writes_a_file_that_loads() {
    let file = std::env::temp_dir().join(format!("starter-{}.yaml", std::process::id()));
    let output = quickstart(["emulate", "--init", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    let bot = chatlayer_emulator::BotFile::load(&file);
    let _ = std::fs::remove_file(&file);
    assert_eq!(bot.unwrap().start(), "start");
    assert!(Path::new(DIR).join("bot.yaml").exists());
}

/// With signatures on, `converse` signs each call as the app verifies it, in-process and
/// over HTTP (the same app's settings), query strings included when the whole request is
/// signed.
#[tokio::test(flavor = "multi_thread")]
async fn the_scripts_pass_when_the_app_verifies_signatures() {
    const SECRET: &str = "scripts-signing-secret";
    let signed = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_quickstart"))
            .args(args)
            .current_dir(DIR)
            .env("RUST_LOG", "off")
            .env("CHATLAYER_SIGNATURE_SECRET", SECRET)
            .env("CHATLAYER_SIGNATURE_COVERS", "request")
            .output()
            .expect("the quickstart runs")
    };
    let output = signed(&["converse", "bot.yaml", "convos"]);
    let passed = |output: Output| {
        let report = text(&output);
        assert!(output.status.success(), "{report}");
        assert!(report.contains("6 passed, 0 failed"), "{report}");
    };
    passed(output);

    let environment = chatlayer_runtime::config::Environment::empty()
        .with(chatlayer_runtime::config::Variable::SignatureSecret, SECRET)
        .with(
            chatlayer_runtime::config::Variable::SignatureCovers,
            "request",
        );
    let server = TestServer::start(quickstart::app().environment(environment).build().unwrap())
        .await
        .unwrap();
    let base = server.url("");
    let output = tokio::task::spawn_blocking(move || {
        signed(&["converse", "bot.yaml", "convos", "--backend", &base])
    })
    .await
    .unwrap();
    passed(output);

    // The server checks: without the secret, the same scripts are refused.
    let base = server.url("");
    let output = tokio::task::spawn_blocking(move || {
        quickstart(["converse", "bot.yaml", "convos", "--backend", &base])
    })
    .await
    .unwrap();
    let report = text(&output);
    assert!(!output.status.success(), "{report}");
    assert!(report.contains("HTTP 401"), "{report}");
}

/// A failed check reads as English, for one thing or many, and for what the script rules
/// out ("the buttons differs" before).
#[test]
fn a_failed_check_says_what_differs_in_plain_words() {
    let run = |name: &str, script: &str| {
        let path = std::env::temp_dir().join(format!("{name}-{}.convo.txt", std::process::id()));
        std::fs::write(&path, script).unwrap();
        let output = quickstart(["converse", "bot.yaml", path.to_str().unwrap()]);
        let _ = std::fs::remove_file(&path);
        text(&output)
    };
    let report = run(
        "buttons",
        "Buttons\n\n#bot\nWelcome to our shop!\n\n#bot\nWhat would you like to do?\nBUTTONS Order a product|Track my parcel\n",
    );
    assert!(
        report.contains(
            "line 8: the buttons differ\n    expected: Order a product | Track my parcel"
        ),
        "{report}"
    );
    let report = run("negated", "Negated\n\n#bot\n!Welcome to our shop!\n");
    assert!(
        report.contains(
            "line 4: the text is what the script rules out\n    not:      Welcome to our shop!"
        ),
        "{report}"
    );
}
