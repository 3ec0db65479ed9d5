//! What a recording shows about what Chatlayer sends: the answers to the open questions of
//! the wire format, for one bot.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde_json::Value;

use crate::App;
use crate::extract::context::READ_BY_THE_FRAMEWORK;
use crate::recorder::{Exchange, Payload};
use crate::untrusted::Untrusted;

/// A report on a recording: the content types seen, each parameter's kinds of values per
/// step (a number, or a number sent as text?), the parameters no step reads, and the
/// header names. So a user can tell whether the framework's defaults fit their bot.
///
/// ```no_run
/// use chatlayer_runtime::prelude::*;
/// use chatlayer_runtime::record::ContractReport;
///
/// # #[api_step("/order")] fn order() -> Reply { Reply::new() }
/// let app = App::from_steps([order::STEP]).build().unwrap();
/// let report = ContractReport::from_dir("recordings", Some(&app)).unwrap();
/// println!("{report}");
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ContractReport {
    /// How many exchanges were read.
    pub exchanges: usize,
    /// Each `Content-Type` seen (`(none)` when absent), with how many requests sent it.
    pub content_types: BTreeMap<String, usize>,
    /// Per step (or `METHOD path`), per parameter: each kind of value seen, with a count.
    pub parameters: BTreeMap<String, BTreeMap<String, BTreeMap<&'static str, usize>>>,
    /// Per step, the parameters sent that none of its arguments reads.
    pub unread: BTreeMap<String, BTreeSet<String>>,
    /// Each header name seen, with how many requests sent it.
    pub headers: BTreeMap<String, usize>,
}

impl ContractReport {
    /// Reads the recording in `dir`; with `app`, also tells which parameters its steps do
    /// not read.
    pub fn from_dir(dir: impl AsRef<Path>, app: Option<&App>) -> Result<Self, String> {
        let exchanges = Exchange::read_dir(dir.as_ref())?;
        let mut report = ContractReport {
            exchanges: exchanges.len(),
            ..ContractReport::default()
        };
        for (_, exchange) in &exchanges {
            report.add(exchange, app);
        }
        Ok(report)
    }

    fn add(&mut self, exchange: &Exchange, app: Option<&App>) {
        let content_type = exchange
            .headers
            .get("content-type")
            .cloned()
            .unwrap_or_else(|| "(none)".to_owned());
        *self.content_types.entry(content_type).or_default() += 1;
        for name in exchange.headers.keys() {
            *self.headers.entry(name.clone()).or_default() += 1;
        }
        let step = exchange
            .step
            .clone()
            .unwrap_or_else(|| format!("{} {}", exchange.method, exchange.path));
        let mut sent: Vec<(String, &'static str)> = Vec::new();
        match &exchange.body {
            Payload::Json(Value::Object(map)) => {
                sent.extend(map.iter().map(|(name, value)| (name.clone(), kind(value))));
            }
            Payload::Json(_) => sent.push(("(body)".to_owned(), "JSON that is not an object")),
            Payload::Text(text) => {
                for (name, value) in form_urlencoded::parse(text.as_bytes()) {
                    sent.push((name.into_owned(), text_kind(&value, "form text")));
                }
            }
            Payload::Empty | Payload::Truncated { .. } => {}
        }
        if let Some(query) = &exchange.query {
            for (name, value) in form_urlencoded::parse(query.as_bytes()) {
                sent.push((name.into_owned(), text_kind(&value, "query text")));
            }
        }
        let reader = app.and_then(|app| {
            app.steps()
                .iter()
                .find(|descriptor| Some(descriptor.name) == exchange.step.as_deref())
        });
        let parameters = self.parameters.entry(step.clone()).or_default();
        for (name, kind) in sent {
            if let Some(descriptor) = reader
                && !descriptor.inputs().reads(&name)
                && !READ_BY_THE_FRAMEWORK.contains(&name.as_str())
                && descriptor.fallback != Some(name.as_str())
            {
                self.unread
                    .entry(step.clone())
                    .or_default()
                    .insert(name.clone());
            }
            *parameters.entry(name).or_default().entry(kind).or_default() += 1;
        }
    }
}

/// The kind of a JSON body value.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(text) => text_kind(text, "text"),
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The kind of a text value: what it holds, when it is a number, a bool, JSON or nothing.
fn text_kind(text: &str, plain: &'static str) -> &'static str {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return "empty text";
    }
    if trimmed.parse::<f64>().is_ok_and(f64::is_finite) {
        return "number as text";
    }
    if trimmed.eq_ignore_ascii_case("true") || trimmed.eq_ignore_ascii_case("false") {
        return "bool as text";
    }
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && serde_json::from_str::<Value>(trimmed).is_ok()
    {
        return "JSON as text";
    }
    plain
}

impl fmt::Display for ContractReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "# What the recording shows ({} exchanges)",
            self.exchanges
        )?;
        writeln!(f, "\n## Content types")?;
        for (kind, count) in &self.content_types {
            writeln!(f, "- {}: {count}", Untrusted(kind).escaped())?;
        }
        writeln!(f, "\n## Parameters, by step")?;
        for (step, parameters) in &self.parameters {
            writeln!(f, "\n### {}", Untrusted(step).escaped())?;
            for (name, kinds) in parameters {
                let kinds: Vec<String> = kinds
                    .iter()
                    .map(|(kind, count)| format!("{kind} ({count})"))
                    .collect();
                let unread = self
                    .unread
                    .get(step)
                    .is_some_and(|names| names.contains(name));
                // Names come from the recording: escaped and cut, as caller text is in logs.
                writeln!(
                    f,
                    "- `{}`: {}{}",
                    Untrusted(name).escaped(),
                    kinds.join(", "),
                    if unread {
                        " (no argument reads it)"
                    } else {
                        ""
                    }
                )?;
            }
        }
        writeln!(f, "\n## Headers")?;
        for (name, count) in &self.headers {
            writeln!(f, "- {}: {count}", Untrusted(name).escaped())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_tell_numbers_sent_as_text_from_numbers() {
        assert_eq!(kind(&serde_json::json!(5)), "number");
        assert_eq!(kind(&serde_json::json!("5")), "number as text");
        assert_eq!(kind(&serde_json::json!(" true")), "bool as text");
        assert_eq!(kind(&serde_json::json!("{\"a\": 1}")), "JSON as text");
        assert_eq!(kind(&serde_json::json!("")), "empty text");
        assert_eq!(kind(&serde_json::json!("A1")), "text");
        assert_eq!(text_kind("x", "query text"), "query text");
    }
}
