//! Clients generated from the quickstart's document, as API users generate them: one in
//! Python (openapi-python-client) and one in TypeScript (openapi-typescript with
//! openapi-fetch). Each is generated without a warning, type-checked strictly together with a
//! program that calls every step (`tests/clients/`), and that program then runs against the
//! quickstart, checking each reply through the generated types.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chatlayer_runtime::testing::TestServer;

fn document() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.json")
}

fn callers() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// A fresh folder for one generated client.
fn workspace(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `command`, panicking with everything it printed unless it succeeds; returns both
/// streams.
fn run(what: &str, command: &mut Command) -> String {
    let Output {
        status,
        stdout,
        stderr,
    } = command
        .output()
        .unwrap_or_else(|error| panic!("{what} did not start: {error}"));
    let printed = String::from_utf8_lossy(&stdout).into_owned() + &String::from_utf8_lossy(&stderr);
    assert!(status.success(), "{what} failed ({status}):\n{printed}");
    printed
}

/// The tool named by `variable` or found on PATH, and the folder it lies in (the generators'
/// companions, `mypy` and `tsc`, are installed beside them).
fn tool(variable: &str, name: &str) -> (PathBuf, PathBuf) {
    let path = chatlayer_tests::external::find_tool(variable, &[name], "see .ci/run")
        .unwrap_or_else(|| panic!("{name} is not installed"));
    let dir = path
        .parent()
        .expect("a tool lies in a folder")
        .to_path_buf();
    (path, dir)
}

fn companion(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is not installed beside the generator",
        path.display()
    );
    path
}

/// Before, openapi-python-client refused the document (`"session": false`), then dropped
/// the reply type (the `Message` branches' titles collided with its components), then wrote
/// code that did not import its own `Unset` (bodies as JSON and as form data), 42 mypy
/// errors in all.
#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(tool_openapi_python_client),
    ignore = "needs openapi-python-client and mypy; .ci/run installs them"
)]
async fn a_generated_python_client_type_checks_and_calls_every_step() {
    let (generator, bin) = tool("OPENAPI_PYTHON_CLIENT", "openapi-python-client");
    let dir = workspace("python-client");
    // No formatter afterwards: its absence is the only warning the tool would print.
    std::fs::write(dir.join("config.yml"), "post_hooks: []\n").unwrap();
    let generated = run(
        "openapi-python-client",
        Command::new(&generator)
            .arg("generate")
            .arg("--path")
            .arg(document())
            .args(["--output-path", "quickstart_client", "--meta", "none"])
            .args(["--config", "config.yml"])
            .current_dir(&dir),
    );
    assert!(
        !generated.contains("Warning") && !generated.contains("Error"),
        "openapi-python-client warned about the document:\n{generated}"
    );
    let caller = callers().join("call_every_step.py");
    run(
        "mypy --strict",
        Command::new(companion(&bin, "mypy"))
            .args(["--strict", "--no-incremental", "quickstart_client"])
            .arg(&caller)
            .current_dir(&dir),
    );

    let server = TestServer::start(quickstart::app().build().unwrap())
        .await
        .unwrap();
    let printed = run(
        "the Python caller",
        Command::new(companion(&bin, "python"))
            .arg(&caller)
            .arg(server.url(""))
            .env("PYTHONPATH", &dir),
    );
    assert!(printed.contains("every step answered"), "{printed}");
}

/// Before, `tsc --strict` refused a caller narrowing `m.type === "text"` (a catch-all
/// `Message` branch typed `string` kept `config` out of reach), indexing `session.data`
/// (typed `Record<string, never>`), and sending `language` to `/welcome` (no body declared,
/// though the step reads it through `Context`).
#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(tool_openapi_typescript),
    ignore = "needs openapi-typescript, openapi-fetch and TypeScript; .ci/run installs them"
)]
async fn a_generated_typescript_client_type_checks_and_calls_every_step() {
    let (generator, bin) = tool("OPENAPI_TYPESCRIPT", "openapi-typescript");
    let dir = workspace("typescript-client");
    let modules = bin.parent().expect("the tools lie in node_modules/.bin");
    std::os::unix::fs::symlink(modules, dir.join("node_modules")).unwrap();
    std::fs::write(dir.join("package.json"), r#"{ "type": "module" }"#).unwrap();
    std::fs::copy(
        callers().join("call_every_step.ts"),
        dir.join("call_every_step.ts"),
    )
    .unwrap();
    let generated = run(
        "openapi-typescript",
        Command::new(&generator)
            .arg(document())
            .args(["--output", "schema.d.ts"])
            .current_dir(&dir),
    );
    let lowered = generated.to_lowercase();
    assert!(
        !lowered.contains("warn") && !lowered.contains("error"),
        "openapi-typescript warned about the document:\n{generated}"
    );
    run(
        "tsc --strict",
        Command::new(companion(&bin, "tsc"))
            .args([
                "--strict",
                "--noUncheckedIndexedAccess",
                "--exactOptionalPropertyTypes",
            ])
            .args(["--module", "nodenext", "--moduleResolution", "nodenext"])
            .args(["--target", "es2022", "--types", "node"])
            .arg("call_every_step.ts")
            .current_dir(&dir),
    );

    let server = TestServer::start(quickstart::app().build().unwrap())
        .await
        .unwrap();
    let printed = run(
        "the TypeScript caller",
        Command::new("node")
            .arg("call_every_step.js")
            .arg(server.url(""))
            .current_dir(&dir),
    );
    assert!(printed.contains("every step answered"), "{printed}");
}
