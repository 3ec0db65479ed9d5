//! The emulator page, driven in headless Chromium over WebDriver as a user would: the
//! quickstart binary serves it (`quickstart emulate bot.yaml`), the test loads it, clicks
//! a quick reply, types an answer, and sees the next block's messages, the session panel
//! change and the exchange appear. Every host but 127.0.0.1 is unresolvable, so a page
//! that needed the internet would fail. The picture it takes is the README's screenshot.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chatlayer_tests::external::find_tool;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use support::start_binary;

mod support;

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until `output` prints a line containing `ready`; the rest of it is drained in the
/// background, so the process never blocks on a full pipe.
fn wait_for_line(output: impl std::io::Read + Send + 'static, ready: &str, what: &str) {
    use std::io::BufRead;
    let (sender, receiver) = std::sync::mpsc::channel();
    let ready = ready.to_owned();
    std::thread::spawn(move || {
        let mut sender = Some(sender);
        for line in std::io::BufReader::new(output).lines() {
            let Ok(line) = line else { break };
            if line.contains(&ready)
                && let Some(sender) = sender.take()
            {
                let _ = sender.send(());
            }
        }
    });
    receiver
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{what} did not say it was ready within 60 s"));
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("no {css}: {error}"))
        .text()
        .await
        .unwrap()
}

/// Waits until an element matching `css` contains `text`.
async fn wait_for_text(client: &Client, css: &str, text: &str) {
    let xpath_free = Instant::now() + Duration::from_secs(15);
    loop {
        for element in client.find_all(Locator::Css(css)).await.unwrap() {
            if element.text().await.unwrap_or_default().contains(text) {
                return;
            }
        }
        assert!(
            Instant::now() < xpath_free,
            "no {css} contains {text:?}; the chat shows:\n{}",
            text_of(client, "#chat").await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Headless Chromium, driven over WebDriver; every host but 127.0.0.1 is unresolvable.
struct Browser {
    client: Client,
    _driver: Running,
}

/// Starts chromedriver and a browser session; `None` (the test is skipped) when the tools
/// are not installed and CI is not set.
async fn browser() -> Option<Browser> {
    let chromedriver = find_tool(
        "CHROMEDRIVER",
        &["chromedriver"],
        "apt-get install chromium-driver",
    )?;
    let chromium = find_tool(
        "CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
        "apt-get install chromium",
    )?;
    let driver_port = free_port();
    let mut child = Command::new(&chromedriver)
        .arg(format!("--port={driver_port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    // Listening is not being ready: under load, a session asked for as soon as the port
    // answered was reset. Chromedriver says when it is ready.
    wait_for_line(
        child.stdout.take().expect("piped"),
        "started successfully",
        "chromedriver",
    );
    let driver = Running(child);
    wait_for_port(driver_port, "chromedriver");

    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1440,900", "--no-first-run", "--disable-background-networking",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
            ]
        }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a WebDriver session");
    Some(Browser {
        client,
        _driver: driver,
    })
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(all(tool_chromedriver, tool_chromium)),
    ignore = "needs chromedriver and Chromium; .ci/run installs them"
)]
async fn a_user_clicks_types_and_sees_the_flow_the_session_and_the_exchanges() {
    let Some(browser) = browser().await else {
        return;
    };
    let (emulator, page_port) = start_binary(
        &["emulate", concat!(env!("CARGO_MANIFEST_DIR"), "/bot.yaml")],
        &[("RUST_LOG", "warn")],
    )
    .await;
    let _emulator = Running(emulator);
    let result = drive(&browser.client, page_port).await;
    let _ = browser.client.close().await;
    result.unwrap();
}

async fn drive(client: &Client, port: u16) -> Result<(), fantoccini::error::CmdError> {
    client
        .goto(&format!("http://127.0.0.1:{port}/emulator"))
        .await?;

    // The welcome step answered and the menu's quick replies are there.
    wait_for_text(client, ".bubble.bot", "Welcome to our shop!").await;
    wait_for_text(client, ".quick-reply", "Track my order").await;
    assert_eq!(text_of(client, "#bot-name").await, "Shop");
    assert!(
        text_of(client, "#session")
            .await
            .contains("\"preferredLanguage\": \"en\"")
    );

    // Click a quick reply: the next block asks its question.
    for reply in client.find_all(Locator::Css(".quick-reply")).await? {
        if reply.text().await? == "Track my order" {
            reply.click().await?;
            break;
        }
    }
    wait_for_text(client, ".bubble.bot", "What is your order number?").await;
    wait_for_text(client, ".bubble.user", "Track my order").await;

    // Type the answer: the step is called and its reply shown.
    let input = client.find(Locator::Css("#message")).await?;
    input.send_keys("ABC-1").await?;
    client.find(Locator::Css("#send")).await?.click().await?;
    wait_for_text(client, ".bubble.bot", "Order ABC-1 is placed.").await;

    // The session panel shows what the turn changed, highlighted.
    wait_for_text(client, "#changes .change", "order.status").await;
    let changes = text_of(client, "#changes").await;
    assert!(changes.contains("tracking.orderId"), "{changes}");
    let highlighted = client.find_all(Locator::Css("#session .changed")).await?;
    assert!(
        !highlighted.is_empty(),
        "the changed values are highlighted"
    );
    assert!(text_of(client, "#current-block").await.contains("menu"));

    // The exchange appears in the inspector, with its status.
    assert_eq!(text_of(client, "#exchange-count").await, "2");
    client
        .find(Locator::Css("[data-tab=exchanges-panel]"))
        .await?
        .click()
        .await?;
    wait_for_text(client, ".exchange .url", "/order/status?orderId=ABC-1").await;
    let first = client
        .find(Locator::Css(".exchange summary"))
        .await?
        .text()
        .await?;
    assert!(first.contains("GET") && first.contains("200"), "{first}");

    // A carousel, then the picture of the page for the README.
    for reply in client.find_all(Locator::Css(".quick-reply")).await? {
        if reply.text().await? == "See the catalog" {
            reply.click().await?;
            break;
        }
    }
    wait_for_text(client, ".card .title", "Blue raincoat").await;
    client
        .find(Locator::Css("[data-tab=session-panel]"))
        .await?
        .click()
        .await?;
    client
        .find(Locator::Css(".card button"))
        .await?
        .click()
        .await?;
    wait_for_text(client, ".bubble.bot", "How many A1 would you like?").await;
    let input = client.find(Locator::Css("#message")).await?;
    input.send_keys("2").await?;
    client.find(Locator::Css("#send")).await?.click().await?;
    wait_for_text(
        client,
        ".bubble.bot",
        "Your order of 2 x A1 comes to EUR 118.",
    )
    .await;
    let picture = client.screenshot().await?;
    save_screenshot(&picture);

    // The coverage tab adds up the page's conversations, a restarted one too.
    client.find(Locator::Css("#restart")).await?.click().await?;
    wait_for_text(client, ".quick-reply", "Are you open?").await;
    client
        .find(Locator::Css("[data-tab=coverage-panel]"))
        .await?
        .click()
        .await?;
    wait_for_text(
        client,
        "#coverage .coverage-total",
        "31.2% covered: blocks 9/28",
    )
    .await;
    let coverage = text_of(client, "#coverage").await;
    for line in [
        "steps 4/10, buttons and quick replies 2/10",
        "GET /order/status: answered ×1",
        "POST /welcome: answered ×2",
        "shop-open (message): never reached",
        "POST /stores: never called (from stores)",
        "menu: Are you open?",
    ] {
        assert!(coverage.contains(line), "{line:?} in\n{coverage}");
    }
    let missed = client
        .find_all(Locator::Css("#coverage .missed"))
        .await?
        .len();
    assert!(missed > 10, "{missed} lines marked as missed");
    assert_eq!(text_of(client, "#coverage-percent").await, "31.2%");
    Ok(())
}

/// Saves the picture in cargo's temporary folder for tests (under the build directory,
/// wherever `CARGO_TARGET_DIR` puts it), and as the README's screenshot when
/// `CHATLAYER_UPDATE_SCREENSHOTS` is set.
fn save_screenshot(png: &[u8]) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("emulator.png");
    std::fs::write(&target, png).expect("the screenshot is written");
    if std::env::var_os("CHATLAYER_UPDATE_SCREENSHOTS").is_some() {
        std::fs::create_dir_all(root.join("docs/images")).unwrap();
        std::fs::write(root.join("docs/images/emulator.png"), png).unwrap();
    }
}

/// Records real traffic from the quickstart (two sessions, three calls), then shows the
/// recording in the page (`quickstart emulate --recording DIR`): each session is a
/// conversation with the replies' messages, the session they built and the calls made.
#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(all(tool_chromedriver, tool_chromium)),
    ignore = "needs chromedriver and Chromium; .ci/run installs them"
)]
async fn a_recording_shows_each_session_as_a_conversation() {
    let Some(browser) = browser().await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("chatlayer-page-recording-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_text = dir.to_str().unwrap();

    let (recorder, port) =
        start_binary(&[], &[("CHATLAYER_RECORD", dir_text), ("RUST_LOG", "warn")]).await;
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let order = |body: serde_json::Value| http.post(format!("{base}/order")).json(&body).send();
    let first = json!({ "sku": "A1", "quantity": 2, "on_success": "thanks", "on_failure": "sorry", "sessionId": "s-1" });
    assert_eq!(order(first).await.unwrap().status(), 200);
    let unknown =
        json!({ "sku": "Z9", "on_success": "thanks", "on_failure": "sorry", "sessionId": "s-2" });
    assert_eq!(order(unknown).await.unwrap().status(), 200);
    let status = http
        .get(format!("{base}/order/status?orderId=1001&sessionId=s-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), 200);
    let recorded = support::wait_for_files(&dir, 3).await;
    assert_eq!(
        recorded.len(),
        3,
        "the three exchanges were not recorded: {recorded:?}"
    );
    let (exit, log) = support::stop_binary(recorder);
    assert!(exit.success(), "{log}");

    let (page, page_port) = start_binary(
        &["emulate", "--recording", dir_text],
        &[("RUST_LOG", "warn")],
    )
    .await;
    let _page = Running(page);
    let result = show_recording(&browser.client, page_port).await;
    let _ = browser.client.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    result.unwrap();
}

async fn show_recording(client: &Client, port: u16) -> Result<(), fantoccini::error::CmdError> {
    client
        .goto(&format!("http://127.0.0.1:{port}/emulator"))
        .await?;

    // The first session: both calls, their replies' messages, the session they built.
    wait_for_text(client, ".bubble.bot", "You ordered 2 x").await;
    wait_for_text(client, ".bubble.bot", "Order 1001 is").await;
    wait_for_text(client, ".call", "order · POST /order → 200").await;
    wait_for_text(
        client,
        ".call",
        "order_status · GET /order/status?orderId=1001&sessionId=s-1 → 200",
    )
    .await;
    assert_eq!(text_of(client, "#start-label").await, "Conversation");
    let options: Vec<String> = {
        let mut titles = Vec::new();
        for option in client.find_all(Locator::Css("#start-block option")).await? {
            titles.push(option.text().await?);
        }
        titles
    };
    assert_eq!(options.len(), 2, "{options:?}");
    assert!(
        options[0].starts_with("session s-1 · 2 calls · "),
        "{options:?}"
    );
    assert!(
        options[1].starts_with("session s-2 · 1 call · "),
        "{options:?}"
    );
    assert!(
        text_of(client, "#current-block")
            .await
            .contains("at block thanks")
    );
    let session = text_of(client, "#session").await;
    assert!(
        session.contains("\"total\"") && session.contains("\"status\""),
        "{session}"
    );
    assert_eq!(text_of(client, "#exchange-count").await, "2");
    let message = client.find(Locator::Css("#message")).await?;
    assert_eq!(message.prop("disabled").await?.as_deref(), Some("true"));
    assert!(
        !client
            .find(Locator::Css("#restart"))
            .await?
            .is_displayed()
            .await?
    );

    // The second session, chosen in the list: the fallback the unknown product took.
    client
        .find(Locator::Css("#start-block"))
        .await?
        .select_by_index(1)
        .await?;
    wait_for_text(
        client,
        ".bubble.bot",
        "Sorry, we could not place that order.",
    )
    .await;
    wait_for_text(client, "#exchange-count", "1").await;
    assert!(
        text_of(client, "#current-block")
            .await
            .contains("at block sorry")
    );
    let chat = text_of(client, "#chat").await;
    assert!(
        !chat.contains("You ordered"),
        "only the chosen session is shown: {chat}"
    );
    Ok(())
}
