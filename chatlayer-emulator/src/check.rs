//! `check`: a bot file read against the steps it calls, as an OpenAPI document describes
//! them (an app's own, or any backend's `openapi.json`), before any conversation runs.
//!
//! Loading a bot file already refuses a reference to a block it does not have (a `goto`, a
//! rule, a button, a postback, a Dialog state row). `check` adds what only the steps know:
//! an action block calling a path no step serves, or with a method the path does not
//! answer; a required parameter no row sends; a row no parameter reads; a Dialog state row
//! where the step reads text, and a Text or Variable row where it expects a block id; and a
//! Variable row whose variable is set on no path to its block.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

use super::bot::{BlockKind, BotFile, Row, RowType};

/// The extension that marks a block-id parameter in the document.
const BLOCK_ID: &str = "x-chatlayer-dialog-state";

/// One thing `check` found wrong: the block, the row when there is one, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The action block's id.
    pub block: String,
    /// The row's key, for a problem with one row.
    pub row: Option<String>,
    /// What is wrong, and what to do.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.row {
            Some(row) => write!(f, "block `{}`, row `{row}`: {}", self.block, self.message),
            None => write!(f, "block `{}`: {}", self.block, self.message),
        }
    }
}

/// What an operation reads: each parameter with its schema, which are required, and
/// whether it reads parameters the document does not list.
struct Reads {
    params: Vec<(String, Value)>,
    required: Vec<String>,
    open: bool,
}

fn reads(operation: &Value) -> Reads {
    let mut reads = Reads {
        params: Vec::new(),
        required: Vec::new(),
        open: false,
    };
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        let name = parameter["name"].as_str().unwrap_or_default().to_owned();
        if parameter["required"] == Value::Bool(true) {
            reads.required.push(name.clone());
        }
        reads.params.push((name, parameter["schema"].clone()));
    }
    let body = &operation["requestBody"]["content"]["application/json"]["schema"];
    for (name, schema) in body["properties"].as_object().into_iter().flatten() {
        reads.params.push((name.clone(), schema.clone()));
    }
    for name in body["required"].as_array().into_iter().flatten() {
        reads.required.extend(name.as_str().map(str::to_owned));
    }
    // A body that may hold more than its properties (a step reading any parameter).
    reads.open = body["additionalProperties"] == Value::Bool(true) || body.get("allOf").is_some();
    reads
}

/// The path an API step's URL calls: the URL itself when relative, its path when absolute.
pub(crate) fn path_of(url: &str) -> &str {
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => url,
    };
    path.split(['?', '#']).next().unwrap_or(path)
}

/// Checks every action block of `bot` against the steps `document` (an OpenAPI document)
/// describes; an empty list when all is well.
///
/// ```
/// use chatlayer_emulator::{BotFile, check_bot_file};
/// use serde_json::json;
///
/// let document = json!({ "paths": { "/order": { "post": { "requestBody": { "content": {
///     "application/json": { "schema": {
///         "properties": { "sku": { "type": "string" } }, "required": ["sku"] } } } } } } } });
/// let bot = BotFile::parse(
///     "blocks:\n  - id: order\n    type: action\n    api: { url: /order, body: [] }\n",
/// )
/// .unwrap();
/// let problems = check_bot_file(&bot, &document);
/// assert_eq!(
///     problems[0].to_string(),
///     "block `order`: the step requires `sku`, and no Body or Query row sends it"
/// );
/// ```
pub fn check_bot_file(bot: &BotFile, document: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    let paths = document["paths"].as_object().cloned().unwrap_or_default();
    for block in bot.blocks() {
        let BlockKind::Action { api, .. } = &block.kind else {
            continue;
        };
        let problem = |row: Option<&str>, message: String| Problem {
            block: block.id().to_owned(),
            row: row.map(str::to_owned),
            message,
        };
        let path = path_of(&api.url);
        let method = api.method.to_ascii_lowercase();
        let Some(item) = paths.get(path) else {
            let served: Vec<&str> = paths.keys().map(String::as_str).collect();
            problems.push(problem(
                None,
                format!(
                    "it calls {} {path}, which no step serves; the steps serve: {}",
                    api.method.to_ascii_uppercase(),
                    served.join(", ")
                ),
            ));
            continue;
        };
        let Some(operation) = item.get(&method).filter(|operation| operation.is_object()) else {
            let methods: Vec<String> = ["get", "post", "put", "patch", "delete"]
                .into_iter()
                .filter(|method| item.get(*method).is_some())
                .map(str::to_ascii_uppercase)
                .collect();
            problems.push(problem(
                None,
                format!(
                    "it calls {} {path}, but the step at {path} answers {}",
                    api.method.to_ascii_uppercase(),
                    methods.join(", ")
                ),
            ));
            continue;
        };
        let reads = reads(operation);
        let rows: Vec<&Row> = api.query.iter().chain(&api.body).collect();
        for name in &reads.required {
            if !rows.iter().any(|row| &row.key == name) {
                problems.push(problem(
                    None,
                    format!("the step requires `{name}`, and no Body or Query row sends it"),
                ));
            }
        }
        for row in &rows {
            let Some((_, schema)) = reads.params.iter().find(|(name, _)| *name == row.key) else {
                if !reads.open {
                    problems.push(problem(
                        Some(&row.key),
                        format!(
                            "no parameter of the step reads `{}`; it reads: {}",
                            row.key,
                            reads
                                .params
                                .iter()
                                .map(|(name, _)| name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                continue;
            };
            let expects_block = schema.get(BLOCK_ID) == Some(&Value::Bool(true))
                || schema["anyOf"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|branch| branch.get(BLOCK_ID) == Some(&Value::Bool(true)));
            match (row.kind == RowType::Dialogstate, expects_block) {
                (true, false) => problems.push(problem(
                    Some(&row.key),
                    "a Dialog state row sends a block id, and the step reads text here: make it \
                     a Text or Variable row"
                        .to_owned(),
                )),
                (false, true) => problems.push(problem(
                    Some(&row.key),
                    "the step expects a block id here: make it a Dialog state row naming the \
                     block"
                        .to_owned(),
                )),
                _ => {}
            }
        }
    }
    unset_variables(bot, &mut problems);
    problems
}

/// What is known to be set when the conversation reaches a block, on some path to it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Known {
    /// Anything may be: a step ran on the way, and a reply can set any variable (its
    /// session data, or a button's postback parameters).
    Anything,
    /// These variables (paths such as `cart.sku`), at least on one path.
    These(BTreeSet<String>),
}

impl Known {
    fn join(&mut self, other: &Known) -> bool {
        match (&mut *self, other) {
            (Known::Anything, _) => false,
            (_, Known::Anything) => {
                *self = Known::Anything;
                true
            }
            (Known::These(mine), Known::These(theirs)) => {
                let before = mine.len();
                mine.extend(theirs.iter().cloned());
                mine.len() != before
            }
        }
    }

    fn with(&self, set: impl IntoIterator<Item = String>) -> Known {
        match self {
            Known::Anything => Known::Anything,
            Known::These(known) => {
                let mut known = known.clone();
                known.extend(set);
                Known::These(known)
            }
        }
    }

    /// Whether `variable` may be set: itself, an object holding it, or a part of it.
    fn may_hold(&self, variable: &str) -> bool {
        let Known::These(known) = self else {
            return true;
        };
        let variable = variable.split('[').next().unwrap_or(variable);
        known.iter().any(|set| {
            let set = set.split('[').next().unwrap_or(set);
            set == variable
                || variable.starts_with(&format!("{set}."))
                || set.starts_with(&format!("{variable}."))
        })
    }
}

/// Variable rows whose variable no block sets on any path to their block (from the start,
/// or from a block a trigger phrase opens): set are `internal.*`, the bot file's `session`,
/// input blocks' variables, buttons' postback parameters, and after a step anything.
fn unset_variables(bot: &BotFile, problems: &mut Vec<Problem>) {
    let initial = Known::These(
        bot.internal
            .keys()
            .map(|key| format!("internal.{key}"))
            .chain(bot.session.keys().cloned())
            .collect(),
    );
    let mut known: BTreeMap<&str, Known> = BTreeMap::new();
    let mut queue: Vec<&str> = Vec::new();
    let entries = std::iter::once(bot.start()).chain(
        bot.blocks()
            .iter()
            .filter(|block| !block.triggers.is_empty())
            .map(|block| block.id()),
    );
    for entry in entries {
        known.insert(entry, initial.clone());
        queue.push(entry);
    }
    while let Some(id) = queue.pop() {
        let Some(block) = bot.block(id) else { continue };
        let here = known[id].clone();
        for (target, sets) in edges(block) {
            let arriving = match sets {
                Some(sets) => here.with(sets),
                None => Known::Anything,
            };
            let changed = match known.get_mut(target.as_str()) {
                Some(there) => there.join(&arriving),
                None => {
                    known.insert(bot.block(&target).map_or("", |block| block.id()), arriving);
                    true
                }
            };
            if changed && let Some(block) = bot.block(&target) {
                queue.push(block.id());
            }
        }
    }
    for block in bot.blocks() {
        let BlockKind::Action { api, .. } = &block.kind else {
            continue;
        };
        let Some(here) = known.get(block.id()) else {
            continue;
        };
        for row in api.query.iter().chain(&api.body).chain(&api.headers) {
            let internal = row.value.starts_with("internal.");
            if row.kind == RowType::Variable && !internal && !here.may_hold(&row.value) {
                problems.push(Problem {
                    block: block.id().to_owned(),
                    row: Some(row.key.clone()),
                    message: format!(
                        "the variable `{}` is set on no path to this block: no input block, \
                         button or step before it sets it",
                        row.value
                    ),
                });
            }
        }
    }
}

/// Where `block` can lead, and what each way sets (`None`: anything, after a step).
fn edges(block: &super::bot::Block) -> Vec<(String, Option<Vec<String>>)> {
    let mut edges = Vec::new();
    let messages = match &block.kind {
        BlockKind::Message { messages } | BlockKind::Input { messages, .. } => messages.as_slice(),
        _ => &[],
    };
    let stored = match &block.kind {
        BlockKind::Input { variable, .. } => vec![variable.clone()],
        _ => Vec::new(),
    };
    for message in messages {
        for choice in super::messages::choices(&message.to_message()) {
            if let super::messages::ChoiceAction::Postback {
                block: Some(target),
                params,
            } = choice.action
            {
                edges.push((
                    target,
                    Some(params.into_iter().map(|(key, _)| key).collect()),
                ));
            }
        }
    }
    match &block.kind {
        BlockKind::Action { api, on_error } => {
            // The step may go to any block it names, or the block's own go-to.
            for row in api.query.iter().chain(&api.body) {
                if row.kind == RowType::Dialogstate {
                    edges.push((row.value.clone(), None));
                }
            }
            edges.extend(on_error.iter().map(|target| (target.clone(), None)));
            edges.extend(block.goto.iter().map(|target| (target.clone(), None)));
        }
        BlockKind::Condition { rules } => {
            edges.extend(
                rules
                    .iter()
                    .map(|rule| (rule.goto.clone(), Some(Vec::new()))),
            );
            edges.extend(
                block
                    .goto
                    .iter()
                    .map(|target| (target.clone(), Some(Vec::new()))),
            );
        }
        _ => {
            edges.extend(
                block
                    .goto
                    .iter()
                    .map(|target| (target.clone(), Some(stored.clone()))),
            );
        }
    }
    edges
}

#[cfg(test)]
mod tests {
    use super::{check_bot_file, path_of};
    use crate::BotFile;
    use serde_json::json;

    /// A step that reads any parameter (`RawRequest`) has an open body: no row is unknown.
    #[test]
    fn an_open_body_takes_any_row() {
        let bot = BotFile::parse(
            "blocks:\n  - id: raw\n    type: action\n    api:\n      url: /raw\n      \
             body: [{ key: anything, type: text, value: x }]\n",
        )
        .unwrap();
        let document = |open: bool| {
            json!({ "paths": { "/raw": { "post": { "requestBody": { "content": {
                "application/json": { "schema": { "additionalProperties": open } } } } } } } })
        };
        assert_eq!(check_bot_file(&bot, &document(true)), []);
        assert_eq!(check_bot_file(&bot, &document(false)).len(), 1);
    }

    #[test]
    fn the_path_of_a_url() {
        assert_eq!(path_of("/order"), "/order");
        assert_eq!(
            path_of("https://bot.example.com/chatlayer/order?x=1"),
            "/chatlayer/order"
        );
        assert_eq!(path_of("https://bot.example.com"), "/");
    }
}
