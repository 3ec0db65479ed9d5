//! What an attacker's odd requests get, over real sockets: caller text bounded and escaped
//! in answers and logs, valid JSON read whatever serde_json thinks of it, declared lengths
//! refused before reading, encodings read or refused by name, JSON everywhere, and the
//! protocol's corners decided.

use std::sync::Arc;
use std::time::Duration;

use chatlayer_runtime::prelude::*;
use chatlayer_runtime::server::Server;
use chatlayer_runtime::testing::TestServer;
use chatlayer_tests::logs::Logs;
use chatlayer_tests::{Calls, post_json, send, serve, serve_on};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The calls of each step of one server, so that tests running at once never count each
/// other's.
#[derive(Default)]
struct Counts {
    /// Orders run only when the order is well formed.
    orders: Calls,
    /// A HEAD must not run the lookup.
    lookups: Calls,
}

/// Orders `quantity` of `sku`; failures go to `on_failure`.
#[api_step("/order", fallback = on_failure)]
async fn order(sku: String, quantity: u32, on_failure: BlockId, counts: Dep<Counts>) -> Reply {
    counts.orders.record();
    Reply::new().add_message(format!("{quantity} x {sku}"))
}

/// Echoes a name, to see how it was decoded.
#[api_step("/echo")]
async fn echo(name: String) -> Reply {
    Reply::new().add_session_variable("echo", json!({ "name": name }))
}

/// Takes any JSON: serde_json reads, clones and drops it by recursion.
#[api_step("/any")]
async fn any(value: serde_json::Value) -> Reply {
    Reply::new().add_message(format!("an array: {}", value.is_array()))
}

/// A GET step.
#[api_step("/lookup", method = GET)]
async fn lookup(counts: Dep<Counts>) -> Reply {
    counts.lookups.record();
    Reply::new().add_message("found")
}

async fn server() -> TestServer {
    counted_server().await.0
}

/// The server, and the calls its steps count.
async fn counted_server() -> (TestServer, Arc<Counts>) {
    let counts = Arc::new(Counts::default());
    let server = serve_on(
        Server::new().read_timeout(Duration::from_secs(5)),
        App::from_steps([order::STEP, echo::STEP, lookup::STEP, any::STEP])
            .provide_arc(Arc::clone(&counts))
            .limits(chatlayer_runtime::Limits::new().body(64 * 1024))
            .build()
            .unwrap(),
    )
    .await;
    (server, counts)
}

/// Writes `request` on a fresh connection and reads what comes back until the server closes
/// or `wait` passes.
async fn exchange(server: &TestServer, request: &[u8], wait: Duration) -> String {
    let mut stream = tokio::net::TcpStream::connect(server.address())
        .await
        .unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

// Finding 4: caller text in logs and answers.

/// Before: a 1 MB value came back whole in a 1 MB 400, and made a 1 MB log line; a newline
/// in a block id forged a log line; NUL bytes were written raw.
#[tokio::test]
async fn caller_text_is_bounded_and_escaped_in_answers_and_logs() {
    let logs = Logs::capture();
    let server = serve(
        App::from_steps([order::STEP, echo::STEP])
            .provide(Counts::default())
            .build()
            .unwrap(),
    )
    .await;
    let huge = "9".repeat(1_000_000) + "x";
    let body = json!({ "sku": "A1", "quantity": huge, "on_failure": "oops" }).to_string();
    let answer = send(
        &server,
        reqwest::Method::POST,
        "/order",
        Some("application/json"),
        body,
    )
    .await;
    assert_eq!(answer.status, 200, "a malformed quantity falls back");
    let refused = send(
        &server,
        reqwest::Method::POST,
        "/echo",
        Some("application/json"),
        json!({ "name": { "nested": huge } }).to_string(),
    )
    .await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.json.to_string().len() < 2_000,
        "the answer echoes {} bytes",
        refused.json.to_string().len()
    );

    let forged = "oops\nERROR forged: the database is down\0";
    post_json(
        &server,
        "/order",
        &json!({ "sku": "A1", "on_failure": forged }),
    )
    .await;
    let text = logs.text();
    assert!(
        text.lines().all(|line| line.len() < 4_000),
        "a log line is huge"
    );
    assert!(
        !text.lines().any(|line| line.starts_with("ERROR forged")),
        "{text}"
    );
    assert!(!text.contains('\0'), "a NUL byte reached the log");
    assert!(
        text.contains(r#"oops\nERROR forged"#),
        "the value is shown escaped:\n{text}"
    );
}

// Finding 5: valid JSON refused.

/// Before, each of these got `400 invalid_body`, skipping the fallback block in the body.
#[tokio::test]
async fn valid_json_reaches_the_parameters_and_only_the_bad_one_fails() {
    let (server, counts) = counted_server().await;
    let deep = format!("{}0{}", "[".repeat(200), "]".repeat(200));
    let digits = "7".repeat(5_000);
    for (what, body) in [
        (
            "1e400",
            r#"{"sku": "A1", "quantity": 1e400, "on_failure": "fb"}"#.to_owned(),
        ),
        (
            "a 5,000-digit integer",
            format!(r#"{{"sku": "A1", "quantity": {digits}, "on_failure": "fb"}}"#),
        ),
    ] {
        let answer = send(
            &server,
            reqwest::Method::POST,
            "/order",
            Some("application/json"),
            body,
        )
        .await;
        assert_eq!(answer.status, 200, "{what}: {}", answer.json);
        assert_eq!(answer.json["action"]["nextDialogstate"], "fb", "{what}");
    }
    let before = counts.orders.count();
    for (what, body) in [
        (
            "nesting deeper than 128",
            format!(r#"{{"sku": "A1", "quantity": 2, "on_failure": "fb", "extra": {deep}}}"#),
        ),
        (
            "a byte-order mark",
            "\u{feff}{\"sku\": \"A1\", \"quantity\": 2, \"on_failure\": \"fb\"}".to_owned(),
        ),
    ] {
        let answer = send(
            &server,
            reqwest::Method::POST,
            "/order",
            Some("application/json"),
            body,
        )
        .await;
        assert_eq!(answer.status, 200, "{what}: {}", answer.json);
        assert!(
            answer.json.get("action").is_none(),
            "{what}: the step ran: {}",
            answer.json
        );
    }
    assert_eq!(counts.orders.count(), before + 2);
    let surrogate = send(
        &server,
        reqwest::Method::POST,
        "/echo",
        None,
        r#"{"name": "A\ud800B"}"#,
    )
    .await;
    assert_eq!(surrogate.json["session"]["data"]["name"], "A\u{fffd}B");
}

/// Reading nesting of any depth made a crash of it: 2,000 levels given to a step taking a
/// `serde_json::Value` overflowed the stack and aborted the server. Nesting is read up to
/// 512 levels, and deeper is refused.
#[tokio::test]
async fn nesting_is_read_deep_and_refused_deeper_without_a_crash() {
    let server = server().await;
    let nested = |depth: usize| {
        format!(
            r#"{{"value": {}0{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        )
    };
    let answer = post_json_text(&server, "/any", nested(500)).await;
    assert_eq!(answer.status, 200, "{}", answer.json);
    for depth in [600, 5_000] {
        let answer = post_json_text(&server, "/any", nested(depth)).await;
        assert_eq!(answer.status, 413, "{depth}: {}", answer.json);
        assert_eq!(answer.json["error"]["code"], "body_too_large");
        assert!(
            answer.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("deeper than 512 levels"),
            "{}",
            answer.json
        );
    }
    let answer = post_json_text(&server, "/any", nested(10)).await;
    assert_eq!(
        answer.status, 200,
        "the server is still up: {}",
        answer.json
    );
}

async fn post_json_text(server: &TestServer, path: &str, body: String) -> chatlayer_tests::Answer {
    send(
        server,
        reqwest::Method::POST,
        path,
        Some("application/json"),
        body,
    )
    .await
}

// Finding 6: declared-too-large bodies.

/// Before: 408 after the read timeout for a lying length, and `100 Continue` for a body
/// over the limit.
#[tokio::test]
async fn a_body_declared_too_large_is_refused_before_it_is_read() {
    // The server's read timeout is 5 s: an answer within 3 s is not the timeout's.
    let server = server().await;
    let answer = exchange(
        &server,
        b"POST /order HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n{\"sku\": \"A1\", \"quantity\": 1, \"on_failure\": \"fb\", \"pad\": \"\"}",
        Duration::from_secs(3),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"code\":\"body_too_large\""), "{answer}");

    let answer = exchange(
        &server,
        b"POST /order HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\nExpect: 100-continue\r\n\r\n",
        Duration::from_secs(3),
    )
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "the upload was invited: {answer}"
    );
    assert!(!answer.contains("100 Continue"), "{answer}");
}

// Finding 7: encodings.

/// Before: gzip got a JSON parse error, plain JSON labelled gzip was accepted, multipart got
/// "invalid number", and a Latin-1 form's `%E9` became U+FFFD.
#[tokio::test]
async fn encodings_are_read_or_refused_by_name() {
    let server = server().await;
    for (headers, body) in [
        (
            vec![
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
            ],
            &b"\x1f\x8b\x08\x00"[..],
        ),
        (
            vec![
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
            ],
            &br#"{"name": "plain"}"#[..],
        ),
        (
            vec![("content-type", "multipart/form-data; boundary=b")],
            &b"--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--b--\r\n"[..],
        ),
    ] {
        let mut request = reqwest::Client::new()
            .post(server.url("/echo"))
            .body(body.to_vec());
        for (name, value) in &headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 415, "{headers:?}");
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "unsupported_media_type");
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("reads a JSON object or form data"),
            "{error}"
        );
    }
    let latin1 = send(
        &server,
        reqwest::Method::POST,
        "/echo",
        Some("application/x-www-form-urlencoded; charset=ISO-8859-1"),
        "name=Ren%E9",
    )
    .await;
    assert_eq!(latin1.json["session"]["data"]["name"], "René");
    let raw_latin1 = send(
        &server,
        reqwest::Method::POST,
        "/echo",
        Some("application/json; charset=latin1"),
        b"{\"name\": \"Ren\xe9\"}".to_vec(),
    )
    .await;
    assert_eq!(raw_latin1.json["session"]["data"]["name"], "René");
}

// Finding 8: non-JSON answers.

/// Before: the built-in routes answered 405 with an empty body.
#[tokio::test]
async fn built_in_routes_answer_a_wrong_method_in_json() {
    let server = server().await;
    for path in ["/healthz", "/readyz", "/openapi.json", "/docs"] {
        let answer = send(&server, reqwest::Method::POST, path, None, "").await;
        assert_eq!(answer.status, 405, "{path}");
        assert_eq!(answer.json["error"]["code"], "method_not_allowed", "{path}");
        assert_eq!(answer.content_type, "application/json; charset=utf-8");
    }
    let head = reqwest::Client::new()
        .head(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200, "probes may use HEAD");
}

// Finding 9: memory.

/// Parsed values take far more memory than their text: a body is bounded in values too.
#[tokio::test]
async fn a_body_of_too_many_values_is_refused() {
    let server = serve(
        App::from_steps([echo::STEP])
            .limits(chatlayer_runtime::Limits::new().body_values(1_000))
            .build()
            .unwrap(),
    )
    .await;
    let zeros = format!(
        "{{\"name\": \"x\", \"pad\": [{}]}}",
        vec!["0"; 2_000].join(",")
    );
    let answer = send(&server, reqwest::Method::POST, "/echo", None, zeros).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.json["error"]["code"], "body_too_large");
    assert!(
        answer.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1000 JSON values")
    );
}

// Finding 10: the protocol's corners.

#[tokio::test]
async fn head_connect_and_host_are_decided() {
    let (server, counts) = counted_server().await;
    // HEAD would run a GET step: refused, and the step does not run.
    let before = counts.lookups.count();
    let head = reqwest::Client::new()
        .head(server.url("/lookup"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 405);
    assert_eq!(head.headers()["allow"], "GET");
    assert_eq!(counts.lookups.count(), before);

    let answer = exchange(
        &server,
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        Duration::from_secs(2),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
    assert!(
        answer.contains("\"code\":\"method_not_allowed\""),
        "{answer}"
    );

    for request in [
        &b"GET /lookup HTTP/1.1\r\n\r\n"[..],
        b"GET /lookup HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    ] {
        let answer = exchange(&server, request, Duration::from_secs(2)).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        assert!(answer.contains("\"code\":\"invalid_request\""), "{answer}");
    }
    let http10 = exchange(
        &server,
        b"GET /lookup HTTP/1.0\r\n\r\n",
        Duration::from_secs(2),
    )
    .await;
    assert!(
        http10.starts_with("HTTP/1.0 200"),
        "HTTP/1.0 needs no Host: {http10}"
    );
}
