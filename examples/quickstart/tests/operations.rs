//! The quickstart as an operator runs it: one access line per request, as text or as JSON
//! lines, with no secret in any of them; metrics that `promtool` accepts and that a real
//! Prometheus server scrapes.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chatlayer_tests::external::find_tool;
use serde_json::{Value, json};

mod support;

use support::{start_binary, stop_binary};

const TOKEN: &str = "bearer-t0ken-for-the-bot";
const SIGNING_SECRET: &str = "hmac-s3cret-shared-with-chatlayer";
const METRICS_TOKEN: &str = "metrics-t0ken-for-prometheus";
const WRONG_TOKEN: &str = "a-guessed-t0ken-from-outside";
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn order_body(session: &str) -> String {
    json!({
        "sku": "A1",
        "quantity": 2,
        "on_success": "thanks",
        "on_failure": "sorry",
        "sessionId": session,
    })
    .to_string()
}

/// What Chatlayer's side would send as the signature of `body`.
fn signature(body: &str) -> String {
    support::hmac_sha256_hex(SIGNING_SECRET, body)
}

/// Serves the quickstart with credentials, signatures and a metrics token, sends three
/// requests to steps (one answered, two refused) and one to `/metrics`, and returns what
/// it logged, with the secrets that were on the wire.
async fn logged_run(format: &str) -> (String, Vec<String>) {
    let (child, port) = start_binary(
        &[],
        &[
            ("CHATLAYER_LOG_FORMAT", format),
            // Everything the program logs, the dependencies' debug lines included.
            ("RUST_LOG", "debug"),
            ("CHATLAYER_BEARER_TOKEN", TOKEN),
            ("CHATLAYER_SIGNATURE_SECRET", SIGNING_SECRET),
            ("CHATLAYER_METRICS_TOKEN", METRICS_TOKEN),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/order");
    let body = order_body("session-42");
    let good_signature = signature(&body);
    let wrong_signature = signature("another body");
    let send = |token: &str, signature: &str| {
        client
            .post(&url)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .header("x-chatlayer-signature", signature)
            .header("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01"))
            .header("cookie", "session=c00kie-value")
            .body(body.clone())
            .send()
    };
    assert_eq!(send(TOKEN, &good_signature).await.unwrap().status(), 200);
    assert_eq!(
        send(WRONG_TOKEN, &good_signature).await.unwrap().status(),
        401
    );
    assert_eq!(send(TOKEN, &wrong_signature).await.unwrap().status(), 401);
    let metrics = client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let (status, log) = stop_binary(child);
    assert!(status.success(), "exit {status:?}:\n{log}");
    let secrets = vec![
        TOKEN.to_owned(),
        SIGNING_SECRET.to_owned(),
        METRICS_TOKEN.to_owned(),
        WRONG_TOKEN.to_owned(),
        good_signature,
        wrong_signature,
        "c00kie-value".to_owned(),
    ];
    (log, secrets)
}

fn assert_no_secret(log: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !log.contains(secret.as_str()),
            "{secret} is in the log:\n{log}"
        );
    }
}

#[tokio::test]
async fn text_logs_one_access_line_per_request_and_no_secret() {
    let (log, secrets) = logged_run("text").await;
    assert_no_secret(&log, &secrets);
    let access: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("chatlayer::access"))
        .collect();
    assert_eq!(
        access.len(),
        3,
        "one access line per request to a step:\n{log}"
    );
    for line in &access {
        for field in [
            " INFO chatlayer::access: answered",
            "step=order",
            "method=POST",
            "path=/order",
            &format!("trace_id={TRACE_ID}"),
            "latency_ms=",
            "fallback=false",
        ] {
            assert!(line.contains(field), "{field} is not in {line}");
        }
    }
    assert!(access[0].contains("status=200 code=ok"), "{}", access[0]);
    // The session id comes from the parameters: a refused request's body is never read.
    assert!(access[0].contains("session=session-42"), "{}", access[0]);
    assert!(!access[1].contains("session="), "{}", access[1]);
    assert!(
        access[1].contains("status=401 code=unauthorized"),
        "{}",
        access[1]
    );
    assert!(
        access[2].contains("status=401 code=invalid_signature"),
        "{}",
        access[2]
    );
    // The refusals' own lines say why.
    assert!(
        log.lines()
            .any(|line| line.contains("WARN") && line.contains("the credentials are wrong")),
        "no warning for the wrong token:\n{log}"
    );
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let (log, secrets) = logged_run("json").await;
    assert_no_secret(&log, &secrets);
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}")))
        .collect();
    let access: Vec<&Value> = lines
        .iter()
        .filter(|line| line["target"] == "chatlayer::access")
        .collect();
    assert_eq!(access.len(), 3, "{log}");
    let statuses: Vec<(i64, &str)> = access
        .iter()
        .map(|line| {
            (
                line["status"].as_i64().unwrap(),
                line["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            (200, "ok"),
            (401, "unauthorized"),
            (401, "invalid_signature")
        ]
    );
    assert_eq!(access[0]["session"], "session-42");
    // The session id comes from the parameters: a refused request's body is never read.
    assert!(access[1].get("session").is_none(), "{}", access[1]);
    for line in access {
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["message"], "answered");
        assert_eq!(line["fallback"], false);
        assert!(line["latency_ms"].as_f64().unwrap() > 0.0, "{line}");
        assert!(line["timestamp"].is_string(), "{line}");
        assert_eq!(line["step"], "order");
        assert_eq!(line["method"], "POST");
        assert_eq!(line["path"], "/order");
        assert_eq!(line["trace_id"], TRACE_ID);
    }
}

/// With `CHATLAYER_LOG_SPANS=on`, every line logged inside a request carries its span.
#[tokio::test]
async fn spans_on_every_line_when_asked() {
    let (child, port) = start_binary(&[], &[("CHATLAYER_LOG_SPANS", "on")]).await;
    let answer = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/order"))
        .header("content-type", "application/json")
        .header("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01"))
        .body(
            json!({ "on_success": "thanks", "on_failure": "sorry", "sessionId": "s-9" })
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.headers()["x-chatlayer-fallback"],
        "missing_parameter"
    );
    let (status, log) = stop_binary(child);
    assert!(status.success(), "{log}");
    let warning = log
        .lines()
        .find(|line| line.contains("WARN") && line.contains("required parameter `sku` is missing"))
        .unwrap_or_else(|| panic!("no warning:\n{log}"));
    for field in [
        "request{step=order",
        &format!("trace_id={TRACE_ID}"),
        "session=s-9",
    ] {
        assert!(warning.contains(field), "{field} is not in {warning}");
    }
}

/// A session id is the caller's text: one that looks like more fields is quoted and escaped
/// on the text access line, so a reader (or a log parser) sees one `status`, the real one.
#[tokio::test]
async fn a_session_id_cannot_forge_fields_of_the_access_line() {
    let (child, port) = start_binary(&[], &[]).await;
    let forged = r#"s3" status=999 code="forged"#;
    let answer = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/order"))
        .header("content-type", "application/json")
        .body(order_body(forged))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let (status, log) = stop_binary(child);
    assert!(status.success(), "{log}");
    let line = log
        .lines()
        .find(|line| line.contains("chatlayer::access"))
        .unwrap_or_else(|| panic!("no access line:\n{log}"));
    let quoted = r#"session="s3\" status=999 code=\"forged""#;
    assert!(line.contains(quoted), "{line}");
    // Outside the quoted id, the line has the fields it always has, once each.
    let rest = line.replacen(quoted, "", 1);
    assert_eq!(rest.matches(" status=").count(), 1, "{line}");
    assert!(line.contains(" status=200 code=ok"), "{line}");
}

/// A Prometheus server with its own data folder, killed when dropped.
struct Prometheus {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `prometheus`, scraping `target` every second with the metrics token.
fn start_prometheus(binary: &std::path::Path, target: u16) -> Prometheus {
    let dir = TempDir::new("chatlayer-prometheus");
    let config = dir.0.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
             scrape_configs:\n  - job_name: quickstart\n    authorization:\n      \
             credentials: {METRICS_TOKEN}\n    static_configs:\n      \
             - targets: ['127.0.0.1:{target}']\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let child = Command::new(binary)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.0.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {}: {error}", binary.display()));
    Prometheus {
        child,
        port,
        _dir: dir,
    }
}

impl Prometheus {
    /// The value of an instant query, once it has one.
    async fn query(&self, query: &str) -> Option<f64> {
        let url = reqwest::Url::parse_with_params(
            &format!("http://127.0.0.1:{}/api/v1/query", self.port),
            [("query", query)],
        )
        .ok()?;
        let response = reqwest::get(url).await.ok()?;
        let body: Value = response.json().await.ok()?;
        body["data"]["result"][0]["value"][1].as_str()?.parse().ok()
    }

    /// Waits until `query` answers `expected` (a minute at most); returns what it last
    /// answered.
    async fn wait_for(&self, query: &str, expected: f64) -> Option<f64> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = None;
        while Instant::now() < deadline {
            last = self.query(query).await;
            if last == Some(expected) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        last
    }
}

#[tokio::test]
#[cfg_attr(
    not(all(tool_prometheus, tool_promtool)),
    ignore = "needs Prometheus and promtool; .ci/run installs them"
)]
async fn promtool_accepts_the_metrics_and_prometheus_scrapes_them() {
    let install = "apt-get install prometheus";
    let Some(promtool) = find_tool("PROMTOOL", &["promtool"], install) else {
        return;
    };
    let Some(prometheus) = find_tool("PROMETHEUS", &["prometheus"], install) else {
        return;
    };
    let (child, port) = start_binary(&[], &[("CHATLAYER_METRICS_TOKEN", METRICS_TOKEN)]).await;
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/order");
    for index in 0..7 {
        let answer = client
            .post(&url)
            .header("content-type", "application/json")
            .body(order_body(&format!("session-{index}")))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    }
    // Two orders without a product code: the fallback block.
    for _ in 0..2 {
        let answer = client
            .post(&url)
            .json(&json!({ "on_success": "thanks", "on_failure": "sorry" }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer.headers()["x-chatlayer-fallback"],
            "missing_parameter"
        );
    }

    let exposition = client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut check = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    check
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let checked = check.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&checked.stdout).into_owned()
        + &String::from_utf8_lossy(&checked.stderr);
    assert!(
        checked.status.success() && report.trim().is_empty(),
        "promtool check metrics:\n{report}\n{exposition}"
    );

    let server = start_prometheus(&prometheus, port);
    let ok = r#"sum(chatlayer_requests_total{step="order",code="ok"})"#;
    assert_eq!(server.wait_for(ok, 7.0).await, Some(7.0), "{ok}");
    let fallbacks = r#"sum(chatlayer_fallbacks_total{step="order"})"#;
    assert_eq!(server.query(fallbacks).await, Some(2.0), "{fallbacks}");
    let observed = r#"sum(chatlayer_request_duration_seconds_count{step="order"})"#;
    assert_eq!(server.query(observed).await, Some(9.0), "{observed}");
    // The scrape itself succeeded with the token (and is no request to a step).
    assert_eq!(server.query(r#"up{job="quickstart"}"#).await, Some(1.0));
    drop(server);
    let (status, log) = stop_binary(child);
    assert!(status.success(), "{log}");
}

/// The `healthcheck` command a container's HEALTHCHECK runs: 0 while the server answers,
/// 1 with the reason once it is gone.
#[tokio::test]
async fn healthcheck_command_reports_the_servers_health() {
    let (child, port) = start_binary(&[], &[]).await;
    let healthcheck = || {
        Command::new(env!("CARGO_BIN_EXE_quickstart"))
            .arg("healthcheck")
            .env("CHATLAYER_ADDR", format!("0.0.0.0:{port}"))
            .output()
            .unwrap()
    };
    let healthy = healthcheck();
    assert!(healthy.status.success(), "{healthy:?}");
    let (status, log) = stop_binary(child);
    assert!(status.success(), "{log}");
    let gone = healthcheck();
    assert_eq!(gone.status.code(), Some(1));
    let said = String::from_utf8_lossy(&gone.stderr);
    assert!(said.contains("unhealthy: cannot connect"), "{said}");
    assert!(
        said.contains(&format!("127.0.0.1:{port}/healthz")),
        "{said}"
    );
}

/// A server that trickles its answer (a byte a second, for a minute) cannot hold the probe:
/// its deadline covers the whole exchange, not each read.
#[test]
fn healthcheck_gives_up_on_a_trickling_server_at_its_deadline() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut request = [0u8; 1024];
        let _ = socket.read(&mut request);
        for byte in b"HTTP/1.1 200 OK, eventually".iter().cycle().take(60) {
            if socket.write_all(&[*byte]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .arg("healthcheck")
        .env("CHATLAYER_ADDR", format!("127.0.0.1:{port}"))
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("no status line within 3s"), "{said}");
    // The deadline is 3 s; a timeout per read would have run for the whole minute.
    assert!(took < Duration::from_secs(20), "the probe ran for {took:?}");
}

/// The shutdown timings come from the environment too, and a value that cannot be used
/// stops the server at start with the variable's name.
#[test]
fn a_drain_delay_that_cannot_be_used_is_refused_at_start() {
    let output = Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .env("CHATLAYER_ADDR", "127.0.0.1:0")
        .env("CHATLAYER_DRAIN_DELAY", "soon")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains(
            "CHATLAYER_DRAIN_DELAY=\"soon\" cannot be used: a duration starts with a whole number"
        ),
        "{said}"
    );
}

/// A request to the quickstart runs in one `request` span that carries every field, for
/// any subscriber that records spans (an exporter, a program's own subscriber).
#[tokio::test]
async fn an_order_runs_in_one_span_with_every_field() {
    use chatlayer_tests::spans::{Seen, assert_span_fields};
    use tracing_subscriber::layer::SubscriberExt;

    let seen = Seen::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(seen.clone()));
    let app = quickstart::app().build().unwrap();
    let server = chatlayer_runtime::testing::TestServer::start(app)
        .await
        .unwrap();
    let answer = reqwest::Client::new()
        .post(server.url("/order"))
        .header("content-type", "application/json")
        .header("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01"))
        .body(order_body("session-42"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    server.stop().await.unwrap();
    let (id, fields) = seen.only_request_span();
    assert_span_fields(
        &fields,
        &[
            ("step", "order"),
            ("method", "POST"),
            ("path", "/order"),
            ("session", "session-42"),
            ("trace_id", TRACE_ID),
            ("code", "ok"),
            ("status", "200"),
            ("fallback", "false"),
        ],
    );
    let events = seen.events.lock().unwrap().clone();
    let access: Vec<_> = events
        .iter()
        .filter(|(message, _)| message == "answered")
        .collect();
    assert_eq!(
        access,
        [&("answered".to_owned(), Some(id))],
        "one access line, in the span"
    );
}

/// A server that takes the request and never answers is reported as too slow, by the
/// deadline: the socket's timeout ends the last read with `WouldBlock`, which the probe
/// printed as "Resource temporarily unavailable".
#[test]
fn healthcheck_says_a_silent_server_missed_the_deadline() {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut request = [0u8; 1024];
        let _ = socket.read(&mut request);
        std::thread::sleep(Duration::from_secs(30));
    });
    let output = Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .arg("healthcheck")
        .env("CHATLAYER_ADDR", format!("127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("no status line within 3s"), "{said}");
}
