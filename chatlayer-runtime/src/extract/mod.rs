//! How step arguments are filled, and how to write argument types of your own.
//!
//! Every argument of a step is filled through [`FromStepRequest`]:
//!
//! | argument | filled from |
//! |---|---|
//! | `amount: f64` (any `serde::Deserialize` type) | the parameter named like the argument |
//! | `note: Option<String>` | the same, `None` when not sent, `null` or `""` |
//! | `#[param(rename = "accountType")] kind: String` | the parameter `accountType` |
//! | `#[param(default = 1)] quantity: u32` | the parameter, or `1` when not sent |
//! | `on_success: BlockId` | a `dialogstate` parameter (a block id) |
//! | [`Params<T>`] | all parameters at once, as a struct |
//! | [`Context`] | the conventional context parameters (`sessionId`, `botId`, ...) |
//! | [`Dep<T>`] | a dependency handed to [`AppBuilder::provide`](crate::AppBuilder::provide) |
//! | [`RawRequest`] | the method, URI, headers and every parameter |
//!
//! The rest of this module is for argument types of your own: implement [`FromStepRequest`],
//! read the request through [`StepRequest`], and record what the argument reads in
//! [`StepInputs`] so that the OpenAPI document and the unknown-parameter check know it.

pub(crate) mod context;
mod dep;
mod params;
mod raw;

use std::any::TypeId;
use std::sync::Arc;

use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, Method, Uri};
use serde::de::DeserializeOwned;

use crate::BlockId;
use crate::error::StepError;
use crate::param_map::lenient::{Absent, Lenient, Node};
use crate::param_map::{ParamMap, Sent, SentParams};

pub use crate::schema::SchemaFn;
pub use context::Context;
pub use dep::Dep;
pub(crate) use dep::Dependencies;
pub use params::Params;
pub use raw::RawRequest;

/// One request to a step, as arguments see it: decoded once, shared by all of them.
pub struct StepRequest {
    parts: Parts,
    params: Arc<SentParams>,
    dependencies: Arc<Dependencies>,
}

impl StepRequest {
    pub(crate) fn new(
        parts: Parts,
        params: Arc<SentParams>,
        dependencies: Arc<Dependencies>,
    ) -> Self {
        StepRequest {
            parts,
            params,
            dependencies,
        }
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.parts.method
    }

    /// The request URI, as the step's router saw it.
    pub fn uri(&self) -> &Uri {
        &self.parts.uri
    }

    /// The request headers (Chatlayer's Headers rows among them).
    pub fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }

    /// Request extensions, e.g. values a host app's middleware inserted.
    pub fn extensions(&self) -> &Extensions {
        &self.parts.extensions
    }

    /// Every parameter Chatlayer sent, as JSON values.
    ///
    /// The map is built on the first call: arguments read their parameters straight from
    /// the body, so a request whose steps never call this never builds it. To read one
    /// parameter, [`param`](Self::param) is cheaper.
    pub fn params(&self) -> &ParamMap {
        self.params.map()
    }

    /// Reads parameter `name` into `T` with the framework's lenient coercions, exactly as a
    /// step argument of type `T` would (`Option<T>` for one that may be absent); the error
    /// names the parameter.
    ///
    /// ```
    /// use chatlayer_runtime::StepError;
    /// use chatlayer_runtime::extract::{ArgSpec, FromStepRequest, StepInputs, StepRequest};
    ///
    /// /// An amount in cents, sent as `amount` in euros (`"12.50"` or `12.5`).
    /// struct Cents(u64);
    ///
    /// impl FromStepRequest for Cents {
    ///     fn from_step_request(request: &StepRequest, _arg: &ArgSpec) -> Result<Self, StepError> {
    ///         let euros: f64 = request.param("amount")?;
    ///         Ok(Cents((euros * 100.0).round() as u64))
    ///     }
    ///
    ///     fn describe(_arg: &ArgSpec, inputs: &mut StepInputs) {
    ///         inputs.add_read(&["amount"]);
    ///     }
    /// }
    /// ```
    pub fn param<T: DeserializeOwned>(&self, name: &str) -> Result<T, StepError> {
        read_param(&self.params, name)
    }

    /// The dependency of type `T` handed to the app, if any (made now when it was given
    /// with [`provide_with`](crate::AppBuilder::provide_with) and not made yet).
    pub fn dependency<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.dependencies.get::<T>().ok()
    }

    pub(crate) fn dependencies(&self) -> &Dependencies {
        &self.dependencies
    }

    pub(crate) fn shared_params(&self) -> Arc<ParamMap> {
        Arc::clone(self.params.map())
    }

    pub(crate) fn sent(&self) -> &SentParams {
        &self.params
    }
}

/// How an argument is named: in the Rust signature, and on the wire.
#[derive(Clone, Copy, Debug)]
pub struct ArgSpec {
    rust_name: &'static str,
    wire_name: &'static str,
    schema: Option<SchemaFn>,
    default_source: Option<&'static str>,
    description: Option<&'static str>,
}

impl ArgSpec {
    /// An argument called `rust_name` that reads the parameter `wire_name`.
    pub const fn new(rust_name: &'static str, wire_name: &'static str) -> Self {
        ArgSpec {
            rust_name,
            wire_name,
            schema: None,
            default_source: None,
            description: None,
        }
    }

    /// The same argument, with a description (its doc comment or
    /// `#[param(description = "...")]`).
    pub const fn with_description(self, description: &'static str) -> Self {
        ArgSpec {
            description: Some(description),
            ..self
        }
    }

    /// What the parameter is: the argument's doc comment or `#[param(description = "...")]`.
    pub fn description(&self) -> Option<&'static str> {
        self.description
    }

    /// The same argument, with `#[param(default = ...)]`'s expression as written (for the
    /// OpenAPI document).
    pub const fn with_default_source(self, source: &'static str) -> Self {
        ArgSpec {
            default_source: Some(source),
            ..self
        }
    }

    /// The source text of the argument's `#[param(default = ...)]`, when it has one.
    pub fn default_source(&self) -> Option<&'static str> {
        self.default_source
    }

    /// The same argument, with the JSON Schema of its type (the macros add it when the
    /// type implements `schemars::JsonSchema`).
    pub const fn with_schema(self, schema: Option<SchemaFn>) -> Self {
        ArgSpec { schema, ..self }
    }

    /// The JSON Schema of the argument's type, when it has one.
    pub fn schema(&self) -> Option<SchemaFn> {
        self.schema
    }

    /// The argument's name in the function signature.
    pub fn rust_name(&self) -> &'static str {
        self.rust_name
    }

    /// The parameter name Chatlayer sends (after `rename_all` and `#[param(rename)]`).
    pub fn wire_name(&self) -> &'static str {
        self.wire_name
    }
}

/// What a step's arguments need, collected once when the app is built: the parameters it
/// reads and the dependencies it takes. The OpenAPI document lists the parameters, the
/// build checks the dependencies, and a request's other parameters count as unknown (see
/// [`AppBuilder::deny_unknown_params`](crate::AppBuilder::deny_unknown_params)).
///
/// ```
/// use chatlayer_runtime::prelude::*;
///
/// #[api_step("/order")]
/// fn order(sku: String, quantity: Option<u32>, context: Context) -> Reply { Reply::new() }
///
/// let inputs = order::STEP.inputs();
/// let names: Vec<&str> = inputs.params().iter().map(|param| param.name).collect();
/// // `Context` reads (and documents) its six optional parameters.
/// assert_eq!(names[..3], ["sku", "quantity", "sessionId"]);
/// assert!(inputs.reads("language"));
/// assert!(!inputs.reads("E-mail"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct StepInputs {
    params: Vec<ParamInfo>,
    dependencies: Vec<DependencyInfo>,
    /// Parameters read without a documentation entry of their own.
    also_reads: Vec<&'static str>,
    reads_any_parameter: bool,
}

/// A parameter a step reads, as the OpenAPI document describes it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ParamInfo {
    /// The name on the wire. Empty for [`ParamInfo::all_fields`].
    pub name: &'static str,
    /// Whether the step fails when it is absent.
    pub required: bool,
    /// Whether it is a block id (a `dialogstate` row).
    pub block_id: bool,
    /// The Rust type that reads it.
    pub type_name: &'static str,
    /// Its JSON Schema, when the type implements `schemars::JsonSchema`.
    pub schema: Option<SchemaFn>,
    /// Whether this is a whole struct of parameters ([`Params<T>`]): each property of the
    /// schema is one parameter.
    pub all_fields: bool,
    /// The source text of the default value, for `#[param(default = ...)]` arguments.
    pub default_source: Option<&'static str>,
    /// What the parameter is: the argument's doc comment or `#[param(description = "...")]`.
    pub description: Option<&'static str>,
}

impl ParamInfo {
    /// A parameter named `name` read into `T`, with the schema found for `arg`.
    ///
    /// ```
    /// use chatlayer_runtime::extract::{ArgSpec, ParamInfo};
    ///
    /// let info = ParamInfo::new::<u32>("quantity", true, &ArgSpec::new("quantity", "quantity"));
    /// assert_eq!((info.name, info.required, info.block_id), ("quantity", true, false));
    /// ```
    pub fn new<T: ?Sized + 'static>(name: &'static str, required: bool, arg: &ArgSpec) -> Self {
        let id = TypeId::of::<T>();
        ParamInfo {
            name,
            required,
            block_id: id == TypeId::of::<BlockId>() || id == TypeId::of::<Option<BlockId>>(),
            type_name: std::any::type_name::<T>(),
            schema: arg.schema,
            all_fields: false,
            default_source: arg.default_source,
            description: arg.description,
        }
    }

    /// Every field of the struct `T` is a parameter (see [`Params<T>`]).
    pub fn all_fields<T: ?Sized + 'static>(arg: &ArgSpec) -> Self {
        ParamInfo {
            all_fields: true,
            ..ParamInfo::new::<T>("", true, arg)
        }
    }
}

/// A dependency a step takes with `Dep<T>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DependencyInfo {
    pub(crate) type_id: TypeId,
    /// `Arc<T>`'s id: what `provide(Arc::new(value))` registers by mistake.
    pub(crate) arc_type_id: TypeId,
    /// The dependency's type, e.g. `quickstart::Bank`.
    pub type_name: &'static str,
}

impl StepInputs {
    /// Records a parameter the step reads, documented as `param` says.
    pub fn add_param(&mut self, param: ParamInfo) {
        self.params.push(param);
    }

    /// Records parameters the step reads that the OpenAPI document does not list one by one
    /// (e.g. the fields of a [`Params<T>`] struct, which its schema documents).
    pub fn add_read(&mut self, names: &[&'static str]) {
        self.also_reads.extend_from_slice(names);
    }

    /// Records that the step may read any parameter (as [`RawRequest`] does), so that none
    /// counts as unknown.
    pub fn add_any_parameter(&mut self) {
        self.reads_any_parameter = true;
    }

    /// Records that the step takes a dependency of type `T`.
    pub fn add_dependency<T: Send + Sync + 'static>(&mut self) {
        self.dependencies.push(DependencyInfo {
            type_id: TypeId::of::<T>(),
            arc_type_id: TypeId::of::<Arc<T>>(),
            type_name: std::any::type_name::<T>(),
        });
    }

    /// The parameters the step reads, in argument order.
    pub fn params(&self) -> &[ParamInfo] {
        &self.params
    }

    /// The dependencies the step takes.
    pub fn dependencies(&self) -> &[DependencyInfo] {
        &self.dependencies
    }

    /// Whether the step reads the parameter `name` (always true for a step that may read
    /// any parameter).
    pub fn reads(&self, name: &str) -> bool {
        self.reads_any_parameter
            || self.also_reads.contains(&name)
            || self
                .params
                .iter()
                .any(|param| !param.all_fields && param.name == name)
    }

    /// The names of every parameter the step reads, sorted; `None` when it may read any.
    pub fn param_names(&self) -> Option<Vec<&'static str>> {
        if self.reads_any_parameter {
            return None;
        }
        let mut names: Vec<&'static str> = self
            .params
            .iter()
            .filter(|param| !param.all_fields)
            .map(|param| param.name)
            .chain(self.also_reads.iter().copied())
            .collect();
        names.sort_unstable();
        names.dedup();
        Some(names)
    }
}

/// A type that can be an argument of a step function.
///
/// The framework implements it for every `serde::Deserialize` type (read from the parameter
/// named like the argument) and for [`Params<T>`], [`Context`], [`Dep<T>`](crate::Dep) and
/// [`RawRequest`]. Implement it for your own types to read anything else from the request;
/// the type must not also implement `Deserialize`.
///
/// ```
/// use chatlayer_runtime::StepError;
/// use chatlayer_runtime::extract::{ArgSpec, FromStepRequest, StepInputs, StepRequest};
///
/// /// The `X-Tenant` header, which the bot builder adds as a Headers row.
/// struct Tenant(String);
///
/// impl FromStepRequest for Tenant {
///     fn from_step_request(request: &StepRequest, _arg: &ArgSpec) -> Result<Self, StepError> {
///         let header = request.headers().get("x-tenant").and_then(|v| v.to_str().ok());
///         match header {
///             Some(tenant) => Ok(Tenant(tenant.to_owned())),
///             None => Err(StepError::bad_request("the X-Tenant header is missing")
///                 .with_hint("add a Headers row `X-Tenant` to the API step")),
///         }
///     }
///
///     /// Reads a header, no parameter.
///     fn describe(_arg: &ArgSpec, _inputs: &mut StepInputs) {}
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an argument of a Chatlayer step",
    label = "the framework does not know how to fill this argument",
    note = "a step argument is a request parameter (any type implementing `serde::Deserialize`, e.g. `String`, `f64`, `BlockId`, `Option<T>`), `Params<T>` (all parameters as one struct), `Context`, `Dep<T>` (a dependency given to `App::provide`), or `RawRequest`",
    note = "if `{Self}` is a shared service such as a database pool, take `Dep<{Self}>` and give the value to `App::discover().provide(...)`"
)]
pub trait FromStepRequest: Sized {
    /// Whether the argument reads the parameter named like itself (after renaming), as
    /// every `Deserialize` type does. Two such arguments of one step must read different
    /// parameters: the macros check it at compile time.
    const READS_OWN_PARAMETER: bool = false;

    /// Reads the argument described by `arg` from `request`.
    fn from_step_request(request: &StepRequest, arg: &ArgSpec) -> Result<Self, StepError>;

    /// Records what the argument needs (parameters, dependencies); called once per step when
    /// the app is built. The default records that it may read any parameter, since the
    /// framework cannot know; override it to say exactly what your type reads (nothing, for
    /// a type that reads headers).
    fn describe(arg: &ArgSpec, inputs: &mut StepInputs) {
        let _ = arg;
        inputs.add_any_parameter();
    }
}

impl<T: DeserializeOwned + 'static> FromStepRequest for T {
    const READS_OWN_PARAMETER: bool = true;

    fn from_step_request(request: &StepRequest, arg: &ArgSpec) -> Result<Self, StepError> {
        read_param(request.sent(), arg.wire_name)
    }

    fn describe(arg: &ArgSpec, inputs: &mut StepInputs) {
        describe_param::<T>(arg, inputs, T::deserialize(Absent).is_err());
    }
}

/// Reads parameter `name` into `T` with Chatlayer's lenient coercions.
pub(crate) fn read_param<T: DeserializeOwned>(
    params: &SentParams,
    name: &str,
) -> Result<T, StepError> {
    let sent = params.get(name);
    if let Some(value) = sent.filter(|value| !value.is_absent()) {
        return read_value(value, name);
    }
    T::deserialize(Absent).map_err(|_| {
        let error = StepError::missing_parameter(name);
        match sent {
            Some(value) if value.is_null() => error.with_detail("it was sent as null"),
            Some(_) => error.with_detail("it was sent as an empty string"),
            None => error,
        }
    })
}

/// Reads one parameter value into `T`, naming the path inside it when a nested part is
/// wrong.
pub(crate) fn read_value<T: DeserializeOwned>(value: Sent<'_>, name: &str) -> Result<T, StepError> {
    // An object or array that serde_json reads into `T` as it is needs no `Value` built of
    // it, nor the coercions: for such a value (see `Sent::plain_container`) the lenient
    // reading would give the same. When it does not fit as it is, the lenient reading below
    // decides, and explains.
    if let Some(text) = value.plain_container()
        && let Ok(parsed) = serde_json::from_str::<T>(text)
    {
        return Ok(parsed);
    }
    value.with_node(|node| deserialize_node(node, name))
}

/// Deserializes one parameter value, naming the path inside it when a nested part is wrong.
fn deserialize_node<T: DeserializeOwned>(node: Node<'_>, name: &str) -> Result<T, StepError> {
    // Tracking the path costs on every value; it is only needed to explain a failure, so
    // the value is read plainly first and read again with tracking only when that failed.
    // Deserializing from a borrowed value has no side effects, so the second read fails the
    // same way.
    if let Ok(parsed) = T::deserialize(Lenient(node)) {
        return Ok(parsed);
    }
    serde_path_to_error::deserialize(Lenient(node)).map_err(|error| {
        let path = error.path().to_string();
        let reason = error.into_inner();
        if path == "." {
            StepError::invalid_parameter(name, reason)
        } else {
            StepError::invalid_parameter(name, format_args!("at `{path}`: {reason}"))
        }
    })
}

fn describe_param<T: 'static>(arg: &ArgSpec, inputs: &mut StepInputs, required: bool) {
    inputs.add_param(ParamInfo::new::<T>(arg.wire_name, required, arg));
}

/// Used by generated code for `#[param(default = ...)]` arguments.
#[doc(hidden)]
pub fn param_or_else<T: DeserializeOwned>(
    request: &StepRequest,
    arg: &ArgSpec,
    default: impl FnOnce() -> T,
) -> Result<T, StepError> {
    match request.sent().present(arg.wire_name) {
        Some(value) => read_value(value, arg.wire_name),
        None => Ok(default()),
    }
}

/// Used by generated code for `#[param(default = ...)]` arguments.
#[doc(hidden)]
pub fn describe_param_with_default<T: DeserializeOwned + 'static>(
    arg: &ArgSpec,
    inputs: &mut StepInputs,
) {
    describe_param::<T>(arg, inputs, false);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::Value;
    use serde_json::json;

    /// The same parameters both ways a request keeps them: read into a map (a form, or a
    /// body the scan leaves to the full reader), and scanned JSON text.
    fn params(body: Value) -> [SentParams; 2] {
        let text = body.to_string();
        let format = crate::param_map::BodyFormat::of(&axum::http::HeaderMap::new()).unwrap();
        [
            SentParams::decoded(ParamMap::from_parts(body, json!({}))),
            SentParams::decode(format, None, text.as_bytes(), 1_000).unwrap(),
        ]
    }

    #[test]
    fn numbers_strings_and_bools_coerce_leniently() {
        for p in &params(json!({
            "a": "5", "b": 5, "c": "true", "d": " 2.5 ", "e": 7, "f": "FALSE", "g": 5.0
        })) {
            assert_eq!(read_param::<u32>(p, "a").unwrap(), 5);
            assert_eq!(read_param::<String>(p, "b").unwrap(), "5");
            assert!(read_param::<bool>(p, "c").unwrap());
            assert_eq!(read_param::<f64>(p, "d").unwrap(), 2.5);
            assert_eq!(read_param::<f32>(p, "e").unwrap(), 7.0);
            assert!(!read_param::<bool>(p, "f").unwrap());
            assert_eq!(read_param::<i64>(p, "g").unwrap(), 5);
            assert_eq!(read_param::<String>(p, "g").unwrap(), "5.0");
            assert_eq!(read_param::<BlockId>(p, "b").unwrap(), BlockId::new("5"));
        }
    }

    #[test]
    fn null_empty_and_missing_are_absent() {
        for p in &params(json!({ "null": null, "empty": "" })) {
            for name in ["null", "empty", "missing"] {
                assert_eq!(read_param::<Option<u32>>(p, name).unwrap(), None);
                let error = read_param::<u32>(p, name).unwrap_err();
                assert_eq!(error.code(), "missing_parameter", "{name}");
                assert_eq!(error.parameter(), Some(name));
                assert_eq!(error.status(), 400);
            }
            let detail = |name| {
                read_param::<u32>(p, name)
                    .unwrap_err()
                    .detail()
                    .map(str::to_owned)
            };
            assert_eq!(detail("null").as_deref(), Some("it was sent as null"));
            assert_eq!(
                detail("empty").as_deref(),
                Some("it was sent as an empty string")
            );
        }
    }

    #[test]
    fn wrong_values_name_the_parameter_and_the_problem() {
        for p in &params(json!({ "amount": "lots", "count": -1, "big": 300, "frac": 1.5 })) {
            let error = read_param::<f64>(p, "amount").unwrap_err();
            assert_eq!(error.code(), "invalid_parameter");
            assert!(error.message().contains("`amount`"), "{}", error.message());
            assert!(error.message().contains("\"lots\""), "{}", error.message());
            assert!(read_param::<u32>(p, "count").is_err());
            assert!(read_param::<u8>(p, "big").is_err());
            assert!(read_param::<u32>(p, "frac").is_err());
        }
        for text in ["NaN", "inf"] {
            for p in &params(json!({ "x": text })) {
                assert!(read_param::<f64>(p, "x").is_err(), "{text}");
            }
        }
    }

    #[test]
    fn nested_values_coerce_and_errors_carry_the_path() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct User {
            firstname: String,
            age: u8,
            nickname: Option<String>,
        }
        for p in &params(json!({
            "user": { "firstname": "Ada", "age": "36", "nickname": "" },
            "plain": { "firstname": "Ada", "age": 36, "nickname": "A" },
            "bad": { "firstname": "Ada", "age": "old" },
            "text": "{\"firstname\": \"Bob\", \"age\": 7}",
            "list": "[1, 2]"
        })) {
            let user: User = read_param(p, "user").unwrap();
            assert_eq!(user.age, 36);
            assert_eq!(user.nickname, None);
            let plain: User = read_param(p, "plain").unwrap();
            assert_eq!(plain.nickname.as_deref(), Some("A"));
            let error = read_param::<User>(p, "bad").unwrap_err();
            assert!(error.message().contains("at `age`"), "{}", error.message());
            let from_text: User = read_param(p, "text").unwrap();
            assert_eq!(from_text.firstname, "Bob");
            assert_eq!(read_param::<Vec<u32>>(p, "list").unwrap(), vec![1, 2]);
        }
    }

    #[test]
    fn empty_and_null_inside_a_value_read_as_absent_in_both_forms() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Note {
            text: Option<String>,
        }
        for p in &params(json!({
            "note": { "text": "" },
            "notes": [{ "text": null }, { "text": "hi" }],
            "any": { "a": null, "b": 1 },
        })) {
            assert_eq!(read_param::<Note>(p, "note").unwrap(), Note { text: None });
            assert_eq!(
                read_param::<Vec<Note>>(p, "notes").unwrap(),
                [
                    Note { text: None },
                    Note {
                        text: Some("hi".into())
                    }
                ]
            );
            // A null inside a value is no entry at all, whatever the target.
            assert_eq!(read_param::<Value>(p, "any").unwrap(), json!({ "b": 1 }));
        }
    }

    #[test]
    fn escaped_big_and_repeated_values_read_as_the_full_reader_reads_them() {
        let format = crate::param_map::BodyFormat::of(&axum::http::HeaderMap::new()).unwrap();
        let body = r#"{"sku": "A\u0031", "n": 1e400, "s": "\ud800", "sku": "B\"2", "k\u0065y": 1}"#;
        let p = SentParams::decode(format, None, body.as_bytes(), 100).unwrap();
        assert_eq!(read_param::<String>(&p, "sku").unwrap(), "B\"2");
        assert_eq!(read_param::<String>(&p, "n").unwrap(), "1e400");
        assert_eq!(
            read_param::<f64>(&p, "n").unwrap_err().code(),
            "invalid_parameter"
        );
        assert_eq!(read_param::<String>(&p, "s").unwrap(), "\u{fffd}");
        assert_eq!(read_param::<u8>(&p, "key").unwrap(), 1);
        let map = p.map();
        assert_eq!(map.get("sku"), Some(&json!("B\"2")));
        assert_eq!(map.len(), 4);
    }

    #[test]
    fn enums_read_from_strings() {
        #[derive(Deserialize, Debug, PartialEq)]
        #[serde(rename_all = "snake_case")]
        enum Account {
            SavingsAccount,
            Checking,
        }
        for p in &params(json!({ "a": "savings_account", "b": "gold" })) {
            assert_eq!(
                read_param::<Account>(p, "a").unwrap(),
                Account::SavingsAccount
            );
            assert_eq!(
                read_param::<Account>(p, "b").unwrap_err().code(),
                "invalid_parameter"
            );
        }
    }

    /// What a step reads from a scanned body is what it read from the body's map, for any
    /// body: the same value, or the same error.
    fn read_both_ways<T: DeserializeOwned + PartialEq + std::fmt::Debug>(
        forms: &[SentParams; 2],
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let [map, scanned] = forms;
        for name in ["v", "absent"] {
            let expected = read_param::<T>(map, name).map_err(|error| format!("{error:?}"));
            let got = read_param::<T>(scanned, name).map_err(|error| format!("{error:?}"));
            proptest::prop_assert_eq!(got, expected, "{}", std::any::type_name::<T>());
        }
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn a_scanned_body_reads_as_its_map_reads(value in json_values()) {
            #[derive(Deserialize, Debug, PartialEq)]
            struct Item {
                sku: Option<String>,
                #[serde(default)]
                quantity: u32,
            }
            let forms = params(json!({ "v": value, "other": 1 }));
            proptest::prop_assert_eq!(forms[1].map().as_ref(), forms[0].map().as_ref());
            read_both_ways::<Value>(&forms)?;
            read_both_ways::<String>(&forms)?;
            read_both_ways::<Option<String>>(&forms)?;
            read_both_ways::<f64>(&forms)?;
            read_both_ways::<Option<u32>>(&forms)?;
            read_both_ways::<bool>(&forms)?;
            read_both_ways::<Item>(&forms)?;
            read_both_ways::<Vec<Item>>(&forms)?;
            read_both_ways::<Vec<Option<i64>>>(&forms)?;
            read_both_ways::<std::collections::BTreeMap<String, Value>>(&forms)?;
        }
    }

    fn json_values() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            Just(json!("")),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            (0u32..20).prop_map(|n| json!(n)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            "[a-z0-9 .\"\\\\]{0,8}".prop_map(Value::String),
            (0u32..20).prop_map(|n| json!(n.to_string())),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("sku".to_owned()),
                        Just("quantity".to_owned()),
                        "[a-z]{1,3}"
                    ],
                    inner,
                    0..4
                )
                .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }
}
