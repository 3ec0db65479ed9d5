//! Calls the order step in-process N times, through the framework or through the
//! hand-written baseline, for instruction-level profiling:
//!
//! ```text
//! cargo build --release -p chatlayer-bench --example order_loop
//! valgrind --tool=callgrind ${CARGO_TARGET_DIR:-target}/release/examples/order_loop framework 20000
//! valgrind --tool=callgrind ${CARGO_TARGET_DIR:-target}/release/examples/order_loop baseline 20000
//! ```
//!
//! Instruction counts are repeatable whatever else the machine does, so the difference of
//! the two totals divided by N is the framework's cost per request, to the instruction.

use axum::body::Body;
use axum::http::{Request, header};
use tower::ServiceExt;

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "framework".to_owned());
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let router = match which.as_str() {
        "framework" => chatlayer_runtime::App::from_steps([quickstart::steps::order::STEP])
            .provide(quickstart::shop::Catalog::demo())
            .build()
            .expect("the order app builds")
            .router(),
        "baseline" => chatlayer_bench::baseline::router(),
        other => panic!("`{other}`: say `framework` or `baseline`"),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let body = axum::body::Bytes::from_static(chatlayer_bench::ORDER_REQUEST.as_bytes());
    runtime.block_on(async {
        for _ in 0..count {
            let request = Request::post("/order")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.clone()))
                .expect("a valid request");
            let response = router.clone().oneshot(request).await.expect("infallible");
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("a readable body");
            assert_eq!(bytes, chatlayer_bench::ORDER_REPLY.as_bytes());
        }
    });
}
