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
        emulator(&[
            "converse",
            "bot.yaml",
            "convos",
            "--backend",
            &base,
            "--min-coverage",
            "100",
        ])
    })
    .await
    .unwrap();
    let report = text(&output);
    assert!(output.status.success(), "{report}");
    assert!(report.contains("6 passed, 0 failed"), "{report}");
    assert!(report.contains("coverage 100%: blocks 28/28"), "{report}");
}

/// A script that checks nothing is an error, not a pass. A file whose line breaks are lone
/// carriage returns is read as Botium reads it (`\r` ends a line): before, it was one title
/// line with no section, refused as empty; now its turns run.
#[test]
fn a_script_with_no_turn_fails_and_carriage_returns_end_lines() {
    let output = emulator(&[
        "converse",
        "bot.yaml",
        "/dev/null",
        "--backend",
        "http://127.0.0.1:9",
    ]);
    assert!(!output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("has no #me or #bot section"),
        "{}",
        text(&output)
    );

    let dir = std::env::temp_dir().join(format!("chatlayer-cr-scripts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let carriage_returns = dir.join("old_mac.convo.txt");
    std::fs::write(&carriage_returns, "Greeting\r#me\rhello\r#bot\rWelcome!\r").unwrap();
    let output = emulator(&[
        "converse",
        "bot.yaml",
        carriage_returns.to_str().unwrap(),
        "--backend",
        "http://127.0.0.1:9",
    ]);
    let report = text(&output);
    assert!(!report.contains("has no #me or #bot section"), "{report}");
    assert!(
        report.contains("== Greeting"),
        "the script ran its turns: {report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
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

/// A `[` left open is named where it was opened; YAML reports the next line's indentation.
#[test]
fn an_unclosed_bracket_in_the_bot_file_names_its_line() {
    let file = std::env::temp_dir().join(format!("chatlayer-unclosed-{}.yaml", std::process::id()));
    std::fs::write(
        &file,
        "blocks:\n  - id: welcome\n    type: message\n    messages: [ \"Hello\",\n  - id: done\n    type: message\n    messages: [ \"Done.\" ]\n",
    )
    .unwrap();
    let output = emulator(&["converse", file.to_str().unwrap(), "/dev/null"]);
    let _ = std::fs::remove_file(&file);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("hint: the `[` opened at line 4 column 15 is not closed"),
        "{}",
        text(&output)
    );
}

/// The standalone command's help promises no in-process calls, and says every script runs.
#[test]
fn help_promises_only_what_the_standalone_command_does() {
    let usage = text(&emulator(&["help"]));
    assert!(!usage.contains("in-process"), "{usage}");
    assert!(!usage.contains("first unmet"), "{usage}");
    assert!(usage.contains("runs every script"), "{usage}");
}
