//! Turns rustdoc, which schemars copies into schema descriptions, into text for API readers:
//! code examples go (they show Rust, not the wire), and intra-doc links become plain code.

use serde_json::Value;

/// Tidies every `description` in `schema` and its subschemas. Literal values (`const`,
/// `enum`, `default`, `examples`) are left as they are.
pub(crate) fn tidy_descriptions(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match (key.as_str(), value) {
                    ("description", Value::String(text)) => *text = tidy(text),
                    ("const" | "enum" | "default" | "examples" | "example", _) => {}
                    (_, value) => tidy_descriptions(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tidy_descriptions),
        _ => {}
    }
}

/// Drops fenced code blocks and turns `` [`Name`] `` and `` [`Name`](path) `` into `` `Name` ``.
fn tidy(text: &str) -> String {
    let mut kept = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code {
            kept.push(unlink(line));
        }
    }
    let joined = kept.join("\n");
    let mut paragraphs: Vec<&str> = joined
        .split("\n\n")
        .map(str::trim)
        .filter(|paragraph| !paragraph.is_empty())
        .collect();
    paragraphs.dedup();
    paragraphs.join("\n\n")
}

fn unlink(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("[`") {
        let Some(end) = rest[start..].find("`]").map(|end| start + end) else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str(&rest[start + 1..end + 1]);
        rest = &rest[end + 2..];
        // A link target right after the brackets: `[`Name`](crate::Name)`.
        if let Some(close) = rest.starts_with('(').then(|| rest.find(')')).flatten() {
            rest = &rest[close + 1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn code_examples_go_and_links_become_code() {
        let mut schema = json!({
            "description": "A button.\n\n```\nlet b = Button::new();\n```\n\nSee [`Card`] and [`Reply::add_message`](crate::Reply::add_message).",
            "properties": {
                "description": { "type": "string", "description": "The [`Text`]." },
                "kind": { "const": { "description": "```kept```" } },
            },
        });
        tidy_descriptions(&mut schema);
        assert_eq!(
            schema["description"],
            "A button.\n\nSee `Card` and `Reply::add_message`."
        );
        assert_eq!(
            schema["properties"]["description"]["description"],
            "The `Text`."
        );
        assert_eq!(
            schema["properties"]["kind"]["const"]["description"],
            "```kept```"
        );
    }
}
