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

#[tokio::test(flavor = "multi_thread")]
async fn a_user_clicks_types_and_sees_the_flow_the_session_and_the_exchanges() {
    let Some(chromedriver) = find_tool(
        "CHROMEDRIVER",
        &["chromedriver"],
        "apt-get install chromium-driver",
    ) else {
        return;
    };
    let Some(chromium) = find_tool(
        "CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
        "apt-get install chromium",
    ) else {
        return;
    };

    let (emulator, page_port) = start_binary(
        &["emulate", concat!(env!("CARGO_MANIFEST_DIR"), "/bot.yaml")],
        &[("RUST_LOG", "warn")],
    )
    .await;
    let _emulator = Running(emulator);
    let driver_port = free_port();
    let _driver = Running(
        Command::new(&chromedriver)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
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

    let result = drive(&client, page_port).await;
    let _ = client.close().await;
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
    Ok(())
}

/// Saves the picture under `target/`, and as the README's screenshot when
/// `CHATLAYER_UPDATE_SCREENSHOTS` is set.
fn save_screenshot(png: &[u8]) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = root.join("target/emulator.png");
    std::fs::write(&target, png).expect("the screenshot is written");
    if std::env::var_os("CHATLAYER_UPDATE_SCREENSHOTS").is_some() {
        std::fs::create_dir_all(root.join("docs/images")).unwrap();
        std::fs::write(root.join("docs/images/emulator.png"), png).unwrap();
    }
}
