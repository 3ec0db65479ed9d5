//! The emulator page against another site in the same browser, as an attacker would use it:
//! a foreign `Host` (DNS rebinding) and foreign origins are refused, the page's answers
//! forbid framing and foreign scripts, and no secret of the bot file shows in the page's
//! API or in what the command prints. Driven over real sockets against the standalone
//! command, its backend the quickstart.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chatlayer_runtime::testing::TestServer;
use serde_json::Value;

const TOKEN: &str = "t0ken-from-the-environment";
const KEY: &str = "k3y-from-the-environment";
const URL_PASSWORD: &str = "pa55word-in-the-url";

const BOT: &str = r#"
bot: Guarded
start: welcome
blocks:
  - id: welcome
    type: action
    api:
      method: POST
      url: /welcome
      query: [ { key: code, type: text, value: "${PAGE_TEST_KEY}" } ]
      headers: [ { key: x-api-key, type: text, value: "${PAGE_TEST_KEY}" } ]
      auth: { type: bearer, token: "${PAGE_TEST_TOKEN}" }
      body: [ { key: language, type: text, value: en } ]
    goto: done
  - id: done
    type: message
    messages: [ "Done." ]
"#;

struct Page {
    child: Child,
    base: String,
    host: String,
}

impl Page {
    /// Runs `emulate` on `address` against `backend`; waits until the page answers.
    async fn start(address: &str, backend: &str, file: &std::path::Path) -> Page {
        let child = Command::new(env!("CARGO_BIN_EXE_chatlayer-emulator"))
            .args(["emulate", file.to_str().unwrap(), "--backend", backend])
            .env("CHATLAYER_ADDR", address)
            .env("PAGE_TEST_TOKEN", TOKEN)
            .env("PAGE_TEST_KEY", KEY)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let port = address.rsplit_once(':').unwrap().1;
        let page = Page {
            child,
            base: format!("http://127.0.0.1:{port}"),
            host: format!("localhost:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("{}/emulator", page.base))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "the page did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        page
    }

    fn request(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        self.request_as(&self.host, method, path)
    }

    /// The request with `host` as its `Host` header, as a browser sends the name it
    /// resolved.
    fn request_as(&self, host: &str, method: &str, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .header("host", host)
    }

    /// Stops the command; returns what it printed.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut printed = String::new();
        for stream in [
            self.child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read>),
            self.child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read>),
        ]
        .into_iter()
        .flatten()
        {
            let mut stream = stream;
            let _ = stream.read_to_string(&mut printed);
        }
        printed
    }
}

fn free_address(host: &str) -> String {
    let listener = std::net::TcpListener::bind(format!("{host}:0")).unwrap();
    listener.local_addr().unwrap().to_string()
}

fn bot_file(test: &str) -> std::path::PathBuf {
    let file = std::env::temp_dir().join(format!(
        "chatlayer-page-guard-{test}-{}.yaml",
        std::process::id()
    ));
    std::fs::write(&file, BOT).unwrap();
    file
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_refuses_other_sites_and_shows_no_secret() {
    let backend = TestServer::start(quickstart::app().build().unwrap())
        .await
        .unwrap();
    let backend_url = backend
        .url("")
        .replace("http://", &format!("http://shop:{URL_PASSWORD}@"));
    let file = bot_file("secrets");
    let page = Page::start(&free_address("127.0.0.1"), &backend_url, &file).await;

    // DNS rebinding: the attacker's name, resolved to 127.0.0.1, arrives as the Host.
    for path in ["/emulator", "/emulator/api/bot"] {
        let rebound = page
            .request_as("attacker.example:8080", "GET", path)
            .send()
            .await
            .unwrap();
        assert_eq!(rebound.status(), 403, "{path}");
        let said: Value = rebound.json().await.unwrap();
        assert!(
            said["error"]["message"]
                .as_str()
                .unwrap()
                .contains("CHATLAYER_EMULATOR_HOSTS"),
            "{said}"
        );
    }
    // The page itself, with the headers that keep it to itself.
    let index = page.request("GET", "/emulator").send().await.unwrap();
    assert_eq!(index.status(), 200);
    let csp = index.headers()["content-security-policy"].to_str().unwrap();
    for rule in [
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(rule), "{csp}");
    }
    assert_eq!(index.headers()["x-frame-options"], "DENY");
    let icon = page.request("GET", "/favicon.ico").send().await.unwrap();
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");

    // Another origin starting conversations (a no-cors POST sends its Origin).
    let before = backend_calls(&page).await;
    for (name, value) in [
        ("origin", "http://attacker.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let foreign = page
            .request("POST", "/emulator/api/conversations")
            .header(name, value)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), 403, "{name}: {value}");
    }
    assert_eq!(
        backend_calls(&page).await,
        before,
        "no conversation was started"
    );

    // The page's own request: a conversation whose first step carries the secrets.
    let started = page
        .request("POST", "/emulator/api/conversations")
        .header("origin", format!("http://{}", page.host))
        .header("sec-fetch-site", "same-origin")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 201);
    let shown = started.text().await.unwrap();
    for secret in [TOKEN, KEY, URL_PASSWORD] {
        assert!(
            !shown.contains(secret),
            "{secret} in the page's API: {shown}"
        );
    }
    assert!(shown.contains("${PAGE_TEST_KEY}"), "{shown}");
    assert!(shown.contains("Bearer [hidden]"), "{shown}");
    let described = page
        .request("GET", "/emulator/api/bot")
        .send()
        .await
        .unwrap();
    let described = described.text().await.unwrap();
    assert!(!described.contains(URL_PASSWORD), "{described}");

    let printed = page.stop();
    for secret in [TOKEN, KEY, URL_PASSWORD] {
        assert!(!printed.contains(secret), "{secret} printed: {printed}");
    }
    assert!(!printed.contains("beyond this machine"), "{printed}");
    let _ = std::fs::remove_file(&file);
}

/// How many exchanges the page's conversations show: a proxy for the backend's calls.
async fn backend_calls(page: &Page) -> usize {
    let mut calls = 0;
    for id in 1..=8 {
        let answer = page
            .request("GET", &format!("/emulator/api/conversations/{id}"))
            .send()
            .await
            .unwrap();
        if answer.status() == 200 {
            calls += answer.text().await.unwrap().matches("\"request\"").count();
        }
    }
    calls
}

#[tokio::test(flavor = "multi_thread")]
async fn listening_beyond_this_machine_is_warned_of() {
    let file = bot_file("exposed");
    let page = Page::start(&free_address("0.0.0.0"), "http://127.0.0.1:9", &file).await;
    let printed = page.stop();
    assert!(printed.contains("beyond this machine"), "{printed}");
    let _ = std::fs::remove_file(&file);
}
