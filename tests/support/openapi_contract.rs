//! Checks requests and replies against an app's OpenAPI document, with a JSON Schema
//! validator: the document must accept what the server accepts and describe what it answers.

use chatlayer_runtime::openapi::OpenApi;
use serde_json::{Value, json};

/// An OpenAPI document, ready to check requests and replies against.
pub struct Contract {
    document: Value,
}

impl Contract {
    /// The contract of `document`.
    pub fn new(document: &OpenApi) -> Self {
        Contract {
            document: serde_json::to_value(document).expect("the document serializes"),
        }
    }

    /// Checks a JSON body (or, for `GET`, the query parameters as an object of strings)
    /// against the operation's request schema. `Err` lists what does not fit.
    pub fn check_request(&self, method: &str, path: &str, params: &Value) -> Result<(), String> {
        let method = method.to_ascii_lowercase();
        let operation = self.operation(&method, path)?;
        if method == "get" {
            return self.check_query(operation, params);
        }
        let pointer = format!(
            "#/paths/{}/{method}/requestBody/content/application~1json/schema",
            escape(path)
        );
        if operation.get("requestBody").is_none() {
            return Ok(());
        }
        self.check(&json!({ "$ref": pointer }), params)
    }

    /// Checks a reply against the operation's response schema for `status`.
    pub fn check_reply(
        &self,
        method: &str,
        path: &str,
        status: u16,
        reply: &Value,
    ) -> Result<(), String> {
        let method = method.to_ascii_lowercase();
        let operation = self.operation(&method, path)?;
        if operation["responses"].get(status.to_string()).is_none() {
            return Err(format!("{method} {path} documents no {status} response"));
        }
        let pointer = format!(
            "#/paths/{}/{method}/responses/{status}/content/application~1json/schema",
            escape(path)
        );
        self.check(&json!({ "$ref": pointer }), reply)
    }

    /// Query values arrive as text: a value fits when its text fits, or when the JSON it
    /// spells (`7`, `true`) does.
    fn check_query(&self, operation: &Value, params: &Value) -> Result<(), String> {
        let mut errors = Vec::new();
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let name = parameter["name"].as_str().unwrap_or_default();
            let Some(value) = params.get(name) else {
                if parameter["required"] == true {
                    errors.push(format!("required query parameter `{name}` is missing"));
                }
                continue;
            };
            let as_json = value
                .as_str()
                .and_then(|text| serde_json::from_str::<Value>(text).ok());
            let fits = |candidate: &Value| self.check(&parameter["schema"], candidate).is_ok();
            if !fits(value) && !as_json.as_ref().is_some_and(fits) {
                errors.push(format!("query parameter `{name}` = {value} does not fit"));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("\n"))
        }
    }

    fn operation(&self, method: &str, path: &str) -> Result<&Value, String> {
        self.document["paths"]
            .get(path)
            .and_then(|item| item.get(method))
            .ok_or_else(|| format!("the document has no operation {method} {path}"))
    }

    /// Validates `instance` against `schema`, resolved inside the whole document (so that
    /// `#/components/schemas/...` references work).
    fn check(&self, schema: &Value, instance: &Value) -> Result<(), String> {
        let mut root = self.document.clone();
        let Value::Object(root_map) = &mut root else {
            unreachable!("a document is an object")
        };
        if let Value::Object(schema_map) = schema {
            root_map.extend(schema_map.clone());
        }
        let validator = jsonschema::draft202012::options()
            .build(&root)
            .map_err(|error| format!("the schema does not compile: {error}"))?;
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|error| format!("{} at `{}`", error, error.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("\n"))
        }
    }
}

/// `/order/status` -> `~1order~1status` (a JSON pointer token).
fn escape(path: &str) -> String {
    path.replace('~', "~0").replace('/', "~1")
}
