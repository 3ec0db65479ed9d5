//! Recording the quickstart's real traffic and replaying it: no secret reaches the disk, a
//! replay of the unchanged app is green, and a changed reply turns it red with a diff that
//! names the field. The caps bound the folder, and a folder that cannot be written never
//! fails a request.

use std::path::{Path, PathBuf};

use chatlayer_runtime::StepError;
use chatlayer_runtime::prelude::*;
use chatlayer_runtime::record::{ContractReport, Exchange, Recording, Replay};
use chatlayer_runtime::testing::TestClient;
use quickstart::shop::{Catalog, Shipping};
use serde_json::json;

mod support;

use support::{files, start_binary, stop_binary, wait_for_files};

const TOKEN: &str = "bearer-t0ken-for-the-recorder";
const SIGNING_SECRET: &str = "hmac-s3cret-for-the-recorder";
const PASSWORD: &str = "hunter2-password-value";
const COOKIE: &str = "c00kie-for-the-recorder";

/// A folder of its own for each test, empty.
fn folder(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("chatlayer-recording-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The signature of `method target` and `body`, as a sender signing the whole request
/// sends it (`CHATLAYER_SIGNATURE_COVERS=request`): the order status is a GET step, whose
/// query a signature over the body alone would leave unsigned.
fn signature(method: &str, target: &str, body: &str) -> String {
    support::hmac_sha256_hex(SIGNING_SECRET, &format!("{method} {target}\n{body}"))
}

/// Runs the quickstart with credentials, signatures and recording on, and sends it a small
/// session: two orders (one placed, one for a product that does not exist) and an order
/// status, plus one request with a wrong token. Returns the folder and the secrets sent.
async fn record_a_session(dir: &Path) -> Vec<String> {
    let dir_text = dir.to_str().unwrap();
    let (child, port) = start_binary(
        &[],
        &[
            ("CHATLAYER_RECORD", dir_text),
            ("CHATLAYER_BEARER_TOKEN", TOKEN),
            ("CHATLAYER_SIGNATURE_SECRET", SIGNING_SECRET),
            ("CHATLAYER_SIGNATURE_COVERS", "request"),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let mut secrets = vec![
        TOKEN.to_owned(),
        SIGNING_SECRET.to_owned(),
        PASSWORD.to_owned(),
        COOKIE.to_owned(),
    ];
    let orders = [
        json!({ "sku": "A1", "quantity": "2", "on_success": "thanks", "on_failure": "sorry",
                "sessionId": "session-1", "password": PASSWORD }),
        json!({ "sku": "Z9", "quantity": 1, "on_success": "thanks", "on_failure": "sorry",
                "sessionId": "session-1" }),
    ];
    for body in orders {
        let body = body.to_string();
        let signed = signature("POST", "/order", &body);
        let response = client
            .post(format!("http://127.0.0.1:{port}/order"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .header("x-chatlayer-signature", &signed)
            .header("cookie", format!("session={COOKIE}"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        secrets.push(signed);
    }
    let status = client
        .get(format!("http://127.0.0.1:{port}/order/status?orderId=1001"))
        .bearer_auth(TOKEN)
        .header(
            "x-chatlayer-signature",
            signature("GET", "/order/status?orderId=1001", ""),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), 200);
    // Refused by the guards: not the bot's traffic, so not recorded.
    let refused = client
        .post(format!("http://127.0.0.1:{port}/order"))
        .bearer_auth("a-guessed-t0ken")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let recorded = wait_for_files(dir, 3).await;
    let (status, log) = stop_binary(child);
    assert!(status.success(), "exit {status:?}:\n{log}");
    assert_eq!(files(dir).len(), 3, "{recorded:?}\n{log}");
    secrets
}

/// The quickstart's app, as its binary builds it, without the credentials the recording
/// redacted (they are in the binary's environment only).
fn quickstart_app() -> App {
    quickstart::app()
        .retain(|step| step.module_path().starts_with("quickstart"))
        .build()
        .unwrap()
}

mod changed {
    use super::*;

    /// The quickstart's order step, with its message reworded.
    #[api_step("/order", namespace = "order", fallback = on_failure,
               fallback_message = "Sorry, we could not place that order.")]
    pub async fn order(
        sku: String,
        #[param(default = 1)] quantity: u32,
        on_success: BlockId,
        on_failure: BlockId,
        catalog: Dep<Catalog>,
    ) -> Result<Reply, StepError> {
        let product = catalog
            .get(&sku)
            .ok_or_else(|| StepError::bad_request(format!("there is no product `{sku}`")))?;
        let total = product.price * f64::from(quantity);
        Ok(Reply::new()
            .add_session_data(json!({ "sku": sku, "quantity": quantity, "total": total }))
            .add_message(format!(
                "Thanks! {quantity} x {} for EUR {total:.2}.",
                product.name
            ))
            .set_next_dialog_state(on_success))
    }
}

#[tokio::test]
async fn a_recorded_session_holds_no_secret_and_replays_green_until_a_reply_changes() {
    let dir = folder("quickstart");
    let secrets = record_a_session(&dir).await;

    // No secret on disk, in any file.
    for file in files(&dir) {
        let text = std::fs::read_to_string(&file).unwrap();
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{secret} in {}:\n{text}",
                file.display()
            );
        }
    }
    let exchanges = Exchange::read_dir(&dir).unwrap();
    let (_, placed) = &exchanges[0];
    assert_eq!(placed.step.as_deref(), Some("order"));
    assert_eq!(placed.headers["authorization"], "[redacted]");
    assert_eq!(placed.headers["x-chatlayer-signature"], "[redacted]");
    assert_eq!(placed.headers["cookie"], "[redacted]");
    assert_eq!(placed.headers["content-type"], "application/json");
    let body = placed.body.to_json();
    assert_eq!(body["password"], "[redacted]");
    assert_eq!(body["sku"], "A1");
    assert_eq!(placed.reply.status, 200);
    assert_eq!(
        placed.reply.body.to_json()["messages"][0]["config"]["textMessages"][0]["text"],
        "You ordered 2 x Red sneakers for EUR 118.00."
    );
    assert!(placed.latency_ms > 0.0);
    let (_, status) = &exchanges[2];
    assert_eq!(
        (status.method.as_str(), status.path.as_str()),
        ("GET", "/order/status")
    );
    assert_eq!(status.query.as_deref(), Some("orderId=1001"));

    // The unchanged app answers as recorded.
    let report = Replay::from_dir(&dir).run(&quickstart_app()).await.unwrap();
    assert!(report.is_green(), "{report}");
    assert_eq!(report.replayed.len(), 3);
    chatlayer_runtime::testing::replay(&quickstart_app(), &dir).await;

    // A reworded message turns the replay red, naming the field.
    let changed = App::from_steps([changed::order::STEP, quickstart::steps::order_status::STEP])
        .provide(Catalog::demo())
        .provide(Shipping)
        .build()
        .unwrap();
    let report = Replay::from_dir(&dir).run(&changed).await.unwrap();
    assert!(!report.is_green());
    let text = report.to_string();
    assert!(
        text.contains(
            "/messages/0/config/textMessages/0/text: recorded \"You ordered 2 x Red sneakers \
             for EUR 118.00.\", now \"Thanks! 2 x Red sneakers for EUR 118.00.\""
        ),
        "{text}"
    );
    assert!(
        text.contains("3 exchanges") && text.contains("1 differ"),
        "{text}"
    );
    // ... unless that field is ignored.
    let report = Replay::from_dir(&dir)
        .ignore("/messages/*/config/textMessages/*/text")
        .run(&changed)
        .await
        .unwrap();
    assert!(report.is_green(), "{report}");

    // An app that asks for a token refuses the redacted requests: the report says how to
    // give the token again.
    let guarded = quickstart::app()
        .retain(|step| step.module_path().starts_with("quickstart"))
        .environment(chatlayer_runtime::config::Environment::empty().with(
            chatlayer_runtime::config::Variable::BearerToken,
            "replay-token",
        ))
        .build()
        .unwrap();
    let text = Replay::from_dir(&dir)
        .run(&guarded)
        .await
        .unwrap()
        .to_string();
    assert!(
        text.contains("hint: 3 exchanges were refused now as unauthenticated")
            && text.contains("--header 'Authorization: Bearer <token>'"),
        "{text}"
    );
    let report = Replay::from_dir(&dir)
        .header("authorization", "Bearer replay-token")
        .run(&guarded)
        .await
        .unwrap();
    assert!(report.is_green(), "{report}");

    // The contract report says what Chatlayer sent.
    let contract = ContractReport::from_dir(&dir, Some(&quickstart_app())).unwrap();
    assert_eq!(contract.content_types.get("application/json"), Some(&2));
    let order = &contract.parameters["order"];
    assert_eq!(order["quantity"].get("number as text"), Some(&1));
    assert_eq!(order["quantity"].get("number"), Some(&1));
    assert!(contract.unread["order"].contains("password"));
    assert!(!contract.unread["order"].contains("sku"));
    let text = contract.to_string();
    assert!(
        text.contains("`password`: text (1) (no argument reads it)"),
        "{text}"
    );

    // The same, from the binary's command line.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .args(["replay", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("3 match, 0 differ"), "{stdout}");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .args(["contract", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(
        stdout.contains("`quantity`: number (1), number as text (1)"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A step that answers whatever it is sent.
#[api_step("/echo")]
fn echo(text: Option<String>) -> Reply {
    Reply::new().add_message(text.unwrap_or_default())
}

/// Sends `count` messages to the echo step, each answered in full whatever the recording
/// into `dir` does.
async fn send_echoes(client: &TestClient, count: usize, dir: &Path) {
    for n in 0..count {
        let response = client
            .post("/echo", json!({ "text": format!("message {n}") }))
            .await;
        assert_eq!(response.status(), 200, "{}", dir.display());
        assert_eq!(
            response.json()["messages"][0]["config"]["textMessages"][0]["text"],
            format!("message {n}")
        );
    }
}

#[tokio::test]
async fn the_caps_bound_the_folder() {
    for (name, cap) in [
        (
            "files",
            (|dir| Recording::to(dir).max_files(4)) as fn(&Path) -> Recording,
        ),
        // Each file is a few hundred bytes: 1,500 bytes hold a handful, never all 20.
        ("bytes", |dir| Recording::to(dir).max_bytes(1_500)),
    ] {
        let dir = folder(name);
        let recording = cap(&dir);
        let app = App::from_steps([echo::STEP])
            .record(recording)
            .build()
            .unwrap();
        let client = TestClient::new(&app);
        send_echoes(&client, 20, &dir).await;
        // Dropping the app waits for the recorder to write what it was handed.
        drop(client);
        drop(app);
        let written = files(&dir);
        let bytes: u64 = written
            .iter()
            .map(|file| file.metadata().unwrap().len())
            .sum();
        if name == "bytes" {
            assert!(
                written.len() > 1 && written.len() < 20,
                "{} files",
                written.len()
            );
            assert!(bytes <= 1_500, "{bytes} bytes");
        } else {
            assert_eq!(written.len(), 4);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[tokio::test]
async fn a_folder_that_cannot_be_written_never_fails_a_request() {
    // Root may write anywhere on a normal file system, so these are folders no one can
    // create: one inside /proc, one below a regular file.
    let file =
        std::env::temp_dir().join(format!("chatlayer-recording-file-{}", std::process::id()));
    std::fs::write(&file, "a file, not a folder").unwrap();
    for dir in [
        PathBuf::from("/proc/chatlayer-recordings"),
        file.join("recordings"),
    ] {
        let app = App::from_steps([echo::STEP])
            .record(Recording::to(&dir))
            .build()
            .unwrap();
        let client = TestClient::new(&app);
        send_echoes(&client, 5, &dir).await;
        drop(client);
        drop(app);
        assert!(!dir.exists());
    }
    let _ = std::fs::remove_file(&file);
}

/// Strangers (no credentials) learn nothing from the status and fill nothing: every method
/// and path they try is answered 401, as a step would answer them, and none of it is
/// recorded; with credentials, a method no step declares is a 405, still not recorded (it
/// is no exchange of the bot's), and a real order is.
#[tokio::test]
async fn strangers_are_refused_alike_and_never_recorded() {
    use chatlayer_runtime::security::{Auth, Security};
    let dir = folder("strangers");
    let app = quickstart::app()
        .retain(|step| step.module_path().starts_with("quickstart"))
        .security(Security::new().auth(Auth::bearer(TOKEN)).from_env(false))
        .record(Recording::to(&dir))
        .build()
        .unwrap();
    let server = chatlayer_runtime::testing::TestServer::start(app)
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let send = |method: &str, path: &str, token: Option<&str>| {
        let mut request = client
            .request(method.parse().unwrap(), server.url(path))
            .header("content-type", "application/json")
            .body("{}");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    for method in ["POST", "PUT", "GET", "HEAD", "OPTIONS", "FOO", "DELETE"] {
        for path in ["/order", "/order/status", "/no-such-step"] {
            let response = send(method, path, None).await.unwrap();
            assert_eq!(response.status(), 401, "{method} {path}");
            assert_eq!(
                response.headers()["www-authenticate"],
                "Bearer",
                "{method} {path}"
            );
            let wrong = send(method, path, Some("a-guessed-t0ken")).await.unwrap();
            assert_eq!(wrong.status(), 401, "{method} {path}, a wrong token");
        }
    }
    // With the token, the answers say what is there.
    assert_eq!(
        send("PUT", "/order", Some(TOKEN)).await.unwrap().status(),
        405
    );
    assert_eq!(
        send("HEAD", "/order/status", Some(TOKEN))
            .await
            .unwrap()
            .status(),
        405
    );
    assert_eq!(
        send("GET", "/no-such-step", Some(TOKEN))
            .await
            .unwrap()
            .status(),
        404
    );
    let order =
        json!({ "sku": "A1", "quantity": 1, "on_success": "thanks", "on_failure": "sorry" });
    let placed = client
        .post(server.url("/order"))
        .bearer_auth(TOKEN)
        .json(&order)
        .send()
        .await
        .unwrap();
    assert_eq!(placed.status(), 200);
    // The writer takes exchanges in order: once the order's file is there, every request
    // before it has been written or left out.
    let recorded = wait_for_files(&dir, 1).await;
    assert_eq!(
        recorded.len(),
        1,
        "only the order is recorded: {recorded:?}"
    );
    let exchange = Exchange::read(&recorded[0]).unwrap();
    assert_eq!(exchange.path, "/order");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Holds its request for a moment, so that many are served at once.
#[api_step("/held-echo")]
async fn held_echo(text: String) -> Reply {
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    Reply::new().add_message(format!("{} characters", text.len()))
}

/// Recording holds at most its memory bound in body copies: of sixteen 100 KiB bodies
/// served at once under a 512 KiB bound, every one is answered, and only those whose copies
/// fitted are recorded (before, every copy was kept, whatever their number).
#[tokio::test]
async fn recording_holds_no_more_than_its_memory_bound() {
    let dir = folder("memory-bound");
    let app = App::from_steps([held_echo::STEP])
        .record(Recording::to(&dir).max_memory(512 * 1024))
        .build()
        .unwrap();
    let server = chatlayer_runtime::testing::TestServer::start(app)
        .await
        .unwrap();
    let text = "x".repeat(100 * 1024);
    let mut sent = Vec::new();
    for _ in 0..16 {
        let url = server.url("/held-echo");
        let body = json!({ "text": text }).to_string();
        sent.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for answer in sent {
        assert_eq!(answer.await.unwrap(), 200);
    }
    // Stopping drops the app, whose recorder writes what it was handed before it ends.
    server.stop().await.unwrap();
    let written = files(&dir);
    assert!(
        !written.is_empty() && written.len() < 16,
        "{} of 16 recorded under a bound that holds about four",
        written.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The names an attacker found kept in clear are redacted on disk: header spellings of API
/// keys and signatures, the app's own signature header under another name, short query
/// and body names matched as tokens, a password inside JSON sent as text, and a body that
/// is not JSON at all.
#[tokio::test]
async fn every_secret_spelling_is_redacted_on_disk() {
    use chatlayer_runtime::security::{Security, SignatureVerifier, SignedContent};
    let dir = folder("spellings");
    let verifier = SignatureVerifier::new(SIGNING_SECRET)
        .header("X-Chatlayer-Hmac")
        .covers(SignedContent::Request);
    let app = App::from_steps([echo::STEP])
        .security(Security::new().signatures(verifier.clone()).from_env(false))
        .record(Recording::to(&dir))
        .build()
        .unwrap();
    let server = chatlayer_runtime::testing::TestServer::start(app)
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let mut secrets = Vec::new();
    let mut secret = |name: &str| {
        let value = format!("s3cret-{name}-value");
        secrets.push(value.clone());
        value
    };
    let query_names = [
        "code",
        "sig",
        "signature",
        "key",
        "pwd",
        "pin",
        "otp",
        "jwt",
        "private_key",
        "auth",
    ];
    let query: Vec<String> = query_names
        .iter()
        .map(|name| format!("{name}={}", secret(name)))
        .collect();
    let target = format!("/echo?{}", query.join("&"));
    let mut body = serde_json::Map::new();
    body.insert("text".into(), json!("hello"));
    for name in [
        "pass",
        "pwd",
        "pin",
        "otp",
        "private_key",
        "privateKey",
        "access_key",
        "credentials",
        "auth",
        "bearer",
        "jwt",
        "hmac",
        "passphrase",
    ] {
        body.insert(name.into(), json!(secret(name)));
    }
    let nested = secret("nested-password");
    body.insert(
        "user".into(),
        json!(format!(r#"{{"password":"{nested}"}}"#)),
    );
    let body = serde_json::Value::Object(body).to_string();
    let signature = verifier.sign("POST", &target, body.as_bytes(), None);
    let mut request = client
        .post(server.url(&target))
        .header("content-type", "application/json")
        .header("x-chatlayer-hmac", &signature);
    for name in [
        "x-api_key",
        "X_API_KEY",
        "x-functions-key",
        "Ocp-Apim-Subscription-Key",
        "X-Hmac-Sha256",
        "X-Access-Key",
        "X-Private-Key",
        "Cookie2",
    ] {
        request = request.header(name, secret(name));
    }
    let response = request.body(body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    // A body that is not JSON, with a key written with an escape.
    let escaped = secret("escaped");
    let unparsable = format!(r#"{{"pass\u0077ord": "{escaped}", "#);
    let response = client
        .post(server.url("/echo"))
        .header("content-type", "application/json")
        .header(
            "x-chatlayer-hmac",
            verifier.sign("POST", "/echo", unparsable.as_bytes(), None),
        )
        .body(unparsable)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    server.stop().await.unwrap();
    secrets.push(signature);
    let recorded = files(&dir);
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    for file in &recorded {
        let text = std::fs::read_to_string(file).unwrap();
        for value in &secrets {
            assert!(
                !text.contains(value.as_str()),
                "{value} is on disk:\n{text}"
            );
        }
        assert!(!text.contains(SIGNING_SECRET));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
