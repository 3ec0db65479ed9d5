//! Whether a reply's session data is what its step declares with `session = Type`: the
//! OpenAPI document describes that type, so data of another shape makes the document
//! disagree with the wire. A step may build its reply from anything (`json!`, another
//! type), so the check is made on the data written, against the type's JSON Schema, in
//! debug builds (tests, `cargo run`); release builds skip it.
//!
//! The check covers what tells one type from another: required fields, fields the type does
//! not have, JSON types, enumerations, and the same inside nested objects, lists and
//! references. Formats and numeric bounds are left to the document's validators.

use serde_json::{Map, Value};

use crate::schema::SchemaFn;

/// The schema of the declared type, its definitions inline under `$defs`.
pub(crate) fn declared_schema(schema: SchemaFn) -> Value {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let root = schema(&mut generator);
    let mut value = root.to_value();
    let definitions: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    if let Value::Object(object) = &mut value {
        object.insert("$defs".to_owned(), Value::Object(definitions));
    }
    value
}

/// The declared type's name: the definition its schema refers to, or its title.
pub(crate) fn type_name(schema: &Value) -> String {
    schema["$ref"]
        .as_str()
        .and_then(|reference| reference.strip_prefix("#/$defs/"))
        .or_else(|| schema["title"].as_str())
        .unwrap_or("the declared type")
        .to_owned()
}

/// What in `data` does not fit `schema` (from [`declared_schema`]), one line each.
pub(crate) fn misfits(data: &Map<String, Value>, schema: &Value) -> Vec<String> {
    let definitions = schema.get("$defs").cloned().unwrap_or(Value::Null);
    let mut problems = Vec::new();
    check(
        &Value::Object(data.clone()),
        schema,
        &definitions,
        "session.data",
        &mut problems,
    );
    problems
}

fn check(value: &Value, schema: &Value, definitions: &Value, at: &str, problems: &mut Vec<String>) {
    // A problem list this long says enough.
    if problems.len() >= 8 {
        return;
    }
    let schema = match schema {
        Value::Bool(true) => return,
        Value::Bool(false) => {
            problems.push(format!("{at} is not allowed here"));
            return;
        }
        Value::Object(schema) => schema,
        _ => return,
    };
    if let Some(Value::String(reference)) = schema.get("$ref")
        && let Some(target) = reference
            .strip_prefix("#/$defs/")
            .and_then(|name| definitions.get(name))
    {
        check(value, target, definitions, at, problems);
    }
    for (keyword, all) in [("anyOf", false), ("oneOf", false), ("allOf", true)] {
        let Some(Value::Array(branches)) = schema.get(keyword) else {
            continue;
        };
        let results: Vec<Vec<String>> = branches
            .iter()
            .map(|branch| {
                let mut found = Vec::new();
                check(value, branch, definitions, at, &mut found);
                found
            })
            .collect();
        if all {
            problems.extend(results.into_iter().flatten());
        } else if !results.iter().any(Vec::is_empty) {
            problems.push(format!("{at} fits none of the type's variants: {value}"));
        }
    }
    if let Some(expected) = schema.get("type")
        && !type_fits(value, expected)
    {
        problems.push(format!(
            "{at} is {}, the type says {}",
            kind(value),
            match expected {
                Value::Array(kinds) => kinds
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" or "),
                other => other.as_str().unwrap_or("?").to_owned(),
            }
        ));
        return;
    }
    if let Some(Value::Array(allowed)) = schema.get("enum")
        && !allowed.contains(value)
    {
        problems.push(format!("{at} is {value}, not one of the type's values"));
    }
    if let Some(constant) = schema.get("const")
        && constant != value
    {
        problems.push(format!("{at} is {value}, the type says {constant}"));
    }
    match value {
        Value::Object(object) => check_object(object, schema, definitions, at, problems),
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (index, item) in items.iter().enumerate() {
                    check(
                        item,
                        item_schema,
                        definitions,
                        &format!("{at}[{index}]"),
                        problems,
                    );
                }
            }
        }
        _ => {}
    }
}

fn check_object(
    object: &Map<String, Value>,
    schema: &Map<String, Value>,
    definitions: &Value,
    at: &str,
    problems: &mut Vec<String>,
) {
    let properties = schema.get("properties").and_then(Value::as_object);
    if let Some(Value::Array(required)) = schema.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                problems.push(format!("{at}.{name} is missing: the type requires it"));
            }
        }
    }
    let Some(properties) = properties else {
        return;
    };
    // Data serialized from the declared type has no field it lacks: one that is there comes
    // from another type (unless the type says it takes others).
    let others = schema.get("additionalProperties");
    for (name, item) in object {
        match properties.get(name) {
            Some(property) => check(
                item,
                property,
                definitions,
                &format!("{at}.{name}"),
                problems,
            ),
            None => match others {
                Some(Value::Object(_)) => check(
                    item,
                    others.expect("matched"),
                    definitions,
                    &format!("{at}.{name}"),
                    problems,
                ),
                Some(Value::Bool(true)) => {}
                _ => {
                    let mut known: Vec<&str> = properties.keys().map(String::as_str).collect();
                    known.sort_unstable();
                    problems.push(format!(
                        "{at}.{name} is not a field of the type (its fields: {})",
                        known.join(", ")
                    ));
                }
            },
        }
    }
}

fn type_fits(value: &Value, expected: &Value) -> bool {
    match expected {
        Value::String(kind) => kind_fits(value, kind),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .any(|kind| kind_fits(value, kind)),
        _ => true,
    }
}

fn kind_fits(value: &Value, kind: &str) -> bool {
    match kind {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64()
                || value.is_u64()
                || value.as_f64().is_some_and(|number| number.fract() == 0.0)
        }
        _ => true,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use schemars::JsonSchema;
    use serde_json::json;

    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Order {
        sku: String,
        quantity: u32,
        note: Option<String>,
        status: Status,
    }

    #[derive(JsonSchema)]
    #[allow(dead_code)]
    enum Status {
        Placed,
        Shipped,
    }

    fn problems(data: Value) -> Vec<String> {
        let schema = declared_schema(crate::schema::session_schema::<Order>);
        misfits(data.as_object().unwrap(), &schema)
    }

    #[test]
    fn the_type_is_named() {
        let schema = declared_schema(crate::schema::session_schema::<Order>);
        assert_eq!(type_name(&schema), "Order", "{schema:#}");
    }

    #[test]
    fn data_of_the_type_fits() {
        assert!(problems(json!({"sku": "A1", "quantity": 2, "status": "Placed"})).is_empty());
        assert!(
            problems(json!({"sku": "A1", "quantity": 2, "note": null, "status": "Shipped"}))
                .is_empty()
        );
    }

    #[test]
    fn data_of_another_type_does_not() {
        let found = problems(json!({"returnId": "R1", "quantity": "two", "status": "Lost"}));
        let text = found.join("\n");
        assert!(text.contains("session.data.sku is missing"), "{text}");
        assert!(
            text.contains("session.data.returnId is not a field of the type"),
            "{text}"
        );
        assert!(
            text.contains("session.data.quantity is a string, the type says integer"),
            "{text}"
        );
        assert!(text.contains("session.data.status"), "{text}");
    }
}
