//! Write the backend that Chatlayer's API steps call as plain Rust functions.
//!
//! An **API step** in a Chatlayer Action block sends an HTTP request to your backend with the
//! parameters the bot builder mapped (static text, session variables, block ids), and your
//! backend answers with session data to store, messages to show, and the block to go to
//! next. With this crate, each endpoint is one annotated function:
//!
//! ```
//! use chatlayer_runtime::prelude::*;
//!
//! /// Transfer money: the example of Chatlayer's own documentation.
//! #[api_step("/transaction", rename_all = "camelCase")]
//! async fn transaction(
//!     amount: f64,
//!     destination: String,
//!     account_type: String,
//!     transaction_success: BlockId,
//!     transaction_no_money: BlockId,
//! ) -> Reply {
//!     if amount <= 1000.0 {
//!         Reply::new()
//!             .add_session_variable("account", json!({ "limit": 1000.0 - amount, "amount": amount }))
//!             .set_next_dialog_state(transaction_success)
//!     } else {
//!         Reply::new()
//!             .add_message(format!("You cannot send {amount} from your {account_type} to {destination}."))
//!             .set_next_dialog_state(transaction_no_money)
//!     }
//! }
//!
//! /// Open or closed?
//! #[next_block] // served at /opening-hours
//! fn opening_hours(open: BlockId, closed: BlockId) -> BlockId {
//!     if shop_is_open() { open } else { closed }
//! }
//! # fn shop_is_open() -> bool { true }
//!
//! // In main: App::discover().serve().await
//! ```
//!
//! * [`api_step`] and [`next_block`] turn functions into steps; the functions stay callable
//!   as written, e.g. from unit tests.
//! * Arguments are filled from the request: see [`extract`] for every source.
//! * [`Reply`] builds the answer, with the method names of Chatlayer's Code editor.
//! * [`App`] collects the steps ([`App::discover`]), checks them, and serves them on their
//!   own ([`App::serve`]) or as an axum `Router` inside your app ([`App::router`]).
//! * [`App::openapi`] describes every step as an OpenAPI 3.1 document, served at
//!   `/openapi.json` with a docs page at `/docs`: see [`openapi`].
//! * [`testing::TestClient`] calls steps in-process in your tests.
//! * [`server::Server`] serves an app, or any axum `Router` it is part of, hardened: timeouts,
//!   bounded connections, a drain that loses nothing.
//! * The `chatlayer-emulator` crate runs whole conversations from a bot file: in tests, in
//!   CI scripts, and in a web page.
//!
//! # Failures keep the conversation alive
//!
//! A missing or malformed parameter, a step that returns an error, a step that panics: none
//! of them produce an HTML page, a hang, or a dead server. When the bot gave the step a
//! place to go on failure (an app-wide [`Fallback::to`], or a per-step
//! `fallback = ...` parameter), Chatlayer gets HTTP 200 with a jump there, plus an optional
//! message, and the error is logged. Otherwise it gets a JSON [`ErrorBody`] (4xx for bad
//! input, 5xx for failures of the step), which shows in the bot's error log.

#![warn(missing_docs)]

mod app;
mod block;
pub mod cli;
pub mod config;
mod descriptor;
mod dispatch;
mod error;
pub mod extract;
mod fallback;
pub mod guide;
mod health;
mod logging;
mod nearest;
pub mod observe;
pub mod openapi;
mod param_map;
mod paths;
mod problems;
pub mod record;
mod recorder;
mod reply;
mod schema;
pub mod security;
pub mod server;
pub mod testing;
mod throttled;
mod untrusted;

pub use app::{App, AppBuilder, Limits};
pub use block::BlockId;
pub use descriptor::{StepDescriptor, StepKind};
pub use error::{ErrorBody, ErrorClass, ErrorCode, ErrorDetail, StepError};
pub use extract::{Context, Dep, Params, RawRequest};
pub use fallback::{Fallback, FallbackCause};
pub use param_map::ParamMap;
pub use problems::{BuildError, BuildProblem, ServeError};
pub use reply::Reply;
pub use reply::message;
pub use reply::output::{IntoReply, NextBlockOutput};

/// The HTTP method of a step (`GET`, `POST`, `PUT`, `PATCH` or `DELETE`): axum's.
pub use axum::http::Method;

/// `schemars`, re-exported: derive `JsonSchema` on parameter types to document them.
pub use schemars;

/// `serde_json`, re-exported for [`Value`](serde_json::Value) and the `json!` macro.
pub use serde_json;

/// Turns a plain function into a Chatlayer API step.
///
/// ```
/// use chatlayer_runtime::prelude::*;
///
/// /// Place an order.
/// ///
/// /// Stores the order in the session and thanks the user.
/// #[api_step("/order", namespace = "order", tag = "shop")]
/// async fn order(
///     sku: String,
///     #[param(default = 1)] quantity: u32,
///     on_success: BlockId,
/// ) -> Reply {
///     Reply::new()
///         .add_session_data(json!({ "sku": sku, "quantity": quantity }))
///         .add_message(format!("Ordered {quantity} x {sku}."))
///         .set_next_dialog_state(on_success)
/// }
/// ```
///
/// # The attribute
///
/// `#[api_step("/path", options...)]`. The path is what the bot builder types in the API
/// step's URL after your server's address; it is checked at compile time (a leading `/`, no
/// empty segments, only ASCII letters, digits, `-`, `_`, `.`, `~`; parameters travel in the
/// query string or body, never in the path). The options:
///
#[doc = chatlayer_macros::__options_table!(api_step)]
///
/// # Arguments
///
/// Each argument is filled through [`FromStepRequest`](extract::FromStepRequest): a plain argument such as
/// `amount: f64` reads the parameter named like it (`Option<T>` makes it optional), and the
/// framework's own types read the rest ([`Params<T>`], [`Context`], [`Dep<T>`],
/// [`RawRequest`]). One attribute can refine a plain argument:
/// `#[param(rename = "accountType")]` reads another parameter name,
/// `#[param(default = 1)]` gives a value for when the parameter is absent, and
/// `#[param(description = "...")]` says what it is in the OpenAPI document (a doc comment
/// on the argument says the same). Options combine: `#[param(default = 1, description =
/// "How many")]`. Arguments are plain names (no patterns), owned (no references), and the
/// function is not generic.
///
/// # Return type
///
/// [`Reply`], [`BlockId`], `Option<BlockId>`, `()`, or a `Result` of one of these whose error
/// converts into [`StepError`]: see [`IntoReply`]. The function may be `async` or not.
///
/// # What it expands to
///
/// The function stays exactly as written (minus the `#[param]` attributes), so unit tests
/// call it directly. Beside it, the macro adds a hidden type of the same name holding the
/// step's descriptor, and registers it for [`App::discover`]. For the example above:
///
/// ```text
/// async fn order(sku: String, quantity: u32, on_success: BlockId) -> Reply { /* as written */ }
///
/// #[doc(hidden)]
/// struct order {}
/// impl order {
///     const STEP: &'static StepDescriptor = &{
///         const ARGS: &[ArgSpec] = &[ArgSpec::new("sku", "sku"), ArgSpec::new("quantity", "quantity"), ...];
///         fn handler(request: StepRequest) -> StepFuture {
///             Box::pin(async move {
///                 let a0 = <String as FromStepRequest>::from_step_request(&request, &ARGS[0])?;
///                 let a1 = param_or_else::<u32>(&request, &ARGS[1], || 1)?;
///                 let a2 = <BlockId as FromStepRequest>::from_step_request(&request, &ARGS[2])?;
///                 <Reply as IntoReply>::into_reply(order(a0, a1, a2).await)
///             })
///         }
///         StepDescriptor::from_parts(StepParts { method: Post, path: "/order", name: "order",
///             file: file!(), line: line!(), docs: "Place an order.\n\nStores the order ...",
///             namespace: Some("order"), handler, ... })
///     };
/// }
/// inventory::submit! { Registration(order::STEP) }
/// ```
///
/// `order::STEP` is what [`App::from_steps`] takes. Set `CHATLAYER_MACROS_DEBUG=1` while
/// building to print every expansion.
pub use chatlayer_macros::api_step;

/// Turns a plain function into a step whose whole answer is the block to go to next.
///
/// The function returns [`BlockId`], `Option<BlockId>` (`None` answers `{}`, so the Action
/// block's own go-to applies) or `Result<BlockId, E>` (see [`NextBlockOutput`]). It takes the
/// same arguments as [`api_step`], and these of its options:
///
#[doc = chatlayer_macros::__options_table!(next_block)]
///
/// Without a path, the step is served at the function's name with `_` turned into `-`
/// and a leading `/`: `opening_hours` is served at `/opening-hours`.
///
/// ```
/// use chatlayer_runtime::prelude::*;
///
/// /// Send users to the open or the closed block, depending on the hour.
/// #[next_block]
/// fn opening_hours(open: BlockId, closed: BlockId, hour: Option<u32>) -> BlockId {
///     match hour {
///         Some(9..=17) | None => open,
///         Some(_) => closed,
///     }
/// }
///
/// /// The same, at a path of your choice and with GET.
/// #[next_block("/route/vip", method = GET)]
/// async fn vip(is_vip: bool, vip_desk: BlockId) -> Option<BlockId> {
///     is_vip.then_some(vip_desk)
/// }
///
/// assert_eq!(opening_hours::STEP.path(), "/opening-hours");
/// assert_eq!(opening_hours(BlockId::new("o"), BlockId::new("c"), Some(20)), BlockId::new("c"));
/// ```
pub use chatlayer_macros::next_block;

/// Everything a step definition needs, in one import.
pub mod prelude {
    pub use crate::message::{Button, Card, Media, Message, Postback, QuickReply};
    pub use crate::{
        App, BlockId, Context, Dep, Method, Params, RawRequest, Reply, StepError, api_step,
        next_block,
    };
    pub use serde_json::json;
}

/// Support for the code the macros generate. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::config::step_timeout;
    pub use crate::descriptor::{
        Registration, StepDescriptor, StepFuture, StepKind, StepMethod, StepParts,
    };
    pub use crate::extract::{
        ArgSpec, FromStepRequest, StepInputs, StepRequest, describe_param_with_default,
        param_or_else,
    };
    pub use crate::reply::output::{IntoReply, NextBlockOutput};
    pub use crate::schema::{
        SchemaFn, SchemaProbe, SessionSchema, ViaJsonSchema, WithoutJsonSchema, session_schema,
    };
    pub use axum::http::Method;
    pub use inventory;

    use crate::{Reply, StepError};

    /// Ends an `#[api_step]` adapter whose return type is `impl Trait` (which cannot be named
    /// in `<Type as IntoReply>`).
    pub fn finish_api_step<T: IntoReply>(output: T) -> Result<Reply, StepError> {
        output.into_reply()
    }

    /// Ends a `#[next_block]` adapter whose return type is `impl Trait`.
    pub fn finish_next_block<T: NextBlockOutput>(output: T) -> Result<Reply, StepError> {
        output.into_next_block()
    }
}
