//! A recording folder is input from elsewhere (committed to a repository, handed over for a
//! bug report): the tools that read it (`replay`, `contract`, the emulator's recording
//! page) read regular files only, and of a bounded size, so that a symbolic link to
//! `/dev/zero`, a FIFO or a huge file is refused at once with its name, instead of running
//! a CI machine out of memory or hanging it.

use std::path::PathBuf;
use std::time::Duration;

use chatlayer_emulator::RecordedConversation;
use chatlayer_runtime::prelude::*;
use chatlayer_runtime::record::{ContractReport, Replay};

#[api_step("/noop")]
fn noop() -> Reply {
    Reply::new()
}

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chatlayer-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Each hostile file, alone in a folder of its own.
fn hostile_folders() -> Vec<(&'static str, PathBuf)> {
    let link = folder("symlink");
    std::os::unix::fs::symlink(
        "/dev/zero",
        link.join("20260101T000000.000000Z-000001-post-noop.json"),
    )
    .unwrap();
    let fifo = folder("fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(fifo.join("20260101T000000.000000Z-000001-post-noop.json"))
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo");
    let huge = folder("huge");
    let file =
        std::fs::File::create(huge.join("20260101T000000.000000Z-000001-post-noop.json")).unwrap();
    file.set_len(300 * 1024 * 1024).unwrap();
    vec![
        ("symbolic link", link),
        ("regular file", fifo),
        ("more than", huge),
    ]
}

async fn within_seconds<T>(what: &str, work: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), work)
        .await
        .unwrap_or_else(|_| panic!("{what} hung"))
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_contract_and_the_recording_page_refuse_what_is_not_a_recorded_file() {
    let app = App::from_steps([noop::STEP]).build().unwrap();
    for (said, dir) in hostile_folders() {
        let replayed = within_seconds("replay", Replay::from_dir(&dir).run(&app)).await;
        let error = replayed
            .err()
            .unwrap_or_else(|| panic!("{} replayed", dir.display()))
            .to_string();
        assert!(error.contains(said), "{error}");
        let report = within_seconds("contract", async {
            ContractReport::from_dir(&dir, Some(&app))
        })
        .await;
        let error = report
            .err()
            .unwrap_or_else(|| panic!("{} reported", dir.display()));
        assert!(error.contains(said), "{error}");
        let dir_for_page = dir.clone();
        let page = within_seconds("the recording page", async move {
            tokio::task::spawn_blocking(move || RecordedConversation::read(&dir_for_page))
                .await
                .unwrap()
        })
        .await;
        let error = page
            .err()
            .unwrap_or_else(|| panic!("{} shown", dir.display()));
        assert!(error.contains(said), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A recorded parameter name is the caller's text: the contract report shows it escaped
/// and cut, so a name cannot clear the terminal or fill it.
#[tokio::test]
async fn the_contract_report_escapes_and_cuts_recorded_names() {
    use chatlayer_runtime::record::Recording;
    use chatlayer_runtime::testing::TestClient;
    let dir = folder("names");
    let app = App::from_steps([noop::STEP])
        .record(Recording::to(&dir))
        .build()
        .unwrap();
    let client = TestClient::new(&app);
    let long = "n".repeat(5_000);
    let mut body = serde_json::Map::new();
    body.insert("\u{1b}[2Jcleared".into(), serde_json::json!(1));
    body.insert(long.clone(), serde_json::json!(2));
    client.post("/noop", serde_json::Value::Object(body)).await;
    drop(client);
    drop(app);
    let report = ContractReport::from_dir(&dir, None).unwrap().to_string();
    assert!(!report.contains('\u{1b}'), "{report:?}");
    assert!(
        !report.contains(&long),
        "the 5,000-character name is shown whole"
    );
    assert!(
        report.lines().all(|line| line.chars().count() < 200),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
