//! A small shop bot backend, served by chatlayer-rs: `cargo run -p quickstart`.
//!
//! The steps are in [`steps`]; the pretend back office they call is in [`shop`]. The binary
//! (`src/main.rs`) serves [`app`] on `127.0.0.1:8080`.

pub mod shop;
pub mod steps;

use chatlayer_runtime::openapi::ApiDocs;
use chatlayer_runtime::{App, AppBuilder};

/// The shop's app: every step of this crate, with the back office they depend on.
pub fn app() -> AppBuilder {
    App::discover()
        .provide(shop::Catalog::demo())
        .provide(shop::Bank::demo())
        .provide(shop::Shipping)
        .docs(
            ApiDocs::new()
                .tag("orders", "Placing orders and tracking them.")
                .tag("bank", "Moving money between accounts.")
                .tag("routing", "Choosing where the conversation goes next.")
                .tag(
                    "messages",
                    "Showing the user text, buttons, quick replies, cards and media.",
                ),
        )
}
