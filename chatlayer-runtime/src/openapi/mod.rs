//! The OpenAPI 3.1 document of an app, and the docs page that shows it.
//!
//! Everything comes from the step annotations: paths and methods, the doc comments (first
//! paragraph as the summary, the rest as the description), `tag`, every parameter the
//! function reads with its JSON Schema (from [`schemars`], which follows serde attributes),
//! the reply envelope and the error answers. [`Context`](crate::Context) adds its six
//! optional parameters (`sessionId`, `language`, ...); `Dep<T>` and `RawRequest` add nothing.
//!
//! A parameter type documents itself when it implements `schemars::JsonSchema`
//! (`#[derive(JsonSchema)]` next to `#[derive(Deserialize)]`). Without it the step still
//! compiles, and the document describes the parameter as "any value" and names the type.
//!
//! ```
//! use chatlayer_runtime::prelude::*;
//! use chatlayer_runtime::schemars::JsonSchema;
//! use serde::Deserialize;
//!
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(rename_all = "lowercase")]
//! enum Size { Small, Large }
//!
//! /// Order a coffee.
//! ///
//! /// The size defaults to small.
//! #[api_step("/coffee")]
//! fn coffee(size: Option<Size>, done: BlockId) -> Reply {
//!     Reply::new().set_next_dialog_state(done)
//! }
//!
//! let app = App::from_steps([coffee::STEP]).build().unwrap();
//! let document = app.openapi();
//! let operation = document.operation("post", "/coffee").unwrap();
//! assert_eq!(operation.summary.as_deref(), Some("Order a coffee."));
//! let body = serde_json::to_value(&operation.request_body).unwrap();
//! // Documented as JSON, as Chatlayer sends; form data and the query string are read too.
//! assert!(body["description"].as_str().unwrap().contains("form data is read too"));
//! let schema = &body["content"]["application/json"]["schema"];
//! assert_eq!(schema["required"], serde_json::json!(["done"]));
//! assert_eq!(schema["properties"]["done"]["x-chatlayer-dialog-state"], true);
//! ```
//!
//! The app serves the document at `/openapi.json` and a Swagger UI page at `/docs`, with
//! the page's scripts and styles served by the app itself (no CDN); [`ApiDocs`] switches
//! them off, and sets the document's title, version, description, license and tags. Nested in
//! a host app, both carry the prefix the steps are served under.

mod document;
mod inputs;
mod model;
mod portable;
mod responses;
pub(crate) mod routes;
mod rustdoc;
mod security;
mod settings;

pub use crate::schema::BLOCK_ID_EXTENSION;
pub use model::{
    Components, Contact, Header, Info, License, MediaType, OPENAPI_VERSION, OpenApi, Operation,
    Parameter, PathItem, RequestBody, Response, SecurityRequirement, SecurityScheme, Server, Tag,
};
pub use settings::ApiDocs;
