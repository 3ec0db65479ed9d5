//! `emulate --init`: a starter bot file written from an app's steps, so a user starts from
//! something that runs.

use std::fmt::Write as _;

use serde_json::Value;

use chatlayer_runtime::openapi::BLOCK_ID_EXTENSION;
use chatlayer_runtime::{App, Method, StepDescriptor};

/// The parameters of [`Context`](chatlayer_runtime::Context) and the `internal` value each maps.
const CONTEXT_ROWS: [(&str, &str); 6] = [
    ("sessionId", "internal.sessionId"),
    ("botId", "internal.botId"),
    ("channel", "internal.channel"),
    ("language", "internal.preferredLanguage"),
    ("locale", "internal.locale"),
    ("version", "internal.version"),
];

/// The id of the block every failed call goes to.
const FAILED_BLOCK: &str = "step-failed";

/// A bot file for `app`: a start block whose quick replies lead to one action block per
/// step, each with a row per parameter (a Dialog state row for each block id, a Variable
/// row on `internal.*` for each [`Context`](chatlayer_runtime::Context) value, a Text row with an
/// example for the others; optional ones commented out), and a message block for every
/// block id the steps name.
///
/// ```
/// use chatlayer_runtime::prelude::*;
/// use chatlayer_emulator::{BotFile, starter_file};
///
/// #[api_step("/order")]
/// fn order(sku: String, on_success: BlockId) -> Reply { Reply::new() }
///
/// let app = App::from_steps([order::STEP]).build().unwrap();
/// let yaml = starter_file(&app);
/// assert!(yaml.contains("- { key: on_success, type: dialogstate, value: order-on_success }"));
/// # #[api_step("/greet")]
/// # fn greet(context: Context) -> Reply { Reply::new() }
/// let yaml = starter_file(&App::from_steps([greet::STEP]).build().unwrap());
/// // What `Context` reads is mapped to the variables Chatlayer keeps it in.
/// assert!(yaml.contains("- { key: sessionId, type: variable, value: internal.sessionId }"));
/// BotFile::parse(&yaml).unwrap();
/// ```
pub fn starter_file(app: &App) -> String {
    let document = serde_json::to_value(app.openapi()).unwrap_or_default();
    let mut out = String::new();
    let package = app
        .steps()
        .first()
        .map_or("the app", |step| step.package().0);
    let _ = writeln!(
        out,
        "# A bot file for {package}'s steps, written by `emulate --init`.\n\
         # Each step has an action block configured as in Chatlayer's API step editor; the\n\
         # start block offers them as quick replies. Edit the rows' values, add message and\n\
         # input blocks, and see docs/emulator.md in chatlayer-rs for every key.\n\
         bot: {}\n\
         start: start\n\
         internal:\n  sessionId: emulator-00000000-0000-4000-8000-000000000000\n  botId: \"1457\"\n  \
         channel: web\n  preferredLanguage: en\n  locale: en-us\n  version: DRAFT\n\
         blocks:",
        yaml_text(package)
    );
    let _ = writeln!(
        out,
        "  - id: start\n    name: Start\n    type: message\n    messages:\n      - type: quickReplies\n        \
         config:\n          textMessages: [{{ text: \"Which step would you like to try?\" }}]\n          \
         quickReplies:"
    );
    for step in app.steps() {
        let _ = writeln!(
            out,
            "            - {{ type: postback, title: {}, payload: {{ nextDialogstateId: {} }} }}",
            yaml_text(step.name()),
            step.name()
        );
    }
    let mut targets = Vec::new();
    for step in app.steps() {
        action_block(&mut out, step, &document, &mut targets);
    }
    for (id, step, param) in targets {
        let _ = writeln!(
            out,
            "  - id: {id}\n    type: message\n    messages: [{}]\n    goto: start",
            yaml_text(&format!("{step} went to {param}."))
        );
    }
    let _ = writeln!(
        out,
        "  - id: {FAILED_BLOCK}\n    name: A step failed\n    type: message\n    messages: \
         [\"The step failed: the transcript shows why.\"]\n    goto: start"
    );
    out
}

/// Writes a step's action block; adds the blocks its Dialog state rows name to `targets`.
fn action_block(
    out: &mut String,
    step: &StepDescriptor,
    document: &Value,
    targets: &mut Vec<(String, &'static str, String)>,
) {
    let method = step.method().as_str().to_ascii_lowercase();
    let operation = &document["paths"][step.path()][method.as_str()];
    let (properties, required) = parameters(operation, document);
    let tab = if step.method() == Method::GET {
        "query"
    } else {
        "body"
    };
    let summary = operation["summary"].as_str().unwrap_or(step.name());
    let _ = writeln!(
        out,
        "  - id: {}\n    name: {}\n    type: action\n    api:\n      method: {}\n      url: {}\n      {tab}:",
        step.name(),
        yaml_text(summary.trim_end_matches('.')),
        step.method(),
        step.path()
    );
    let mut rows = 0;
    for (name, schema) in &properties {
        let is_required = required.contains(name);
        // A `Context` parameter (documented as optional text): mapped to the `internal`
        // variable Chatlayer keeps it in, as a bot builder would.
        if let Some((_, variable)) = CONTEXT_ROWS.iter().find(|(key, _)| key == name) {
            let _ = writeln!(
                out,
                "        - {{ key: {}, type: variable, value: {variable} }}",
                yaml_text(name)
            );
            rows += 1;
            continue;
        }
        let row = if schema.get(BLOCK_ID_EXTENSION).is_some() {
            let id = format!("{}-{name}", step.name());
            targets.push((id.clone(), step.name(), name.clone()));
            format!(
                "{{ key: {}, type: dialogstate, value: {id} }}",
                yaml_text(name)
            )
        } else {
            format!(
                "{{ key: {}, type: text, value: {} }}",
                yaml_text(name),
                yaml_text(&example(schema))
            )
        };
        if is_required || schema.get(BLOCK_ID_EXTENSION).is_some() {
            let _ = writeln!(out, "        - {row}");
            rows += 1;
        } else {
            let _ = writeln!(out, "        # - {row}   (optional)");
        }
    }
    let documented: Vec<&str> = properties.iter().map(|(name, _)| name.as_str()).collect();
    for name in step.inputs().param_names().unwrap_or_default() {
        if documented.contains(&name) {
            continue;
        }
        // Read but not documented one by one (`Context`'s parameters are documented, and
        // written above): a Variable row of the same name.
        let _ = writeln!(
            out,
            "        - {{ key: {}, type: variable, value: {name} }}",
            yaml_text(name)
        );
        rows += 1;
    }
    if rows == 0 {
        // A tab with only commented rows would read as `null`.
        let _ = writeln!(out, "        []");
    }
    let _ = writeln!(out, "    on_error: {FAILED_BLOCK}\n    goto: start");
}

/// The step's parameters (name, schema) and the required ones, from its OpenAPI operation.
fn parameters(operation: &Value, document: &Value) -> (Vec<(String, Value)>, Vec<String>) {
    let mut properties = Vec::new();
    let mut required = Vec::new();
    if let Some(parameters) = operation["parameters"].as_array() {
        for parameter in parameters {
            let name = parameter["name"].as_str().unwrap_or_default().to_owned();
            if parameter["required"] == Value::Bool(true) {
                required.push(name.clone());
            }
            properties.push((name, resolve(&parameter["schema"], document)));
        }
    }
    let body = resolve(
        &operation["requestBody"]["content"]["application/json"]["schema"],
        document,
    );
    if let Some(map) = body["properties"].as_object() {
        properties.extend(
            map.iter()
                .map(|(name, schema)| (name.clone(), resolve(schema, document))),
        );
        required.extend(
            body["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|name| name.as_str().map(str::to_owned)),
        );
    }
    // Required first, then in the document's order.
    properties.sort_by_key(|(name, _)| !required.contains(name));
    (properties, required)
}

/// Follows a `$ref` to the document's components.
fn resolve(schema: &Value, document: &Value) -> Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            document["components"]["schemas"][name].clone()
        }
        None => schema.clone(),
    }
}

/// A value a Text row can send for a parameter: its default, its first example, the first
/// `e.g. \`...\`` of its description, its first allowed value, or one of its type.
fn example(schema: &Value) -> String {
    let from_description = schema["description"].as_str().and_then(|text| {
        let after = &text[text.find("e.g. `")? + 6..];
        Some(after[..after.find('`')?].to_owned())
    });
    let chosen = schema
        .get("default")
        .or_else(|| schema["examples"].get(0))
        .cloned()
        .or_else(|| from_description.map(Value::from))
        .or_else(|| schema["enum"].get(0).cloned())
        .or_else(|| {
            schema["oneOf"]
                .as_array()
                .and_then(|variants| variants.iter().find_map(|variant| variant.get("const")))
                .cloned()
        });
    match chosen {
        Some(Value::String(text)) => text,
        Some(other) => other.to_string(),
        None => match schema["type"].as_str() {
            Some("integer" | "number") => "1".to_owned(),
            Some("boolean") => "true".to_owned(),
            Some("object") => "{}".to_owned(),
            Some("array") => "[]".to_owned(),
            _ => "text".to_owned(),
        },
    }
}

/// Text as a YAML scalar: plain when safe, else double-quoted (JSON's quoting is YAML's).
fn yaml_text(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/' | '.'))
        && !text.starts_with(['-', '.'])
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "~"
        )
        && text.parse::<f64>().is_err();
    if plain {
        text.to_owned()
    } else {
        Value::String(text.to_owned()).to_string()
    }
}
