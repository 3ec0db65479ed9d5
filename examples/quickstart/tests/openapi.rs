//! The quickstart's OpenAPI document: committed as `openapi.json`, valid for a real OpenAPI
//! validator, served at `/openapi.json`, and shown by `/docs` in a real browser.

use std::path::PathBuf;
use std::process::Command;

use chatlayer_runtime::testing::TestServer;
use chatlayer_tests::external::{chromium_dom, redocly_lint, validate_openapi_file};
use serde_json::Value;

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.json")
}

fn document_text() -> String {
    let app = quickstart::app().build().expect("the quickstart builds");
    app.openapi().to_json_pretty()
}

/// The committed document is the one the code produces. After an intended change, refresh it
/// with `CHATLAYER_BLESS=1 cargo test -p quickstart --test openapi`.
#[test]
fn the_committed_document_is_up_to_date() {
    let fresh = document_text();
    if std::env::var_os("CHATLAYER_BLESS").is_some() {
        std::fs::write(golden_path(), &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(golden_path()).expect("openapi.json is committed");
    // Compared as JSON: key order may differ with serde_json's `preserve_order` feature.
    let committed: Value = serde_json::from_str(&committed).unwrap();
    let fresh: Value = serde_json::from_str(&fresh).unwrap();
    assert!(
        committed == fresh,
        "examples/quickstart/openapi.json is out of date; if the change is intended, run \
         CHATLAYER_BLESS=1 cargo test -p quickstart --test openapi"
    );
}

#[test]
#[cfg_attr(
    not(all(tool_openapi_spec_validator, tool_redocly)),
    ignore = "needs openapi-spec-validator and Redocly's CLI; .ci/run installs them"
)]
fn the_document_passes_the_openapi_validator_and_redoclys_recommended_rules() {
    validate_openapi_file(&golden_path());
    // No error and no warning: the quickstart describes its tags and has a license.
    redocly_lint(&document_text(), &[]);
}

/// `cargo run -p quickstart -- openapi` writes the document without serving.
#[test]
fn the_binary_writes_the_document_to_stdout_and_to_a_file() {
    let binary = env!("CARGO_BIN_EXE_quickstart");
    let output = Command::new(binary).arg("openapi").output().unwrap();
    assert!(output.status.success());
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let expected: Value = serde_json::from_str(&document_text()).unwrap();
    assert_eq!(printed, expected);

    let file = std::env::temp_dir().join(format!("quickstart-openapi-{}.json", std::process::id()));
    let status = Command::new(binary)
        .args(["openapi", "--prefix", "/bot"])
        .arg(&file)
        .status()
        .unwrap();
    assert!(status.success());
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(written["paths"].get("/bot/order").is_some(), "{written}");

    // The document declares what the server would enforce, security from the environment
    // included, and a bad security variable stops the command with the reason.
    let protected = Command::new(binary)
        .arg("openapi")
        .env("CHATLAYER_BEARER_TOKEN", "env-token")
        .output()
        .unwrap();
    assert!(protected.status.success());
    let printed: Value = serde_json::from_slice(&protected.stdout).unwrap();
    assert_eq!(
        printed["security"],
        serde_json::json!([{ "bearerAuth": [] }])
    );
    let half_set = Command::new(binary)
        .arg("openapi")
        .env("CHATLAYER_BASIC_USER", "bot")
        .env_remove("CHATLAYER_BASIC_PASSWORD")
        .output()
        .unwrap();
    assert!(!half_set.status.success());
    let message = String::from_utf8_lossy(&half_set.stderr);
    assert!(message.contains("CHATLAYER_BASIC_PASSWORD"), "{message}");

    let wrong = Command::new(binary).arg("opnapi").output().unwrap();
    assert!(!wrong.status.success());
    let message = String::from_utf8_lossy(&wrong.stderr);
    assert!(message.contains("unknown command `opnapi`"), "{message}");
}

#[tokio::test]
async fn the_served_document_is_the_committed_one() {
    let server = TestServer::start(quickstart::app().build().unwrap())
        .await
        .unwrap();
    let response = reqwest::get(server.url("/openapi.json")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let served: Value = response.json().await.unwrap();
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(golden_path()).unwrap()).unwrap();
    assert_eq!(served, committed);
}

/// `/docs` in headless Chromium, with every host but 127.0.0.1 unresolvable: the page
/// renders from the app's own assets and lists every step. A screenshot is left in
/// cargo's temporary folder for tests (`target/tmp/quickstart-docs.png` by default) for
/// people to look at.
#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(not(tool_chromium), ignore = "needs Chromium; .ci/run installs it")]
async fn the_docs_page_lists_every_step_in_a_real_browser_offline() {
    let app = quickstart::app().build().unwrap();
    let steps: Vec<(String, String)> = app
        .steps()
        .iter()
        .map(|step| (step.path().to_owned(), step.method().as_str().to_owned()))
        .collect();
    let server = TestServer::start(app).await.unwrap();
    let url = server.url("/docs");
    let screenshot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("quickstart-docs.png");
    let Some(dom) = tokio::task::spawn_blocking(move || chromium_dom(&url, Some(&screenshot)))
        .await
        .unwrap()
    else {
        return;
    };
    assert!(
        dom.contains("swagger-ui"),
        "the page did not render:\n{dom}"
    );
    assert!(dom.contains("quickstart"), "the title is missing:\n{dom}");
    for (path, method) in steps {
        assert!(
            dom.contains(&format!("data-path=\"{path}\"")),
            "{method} {path} is not on the page:\n{dom}"
        );
    }
    for summary in ["Place an order.", "Transfer money."] {
        assert!(dom.contains(summary), "{summary:?} is not on the page");
    }
}
