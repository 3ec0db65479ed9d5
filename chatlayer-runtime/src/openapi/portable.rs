//! Rewrites the JSON Schema that schemars writes into forms every client generator reads.
//!
//! A fieldless enum with doc comments on its variants comes out of schemars as `oneOf`
//! string `const`s, one per variant, each with its description. That is valid, but
//! openapi-python-client's code accepts only the first variant of such a `oneOf` (it
//! returns after checking the first branch), so a client refused the quickstart's own
//! `video` media. Such a `oneOf` becomes the `enum` every generator reads, and the
//! variants' descriptions move into the schema's description, one line each.

use serde_json::{Map, Value};

/// Rewrites every `oneOf` of string constants in `schema` and its subschemas.
pub(crate) fn make_portable(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(values) = string_constants(map) {
                enumerate(map, values);
            }
            for (key, value) in map.iter_mut() {
                if !matches!(key.as_str(), "const" | "enum" | "default" | "examples") {
                    make_portable(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(make_portable),
        _ => {}
    }
}

/// Each branch's constant and description, when `oneOf` holds string constants only.
fn string_constants(map: &Map<String, Value>) -> Option<Vec<(String, Option<String>)>> {
    let Some(Value::Array(branches)) = map.get("oneOf") else {
        return None;
    };
    branches
        .iter()
        .map(|branch| {
            let branch = branch.as_object()?;
            let value = branch.get("const")?.as_str()?;
            let only_known_keys = branch
                .keys()
                .all(|key| matches!(key.as_str(), "const" | "type" | "description"));
            let typed_as_text = branch.get("type").is_none_or(|kind| kind == "string");
            (only_known_keys && typed_as_text).then(|| {
                let description = branch.get("description").and_then(Value::as_str);
                (value.to_owned(), description.map(str::to_owned))
            })
        })
        .collect::<Option<Vec<_>>>()
        .filter(|values| !values.is_empty())
}

fn enumerate(map: &mut Map<String, Value>, values: Vec<(String, Option<String>)>) {
    map.remove("oneOf");
    map.insert("type".to_owned(), Value::String("string".to_owned()));
    let lines: Vec<String> = values
        .iter()
        .filter_map(|(value, description)| {
            let description = description.as_deref()?.trim();
            // schemars describes an undocumented variant by its own name: nothing to add.
            let says_more = description != format!("`{value}`");
            says_more.then(|| format!("- `{value}`: {description}"))
        })
        .collect();
    map.insert(
        "enum".to_owned(),
        values
            .into_iter()
            .map(|(value, _)| Value::String(value))
            .collect(),
    );
    if !lines.is_empty() {
        let text = lines.join("\n");
        let description = match map.get("description").and_then(Value::as_str) {
            Some(existing) => format!("{existing}\n\n{text}"),
            None => text,
        };
        map.insert("description".to_owned(), Value::String(description));
    }
}

#[cfg(test)]
mod tests {
    use super::make_portable;
    use serde_json::json;

    #[test]
    fn a_one_of_of_string_constants_becomes_an_enum_with_its_descriptions() {
        let mut schema = json!({
            "description": "Which media.",
            "oneOf": [
                { "const": "image", "type": "string", "description": "The photo." },
                { "const": "video", "type": "string", "description": "`video`" },
            ],
        });
        make_portable(&mut schema);
        assert_eq!(
            schema,
            json!({
                "description": "Which media.\n\n- `image`: The photo.",
                "type": "string",
                "enum": ["image", "video"],
            })
        );
    }

    #[test]
    fn other_one_ofs_stay_as_they_are() {
        let original = json!({
            "oneOf": [
                { "const": "image", "type": "string" },
                { "type": "object", "properties": { "type": { "const": "video" } } },
            ],
        });
        let mut schema = original.clone();
        make_portable(&mut schema);
        assert_eq!(schema, original);
    }
}
