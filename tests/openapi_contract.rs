//! Checks requests and replies against an app's OpenAPI document, with a JSON Schema
//! validator: the document must accept what the server accepts and describe what it answers.

use chatlayer_runtime::openapi::OpenApi;
use serde_json::{Map, Value, json};

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
            return self.check(&query_schema(operation), &coerce_query(params));
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

/// The query parameters of a `GET` operation as one object schema.
fn query_schema(operation: &Value) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        let name = parameter["name"].as_str().unwrap_or_default().to_owned();
        if parameter["required"] == true {
            required.push(Value::String(name.clone()));
        }
        properties.insert(name, parameter["schema"].clone());
    }
    json!({ "type": "object", "properties": properties, "required": required })
}

/// Query values arrive as text; a value that reads as JSON (a number, `true`) counts as that.
fn coerce_query(params: &Value) -> Value {
    let Value::Object(map) = params else {
        return params.clone();
    };
    let coerced = map.iter().map(|(name, value)| {
        let value = match value {
            Value::String(text) => serde_json::from_str(text).unwrap_or_else(|_| value.clone()),
            other => other.clone(),
        };
        (name.clone(), value)
    });
    Value::Object(coerced.collect())
}
