//! Hardening over a real socket: deadlines, load shedding, health endpoints. Each failure
//! answers JSON (or the fallback block), and a normal request succeeds right after.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chatlayer_runtime::prelude::*;
use chatlayer_runtime::server::Server;
use chatlayer_tests::external::validate_openapi_text;
use chatlayer_tests::{Calls, get_json, post_json, send, serve, serve_on};

/// Set when a sleeping step ran to its end (it must not, once cancelled).
static SLEEPER_FINISHED: AtomicBool = AtomicBool::new(false);

/// Sleeps `ms` milliseconds, then answers; its own deadline is 300 ms.
#[api_step("/sleepy", timeout = "300ms", fallback = on_timeout)]
async fn sleepy(ms: u64, on_timeout: Option<BlockId>) -> Reply {
    let _ = on_timeout;
    tokio::time::sleep(Duration::from_millis(ms)).await;
    SLEEPER_FINISHED.store(true, Ordering::SeqCst);
    Reply::new().add_message("awake")
}

/// Sleeps `ms` milliseconds under the app's deadline.
#[api_step("/slow")]
async fn slow(ms: u64) -> Reply {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Reply::new().add_message("done")
}

#[tokio::test]
async fn a_step_past_its_deadline_is_cancelled_and_the_failure_policy_answers() {
    let app = App::from_steps([sleepy::STEP, slow::STEP])
        .limits(chatlayer_runtime::Limits::new().step_timeout(Duration::from_millis(400)))
        .build()
        .unwrap();
    let server = serve(app).await;

    // The step's own 300 ms deadline, with its fallback block: a 200 jump.
    let started = Instant::now();
    let answer = post_json(
        &server,
        "/sleepy",
        &json!({ "ms": 1_200, "on_timeout": "late" }),
    )
    .await;
    let waited = started.elapsed();
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json,
        json!({ "action": { "nextDialogstate": "late" } })
    );
    assert!(waited < Duration::from_secs(3), "answered after {waited:?}");

    // Without a fallback: a JSON 504 naming the step.
    let answer = post_json(&server, "/sleepy", &json!({ "ms": 1_200 })).await;
    assert_eq!(answer.status, 504);
    assert_eq!(answer.json["error"]["code"], "step_timeout");
    assert_eq!(answer.json["error"]["step"], "sleepy");

    // The app-wide deadline applies to steps without their own.
    let answer = post_json(&server, "/slow", &json!({ "ms": 5_000 })).await;
    assert_eq!(answer.status, 504);

    // The cancelled sleepers would have finished 1.2 s after they started: they did not.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(
        !SLEEPER_FINISHED.load(Ordering::SeqCst),
        "a timed-out step kept running"
    );

    // Under the deadline, all is normal.
    let answer = post_json(&server, "/sleepy", &json!({ "ms": 10 })).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json["messages"][0]["config"]["textMessages"][0]["text"],
        "awake"
    );
}

/// Holds its request for `ms` milliseconds.
#[api_step("/hold")]
async fn hold(ms: u64) -> Reply {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Reply::new().add_message("held")
}

/// Steps waiting at the gate, and the gate itself: a step holds its request until the test
/// opens the gate, so the test knows exactly how many requests are in flight.
static AT_GATE: AtomicUsize = AtomicUsize::new(0);
static GATE: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(0);

/// Holds its request until the test lets it through.
#[api_step("/gated")]
async fn gated() -> Reply {
    AT_GATE.fetch_add(1, Ordering::SeqCst);
    GATE.acquire().await.expect("the gate stays open").forget();
    Reply::new().add_message("through")
}

#[tokio::test]
async fn beyond_the_concurrency_limit_requests_are_shed_with_503_and_retry_after() {
    let app = App::from_steps([gated::STEP])
        .limits(chatlayer_runtime::Limits::new().concurrent_requests(2))
        .build()
        .unwrap();
    let server = Arc::new(serve(app).await);

    // Two requests take both places and wait at the gate.
    let mut held = Vec::new();
    for _ in 0..2 {
        let server = Arc::clone(&server);
        held.push(tokio::spawn(async move {
            post_json(&server, "/gated", &json!({})).await
        }));
    }
    let waiting_since = Instant::now();
    while AT_GATE.load(Ordering::SeqCst) < 2 {
        assert!(
            waiting_since.elapsed() < Duration::from_secs(30),
            "the first two requests never reached the step"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    // Every request beyond the limit is refused at once, with Retry-After and a JSON body.
    for _ in 0..4 {
        let response = reqwest::Client::new()
            .post(server.url("/gated"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "overloaded");
    }
    assert_eq!(
        AT_GATE.load(Ordering::SeqCst),
        2,
        "a shed request ran the step"
    );

    // Once the held requests finish, they are answered and the places are free again.
    GATE.add_permits(3);
    for request in held {
        assert_eq!(request.await.unwrap().status, 200);
    }
    let answer = post_json(&server, "/gated", &json!({})).await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn health_and_readiness_answer_json() {
    let server = serve(App::from_steps([hold::STEP]).build().unwrap()).await;
    for (path, expected) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let response = reqwest::get(server.url(path)).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], expected);
    }
    let quiet = serve(
        App::from_steps([hold::STEP])
            .serve_health(false)
            .build()
            .unwrap(),
    )
    .await;
    let response = reqwest::get(quiet.url("/healthz")).await.unwrap();
    assert_eq!(response.status(), 404);
}

/// Keep-alive clients sending without pause while the server shuts down: during the drain
/// delay every answer says `Connection: close` and readiness is 503; afterwards connections
/// are refused. Each request gets a whole reply or a clean refusal; none is cut off, not even
/// one sent on a kept-alive connection at the moment of the stop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_under_load_answers_every_request_it_accepts() {
    let app = App::from_steps([hold::STEP]).build().unwrap();
    let server = serve_on(
        Server::new()
            .drain_delay(Duration::from_millis(400))
            .shutdown_timeout(Duration::from_secs(5)),
        app,
    )
    .await;
    let url = server.url("/hold");
    let ready_url = server.url("/readyz");

    let replies = Arc::new(AtomicUsize::new(0));
    let told_to_close = Arc::new(AtomicUsize::new(0));
    let refusals = Arc::new(AtomicUsize::new(0));
    let stop_at = Instant::now() + Duration::from_millis(400);
    let mut senders = Vec::new();
    for _ in 0..16 {
        let (url, replies, told_to_close, refusals) = (
            url.clone(),
            replies.clone(),
            told_to_close.clone(),
            refusals.clone(),
        );
        senders.push(tokio::spawn(async move {
            // Keep-alive, as Chatlayer and load balancers connect.
            let client = reqwest::Client::new();
            // Until this sender has found the listener closed: the moment that happens
            // depends on the machine's load, not on a fixed time after the stop.
            let deadline = stop_at + Duration::from_secs(15);
            let mut refused = false;
            while !refused && Instant::now() < deadline {
                match client.post(&url).json(&json!({ "ms": 50 })).send().await {
                    Ok(response) => {
                        assert_eq!(response.status(), 200);
                        if response
                            .headers()
                            .get("connection")
                            .is_some_and(|v| v == "close")
                        {
                            told_to_close.fetch_add(1, Ordering::SeqCst);
                        }
                        let body: serde_json::Value =
                            response.json().await.expect("a whole JSON reply");
                        assert_eq!(
                            body["messages"][0]["config"]["textMessages"][0]["text"],
                            "held"
                        );
                        replies.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(error) if error.is_connect() => {
                        refusals.fetch_add(1, Ordering::SeqCst);
                        refused = true;
                    }
                    Err(error) => panic!("a request was cut off: {error:?}"),
                }
            }
        }));
    }
    tokio::time::sleep_until(stop_at.into()).await;
    let stopping = tokio::spawn(server.stop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let readiness = reqwest::get(&ready_url).await.unwrap();
    assert_eq!(readiness.status(), 503, "readiness turns off at once");
    for sender in senders {
        sender.await.unwrap();
    }
    stopping.await.unwrap().unwrap();
    assert!(replies.load(Ordering::SeqCst) >= 32, "few replies");
    assert!(
        told_to_close.load(Ordering::SeqCst) > 0,
        "no answer during the drain delay said `Connection: close`"
    );
    assert!(
        refusals.load(Ordering::SeqCst) > 0,
        "no request came after the listener closed"
    );
}

/// A keep-alive connection idle at the stop may have its next request on its way: the
/// request is answered (with `Connection: close`), not met by a close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_on_its_way_at_the_stop_is_answered() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = App::from_steps([hold::STEP]).build().unwrap();
    let server = serve_on(
        Server::new()
            .drain_delay(Duration::ZERO)
            .shutdown_timeout(Duration::from_secs(5)),
        app,
    )
    .await;
    let mut stream = tokio::net::TcpStream::connect(server.address())
        .await
        .unwrap();
    let body = r#"{"ms": 1}"#;
    let request = format!(
        "POST /hold HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    // One request answered before the stop: the connection is kept alive, and idle.
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut first = vec![0; 4096];
    let read = stream.read(&mut first).await.unwrap();
    assert!(first[..read].starts_with(b"HTTP/1.1 200"));
    let stopping = tokio::spawn(server.stop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The next one, sent after the stop on the idle connection.
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "no answer: {answer:?}");
    assert!(answer.contains("connection: close"), "{answer}");
    stopping.await.unwrap().unwrap();
}

/// Counts its calls: a refused request must never reach it.
#[api_step("/guarded")]
async fn guarded(calls: Dep<Calls>) -> Reply {
    calls.record();
    Reply::new().add_message("inside")
}

#[api_step("/open")]
async fn open() -> Reply {
    Reply::new().add_message("open to all")
}

#[api_step("/back-office")]
async fn back_office() -> Reply {
    Reply::new().add_message("back office")
}

async fn call(
    server: &chatlayer_runtime::testing::TestServer,
    path: &str,
    authorization: Option<&str>,
) -> (u16, Option<String>, serde_json::Value) {
    let mut request = reqwest::Client::new()
        .post(server.url(path))
        .json(&json!({}));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|value| value.to_str().unwrap().to_owned());
    (status, challenge, response.json().await.unwrap())
}

#[tokio::test]
async fn bearer_and_basic_auth_admit_only_the_right_credentials() {
    use chatlayer_runtime::security::Auth;
    let calls = Arc::new(Calls::default());
    let app = App::from_steps([guarded::STEP, open::STEP, back_office::STEP])
        .provide_arc(Arc::clone(&calls))
        .security(
            chatlayer_runtime::security::Security::new()
                .auth(Auth::bearer("s3cret-token"))
                .auth_for(open::STEP, Auth::none())
                .auth_for(back_office::STEP, Auth::basic("ops", "pa:ss")),
        )
        .build()
        .unwrap();
    let server = serve(app).await;
    let before = calls.count();

    // Bearer: missing, wrong, malformed, other scheme.
    for authorization in [
        None,
        Some("Bearer s3cret-tokem"),
        Some("Bearer s3cret-token-and-more"),
        Some("Bearer"),
        Some("s3cret-token"),
        Some("Basic czNjcmV0LXRva2Vu"),
    ] {
        let (status, challenge, body) = call(&server, "/guarded", authorization).await;
        assert_eq!(status, 401, "{authorization:?}");
        assert_eq!(challenge.as_deref(), Some("Bearer"));
        assert_eq!(body["error"]["code"], "unauthorized");
        assert!(!body.to_string().contains("s3cret"), "{body}");
    }
    assert_eq!(calls.count(), before, "a refused request ran the step");
    let (status, _, body) = call(&server, "/guarded", Some("Bearer s3cret-token")).await;
    assert_eq!(
        (
            status,
            &body["messages"][0]["config"]["textMessages"][0]["text"]
        ),
        (200, &json!("inside"))
    );

    // A step opened with Auth::none().
    assert_eq!(call(&server, "/open", None).await.0, 200);

    // Basic on one step, with a colon in the password: base64("ops:pa:ss") = b3BzOnBhOnNz.
    assert_eq!(
        call(&server, "/back-office", Some("Basic b3BzOnBhOnNz"))
            .await
            .0,
        200
    );
    for authorization in [
        None,
        Some("Basic b3BzOnBhOnN6"),   // ops:pa:sz
        Some("Basic b3BzOnBhOnNz=="), // bad padding
        Some("Basic %%%"),
        Some("Bearer s3cret-token"), // the app-wide scheme does not apply here
    ] {
        let (status, challenge, body) = call(&server, "/back-office", authorization).await;
        assert_eq!(status, 401, "{authorization:?}");
        assert!(challenge.unwrap().starts_with("Basic realm="));
        assert_eq!(body["error"]["code"], "unauthorized");
    }

    // Health and documentation stay open; the document declares the schemes.
    assert_eq!(
        reqwest::get(server.url("/healthz")).await.unwrap().status(),
        200
    );
    let document = get_json(server.url("/openapi.json")).await;
    assert_eq!(document["security"], json!([{ "bearerAuth": [] }]));
    assert_eq!(
        document["components"]["securitySchemes"],
        json!({
            "basicAuth": { "type": "http", "scheme": "basic", "description": "The API step's Authorization tab: Basic auth." },
            "bearerAuth": { "type": "http", "scheme": "bearer", "description": "The API step's Authorization tab: Bearer token." }
        })
    );
    assert_eq!(document["paths"]["/open"]["post"]["security"], json!([]));
    assert_eq!(
        document["paths"]["/back-office"]["post"]["security"],
        json!([{ "basicAuth": [] }])
    );
    assert!(
        document["paths"]["/guarded"]["post"]
            .get("security")
            .is_none()
    );
    assert!(
        document["paths"]["/guarded"]["post"]["responses"]
            .get("401")
            .is_some()
    );
    assert!(
        document["paths"]["/open"]["post"]["responses"]
            .get("401")
            .is_none()
    );
}

#[test]
fn auth_for_a_step_the_app_does_not_serve_is_a_build_error() {
    let error = App::from_steps([open::STEP])
        .security(
            chatlayer_runtime::security::Security::new()
                .auth_for(guarded::STEP, chatlayer_runtime::security::Auth::none()),
        )
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("auth_for names step"), "{error}");
}

/// Counts its calls: a request with a bad signature must never reach it.
#[api_step("/signed")]
async fn signed(sku: String, calls: Dep<Calls>) -> Reply {
    calls.record();
    Reply::new().add_message(format!("signed {sku}"))
}

async fn send_signed(
    server: &chatlayer_runtime::testing::TestServer,
    body: &[u8],
    headers: &[(&str, String)],
) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new()
        .post(server.url("/signed"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
#[cfg_attr(not(tool_python3), ignore = "needs python3; .ci/run installs it")]
async fn hmac_signatures_match_pythons_hmac_and_anything_else_is_refused() {
    use chatlayer_runtime::security::SignatureVerifier;
    use chatlayer_runtime::security::{SignatureAlgorithm, SignatureEncoding};
    use chatlayer_tests::external::python_hmac;

    let body = br#"{"sku":"A1"}"#;
    let mut altered = body.to_vec();
    altered[9] = b'2'; // {"sku":"A2"}: one byte changed
    for (algorithm, name, encoding, encoding_name, prefix) in [
        (
            SignatureAlgorithm::Sha256,
            "sha256",
            SignatureEncoding::Hex,
            "hex",
            "",
        ),
        (
            SignatureAlgorithm::Sha1,
            "sha1",
            SignatureEncoding::Hex,
            "hex",
            "",
        ),
        (
            SignatureAlgorithm::Sha512,
            "sha512",
            SignatureEncoding::Base64,
            "base64",
            "sha512=",
        ),
    ] {
        let Some(mac) = python_hmac("sh4red", body, name, encoding_name) else {
            return;
        };
        let verifier = SignatureVerifier::new("sh4red")
            .header("x-signature")
            .algorithm(algorithm)
            .encoding(encoding)
            .prefix(prefix);
        let calls = Arc::new(Calls::default());
        let app = App::from_steps([signed::STEP])
            .provide_arc(Arc::clone(&calls))
            .security(chatlayer_runtime::security::Security::new().signatures(verifier))
            .build()
            .unwrap();
        let server = serve(app).await;
        let good = format!("{prefix}{mac}");
        let (status, reply) = send_signed(&server, body, &[("x-signature", good.clone())]).await;
        assert_eq!(status, 200, "{name}: {reply}");

        let before = calls.count();
        for (what, sent_body, headers) in [
            (
                "a body altered by one byte",
                &altered[..],
                vec![("x-signature", good.clone())],
            ),
            ("no signature", &body[..], vec![]),
            (
                "a signature without its prefix",
                &body[..],
                vec![("x-signature", mac.clone())],
            ),
            (
                "a malformed signature",
                &body[..],
                vec![("x-signature", format!("{prefix}zz!"))],
            ),
            (
                "another secret's signature",
                &body[..],
                vec![(
                    "x-signature",
                    format!(
                        "{prefix}{}",
                        python_hmac("other", body, name, encoding_name).unwrap()
                    ),
                )],
            ),
        ] {
            if what == "a signature without its prefix" && prefix.is_empty() {
                continue;
            }
            let (status, reply) = send_signed(&server, sent_body, &headers).await;
            assert_eq!(status, 401, "{name}, {what}: {reply}");
            assert_eq!(
                reply["error"]["code"], "invalid_signature",
                "{name}, {what}"
            );
        }
        assert_eq!(calls.count(), before, "{name}: a refused request ran");
    }
}

#[tokio::test]
#[cfg_attr(not(tool_python3), ignore = "needs python3; .ci/run installs it")]
async fn signed_timestamps_outside_the_window_are_refused_as_replays() {
    use chatlayer_runtime::security::SignatureVerifier;
    use chatlayer_tests::external::python_hmac;

    let verifier =
        SignatureVerifier::new("sh4red").timestamp("x-timestamp", ".", Duration::from_secs(300));
    let server = serve(
        App::from_steps([signed::STEP])
            .provide(Calls::default())
            .security(chatlayer_runtime::security::Security::new().signatures(verifier))
            .build()
            .unwrap(),
    )
    .await;
    let body = br#"{"sku":"B7"}"#;
    let sign = |timestamp: u64| {
        let message = [timestamp.to_string().as_bytes(), b".", body].concat();
        python_hmac("sh4red", &message, "sha256", "hex")
    };
    let now = unix_now();
    let Some(fresh) = sign(now) else { return };
    let headers = [
        ("x-timestamp", now.to_string()),
        ("x-chatlayer-signature", fresh.clone()),
    ];
    assert_eq!(send_signed(&server, body, &headers).await.0, 200);

    // A correctly signed request captured ten minutes ago and replayed now.
    let old = now - 600;
    let replayed = [
        ("x-timestamp", old.to_string()),
        ("x-chatlayer-signature", sign(old).unwrap()),
    ];
    let (status, reply) = send_signed(&server, body, &replayed).await;
    assert_eq!(status, 401);
    assert_eq!(reply["error"]["code"], "invalid_signature");
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("replay")
    );

    // The document says requests are signed (the validator's verdict is a test of its own).
    let document = get_json(server.url("/openapi.json")).await;
    assert_eq!(document["security"], json!([{ "requestSignature": [] }]));
    assert_eq!(
        document["components"]["securitySchemes"]["requestSignature"]["name"],
        "x-chatlayer-signature"
    );

    // A fresh signature with the timestamp changed afterwards.
    let shifted = [
        ("x-timestamp", (now + 1).to_string()),
        ("x-chatlayer-signature", fresh),
    ];
    assert_eq!(send_signed(&server, body, &shifted).await.0, 401);
}

#[tokio::test]
async fn a_slowloris_client_loses_its_connection_and_others_are_served() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    // The server bounds the headers, the app the body.
    let app = App::from_steps([hold::STEP])
        .limits(chatlayer_runtime::Limits::new().body_timeout(Duration::from_millis(500)))
        .build()
        .unwrap();
    let server = serve_on(Server::new().read_timeout(Duration::from_millis(500)), app).await;
    let address = server.address();

    // Headers, one byte every 100 ms, never finished.
    let mut slow = tokio::net::TcpStream::connect(address).await.unwrap();
    slow.write_all(b"POST /hold HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut closed = false;
    for byte in b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".iter()
    {
        if slow.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        let mut buffer = [0u8; 256];
        match tokio::time::timeout(Duration::from_millis(100), slow.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(_)) => {} // a 408 before closing is fine too
            Err(_) => {}
        }
    }
    let held = started.elapsed();
    assert!(
        closed,
        "the server kept a never-finished request open for {held:?}"
    );
    assert!(held < Duration::from_secs(3), "closed only after {held:?}");

    // A body that stops arriving: a JSON 408.
    let mut stalled = tokio::net::TcpStream::connect(address).await.unwrap();
    stalled
        .write_all(b"POST /hold HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ms\":")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), stalled.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"body_timeout\""), "{answer}");

    // Meanwhile, normal clients are served.
    let answer = post_json(&server, "/hold", &json!({ "ms": 1 })).await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413_and_the_server_goes_on() {
    let app = App::from_steps([hold::STEP])
        .limits(chatlayer_runtime::Limits::new().body(1024))
        .build()
        .unwrap();
    let server = serve(app).await;
    let big = format!("{{\"ms\": 1, \"padding\": \"{}\"}}", "x".repeat(64 * 1024));
    let answer = send(
        &server,
        reqwest::Method::POST,
        "/hold",
        Some("application/json"),
        big,
    )
    .await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.json["error"]["code"], "body_too_large");
    let answer = post_json(&server, "/hold", &json!({ "ms": 1 })).await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn the_ip_allow_list_admits_listed_callers_and_trusted_proxies_forwarded_clients() {
    use chatlayer_runtime::security::IpAllowList;

    let post = |server: &chatlayer_runtime::testing::TestServer, forwarded: Option<&str>| {
        let mut request = reqwest::Client::new()
            .post(server.url("/open"))
            .json(&json!({}));
        if let Some(value) = forwarded {
            request = request.header("x-forwarded-for", value.to_owned());
        }
        request.send()
    };

    // The test client is 127.0.0.1: not on this list, whatever it claims to forward.
    let elsewhere = serve(
        App::from_steps([open::STEP])
            .security(
                chatlayer_runtime::security::Security::new()
                    .allow_ips(IpAllowList::chatlayer_egress_2022()),
            )
            .build()
            .unwrap(),
    )
    .await;
    for forwarded in [None, Some("34.78.158.115")] {
        let response = post(&elsewhere, forwarded).await.unwrap();
        assert_eq!(response.status(), 403, "{forwarded:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "forbidden_ip");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("127.0.0.1")
        );
    }

    // Listed directly.
    let local = serve(
        App::from_steps([open::STEP])
            .security(
                chatlayer_runtime::security::Security::new()
                    .allow_ips(IpAllowList::new(["127.0.0.0/8"]).unwrap()),
            )
            .build()
            .unwrap(),
    )
    .await;
    assert_eq!(post(&local, None).await.unwrap().status(), 200);
    let document = get_json(local.url("/openapi.json")).await;
    assert!(
        document["paths"]["/open"]["post"]["responses"]
            .get("403")
            .is_some()
    );

    // 127.0.0.1 as a trusted proxy: the forwarded client decides.
    let proxied = serve(
        App::from_steps([open::STEP])
            .security(
                chatlayer_runtime::security::Security::new().allow_ips(
                    IpAllowList::chatlayer_egress_2022()
                        .trust_proxies(["127.0.0.1/32"])
                        .unwrap(),
                ),
            )
            .build()
            .unwrap(),
    )
    .await;
    assert_eq!(
        post(&proxied, Some("34.78.158.115"))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        post(&proxied, Some("203.0.113.9")).await.unwrap().status(),
        403
    );
    assert_eq!(
        post(&proxied, Some("34.78.158.115, 203.0.113.9"))
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(post(&proxied, None).await.unwrap().status(), 403);
}

/// The documents of protected apps stay valid OpenAPI: the validator's own test, so that the
/// protection tests above run wherever the validator is missing.
#[test]
#[cfg_attr(
    not(tool_openapi_spec_validator),
    ignore = "needs openapi-spec-validator; .ci/run installs it"
)]
fn documents_of_protected_apps_pass_the_openapi_validator() {
    use chatlayer_runtime::security::{Auth, Security, SignatureVerifier};
    let guarded = App::from_steps([guarded::STEP, open::STEP, back_office::STEP])
        .provide(Calls::default())
        .security(
            Security::new()
                .auth(Auth::bearer("s3cret-token"))
                .auth_for(open::STEP, Auth::none())
                .auth_for(back_office::STEP, Auth::basic("ops", "pa:ss")),
        )
        .build()
        .unwrap();
    let signed = App::from_steps([signed::STEP])
        .provide(Calls::default())
        .security(
            Security::new().signatures(SignatureVerifier::new("sh4red").timestamp(
                "x-timestamp",
                ".",
                Duration::from_secs(300),
            )),
        )
        .build()
        .unwrap();
    for app in [guarded, signed] {
        assert!(validate_openapi_text(&app.openapi().to_json_pretty()));
    }
}

/// `CHATLAYER_READ_TIMEOUT` sets the read timeout without a new build: a connection that
/// says nothing is closed after it, and a value without a unit is refused by name.
#[tokio::test]
async fn the_read_timeout_comes_from_the_environment() {
    use chatlayer_runtime::config::{Environment, Variable};
    use tokio::io::AsyncReadExt;

    let environment = Environment::empty().with(Variable::ReadTimeout, "300ms");
    let app = App::from_steps([hold::STEP]).build().unwrap();
    let server = serve_on(Server::from_environment(&environment).unwrap(), app).await;
    let mut silent = tokio::net::TcpStream::connect(server.address())
        .await
        .unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buffer)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "a silent connection was kept: {read:?}"
    );
    // Closed by the sweeper within one and a half timeouts, never before the timeout.
    let held = started.elapsed();
    assert!(
        held >= Duration::from_millis(300) && held < Duration::from_secs(2),
        "{held:?}"
    );

    let wrong = Environment::empty().with(Variable::ReadTimeout, "10");
    let problem = Server::from_environment(&wrong).err().unwrap().to_string();
    assert!(problem.contains("CHATLAYER_READ_TIMEOUT"), "{problem}");
}
