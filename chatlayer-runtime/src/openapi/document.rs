//! Builds the OpenAPI document from the steps' descriptors: one operation per step, with
//! what it reads ([`inputs`](super::inputs)), what it answers
//! ([`responses`](super::responses)) and what it requires ([`security`](super::security)).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::inputs::inputs;
use super::model::{Components, Info, OPENAPI_VERSION, OpenApi, Operation, PathItem, Server, Tag};
use super::portable::make_portable;
use super::responses::{AnswerContext, responses};
use super::rustdoc::tidy_descriptions;
use super::security;
use crate::descriptor::{StepDescriptor, StepKind};
use crate::fallback::Fallback;
use crate::paths::normalize_prefix;
use crate::security::{Guards, StepGuards};

/// What the document is built from besides the prefix.
pub(crate) struct DocumentInput {
    pub(crate) steps: Vec<&'static StepDescriptor>,
    pub(crate) info: Info,
    /// Tag descriptions, by tag.
    pub(crate) tags: BTreeMap<String, String>,
    /// The app's failure policy.
    pub(crate) failure: Fallback,
    /// Whether every step refuses unknown parameters.
    pub(crate) deny_unknown_params: bool,
    /// Who may call each step.
    pub(crate) guards: Arc<Guards>,
}

/// The document for `input` with every path under `prefix` (`""` at the root): the same
/// input always gives the same document.
pub(crate) fn build(input: &DocumentInput, prefix: &str) -> OpenApi {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|settings| {
            settings.definitions_path = "/components/schemas".into();
            settings.meta_schema = None;
        })
        .into_generator();
    let prefix = normalize_prefix(prefix);
    let guards: Vec<StepGuards> = input
        .steps
        .iter()
        .map(|step| input.guards.for_step(step))
        .collect();
    let signature_header = input
        .guards
        .signature()
        .map(|verifier| verifier.header_name().as_str());
    let document_security = security::requirements(input.guards.default_auth(), signature_header);

    let mut paths: BTreeMap<String, PathItem> = BTreeMap::new();
    let operation_ids = operation_ids(&input.steps);
    for ((step, operation_id), guards) in input.steps.iter().zip(operation_ids).zip(&guards) {
        let context = AnswerContext {
            failure: &input.failure,
            guards,
            strict: input.deny_unknown_params || step.deny_unknown_params,
        };
        let mut operation = operation(step, operation_id, &context, &mut generator);
        operation.security = security::operation_requirements(guards, &document_security);
        let item = paths.entry(format!("{prefix}{}", step.path)).or_default();
        let slot = match step.method.as_str() {
            "GET" => &mut item.get,
            "PUT" => &mut item.put,
            "PATCH" => &mut item.patch,
            "DELETE" => &mut item.delete,
            _ => &mut item.post,
        };
        *slot = Some(operation);
    }

    let tags: BTreeSet<&str> = input.steps.iter().filter_map(|step| step.tag).collect();
    OpenApi {
        openapi: OPENAPI_VERSION.to_owned(),
        info: input.info.clone(),
        servers: vec![Server {
            url: "/".to_owned(),
            description: Some("The server that serves this document".to_owned()),
        }],
        paths,
        components: Components {
            schemas: definitions(&mut generator),
            security_schemes: security::schemes(&guards),
        },
        security: document_security,
        tags: tags
            .into_iter()
            .map(|name| Tag {
                name: name.to_owned(),
                description: input.tags.get(name).cloned(),
            })
            .collect(),
    }
}

/// The shared schemas, their descriptions tidied for API readers, in forms every client
/// generator reads.
fn definitions(generator: &mut SchemaGenerator) -> Map<String, Value> {
    let mut definitions = generator.take_definitions(true);
    for definition in definitions.values_mut() {
        tidy_descriptions(definition);
        make_portable(definition);
    }
    definitions
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

fn operation(
    step: &StepDescriptor,
    operation_id: String,
    context: &AnswerContext<'_>,
    generator: &mut SchemaGenerator,
) -> Operation {
    let (summary, description) = split_docs(step.docs);
    // Every operation has a summary (linters require one): the function's name, in words,
    // for a step without a doc comment.
    let summary = summary.or_else(|| Some(name_in_words(step.name)));
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
    if step.method == axum::http::Method::GET {
        operation.parameters = inputs.into_query_parameters();
    } else if !inputs.is_empty() {
        operation.request_body = Some(inputs.into_request_body());
    }
    operation
}

/// `opening_hours` as "Opening hours".
fn name_in_words(name: &str) -> String {
    let words = name.trim_matches('_').replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
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
