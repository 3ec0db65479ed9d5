//! The baseline: the quickstart's `POST /order` written by hand with axum, the way a careful
//! axum user would: a typed request, a lookup in the same catalog, typed reply structs.
//!
//! It answers the same bytes as the framework's step (the harness checks that before every
//! run), so the two differ only in what the framework adds. `baseline-axum` serves it; the
//! micro-benchmarks call it in-process.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use quickstart::shop::Catalog;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct OrderParams {
    sku: String,
    #[serde(default = "one")]
    quantity: u32,
    on_success: String,
    on_failure: String,
}

fn one() -> u32 {
    1
}

#[derive(Serialize)]
struct OrderReply<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<Session<'a>>,
    messages: [TextMessage; 1],
    action: Action<'a>,
}

#[derive(Serialize)]
struct Session<'a> {
    namespace: &'static str,
    data: OrderData<'a>,
}

/// Field order as the framework writes session data (sorted keys).
#[derive(Serialize)]
struct OrderData<'a> {
    quantity: u32,
    sku: &'a str,
    total: f64,
}

#[derive(Serialize)]
struct TextMessage {
    #[serde(rename = "type")]
    kind: &'static str,
    config: TextConfig,
}

#[derive(Serialize)]
struct TextConfig {
    #[serde(rename = "textMessages")]
    text_messages: [Text; 1],
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Action<'a> {
    #[serde(rename = "nextDialogstate")]
    next_dialogstate: &'a str,
}

fn text(text: String) -> [TextMessage; 1] {
    [TextMessage {
        kind: "text",
        config: TextConfig {
            text_messages: [Text { text }],
        },
    }]
}

async fn order(
    State(catalog): State<Arc<Catalog>>,
    Json(params): Json<OrderParams>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let product = catalog.get(&params.sku).filter(|_| params.quantity > 0);
    let reply = match product {
        Some(product) => {
            let total = product.price * f64::from(params.quantity);
            OrderReply {
                session: Some(Session {
                    namespace: "order",
                    data: OrderData {
                        quantity: params.quantity,
                        sku: &params.sku,
                        total,
                    },
                }),
                messages: text(format!(
                    "You ordered {} x {} for EUR {total:.2}.",
                    params.quantity, product.name
                )),
                action: Action {
                    next_dialogstate: &params.on_success,
                },
            }
        }
        None => OrderReply {
            session: None,
            messages: text("Sorry, we could not place that order.".to_owned()),
            action: Action {
                next_dialogstate: &params.on_failure,
            },
        },
    };
    Json(reply).into_response()
}

/// The baseline's router: `POST /order` with the demo catalog.
pub fn router() -> Router {
    Router::new()
        .route("/order", post(order))
        .with_state(Arc::new(Catalog::demo()))
}

/// The same order, answered after the handler awaits `delay` (standing for a database
/// call): the I/O-bound shape of the load benchmark.
pub fn router_awaiting(delay: Duration) -> Router {
    let catalog = Arc::new(Catalog::demo());
    Router::new().route(
        "/order",
        post(move |params: Json<OrderParams>| {
            let catalog = Arc::clone(&catalog);
            async move {
                tokio::time::sleep(delay).await;
                order(State(catalog), params).await
            }
        }),
    )
}
