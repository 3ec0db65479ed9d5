//! The quickstart's order step behind an awaited dependency: the step first awaits
//! `BENCH_STEP_DELAY_MS` (standing for a database call), then answers as the quickstart
//! does. Served by the framework as the quickstart is, every default protection on: the
//! I/O-bound shape of the load benchmark, against `baseline-axum` with the same delay.

use std::time::Duration;

use chatlayer_bench::servers::{IO_DELAY_MS, step_delay};
use chatlayer_runtime::prelude::*;
use quickstart::shop::Catalog;

#[api_step("/order", namespace = "order", fallback = on_failure,
           fallback_message = "Sorry, we could not place that order.")]
async fn order(
    sku: String,
    #[param(default = 1)] quantity: u32,
    on_success: BlockId,
    on_failure: BlockId,
    catalog: Dep<Catalog>,
    delay: Dep<Delay>,
) -> Result<Reply, StepError> {
    tokio::time::sleep(delay.0).await;
    quickstart::steps::order(sku, quantity, on_success, on_failure, catalog).await
}

/// How long the step awaits.
struct Delay(Duration);

#[tokio::main]
async fn main() -> Result<(), chatlayer_runtime::ServeError> {
    App::from_steps([order::STEP])
        .provide(Catalog::demo())
        .provide(Delay(
            step_delay().unwrap_or(Duration::from_millis(IO_DELAY_MS)),
        ))
        .serve()
        .await
}
