//! Micro-benchmarks: the whole order step in-process, framework against the hand-written
//! baseline, and the two costs that grow with the size of a request or a reply:
//! parameter extraction (a cart of N bytes read into typed arguments) and reply
//! serialization (N bytes of session data written out), at 1 KB, 100 KB and 1 MB, each next
//! to the same work written by hand with axum. Both go through their router in-process, so
//! the difference is what the framework does, with no socket noise.
//!
//! `cargo bench -p chatlayer-bench --bench micro`; the harness (`-- micro`) runs it and turns
//! criterion's estimates into bench/README.md's table.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, header};
use axum::routing::post;
use axum::{Json, Router};
use chatlayer_runtime::prelude::*;
use chatlayer_runtime::testing::TestClient;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;

/// One line of a cart: about 100 bytes of JSON.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct Item {
    sku: String,
    quantity: u32,
    note: String,
}

/// The sizes measured, with their names in the report.
const SIZES: [(&str, usize); 3] = [("1KB", 1_000), ("100KB", 100_000), ("1MB", 1_000_000)];

/// Items whose JSON array takes about `bytes` bytes.
fn items(bytes: usize) -> Vec<Item> {
    (0..bytes.div_ceil(100))
        .map(|n| Item {
            sku: format!("SKU-{n:06}"),
            quantity: (n % 9) as u32 + 1,
            note: "gift wrap, deliver to the back door, ring twice please".to_owned(),
        })
        .collect()
}

// ---- parameter extraction: a big cart in, a small reply out ----

/// Counts the cart's items.
#[api_step("/cart")]
async fn cart(items: Vec<Item>, on_success: BlockId) -> Reply {
    Reply::new()
        .add_message(format!("{} items", items.len()))
        .set_next_dialog_state(on_success)
}

#[derive(Deserialize)]
struct CartParams {
    items: Vec<Item>,
    on_success: String,
}

async fn cart_by_hand(Json(params): Json<CartParams>) -> Json<serde_json::Value> {
    Json(json!({
        "messages": [{ "type": "text", "config": { "textMessages": [
            { "text": format!("{} items", params.items.len()) }
        ] } }],
        "action": { "nextDialogstate": params.on_success },
    }))
}

// ---- reply serialization: a small request in, a big session write out ----

/// The catalog the reply lists, shared by both servers.
struct Listing(Vec<Item>);

#[derive(Serialize)]
struct ListingData<'a> {
    items: &'a [Item],
}

/// Lists the catalog into the session.
#[api_step("/listing", namespace = "listing")]
async fn listing(on_success: BlockId, listing: Dep<Listing>) -> Reply {
    Reply::new()
        .add_session_data(ListingData { items: &listing.0 })
        .add_message("Here is the catalog.")
        .set_next_dialog_state(on_success)
}

#[derive(Deserialize)]
struct ListingParams {
    on_success: String,
}

#[derive(Serialize)]
struct ListingReply<'a> {
    session: ListingSession<'a>,
    messages: serde_json::Value,
    action: serde_json::Value,
}

#[derive(Serialize)]
struct ListingSession<'a> {
    namespace: &'static str,
    data: ListingData<'a>,
}

async fn listing_by_hand(
    State(listing): State<Arc<Listing>>,
    Json(params): Json<ListingParams>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    Json(ListingReply {
        session: ListingSession {
            namespace: "listing",
            data: ListingData { items: &listing.0 },
        },
        messages: json!([{ "type": "text", "config": { "textMessages": [{ "text": "Here is the catalog." }] } }]),
        action: json!({ "nextDialogstate": params.on_success }),
    })
    .into_response()
}

// ---- the whole order step, framework against the hand-written baseline ----

fn order(c: &mut Criterion) {
    let rt = runtime();
    let app = App::from_steps([quickstart::steps::order::STEP])
        .provide(quickstart::shop::Catalog::demo())
        .build()
        .expect("the order app builds");
    let framework = TestClient::new(&app);
    let by_hand = chatlayer_bench::baseline::router();
    let body: axum::body::Bytes = chatlayer_bench::ORDER_REQUEST.as_bytes().into();
    let mut group = c.benchmark_group("order");
    group.bench_function("chatlayer-rs", |b| {
        b.iter(|| {
            rt.block_on(async {
                let response = framework.send(request("/order", &body)).await;
                assert_eq!(response.body(), chatlayer_bench::ORDER_REPLY.as_bytes());
            })
        })
    });
    group.bench_function("axum", |b| {
        b.iter(|| rt.block_on(call_by_hand(&by_hand, request("/order", &body))))
    });
    group.finish();
}

// ---- the benchmarks ----

fn request(path: &str, body: &axum::body::Bytes) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.clone()))
        .expect("a valid request")
}

async fn call_by_hand(router: &Router, request: Request<Body>) -> usize {
    let response = router.clone().oneshot(request).await.expect("infallible");
    assert!(response.status().is_success());
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("a readable body")
        .len()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn extraction(c: &mut Criterion) {
    let rt = runtime();
    // The 1 MB body holds tens of thousands of JSON values, past the default value limit
    // (10,000): both limits are raised so that extraction itself is measured.
    let app = App::from_steps([cart::STEP])
        .limits(
            chatlayer_runtime::Limits::new()
                .body(4 << 20)
                .body_values(1_000_000),
        )
        .build()
        .expect("the cart app builds");
    let framework = TestClient::new(&app);
    let by_hand = Router::new().route("/cart", post(cart_by_hand));
    let mut group = c.benchmark_group("extract");
    for (name, size) in SIZES {
        let body: axum::body::Bytes =
            serde_json::to_vec(&json!({ "items": items(size), "on_success": "done" }))
                .expect("serializable")
                .into();
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::new("chatlayer-rs", name), &body, |b, body| {
            b.iter(|| {
                rt.block_on(async {
                    let response = framework.send(request("/cart", body)).await;
                    assert_eq!(response.status(), 200, "{:?}", response.body());
                    response.body().len()
                })
            })
        });
        group.bench_with_input(BenchmarkId::new("axum", name), &body, |b, body| {
            b.iter(|| rt.block_on(call_by_hand(&by_hand, request("/cart", body))))
        });
    }
    group.finish();
}

fn serialization(c: &mut Criterion) {
    let rt = runtime();
    let body: axum::body::Bytes = br#"{"on_success":"done"}"#.as_slice().into();
    let mut group = c.benchmark_group("reply");
    for (name, size) in SIZES {
        let app = App::from_steps([listing::STEP])
            .provide(Listing(items(size)))
            .build()
            .expect("the listing app builds");
        let framework = TestClient::new(&app);
        let by_hand = Router::new()
            .route("/listing", post(listing_by_hand))
            .with_state(Arc::new(Listing(items(size))));
        let reply_bytes = rt.block_on(call_by_hand(&by_hand, request("/listing", &body)));
        group.throughput(Throughput::Bytes(reply_bytes as u64));
        group.bench_function(BenchmarkId::new("chatlayer-rs", name), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let response = framework.send(request("/listing", &body)).await;
                    assert_eq!(response.status(), 200, "{:?}", response.body());
                    response.body().len()
                })
            })
        });
        group.bench_function(BenchmarkId::new("axum", name), |b| {
            b.iter(|| rt.block_on(call_by_hand(&by_hand, request("/listing", &body))))
        });
    }
    group.finish();
}

/// A bot file of `groups` x 5 blocks around the quickstart's order step: a menu whose quick
/// replies lead on, an input, a condition, the order's action block, a message.
fn bot_file(groups: usize) -> String {
    let mut yaml = String::from("bot: Large\nstart: menu-0\nblocks:\n");
    for n in 0..groups {
        let next = (n + 1) % groups;
        yaml.push_str(&format!(
            "  - id: menu-{n}
    type: message
    messages:
      - type: quickReplies
        config:
          textMessages: [{{ text: \"Menu {n}\" }}]
          quickReplies:
            - {{ type: postback, title: Order, payload: {{ nextDialogstateId: ask-{n} }} }}
            - {{ type: postback, title: Next, payload: {{ nextDialogstateId: menu-{next} }} }}
  - {{ id: ask-{n}, type: input, messages: [\"Which product?\"], variable: cart.sku{n}, goto: check-{n} }}
  - id: check-{n}
    type: condition
    rules: [{{ variable: cart.sku{n}, exists: true, goto: order-{n} }}]
    goto: menu-{n}
  - id: order-{n}
    type: action
    api:
      url: /order
      body:
        - {{ key: sku, type: variable, value: cart.sku{n} }}
        - {{ key: quantity, type: text, value: \"1\" }}
        - {{ key: on_success, type: dialogstate, value: done-{n} }}
        - {{ key: on_failure, type: dialogstate, value: menu-{n} }}
  - {{ id: done-{n}, type: message, messages: [\"Ordered {{order.sku}}.\"], goto: menu-{next} }}
"
        ));
    }
    yaml
}

/// `check` on a 500-block bot file against the quickstart's OpenAPI document, and reading
/// the file: what `chatlayer-emulator check` does, which must take well under a second.
fn bot_files(c: &mut Criterion) {
    let yaml = bot_file(100);
    let document: serde_json::Value =
        serde_json::from_str(include_str!("../../examples/quickstart/openapi.json")).unwrap();
    let bot = chatlayer_emulator::BotFile::parse(&yaml).unwrap();
    assert_eq!(bot.blocks().len(), 500);
    assert!(
        chatlayer_emulator::check_bot_file(&bot, &document).is_empty(),
        "the generated bot file fits the quickstart's steps"
    );
    let mut group = c.benchmark_group("bot-file");
    group.throughput(Throughput::Bytes(yaml.len() as u64));
    group.bench_function(BenchmarkId::new("check", "500-blocks"), |b| {
        b.iter(|| chatlayer_emulator::check_bot_file(&bot, &document))
    });
    group.bench_function(BenchmarkId::new("load", "500-blocks"), |b| {
        b.iter(|| chatlayer_emulator::BotFile::parse(&yaml).unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = order, extraction, serialization, bot_files
}
criterion_main!(benches);
