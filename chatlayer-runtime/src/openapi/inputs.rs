//! What a step reads, in the document: the parameters as one JSON Schema object, sent as
//! a JSON body (steps other than `GET`) or as query parameters (`GET`).
//!
//! The server also reads a body sent as form data, but the document offers JSON only, as
//! Chatlayer sends: generators make a request body with two media types a union that
//! some cannot type (openapi-python-client's code then fails to import its own `Unset`),
//! and a client has no reason to send form data. The body's description says it is read.

use std::collections::{BTreeMap, BTreeSet};

use schemars::{Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value, json};

use super::model::{MediaType, Parameter, RequestBody};
use super::portable::make_portable;
use super::rustdoc::tidy_descriptions;
use crate::descriptor::StepDescriptor;
use crate::extract::ParamInfo;
use crate::schema::BLOCK_ID_EXTENSION;

/// The media type a body of parameters is documented with (`ParamMap::decode` also reads
/// form data).
const BODY_MEDIA_TYPE: &str = "application/json";

/// The parameters a step reads, as JSON Schema properties.
#[derive(Default)]
pub(super) struct Inputs {
    properties: Map<String, Value>,
    required: Vec<String>,
    /// Schemas of `Params<T>` whose `T` is not a plain struct: the body must match them.
    whole: Vec<Value>,
    /// Whether the step may read any parameter (`RawRequest`): the body may hold more than
    /// its properties (`additionalProperties: true`), and tools such as the emulator's
    /// `check` do not call a row unknown.
    open: bool,
}

pub(super) fn inputs(step: &StepDescriptor, generator: &mut SchemaGenerator) -> Inputs {
    let mut inputs = Inputs {
        open: step.inputs().param_names().is_none(),
        ..Inputs::default()
    };
    for param in step.inputs().params() {
        let schema = param_schema(param, generator);
        if param.all_fields {
            inputs.add_fields(schema, generator);
        } else {
            inputs.add(param.name, param.required, schema);
        }
    }
    inputs
}

fn param_schema(param: &ParamInfo, generator: &mut SchemaGenerator) -> Schema {
    let schema = match param.schema {
        Some(schema_fn) => schema_fn(generator),
        None => json_schema!({
            "description": format!(
                "Any JSON value: `{}` does not implement `schemars::JsonSchema`, so its \
                 schema is unknown. Derive `JsonSchema` on it to document it.",
                param.type_name
            ),
        }),
    };
    let mut value = schema.to_value();
    tidy_descriptions(&mut value);
    make_portable(&mut value);
    let mut schema = Schema::try_from(value).unwrap_or_default();
    if let Some(text) = param.description {
        // The step's own words come first; the type's description (if any) follows.
        let description = match schema.get("description").and_then(Value::as_str) {
            Some(type_text) => format!("{text}\n\n{type_text}"),
            None => text.to_owned(),
        };
        schema.insert("description".to_owned(), Value::String(description));
    }
    if let Some(source) = param.default_source {
        document_default(&mut schema, source);
    }
    if param.block_id && schema.get(BLOCK_ID_EXTENSION).is_none() {
        schema.insert(BLOCK_ID_EXTENSION.to_owned(), Value::Bool(true));
    }
    schema
}

/// `#[param(default = 1)]`: says so in the description, and as `default` when the
/// expression is a JSON literal (`1`, `"image"`, `true`).
fn document_default(schema: &mut Schema, source: &str) {
    let note = format!("Defaults to `{source}` when absent.");
    let description = match schema.get("description").and_then(Value::as_str) {
        Some(text) => format!("{text}\n\n{note}"),
        None => note,
    };
    schema.insert("description".to_owned(), Value::String(description));
    if let Ok(value) = serde_json::from_str::<Value>(source) {
        schema.insert("default".to_owned(), value);
    }
}

/// A required text parameter cannot be empty: the server reads `""` as absent (as a missing
/// key and `null`), so the document says `minLength: 1` and generated clients and fuzzers
/// send what the step accepts.
fn require_text(schema: &mut Value) {
    if schema.get("type").and_then(Value::as_str) == Some("string")
        && schema.get("minLength").is_none()
        && schema.get("enum").is_none()
        && schema.get("const").is_none()
    {
        schema["minLength"] = json!(1);
    }
}

impl Inputs {
    fn add(&mut self, name: &str, required: bool, schema: Schema) {
        let mut schema = schema.to_value();
        if required {
            require_text(&mut schema);
        }
        self.properties.insert(name.to_owned(), schema);
        if required && !self.required.iter().any(|known| known == name) {
            self.required.push(name.to_owned());
        }
    }

    /// A struct of parameters: each of its properties is one parameter.
    fn add_fields(&mut self, schema: Schema, generator: &mut SchemaGenerator) {
        let schema = resolve(schema, generator);
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            self.whole.push(schema.to_value());
            return;
        };
        let required: BTreeSet<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for (name, property) in properties {
            let property = Schema::try_from(property.clone()).unwrap_or_default();
            self.add(name, required.contains(name.as_str()), property);
        }
    }

    /// Whether the step reads no parameter at all.
    pub(super) fn is_empty(&self) -> bool {
        self.properties.is_empty() && self.whole.is_empty() && !self.open
    }

    pub(super) fn into_request_body(self) -> RequestBody {
        let required = !self.required.is_empty() || !self.whole.is_empty();
        let mut body = json!({ "type": "object", "properties": self.properties });
        if !self.required.is_empty() {
            body["required"] = json!(self.required);
        }
        if !self.whole.is_empty() {
            body["allOf"] = Value::Array(self.whole);
        }
        if self.open {
            body["additionalProperties"] = Value::Bool(true);
        }
        let schema = Schema::try_from(body).unwrap_or_default();
        RequestBody {
            description: Some(
                "The parameters the bot builder maps in the API step's Body tab (static values, \
                 session variables, dialog states), as one JSON object (form data is read \
                 too). Each may also come as a Query row in the URL; when both carry it, the \
                 body wins. Numbers and text are read either way (`5` or `\"5\"`)."
                    .to_owned(),
            ),
            content: BTreeMap::from([(BODY_MEDIA_TYPE.to_owned(), MediaType { schema })]),
            required,
        }
    }

    pub(super) fn into_query_parameters(self) -> Vec<Parameter> {
        let required: BTreeSet<String> = self.required.into_iter().collect();
        self.properties
            .into_iter()
            .map(|(name, schema)| Parameter {
                required: required.contains(&name),
                name,
                location: "query".to_owned(),
                description: None,
                schema: Schema::try_from(schema).unwrap_or_default(),
                extensions: BTreeMap::new(),
            })
            .collect()
    }
}

/// Follows a `$ref` into the generator's definitions (a `Params<T>` whose `T` is shared).
fn resolve(schema: Schema, generator: &SchemaGenerator) -> Schema {
    let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
        return schema;
    };
    let name = reference.rsplit('/').next().unwrap_or_default();
    generator
        .definitions()
        .get(name)
        .cloned()
        .and_then(|definition| Schema::try_from(definition).ok())
        .unwrap_or(schema)
}
