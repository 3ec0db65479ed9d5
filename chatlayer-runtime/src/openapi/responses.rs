//! What a step answers, in the document: the reply (with its session data, when the step
//! declares its type) and every error it may answer, from the table of error codes.

use std::collections::BTreeMap;

use schemars::{Schema, SchemaGenerator, json_schema};

use super::model::{Header, MediaType, Response};
use crate::descriptor::{StepDescriptor, StepKind};
use crate::error::{Documented, ErrorClass, ErrorCode};
use crate::fallback::Fallback;
use crate::reply::schema::{self, RoutingReply};
use crate::security::StepGuards;
use crate::{ErrorBody, Reply};
use serde_json::json;

const JSON: &str = "application/json";

/// What an operation's answers depend on besides the step itself.
pub(super) struct AnswerContext<'a> {
    /// The app's failure policy (its fallback block, whether request errors fall back).
    pub(super) failure: &'a Fallback,
    /// The step's protections.
    pub(super) guards: &'a StepGuards,
    /// Whether the step refuses unknown parameters.
    pub(super) strict: bool,
}

impl AnswerContext<'_> {
    /// Whether `code` can be answered by this step.
    fn answers(&self, code: ErrorCode) -> bool {
        match code.documented() {
            Documented::Always => true,
            Documented::WithAuth => self.guards.auth_kind().is_some(),
            Documented::WithSignature => self.guards.signature_header().is_some(),
            Documented::WithIpAllowList => self.guards.checks_ip(),
            Documented::WithStrictParams => self.strict,
            Documented::NoStep => false,
        }
    }
}

pub(super) fn responses(
    step: &StepDescriptor,
    context: &AnswerContext<'_>,
    generator: &mut SchemaGenerator,
) -> BTreeMap<String, Response> {
    let has_fallback = context.failure.block.is_some() || step.fallback.is_some();
    let mut responses = BTreeMap::new();
    responses.insert("200".to_owned(), reply(step, has_fallback, generator));

    let error = generator.subschema_for::<ErrorBody>();
    let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for code in ErrorCode::ALL.iter().filter(|code| context.answers(**code)) {
        by_status.entry(code.status()).or_default().push(*code);
    }
    for (status, codes) in by_status {
        let mut lines: Vec<String> = codes
            .iter()
            .map(|code| format!("- `{}`: {}.", code.as_str(), code.meaning()))
            .collect();
        let caught: Vec<String> = codes
            .iter()
            .filter(|code| has_fallback && context.failure.falls_back(code.class()))
            .map(|code| format!("`{}`", code.as_str()))
            .collect();
        if !caught.is_empty() {
            lines.push(format!(
                "\nWith the fallback block, {} {} answered with 200 (a jump to the block) \
                 instead; this answer is sent only when the block cannot be read.",
                caught.join(", "),
                if caught.len() == 1 { "is" } else { "are" }
            ));
        }
        if codes.iter().all(|code| code.class() == ErrorClass::Refusal) {
            lines.push("\nThe step did not run.".to_owned());
        }
        let mut answer = response(lines.join("\n"), json_content(error.clone()));
        add_headers(&mut answer, &codes);
        responses.insert(status.to_string(), answer);
    }
    responses
}

/// The headers some errors carry: `Retry-After` when overloaded, the challenge of a 401.
fn add_headers(answer: &mut Response, codes: &[ErrorCode]) {
    let headers = [
        (
            ErrorCode::Overloaded,
            "Retry-After",
            "Seconds to wait before retrying.",
            "integer",
        ),
        (
            ErrorCode::Unauthorized,
            "WWW-Authenticate",
            "The authentication scheme the step requires.",
            "string",
        ),
    ];
    for (code, name, description, kind) in headers {
        if codes.contains(&code) {
            let header = Header {
                description: Some(description.to_owned()),
                schema: json_schema!({ "type": kind }),
            };
            answer.headers.insert(name.to_owned(), header);
        }
    }
}

/// The 200 answer: the reply envelope, as the step can send it. Each is a plain object
/// schema (no `allOf` narrowing a shared one, which generators merge badly or not at all):
/// the shared `Reply` when the step declares nothing of its session, `RoutingReply` for a
/// `#[next_block]`, and otherwise the step's own, whose `session` has its namespace and type.
fn reply(step: &StepDescriptor, has_fallback: bool, generator: &mut SchemaGenerator) -> Response {
    let (mut description, schema) = match step.kind {
        StepKind::NextBlock => (
            "The block to go to (`action.nextDialogstate`); `{}` leaves the Action block's \
             own go-to in place."
                .to_owned(),
            generator.subschema_for::<RoutingReply>(),
        ),
        StepKind::ApiStep => {
            let stored = match (step.namespace, step.session.is_some()) {
                (Some(namespace), true) => format!(
                    "session data (stored under `{namespace}`, as `session.data` describes)"
                ),
                (Some(namespace), false) => format!("session data (stored under `{namespace}`)"),
                (None, true) => "session data (as `session.data` describes)".to_owned(),
                (None, false) => "session data".to_owned(),
            };
            let description = format!("The reply: {stored}, messages, and the block to go to.");
            let schema = if step.namespace.is_none() && step.session.is_none() {
                generator.subschema_for::<Reply>()
            } else {
                let namespace = match step.namespace {
                    Some(namespace) => json!({ "type": "string", "const": namespace }),
                    None => json!({ "type": "string" }),
                };
                let data = match step.session {
                    Some(data) => data(generator).to_value(),
                    None => json!({ "type": "object", "additionalProperties": true }),
                };
                let session = schema::session(namespace, data).to_value();
                schema::envelope(generator, &description, Some(session))
            };
            (description, schema)
        }
    };
    if has_fallback {
        description.push_str(
            " When the step fails, the answer is also 200: a jump to its fallback block (with \
             the error's user message or the fallback message, if any), and the error is \
             logged.",
        );
    }
    response(description, json_content(schema))
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
