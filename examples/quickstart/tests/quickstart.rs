//! The quickstart over a real socket, with a real HTTP client, as Chatlayer calls it.

use std::time::{Duration, Instant};

use std::sync::OnceLock;

mod support;

use chatlayer_runtime::testing::TestServer;
use chatlayer_tests::get_json;
use chatlayer_tests::openapi_contract::Contract;
use serde_json::{Value, json};
use support::{start_binary, stop_binary};

async fn server() -> TestServer {
    let app = quickstart::app().build().expect("the quickstart builds");
    TestServer::start(app).await.expect("a local port")
}

/// The quickstart's OpenAPI document: every exchange below is checked against it.
fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| Contract::new(&quickstart::app().build().unwrap().openapi()))
}

/// POSTs `body` as JSON and returns the status and the JSON answer. The body must fit the
/// document's request schema, and the answer its response schema for the status.
async fn post(server: &TestServer, path: &str, body: Value) -> (u16, Value) {
    if let Err(errors) = contract().check_request("POST", path, &body) {
        panic!("the document rejects POST {path} {body}:\n{errors}");
    }
    exchange(server, path, body).await
}

/// Like [`post`], for a body the document rejects on purpose: a missing parameter, a wrong
/// value, or a value in a form Chatlayer may send that the step coerces (`"5000"`, `""`,
/// `null`) while the document names the type.
async fn post_off_schema(server: &TestServer, path: &str, body: Value) -> (u16, Value) {
    assert!(
        contract().check_request("POST", path, &body).is_err(),
        "the document accepts POST {path} {body}, which this test sends as off-schema"
    );
    exchange(server, path, body).await
}

async fn exchange(server: &TestServer, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url(path))
        .json(&body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/json; charset=utf-8");
    let reply: Value = response.json().await.expect("a JSON body");
    if let Err(errors) = contract().check_reply("POST", path, status, &reply) {
        panic!(
            "POST {path} answered {status} {reply}, which the document does not describe:\n{errors}"
        );
    }
    (status, reply)
}

/// GETs `path` with `query`; both the query and the answer are checked against the document.
async fn get(server: &TestServer, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
    let params: serde_json::Map<String, Value> = query
        .iter()
        .map(|(name, value)| ((*name).to_owned(), json!(value)))
        .collect();
    if let Err(errors) = contract().check_request("GET", path, &Value::Object(params)) {
        panic!("the document rejects GET {path} {query:?}:\n{errors}");
    }
    let mut url = reqwest::Url::parse(&server.url(path)).unwrap();
    url.query_pairs_mut().extend_pairs(query);
    let response = reqwest::Client::new()
        .get(url)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let reply: Value = response.json().await.expect("a JSON body");
    if let Err(errors) = contract().check_reply("GET", path, status, &reply) {
        panic!(
            "GET {path} answered {status} {reply}, which the document does not describe:\n{errors}"
        );
    }
    (status, reply)
}

fn transfer_body(amount: Value, account_type: &str) -> Value {
    // The request body of Chatlayer's documented money-transfer example.
    json!({
        "amount": amount,
        "destination": "Elon Musk",
        "accountType": account_type,
        "transactionSuccess": "successful transaction",
        "transactionNoMoney": "unsuccessful transaction",
        "test": 5
    })
}

#[tokio::test]
async fn money_transfer_answers_the_documented_reply_shape() {
    let server = server().await;
    let (status, reply) = post(
        &server,
        "/transaction",
        transfer_body(json!(500), "savings_account"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        reply,
        json!({
            "session": { "namespace": "account", "data": { "limit": 500.0, "amount": 500.0 } },
            "action": { "nextDialogstate": "successful transaction" }
        })
    );
}

#[tokio::test]
async fn money_transfer_over_the_limit_goes_to_the_no_money_block() {
    let server = server().await;
    // "5000" as text: Chatlayer may send numbers either way.
    let (status, reply) = post_off_schema(
        &server,
        "/transaction",
        transfer_body(json!("5000"), "savings_account"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        reply["action"]["nextDialogstate"],
        "unsuccessful transaction"
    );
    assert_eq!(
        reply["messages"][0]["config"]["textMessages"][0]["text"],
        "You don't have enough money for that."
    );
}

#[tokio::test]
async fn money_transfer_from_an_unknown_account_is_a_400_naming_it() {
    let server = server().await;
    let (status, reply) = post(&server, "/transaction", transfer_body(json!(1), "gold")).await;
    assert_eq!(status, 400);
    assert_eq!(reply["error"]["parameter"], "accountType");
    assert_eq!(reply["error"]["step"], "transaction");
}

#[tokio::test]
async fn order_stores_the_order_says_it_and_goes_on() {
    let server = server().await;
    let (status, reply) = post(
        &server,
        "/order",
        json!({ "sku": "A1", "quantity": 2, "on_success": "thanks", "on_failure": "sorry" }),
    )
    .await;
    // A session variable often arrives as text: "2" is read as 2 (outside the document,
    // which names the type).
    let (_, same) = post_off_schema(
        &server,
        "/order",
        json!({ "sku": "A1", "quantity": "2", "on_success": "thanks", "on_failure": "sorry" }),
    )
    .await;
    assert_eq!(same, reply);
    assert_eq!(status, 200);
    assert_eq!(
        reply,
        json!({
            "session": { "namespace": "order", "data": { "sku": "A1", "quantity": 2, "total": 118.0 } },
            "messages": [ { "type": "text", "config": { "textMessages": [
                { "text": "You ordered 2 x Red sneakers for EUR 118.00." } ] } } ],
            "action": { "nextDialogstate": "thanks" }
        })
    );
}

#[tokio::test]
async fn order_quantity_defaults_to_one() {
    let server = server().await;
    for quantity in [None, Some(json!(null)), Some(json!(""))] {
        let mut body = json!({ "sku": "C3", "on_success": "thanks", "on_failure": "sorry" });
        let (status, reply) = match quantity {
            None => post(&server, "/order", body).await,
            Some(quantity) => {
                body["quantity"] = quantity;
                post_off_schema(&server, "/order", body).await
            }
        };
        assert_eq!(status, 200);
        assert_eq!(reply["session"]["data"]["quantity"], 1);
    }
}

#[tokio::test]
async fn a_failed_order_goes_to_on_failure_with_the_fallback_message() {
    let server = server().await;
    let expected = json!({
        "messages": [ { "type": "text", "config": { "textMessages": [
            { "text": "Sorry, we could not place that order." } ] } } ],
        "action": { "nextDialogstate": "sorry" }
    });
    for (body, documented) in [
        (
            json!({ "sku": "nope", "on_success": "thanks", "on_failure": "sorry" }),
            true,
        ),
        (
            json!({ "on_success": "thanks", "on_failure": "sorry" }),
            false,
        ),
        (
            json!({ "sku": "A1", "quantity": "many", "on_success": "thanks", "on_failure": "sorry" }),
            false,
        ),
        (
            json!({ "sku": "A1", "quantity": 0, "on_success": "thanks", "on_failure": "sorry" }),
            true,
        ),
    ] {
        let (status, reply) = if documented {
            post(&server, "/order", body.clone()).await
        } else {
            post_off_schema(&server, "/order", body.clone()).await
        };
        assert_eq!((status, &reply), (200, &expected), "{body}");
    }
}

#[tokio::test]
async fn an_order_without_a_fallback_block_answers_a_json_error() {
    let server = server().await;
    let (status, reply) =
        post_off_schema(&server, "/order", json!({ "on_success": "thanks" })).await;
    assert_eq!(status, 400);
    assert_eq!(reply["error"]["code"], "missing_parameter");
    assert_eq!(reply["error"]["parameter"], "sku");
}

#[tokio::test]
async fn order_status_reads_the_query_string() {
    let server = server().await;
    let (status, reply) = get(&server, "/order/status", &[("orderId", "abc-1")]).await;
    assert_eq!(status, 200);
    assert_eq!(reply["session"]["namespace"], "order");
    assert_eq!(reply["session"]["data"]["id"], "abc-1");
    assert_eq!(reply["session"]["data"]["status"], "placed");
}

#[tokio::test]
async fn opening_hours_picks_the_block() {
    let server = server().await;
    let (_, open) = post(
        &server,
        "/opening-hours",
        json!({ "open": "o", "closed": "c", "hour": 10 }),
    )
    .await;
    let (_, closed) = post_off_schema(
        &server,
        "/opening-hours",
        json!({ "open": "o", "closed": "c", "hour": "20" }),
    )
    .await;
    assert_eq!(open, json!({ "action": { "nextDialogstate": "o" } }));
    assert_eq!(closed, json!({ "action": { "nextDialogstate": "c" } }));
    // An hour the document rules out (0-23) is refused, not read as "closed": it was
    // documented and then accepted.
    let (status, refused) = post_off_schema(
        &server,
        "/opening-hours",
        json!({ "open": "o", "closed": "c", "hour": 30 }),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["parameter"], "hour", "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("30 is not an hour of the day"),
        "{refused}"
    );
}

#[tokio::test]
async fn welcome_speaks_the_users_language() {
    let server = server().await;
    let (_, reply) = post(
        &server,
        "/welcome",
        json!({ "language": "nl", "sessionId": "s-1" }),
    )
    .await;
    assert_eq!(
        reply["messages"][0]["config"]["textMessages"][0]["text"],
        "Welkom in onze winkel!"
    );
    let (_, reply) = post(&server, "/welcome", json!({})).await;
    assert_eq!(
        reply["messages"][0]["config"]["textMessages"][0]["text"],
        "Welcome to our shop!"
    );
}

#[tokio::test]
async fn every_message_type_has_a_step() {
    let server = server().await;
    let (_, menu) = post(&server, "/menu", json!({ "trackOrderBlock": "track" })).await;
    assert_eq!(
        menu["messages"][0],
        json!({ "type": "buttons", "config": {
            "textMessages": [ { "text": "How can we help?" } ],
            "buttons": [
                { "type": "postback", "title": "Track my order", "payload": { "nextDialogstateId": "track" } },
                { "type": "web_url", "title": "Our terms", "url": "https://shop.example.com/terms" },
                { "type": "phone_number", "title": "Call us", "payload": "+3212345678" }
            ] } })
    );

    let (_, sizes) = post(&server, "/ask-size", json!({ "sizeChosen": "size-block" })).await;
    assert_eq!(sizes["messages"][0]["type"], "quickReplies");
    assert_eq!(
        sizes["messages"][0]["config"]["quickReplies"][1],
        json!({ "type": "postback", "title": "M",
                "payload": { "nextDialogstateId": "size-block", "params": [ { "key": "size", "value": "M" } ] } })
    );

    let (_, catalog) = post(&server, "/catalog", json!({ "orderBlock": "order-block" })).await;
    let cards = catalog["messages"][0]["config"]["elements"]
        .as_array()
        .unwrap();
    assert_eq!(catalog["messages"][0]["type"], "carousel");
    assert_eq!(cards.len(), 3);
    assert_eq!(cards[0]["subTitle"], "EUR 59.00");

    for kind in ["image", "video", "audio"] {
        let (status, media) = post(
            &server,
            "/product-media",
            json!({ "sku": "B2", "kind": kind }),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(media["messages"][0]["type"], "media");
        assert_eq!(media["messages"][0]["config"]["media"]["type"], kind);
        assert_eq!(media["messages"][0]["config"]["media"]["isCache"], true);
    }
    let (status, _) = post_off_schema(
        &server,
        "/product-media",
        json!({ "sku": "B2", "kind": "hologram" }),
    )
    .await;
    assert_eq!(status, 400);

    let (_, stores) = post(&server, "/stores", json!({})).await;
    assert_eq!(stores["messages"][0]["type"], "list");
    assert_eq!(
        stores["messages"][0]["config"]["elements"][1]["title"],
        "Antwerp"
    );
}

/// `cargo run -p quickstart` serves with no setup, logs what it serves and every failure it
/// answers (its `main` installs no logger: the framework's default does), and stops cleanly
/// on SIGTERM.
#[tokio::test]
async fn the_binary_serves_on_its_own_logs_by_default_and_shuts_down_on_sigterm() {
    let (child, port) = start_binary(&[], &[("RUST_LOG", "")]).await;
    let client = reqwest::Client::new();
    let reply: Value = client
        .post(format!("http://127.0.0.1:{port}/transaction"))
        .json(&transfer_body(json!(500), "savings_account"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["action"]["nextDialogstate"], "successful transaction");
    // A misconfigured API step (no `sku` row) falls back, and says why in the log.
    let fallback = client
        .post(format!("http://127.0.0.1:{port}/order"))
        .json(&json!({ "on_success": "thanks", "on_failure": "sorry" }))
        .send()
        .await
        .unwrap();
    assert_eq!(fallback.status(), 200);
    assert_eq!(
        fallback.headers()["x-chatlayer-fallback"],
        "missing_parameter"
    );

    let (status, log) = stop_binary(child);
    assert!(status.success(), "exit {status:?}:\n{log}");
    assert!(log.contains("serving 10 Chatlayer steps"), "{log}");
    assert!(
        log.contains("POST /order (quickstart::steps::order at"),
        "{log}"
    );
    assert!(
        log.contains("required parameter `sku` is missing; answering with the fallback block"),
        "{log}"
    );
    assert!(
        log.contains("add a Body or Query row with key `sku` to the API step"),
        "the hint is logged too:\n{log}"
    );
    assert!(log.contains("SIGTERM received"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "colours in a log that is not a terminal:\n{log}"
    );
}

/// `RUST_LOG` chooses what the default logger shows.
#[tokio::test]
async fn the_default_logger_honours_rust_log() {
    let (child, _) = start_binary(&[], &[("RUST_LOG", "warn")]).await;
    let (status, log) = stop_binary(child);
    assert!(status.success(), "exit {status:?}:\n{log}");
    assert!(!log.contains("serving 10 Chatlayer steps"), "{log}");
}

/// The standalone server takes its Bearer token from the environment, and never logs it.
#[tokio::test]
async fn the_binary_takes_its_bearer_token_from_the_environment() {
    let token = "env-token-7f3a";
    let (child, port) = start_binary(&[], &[("CHATLAYER_BEARER_TOKEN", token)]).await;
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/transaction");
    let refused = client
        .post(&url)
        .json(&transfer_body(json!(500), "savings_account"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let admitted = client
        .post(&url)
        .bearer_auth(token)
        .json(&transfer_body(json!(500), "savings_account"))
        .send()
        .await
        .unwrap();
    assert_eq!(admitted.status(), 200);
    let document = get_json(format!("http://127.0.0.1:{port}/openapi.json")).await;
    assert_eq!(document["security"], json!([{ "bearerAuth": [] }]));

    let (status, log) = stop_binary(child);
    assert!(status.success(), "exit {status:?}:\n{log}");
    assert!(!log.contains(token), "the token was logged:\n{log}");
}

/// Resident memory of a process, in KiB, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status")
}

/// One round of load: `connections` clients, each on its own connection, each sending
/// `per_connection` orders; every reply is checked in full. Returns the replies received,
/// or what went wrong (with how many replies each failed client had received first).
async fn load_round(
    port: u16,
    connections: usize,
    per_connection: usize,
) -> Result<usize, Vec<String>> {
    let url = format!("http://127.0.0.1:{port}/order");
    let expected = json!({
        "session": { "namespace": "order", "data": { "sku": "A1", "quantity": 2, "total": 118.0 } },
        "messages": [ { "type": "text", "config": { "textMessages": [
            { "text": "You ordered 2 x Red sneakers for EUR 118.00." } ] } } ],
        "action": { "nextDialogstate": "thanks" }
    });
    let body = json!({ "sku": "A1", "quantity": 2, "on_success": "thanks", "on_failure": "sorry" });
    let mut clients = Vec::new();
    for _ in 0..connections {
        let (url, expected, body) = (url.clone(), expected.clone(), body.clone());
        clients.push(tokio::spawn(async move {
            // A client must not keep an idle connection past the server's idle timeout (the
            // read timeout, 10 s): a server closing it just as the client reuses it loses
            // the request, as with any HTTP/1.1 server. Under a loaded machine this client
            // sometimes opened a second connection it left idle for over 10 s (its pool
            // connects anew when the first is not back in time), and then reused it. Node's
            // agents and reqwest both let idle connections go; here after 5 s.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .pool_idle_timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            let mut received = 0;
            let started = Instant::now();
            for _ in 0..per_connection {
                let failed = |what: String| {
                    format!(
                        "after {received} replies and {:?}: {what}",
                        started.elapsed()
                    )
                };
                let response = match client.post(&url).json(&body).send().await {
                    Ok(response) => response,
                    Err(error) => return Err(failed(format!("{error:?}"))),
                };
                if response.status() != 200 {
                    return Err(failed(format!("status {}", response.status())));
                }
                match response.json::<Value>().await {
                    Ok(reply) if reply == expected => received += 1,
                    Ok(reply) => return Err(failed(format!("reply {reply}"))),
                    Err(error) => return Err(failed(format!("{error:?}"))),
                }
            }
            Ok(received)
        }));
    }
    let mut total = 0;
    let mut failures = Vec::new();
    for client in clients {
        match client.await.expect("a client task panicked") {
            Ok(received) => total += received,
            Err(failure) => failures.push(failure),
        }
    }
    if failures.is_empty() {
        Ok(total)
    } else {
        Err(failures)
    }
}

/// Hundreds of connections and tens of thousands of requests against the quickstart binary:
/// no errors, no lost replies, and memory flat from one round to the next. CI runs a few
/// seconds of it; `CHATLAYER_LOAD_SCALE=10` runs ten times more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_load_every_request_gets_its_reply_and_memory_stays_flat() {
    let scale: usize = std::env::var("CHATLAYER_LOAD_SCALE")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(1);
    let (connections, per_connection) = (200, 40 * scale);
    // The server closes a connection that starts no request within its read timeout (10 s),
    // as it must against silent clients. This test's 200 clients run in one debug-built
    // process: on a machine loaded by other work, some opened their connection and only
    // wrote their first request 11 s later (wrk's 200 connections against the same server
    // beside the same load were all served). The server was right; the test measures lost
    // replies and memory, so its server waits longer. The hardening tests and the attack
    // harness hold the silent-connection rule.
    let (child, port) = start_binary(
        &[],
        &[("RUST_LOG", "warn"), ("CHATLAYER_READ_TIMEOUT", "120s")],
    )
    .await;
    let pid = child.id();

    let started = Instant::now();
    let mut rounds = Vec::new();
    let mut memory = Vec::new();
    for round in ["warm-up", "first", "second"] {
        match load_round(port, connections, per_connection).await {
            Ok(received) => rounds.push(received),
            Err(failures) => {
                // What the server said is the first clue: print it with the failures.
                let (_, log) = stop_binary(child);
                panic!(
                    "round {round} ({:?} in): {} of {connections} clients failed; the first: \
                     {:#?}\nthe server logged:\n{log}",
                    started.elapsed(),
                    failures.len(),
                    &failures[..failures.len().min(5)]
                );
            }
        }
        memory.push(rss_kib(pid));
    }
    let elapsed = started.elapsed();
    let (warm_up, first, second) = (rounds[0], rounds[1], rounds[2]);
    let (after_warm_up, after_first, after_second) = (memory[0], memory[1], memory[2]);

    let per_round = connections * per_connection;
    assert_eq!((warm_up, first, second), (per_round, per_round, per_round));
    eprintln!(
        "load: {} requests on {connections} connections in {elapsed:?}; RSS {after_warm_up} -> {after_first} -> {after_second} KiB",
        3 * per_round
    );
    // The allocator settles over the first rounds (a few hundred KiB); a leak of 256 bytes
    // per request would add 2 MiB per round at scale 1, and grow with every round.
    assert!(
        after_second <= after_first + 2048 && after_first <= after_warm_up + 4096,
        "memory grows under steady load: {after_warm_up} -> {after_first} -> {after_second} KiB"
    );
    let (status, log) = stop_binary(child);
    assert!(status.success(), "{log}");
}
