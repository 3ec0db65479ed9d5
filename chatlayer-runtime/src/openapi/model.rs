//! The OpenAPI 3.1 objects the document uses, as plain serde structs.
//!
//! Schemas are `schemars::Schema` values carried verbatim: every JSON Schema keyword that
//! schemars emits reaches the document unchanged. Maps are `BTreeMap`s, so the document's
//! bytes depend only on its content.

use std::collections::BTreeMap;

use schemars::Schema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The OpenAPI version the document declares.
pub const OPENAPI_VERSION: &str = "3.1.0";

/// An OpenAPI 3.1 document (the root object).
///
/// Build it with [`App::openapi`](crate::App::openapi); change it freely before serving or
/// writing it (every field is public), e.g. to add a server:
///
/// ```
/// use chatlayer_runtime::openapi::{OpenApi, Server};
///
/// let mut document: OpenApi = serde_json::from_str(
///     r#"{"openapi": "3.1.0", "info": {"title": "shop", "version": "1.0.0"}, "paths": {}}"#,
/// ).unwrap();
/// document.servers.push(Server::new("https://bot.example.com"));
/// assert!(document.to_json_pretty().contains("https://bot.example.com"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OpenApi {
    /// Always [`OPENAPI_VERSION`].
    pub openapi: String,
    /// Title, version and description of the API.
    pub info: Info,
    /// Where the API is served; empty means "the host that served the document".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<Server>,
    /// One entry per path, each with one operation per method.
    #[serde(default)]
    pub paths: BTreeMap<String, PathItem>,
    /// Shared schemas and security schemes.
    #[serde(default, skip_serializing_if = "Components::is_empty")]
    pub components: Components,
    /// Security requirements that apply to every operation (alternatives).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security: Vec<SecurityRequirement>,
    /// The tags used by the operations, with their descriptions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl OpenApi {
    /// The document as pretty-printed JSON, ending with a newline.
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .expect("an OpenAPI document always serializes: its maps have string keys");
        text.push('\n');
        text
    }

    /// The operation for `method` (e.g. `"post"`) at `path`, when there is one.
    pub fn operation(&self, method: &str, path: &str) -> Option<&Operation> {
        let item = self.paths.get(path)?;
        match method.to_ascii_lowercase().as_str() {
            "get" => item.get.as_ref(),
            "post" => item.post.as_ref(),
            "put" => item.put.as_ref(),
            "patch" => item.patch.as_ref(),
            "delete" => item.delete.as_ref(),
            _ => None,
        }
    }
}

/// Metadata about the API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Info {
    /// The API's name.
    pub title: String,
    /// The API's own version (not the OpenAPI version).
    pub version: String,
    /// What the API is for (CommonMark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where to learn more about the API, or ask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// The API's license.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<License>,
}

impl Info {
    /// Info with a title and a version.
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Self {
        Info {
            title: title.into(),
            version: version.into(),
            description: None,
            contact: None,
            license: None,
        }
    }
}

/// Who answers for the API: a web page (the package's `homepage` or `repository` by
/// default).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Contact {
    /// A web page about the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Contact {
    /// A contact that is a web page.
    pub fn url(url: impl Into<String>) -> Self {
        Contact {
            url: Some(url.into()),
        }
    }
}

/// The license the API is offered under.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct License {
    /// Its name.
    pub name: String,
    /// Its SPDX expression, e.g. `MIT OR Apache-2.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
}

impl License {
    /// The license named by an SPDX expression (`MIT`, `MIT OR Apache-2.0`).
    pub fn spdx(expression: impl Into<String>) -> Self {
        let expression = expression.into();
        License {
            name: expression.clone(),
            identifier: Some(expression),
        }
    }
}

/// A server the API is reachable at.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Server {
    /// Its URL, absolute or relative to the document.
    pub url: String,
    /// What it is, e.g. "production".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Server {
    /// A server at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Server {
            url: url.into(),
            description: None,
        }
    }
}

/// The operations of one path.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PathItem {
    /// `GET`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get: Option<Operation>,
    /// `PUT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub put: Option<Operation>,
    /// `POST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<Operation>,
    /// `DELETE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<Operation>,
    /// `PATCH`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<Operation>,
}

/// One step: a method at a path.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Operation {
    /// Groups operations in the docs page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// One line: the first paragraph of the step's doc comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The rest of the doc comment (CommonMark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Unique in the document; the step's function name unless two steps share it.
    pub operation_id: String,
    /// Query parameters (`GET` steps).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    /// The body (steps other than `GET`): JSON, or form data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<RequestBody>,
    /// By status code (`"200"`, `"400"`, ...).
    pub responses: BTreeMap<String, Response>,
    /// Overrides the document's security requirements for this operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<Vec<SecurityRequirement>>,
    /// `x-` extension fields.
    #[serde(flatten)]
    pub extensions: BTreeMap<String, Value>,
}

/// A query parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Parameter {
    /// Its name on the wire.
    pub name: String,
    /// Where it is sent: always `query` here.
    #[serde(rename = "in")]
    pub location: String,
    /// What it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the step fails without it.
    #[serde(default)]
    pub required: bool,
    /// Its JSON Schema.
    pub schema: Schema,
    /// `x-` extension fields.
    #[serde(flatten)]
    pub extensions: BTreeMap<String, Value>,
}

/// A request body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RequestBody {
    /// What it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// By media type.
    pub content: BTreeMap<String, MediaType>,
    /// Whether a body must be sent.
    #[serde(default)]
    pub required: bool,
}

/// A body's schema for one media type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MediaType {
    /// The body's JSON Schema.
    pub schema: Schema,
}

/// One possible response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Response {
    /// When it is sent.
    pub description: String,
    /// Response headers by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Header>,
    /// The body, by media type.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub content: BTreeMap<String, MediaType>,
}

/// A response header.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Header {
    /// What it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its JSON Schema.
    pub schema: Schema,
}

/// Shared parts of the document.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Components {
    /// Named schemas, referenced as `#/components/schemas/{name}`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub schemas: Map<String, Value>,
    /// Named security schemes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub security_schemes: BTreeMap<String, SecurityScheme>,
}

impl Components {
    fn is_empty(&self) -> bool {
        self.schemas.is_empty() && self.security_schemes.is_empty()
    }
}

/// How a caller authenticates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
#[non_exhaustive]
pub enum SecurityScheme {
    /// An HTTP `Authorization` scheme: `bearer` or `basic`.
    Http {
        /// `bearer` or `basic`.
        scheme: String,
        /// What to put in it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    /// A key in a header.
    ApiKey {
        /// The header's name.
        name: String,
        /// Always `header` here.
        #[serde(rename = "in")]
        location: String,
        /// What to put in it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
}

/// Scheme names that together authorize a request (each with its scopes).
pub type SecurityRequirement = BTreeMap<String, Vec<String>>;

/// A tag and what it groups.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Tag {
    /// The tag.
    pub name: String,
    /// What it groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}
