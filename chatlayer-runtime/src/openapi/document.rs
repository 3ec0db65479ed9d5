//! Builds the OpenAPI document from the steps' descriptors.

use std::collections::{BTreeMap, BTreeSet};

use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value, json};

use super::model::{
    Components, Header, Info, MediaType, OPENAPI_VERSION, OpenApi, Operation, Parameter, PathItem,
    RequestBody, Response, SecurityRequirement, SecurityScheme, Tag,
};
use super::rustdoc::tidy_descriptions;
use crate::auth::{AuthKind, Security};
use crate::descriptor::{Method, StepDescriptor, StepKind};
use crate::extract::ParamInfo;
use crate::schema::BLOCK_ID_EXTENSION;
use crate::{ErrorBody, Reply};

const JSON: &str = "application/json";

/// What the document needs besides the steps.
pub(crate) struct DocumentInput<'a> {
    pub(crate) steps: &'a [&'static StepDescriptor],
    pub(crate) info: &'a Info,
    /// Whether the app has a fallback block for every step.
    pub(crate) app_fallback: bool,
    /// Who may call each step.
    pub(crate) security: &'a Security,
    /// Prepended to every path, e.g. `/chatlayer`; empty at the root.
    pub(crate) prefix: &'a str,
}

/// The document for `input`: the same input always gives the same document.
pub(crate) fn build(input: &DocumentInput<'_>) -> OpenApi {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|settings| {
            settings.definitions_path = "/components/schemas".into();
            settings.meta_schema = None;
        })
        .into_generator();
    let prefix = normalize_prefix(input.prefix);
    let operation_ids = operation_ids(input.steps);

    let mut paths: BTreeMap<String, PathItem> = BTreeMap::new();
    for (index, (step, operation_id)) in input.steps.iter().zip(operation_ids).enumerate() {
        let auth = input.security.per_step.get(index).copied().flatten();
        let context = OperationContext {
            app_fallback: input.app_fallback,
            auth,
            security: input.security,
        };
        let mut operation = operation(step, operation_id, &context, &mut generator);
        secure(&mut operation, auth, input.security);
        let item = paths.entry(format!("{prefix}{}", step.path)).or_default();
        let slot = match step.method {
            Method::Get => &mut item.get,
            Method::Post => &mut item.post,
            Method::Put => &mut item.put,
            Method::Patch => &mut item.patch,
            Method::Delete => &mut item.delete,
        };
        *slot = Some(operation);
    }

    let tags: BTreeSet<&str> = input.steps.iter().filter_map(|step| step.tag).collect();
    OpenApi {
        openapi: OPENAPI_VERSION.to_owned(),
        info: input.info.clone(),
        servers: Vec::new(),
        paths,
        components: Components {
            schemas: definitions(&mut generator),
            security_schemes: security_schemes(input.security),
        },
        security: requirements(input.security.default, input.security),
        tags: tags
            .into_iter()
            .map(|name| Tag {
                name: name.to_owned(),
                description: None,
            })
            .collect(),
    }
}

/// The schemes the steps use, named `bearerAuth` and `basicAuth`.
fn security_schemes(security: &Security) -> BTreeMap<String, SecurityScheme> {
    let used: BTreeSet<AuthKind> = security.per_step.iter().flatten().copied().collect();
    let signature = security.signature_header.as_ref().map(|header| {
        (
            SIGNATURE_SCHEME.to_owned(),
            SecurityScheme::ApiKey {
                name: header.clone(),
                location: "header".to_owned(),
                description: Some(
                    "An HMAC of the request body (and timestamp, when configured) with the \
                     shared secret."
                        .to_owned(),
                ),
            },
        )
    });
    used.into_iter()
        .map(|kind| {
            let (scheme, description) = match kind {
                AuthKind::Bearer => ("bearer", "The API step's Authorization tab: Bearer token."),
                AuthKind::Basic => ("basic", "The API step's Authorization tab: Basic auth."),
            };
            (
                scheme_name(kind).to_owned(),
                SecurityScheme::Http {
                    scheme: scheme.to_owned(),
                    description: Some(description.to_owned()),
                },
            )
        })
        .chain(signature)
        .collect()
}

fn scheme_name(kind: AuthKind) -> &'static str {
    match kind {
        AuthKind::Bearer => "bearerAuth",
        AuthKind::Basic => "basicAuth",
    }
}

/// The name of the signature scheme, when requests must be signed.
const SIGNATURE_SCHEME: &str = "requestSignature";

/// What a request must carry: the auth scheme and the signature, both when both are on.
fn requirements(auth: Option<AuthKind>, security: &Security) -> Vec<SecurityRequirement> {
    let mut requirement: SecurityRequirement = BTreeMap::new();
    if let Some(kind) = auth {
        requirement.insert(scheme_name(kind).to_owned(), Vec::new());
    }
    if security.signature_header.is_some() {
        requirement.insert(SIGNATURE_SCHEME.to_owned(), Vec::new());
    }
    if requirement.is_empty() {
        Vec::new()
    } else {
        vec![requirement]
    }
}

/// A step whose auth differs from the app's says so.
fn secure(operation: &mut Operation, auth: Option<AuthKind>, security: &Security) {
    if auth != security.default {
        operation.security = Some(requirements(auth, security));
    }
}

/// The shared schemas, their descriptions tidied for API readers.
fn definitions(generator: &mut SchemaGenerator) -> Map<String, Value> {
    let mut definitions = generator.take_definitions(true);
    definitions.values_mut().for_each(tidy_descriptions);
    definitions
}

/// `/chatlayer/` and `chatlayer` become `/chatlayer`; `/` and `` become ``.
pub(crate) fn normalize_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

/// The default title and version: those of the package that defines most steps (ties go
/// to the first name in alphabetical order).
pub(crate) fn default_info(steps: &[&'static StepDescriptor]) -> Info {
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for step in steps {
        *counts.entry(step.package()).or_default() += 1;
    }
    let mut best: Option<((&str, &str), usize)> = None;
    for (package, count) in counts {
        if best.is_none_or(|(_, best_count)| count > best_count) {
            best = Some((package, count));
        }
    }
    match best {
        Some(((name, version), _)) if !name.is_empty() => Info::new(name, version),
        _ => Info::new("Chatlayer steps", "0.0.0"),
    }
}

/// One id per step, in order: the function name, or `name_2`, `name_3`... for the second
/// and later steps that share it (steps are sorted, so the numbering is stable).
fn operation_ids(steps: &[&'static StepDescriptor]) -> Vec<String> {
    // Every function name is reserved, so that `order_2` never takes a step's own name.
    let mut taken: BTreeSet<String> = steps.iter().map(|step| step.name.to_owned()).collect();
    let mut used: BTreeSet<&str> = BTreeSet::new();
    steps
        .iter()
        .map(|step| {
            if used.insert(step.name) {
                return step.name.to_owned();
            }
            let id = (2..)
                .map(|number| format!("{}_{number}", step.name))
                .find(|id| !taken.contains(id))
                .expect("some number is free");
            taken.insert(id.clone());
            id
        })
        .collect()
}

/// What an operation's answers depend on besides the step itself.
struct OperationContext<'a> {
    app_fallback: bool,
    /// The step's auth scheme, if any.
    auth: Option<AuthKind>,
    security: &'a Security,
}

fn operation(
    step: &StepDescriptor,
    operation_id: String,
    context: &OperationContext<'_>,
    generator: &mut SchemaGenerator,
) -> Operation {
    let (summary, description) = split_docs(step.docs);
    let inputs = inputs(step, generator);
    let mut operation = Operation {
        tags: step.tag.map(str::to_owned).into_iter().collect(),
        summary,
        description,
        operation_id,
        responses: responses(step, context, generator),
        ..Operation::default()
    };
    operation.extensions.insert(
        "x-chatlayer-kind".to_owned(),
        json!(match step.kind {
            StepKind::ApiStep => "api_step",
            StepKind::NextBlock => "next_block",
        }),
    );
    if step.method == Method::Get {
        operation.parameters = inputs.into_query_parameters();
    } else if !inputs.properties.is_empty() || !inputs.whole.is_empty() {
        operation.request_body = Some(inputs.into_request_body());
    }
    operation
}

/// Summary: the first paragraph, on one line. Description: the other paragraphs.
fn split_docs(docs: &str) -> (Option<String>, Option<String>) {
    let docs = docs.trim();
    let (first, rest) = docs.split_once("\n\n").unwrap_or((docs, ""));
    let summary = first.split_whitespace().collect::<Vec<_>>().join(" ");
    let rest = rest.trim();
    (
        (!summary.is_empty()).then_some(summary),
        (!rest.is_empty()).then(|| rest.to_owned()),
    )
}

/// The parameters a step reads, as JSON Schema properties.
#[derive(Default)]
struct Inputs {
    properties: Map<String, Value>,
    required: Vec<String>,
    /// Schemas of `Params<T>` whose `T` is not a plain struct: the body must match them.
    whole: Vec<Value>,
}

fn inputs(step: &StepDescriptor, generator: &mut SchemaGenerator) -> Inputs {
    let mut inputs = Inputs::default();
    for param in step.signature().params() {
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

impl Inputs {
    fn add(&mut self, name: &str, required: bool, schema: Schema) {
        self.properties.insert(name.to_owned(), schema.to_value());
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

    fn into_request_body(self) -> RequestBody {
        let required = !self.required.is_empty() || !self.whole.is_empty();
        let mut body = json!({ "type": "object", "properties": self.properties });
        if !self.required.is_empty() {
            body["required"] = json!(self.required);
        }
        if !self.whole.is_empty() {
            body["allOf"] = Value::Array(self.whole);
        }
        RequestBody {
            description: Some(
                "The parameters the bot builder maps in the API step (static values, session \
                 variables, dialog states), as one JSON object."
                    .to_owned(),
            ),
            content: json_content(Schema::try_from(body).unwrap_or_default()),
            required,
        }
    }

    fn into_query_parameters(self) -> Vec<Parameter> {
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

fn responses(
    step: &StepDescriptor,
    context: &OperationContext<'_>,
    generator: &mut SchemaGenerator,
) -> BTreeMap<String, Response> {
    let has_fallback = context.app_fallback || step.fallback.is_some();
    let reply = generator.subschema_for::<Reply>();
    let (mut description, schema) = match (step.kind, step.namespace) {
        (StepKind::NextBlock, _) => (
            "The block to go to (`action.nextDialogstate`); `{}` leaves the Action block's \
             own go-to in place."
                .to_owned(),
            next_block_reply(reply),
        ),
        (StepKind::ApiStep, Some(namespace)) => (
            format!(
                "The reply: session data (stored under `{namespace}`), messages, and the \
                 block to go to."
            ),
            json_schema!({
                "allOf": [
                    reply,
                    { "properties": { "session": { "properties": {
                        "namespace": { "const": namespace },
                    } } } },
                ],
            }),
        ),
        (StepKind::ApiStep, None) => (
            "The reply: session data, messages, and the block to go to.".to_owned(),
            reply,
        ),
    };
    if has_fallback {
        description.push_str(
            " When the step fails, the answer is also 200: a jump to its fallback block (with \
             the fallback message, if any), and the error is logged.",
        );
    }

    let error = generator.subschema_for::<ErrorBody>();
    let error_note = if has_fallback {
        " Only when the fallback block itself cannot be read; otherwise failures answer 200."
    } else {
        ""
    };
    let mut responses = BTreeMap::new();
    responses.insert(
        "200".to_owned(),
        response(description, json_content(schema)),
    );
    // `true`: a failure of the step, which the fallback block catches; `false`: a refusal
    // before the step runs, answered as an error whatever the fallback.
    for (status, falls_back, what) in [
        (
            "400",
            true,
            "A parameter is missing or invalid (`missing_parameter`, `invalid_parameter`), \
             the body cannot be read (`invalid_body`), or the step refused the request \
             (`bad_request`).",
        ),
        (
            "408",
            false,
            "The body did not arrive within the read timeout (`body_timeout`).",
        ),
        (
            "413",
            false,
            "The body is larger than the app's limit (`body_too_large`).",
        ),
        (
            "500",
            true,
            "The step failed (`handler_error`, `handler_panicked`) or built a reply Chatlayer \
             cannot use (`invalid_reply`).",
        ),
        (
            "503",
            false,
            "The server is at its limit of requests at once (`overloaded`); retry after the \
             `Retry-After` header's seconds.",
        ),
        (
            "504",
            true,
            "The step did not answer within its deadline and was cancelled (`step_timeout`).",
        ),
    ] {
        responses.insert(
            status.to_owned(),
            response(
                format!("{what}{}", if falls_back { error_note } else { "" }),
                json_content(error.clone()),
            ),
        );
    }
    // Refusals before the step runs, when the app has the protection.
    let credentials = context.auth.map(|kind| match kind {
        AuthKind::Bearer => {
            "The Bearer credentials are missing, malformed or wrong (`unauthorized`)"
        }
        AuthKind::Basic => "The Basic credentials are missing, malformed or wrong (`unauthorized`)",
    });
    let signature = context
        .security
        .signature_header
        .as_ref()
        .map(|_| "The signature is missing or does not match the body (`invalid_signature`)");
    let reasons: Vec<&str> = credentials.into_iter().chain(signature).collect();
    if !reasons.is_empty() {
        let description = format!("{}; the step did not run.", reasons.join(", or "));
        responses.insert(
            "401".to_owned(),
            response(description, json_content(error.clone())),
        );
    }
    if context.security.ip_allow_list {
        responses.insert(
            "403".to_owned(),
            response(
                "The caller is not on the IP allow-list (`forbidden_ip`); the step did not run."
                    .to_owned(),
                json_content(error.clone()),
            ),
        );
    }
    if let Some(overloaded) = responses.get_mut("503") {
        overloaded.headers.insert(
            "Retry-After".to_owned(),
            Header {
                description: Some("Seconds to wait before retrying.".to_owned()),
                schema: json_schema!({ "type": "integer" }),
            },
        );
    }
    responses
}

/// A `next_block` step answers only `action` (plus the fallback message when it fails).
fn next_block_reply(reply: Schema) -> Schema {
    json_schema!({
        "allOf": [reply, { "not": { "required": ["session"] } }],
    })
}

fn response(description: String, content: BTreeMap<String, MediaType>) -> Response {
    Response {
        description,
        headers: BTreeMap::new(),
        content,
    }
}

fn json_content(schema: Schema) -> BTreeMap<String, MediaType> {
    BTreeMap::from([(JSON.to_owned(), MediaType { schema })])
}
