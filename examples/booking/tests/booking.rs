//! The booking bot as its users meet it: the steps inside the salon's app, over real
//! sockets; the binary with a token in its environment; the document the bot builder reads;
//! and the README's setup, which this crate follows.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use booking::salon_app;
use chatlayer_runtime::testing::TestServer;
use chatlayer_tests::external::redocly_lint;
use serde_json::{Value, json};

/// A request as the bot builder configured the API step.
fn booking_request(slot: &str) -> Value {
    json!({
        "service": "haircut",
        "slot": slot,
        "customer": { "name": "Ada", "phone": "+32 470 00 00 00" },
        "on_booked": "booked-block",
        "on_error": "pick-again-block"
    })
}

async fn post(server: &TestServer, path: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url(path))
        .json(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_customer_books_and_a_taken_slot_says_so_inside_the_host_app() {
    let server = TestServer::start(salon_app().unwrap()).await.unwrap();
    let (status, reply) = post(
        &server,
        "/chatlayer/book",
        &booking_request("2026-11-23T10:00"),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply,
        json!({
            "session": { "namespace": "booking", "data": {
                "id": 1, "service": "haircut", "slot": "2026-11-23T10:00" } },
            "messages": [ { "type": "text", "config": { "textMessages": [
                { "text": "Booked: Haircut on 2026-11-23T10:00 for Ada." } ] } } ],
            "action": { "nextDialogstate": "booked-block" }
        })
    );

    // The same slot again: the step's own words reach the customer, at the error block.
    let (status, taken) = post(
        &server,
        "/chatlayer/book",
        &booking_request("2026-11-23T10:00"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(taken["action"]["nextDialogstate"], "pick-again-block");
    assert_eq!(
        taken["messages"][0]["config"]["textMessages"][0]["text"],
        "Sorry, that slot was just taken. Please pick another one."
    );

    // A service the salon does not offer: the fallback message.
    let mut wrong = booking_request("2026-11-23T11:00");
    wrong["service"] = json!("massage");
    let (_, reply) = post(&server, "/chatlayer/book", &wrong).await;
    assert_eq!(
        reply["messages"][0]["config"]["textMessages"][0]["text"],
        "Sorry, we could not book that. Let's try again."
    );

    // The routing step, and the host's own route seeing the booking.
    let (_, next) = post(
        &server,
        "/chatlayer/start",
        &json!({ "booking_id": 1, "manage": "m", "book": "b" }),
    )
    .await;
    assert_eq!(next, json!({ "action": { "nextDialogstate": "m" } }));
    let bookings: Value = reqwest::get(server.url("/admin/bookings"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bookings, json!({ "2026-11-23T10:00": ["haircut", "Ada"] }));
}

/// The bot builder's reference: every parameter documented from the argument's doc comment,
/// the session data from its type, and the document lint-clean.
#[tokio::test]
#[cfg_attr(not(tool_redocly), ignore = "needs Redocly's CLI; .ci/run installs it")]
async fn the_document_describes_the_arguments_from_their_doc_comments() {
    let server = TestServer::start(salon_app().unwrap()).await.unwrap();
    let document: Value = reqwest::get(server.url("/chatlayer/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let operation = &document["paths"]["/chatlayer/book"]["post"];
    let properties =
        &operation["requestBody"]["content"]["application/json"]["schema"]["properties"];
    assert_eq!(
        properties["slot"]["description"],
        "The slot chosen, e.g. `2026-11-23T10:00`."
    );
    assert!(
        properties["service"]["description"]
            .as_str()
            .unwrap()
            .starts_with("The service, from the quick replies"),
        "{}",
        properties["service"]
    );
    assert!(
        properties["on_error"]["description"]
            .as_str()
            .unwrap()
            .starts_with("Where the conversation goes when the slot cannot be booked.\n\nThe id of a Chatlayer bot block"),
        "the argument's words first, then what a block id is: {}",
        properties["on_error"]
    );
    let session = &operation["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(
        session["properties"]["session"]["properties"]["data"],
        json!({ "$ref": "#/components/schemas/Booking" })
    );
    redocly_lint(&document.to_string(), &[]);
}

/// Starts the salon binary with `env` on a free port.
async fn start_binary(env: &[(&str, &str)]) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_booking"));
    command
        .env("BOOKING_ADDR", format!("127.0.0.1:{port}"))
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let child = command.spawn().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{url}/")).await.is_err() {
        assert!(Instant::now() < deadline, "the salon app did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, url)
}

/// The embedded steps are protected by a token from the environment, exactly as a
/// standalone server would be, and they log through the host's subscriber.
#[tokio::test]
async fn the_embedded_steps_take_their_token_from_the_environment_and_log_through_the_host() {
    let token = "salon-token-9d1";
    let (mut child, url) = start_binary(&[("CHATLAYER_BEARER_TOKEN", token)]).await;
    let client = reqwest::Client::new();
    let refused = client
        .post(format!("{url}/chatlayer/book"))
        .json(&booking_request("2026-11-24T09:00"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let admitted = client
        .post(format!("{url}/chatlayer/book"))
        .bearer_auth(token)
        .json(&json!({ "on_error": "pick-again-block" }))
        .send()
        .await
        .unwrap();
    assert_eq!(admitted.status(), 200, "a fallback jump");
    let home = client.get(format!("{url}/")).send().await.unwrap();
    assert_eq!(home.status(), 200, "the host's own routes stay open");

    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let mut log = String::new();
    use std::io::Read;
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        log.contains("unauthorized"),
        "the refusal is logged:\n{log}"
    );
    assert!(
        log.contains("required parameter `service` is missing; answering with the fallback block"),
        "{log}"
    );
    assert!(
        log.contains("tower_http::trace"),
        "the host's TraceLayer logs too:\n{log}"
    );
    assert!(!log.contains(token), "the token was logged:\n{log}");
}

/// The README's setup is this crate's: the same dependencies, features included.
#[test]
fn the_readme_setup_is_what_this_crate_uses() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let start = readme
        .find("```toml\n[dependencies]\n")
        .expect("the README shows a [dependencies] block");
    let block = &readme[start + "```toml\n[dependencies]\n".len()..];
    let block = &block[..block.find("```").unwrap()];
    let mut lines = 0;
    for line in block
        .lines()
        .map(|line| line.split('#').next().unwrap().trim())
    {
        if line.is_empty() {
            continue;
        }
        lines += 1;
        if line.starts_with("chatlayer-runtime") {
            assert!(
                manifest.contains("chatlayer-runtime = { path"),
                "{manifest}"
            );
        } else {
            assert!(
                manifest.contains(line),
                "the crate lacks the README's `{line}`"
            );
        }
    }
    assert!(lines >= 4, "{block}");
}

/// The README's block that starts with `fence`, up to its closing fence.
fn readme_block(fence: &str) -> String {
    let readme = std::fs::read_to_string(format!("{}/README.md", repository_root())).unwrap();
    let start = readme
        .find(fence)
        .unwrap_or_else(|| panic!("no {fence} block"));
    let rest = &readme[start + fence.len()..];
    rest[..rest.find("```").unwrap()].to_owned()
}

fn repository_root() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
}

/// Writes the README's setup and its step as the crate `readme-user` in `dir`, depending on
/// the framework at `runtime` (the README's own path when `None`), with the three items the
/// README's code leaves to the reader (`Catalog`, its `load`, `shop_is_open`), and this
/// checkout's lock file, whose versions are all in the local registry cache.
fn write_readme_crate(dir: &Path, runtime: Option<&Path>) {
    let dependencies = readme_block("```toml\n[dependencies]\n");
    assert!(
        dependencies.contains("\"../chatlayer-rs/chatlayer-runtime\""),
        "{dependencies}"
    );
    let dependencies = match runtime {
        Some(runtime) => dependencies.replace(
            "../chatlayer-rs/chatlayer-runtime",
            runtime.to_str().unwrap(),
        ),
        None => dependencies,
    };
    let step = readme_block("## A step\n\n```rust\n");
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"readme-user\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [workspace]\n\n[dependencies]\n{dependencies}"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        format!(
            "{step}\n\
             // What the README leaves to the reader.\n\
             struct Product {{ name: String }}\n\
             struct Catalog;\n\
             impl Catalog {{\n\
             \x20   fn load() -> std::io::Result<Catalog> {{ Ok(Catalog) }}\n\
             \x20   fn get(&self, sku: &str) -> Option<Product> {{\n\
             \x20       (sku == \"A1\").then(|| Product {{ name: \"Red sneakers\".to_owned() }})\n\
             \x20   }}\n\
             }}\n\
             fn shop_is_open() -> bool {{ true }}\n"
        ),
    )
    .unwrap();
    std::fs::copy(
        format!("{}/Cargo.lock", repository_root()),
        dir.join("Cargo.lock"),
    )
    .unwrap();
}

/// Cargo's folder for tests, kept from one run to the next (under the target folder).
fn tests_tmp() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// The README's setup and its step, as a new user writes them: a crate outside this
/// workspace depending on this checkout by path, checked by cargo. Only the path is this
/// checkout's.
#[test]
fn the_readme_setup_and_step_build_as_a_crate_outside_the_workspace() {
    let runtime =
        std::fs::canonicalize(format!("{}/chatlayer-runtime", repository_root())).unwrap();
    let dir = std::env::temp_dir().join(format!("chatlayer-readme-crate-{}", std::process::id()));
    write_readme_crate(&dir, Some(&runtime));
    let output = std::process::Command::new(env!("CARGO"))
        .args(["check", "--quiet", "--offline", "--message-format", "short"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", tests_tmp().join("readme-user-target"))
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the README's crate does not build:\n{said}"
    );
    assert!(
        !said.contains("warning"),
        "the README's crate has warnings:\n{said}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The build stage's `RUN` of `deploy/Dockerfile`, its continuation lines joined and its
/// `--mount` options (caches) dropped: the shell command the image build runs.
fn dockerfile_build_command() -> String {
    let dockerfile =
        std::fs::read_to_string(format!("{}/deploy/Dockerfile", repository_root())).unwrap();
    let joined = dockerfile.replace("\\\n", " ");
    let run = joined
        .lines()
        .find(|line| line.starts_with("RUN ") && line.contains("cargo build"))
        .expect("the Dockerfile builds with cargo");
    run["RUN ".len()..]
        .split(' ')
        .filter(|word| !word.starts_with("--mount="))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Before, `deploy/Dockerfile` built only from this repository's root (`COPY . .` and
/// `-p quickstart`), so a crate set up as the README says, whose path dependency points
/// beside it, could not be built. Now the build stage puts the crate at `/src/app` and the
/// context `chatlayer-rs` at `/src/chatlayer-rs`. No container runtime runs here, so the
/// layout is made in a temporary folder (the clone a symbolic link to this checkout) and the
/// Dockerfile's own build command runs in it, as the image build would, with the arguments a
/// user passes (`PACKAGE=readme-user`, `FEATURES=`); its paths inside the image are mapped to
/// the folder, and the release profile builds at `opt-level = 0` to spare CI the minutes.
#[test]
fn the_dockerfile_builds_the_readme_crate_beside_the_framework() {
    let command = dockerfile_build_command();
    let layout = tests_tmp().join("docker-layout");
    let app = layout.join("src/app");
    write_readme_crate(&app, None);
    let framework = layout.join("src/chatlayer-rs");
    let _ = std::fs::remove_file(&framework);
    std::os::unix::fs::symlink(
        std::fs::canonicalize(repository_root()).unwrap(),
        &framework,
    )
    .unwrap();
    // The cache mount on /src/app/target: kept from one run to the next.
    let cache = tests_tmp().join("docker-layout-target");
    std::fs::create_dir_all(&cache).unwrap();
    std::os::unix::fs::symlink(&cache, app.join("target")).unwrap();
    // A user's crate has its lock file from its first build; `--locked` wants it to match:
    // this checkout's, pruned to what the crate uses (same versions).
    let pruned = std::process::Command::new(env!("CARGO"))
        .args(["update", "--offline", "--workspace", "--quiet"])
        .current_dir(&app)
        .status()
        .unwrap();
    assert!(pruned.success());

    let bin = layout.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let command = command.replace("/usr/local/bin/bot", bin.join("bot").to_str().unwrap());
    let output = std::process::Command::new("sh")
        .args(["-c", &command])
        .current_dir(&app)
        .env("PACKAGE", "readme-user")
        .env("FEATURES", "")
        .env("CARGO_NET_OFFLINE", "true")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the Dockerfile's `{command}` failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let help = std::process::Command::new(bin.join("bot"))
        .arg("help")
        .output()
        .unwrap();
    assert!(help.status.success(), "{help:?}");
    assert!(
        String::from_utf8_lossy(&help.stdout).contains("healthcheck"),
        "the image's binary is the app, with the command its HEALTHCHECK runs: {help:?}"
    );
}
