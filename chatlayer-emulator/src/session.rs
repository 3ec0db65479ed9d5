//! The emulated session: variables read by path, the reply's namespace merged in,
//! `{variable}` interpolation in messages, and what a turn changed.

use serde::Serialize;
use serde_json::{Map, Value};

/// A session: a JSON object of variables, with Chatlayer's read-only `internal` among them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Session {
    variables: Map<String, Value>,
}

/// One part of a variable path: `order.items[0].sku` is `order`, `items`, `[0]`, `sku`.
#[derive(Debug, PartialEq)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits a variable path; `None` when it is malformed (an empty part, an unclosed `[`).
fn parse_path(path: &str) -> Option<Vec<Segment<'_>>> {
    let mut segments = Vec::new();
    for part in path.trim().split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(bracket) => part.split_at(bracket),
            None => (part, ""),
        };
        if key.is_empty() && segments.is_empty()
            || key.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        {
            return None;
        }
        if !key.is_empty() {
            segments.push(Segment::Key(key));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']')?;
            segments.push(Segment::Index(inner[..close].trim().parse().ok()?));
            rest = &inner[close + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    (!segments.is_empty()).then_some(segments)
}

/// A change a turn made to a variable, for the page's session panel.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Change {
    /// The variable's path, e.g. `order.total`.
    pub path: String,
    /// Its value before the turn (`null` when it was not set).
    pub before: Value,
    /// Its value after.
    pub after: Value,
}

impl Session {
    pub(crate) fn new(internal: Map<String, Value>, variables: Map<String, Value>) -> Self {
        let mut session = Session { variables };
        session
            .variables
            .insert("internal".to_owned(), Value::Object(internal));
        session
    }

    /// The whole session as JSON.
    pub(crate) fn to_value(&self) -> Value {
        Value::Object(self.variables.clone())
    }

    /// The value at `path`, when it is set.
    pub(crate) fn get(&self, path: &str) -> Option<&Value> {
        let segments = parse_path(path)?;
        let mut segments = segments.into_iter();
        let Some(Segment::Key(first)) = segments.next() else {
            return None;
        };
        let mut value = self.variables.get(first)?;
        for segment in segments {
            value = match segment {
                Segment::Key(key) => value.get(key)?,
                Segment::Index(index) => value.get(index)?,
            };
        }
        Some(value).filter(|value| !value.is_null())
    }

    /// Sets the value at `path`, creating the objects on the way. Refuses `internal` (read
    /// only) and malformed paths; indexes into lists that exist.
    pub(crate) fn set(&mut self, path: &str, value: Value) -> Result<(), String> {
        let segments = parse_path(path)
            .ok_or_else(|| format!("`{path}` is not a variable path (e.g. `order.sku`)"))?;
        if segments.first() == Some(&Segment::Key("internal")) {
            return Err(format!(
                "`{path}` is under `internal`, which is read-only: Chatlayer restores it"
            ));
        }
        let mut root = Value::Object(std::mem::take(&mut self.variables));
        let written = set_in(&mut root, &segments, value);
        if let Value::Object(variables) = root {
            self.variables = variables;
        }
        written.map_err(|()| format!("`{path}` indexes a list that has no such item"))
    }

    /// Writes a reply's `session` part: the keys of `data` are written into the variable
    /// `namespace` (a shallow merge: keys the reply does not name are kept). Returns a note
    /// when Chatlayer's rules are bent, e.g. `data` that is not an object.
    pub(crate) fn merge_namespace(
        &mut self,
        namespace: &str,
        data: Value,
    ) -> Result<Option<String>, String> {
        if namespace.is_empty() {
            return Err("the reply's session has an empty namespace".to_owned());
        }
        if namespace == "internal" {
            return Err(
                "the reply writes the namespace `internal`, which is read-only: Chatlayer \
                 restores it, so the emulator ignores the write"
                    .to_owned(),
            );
        }
        match data {
            Value::Object(data) => {
                object_in(
                    self.variables
                        .entry(namespace.to_owned())
                        .or_insert(Value::Null),
                )
                .extend(data);
                Ok(None)
            }
            other => {
                self.variables.insert(namespace.to_owned(), other);
                Ok(Some(format!(
                    "the reply's session data for `{namespace}` is not an object; Chatlayer \
                     documents an object, so it may not store it"
                )))
            }
        }
    }

    /// Replaces every `{path}` and `{path|modifier}` in `text` with the variable's value.
    /// A variable that is not set is left as written, and its path is added to `unset`.
    pub(crate) fn interpolate(&self, text: &str, unset: &mut Vec<String>) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after
                .find('}')
                .filter(|&close| !after[..close].contains('{'))
            else {
                out.push('{');
                rest = after;
                continue;
            };
            let inner = &after[..close];
            let (path, modifier) = match inner.split_once('|') {
                Some((path, modifier)) => (path.trim(), Some(modifier.trim())),
                None => (inner.trim(), None),
            };
            match self.get(path) {
                Some(value) => out.push_str(&apply_modifier(value, modifier)),
                None => {
                    // Only a variable path is reported; other braced text is just text.
                    if parse_path(path).is_some() {
                        unset.push(path.to_owned());
                    }
                    out.push_str(&rest[open..open + close + 2]);
                }
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }

    /// What differs between `before` and this session, variable by variable (one level
    /// into objects, so `order.total` shows rather than all of `order`).
    pub(crate) fn changes_since(&self, before: &Session) -> Vec<Change> {
        let mut changes = Vec::new();
        diff_objects(
            "",
            Some(&before.variables),
            Some(&self.variables),
            1,
            &mut changes,
        );
        changes
    }

    /// Chatlayer's own bookkeeping: the block now running and the one before it.
    pub(crate) fn enter_block(&mut self, id: &str, name: &str, kind: &str) {
        let internal = self.internal_mut();
        let previous = internal.get("currentDialogstate").cloned();
        if let Some(previous) = previous {
            internal.insert("previousDialogstate".to_owned(), previous);
        }
        internal.insert(
            "currentDialogstate".to_owned(),
            serde_json::json!({ "id": id, "name": name, "type": kind }),
        );
    }

    /// Records the user's last message in `internal`, as Chatlayer does.
    pub(crate) fn record_user_message(&mut self, content: &str, kind: &str) {
        let internal = self.internal_mut();
        internal.insert("messageContent".to_owned(), Value::from(content));
        internal.insert("messageType".to_owned(), Value::from(kind));
    }

    fn internal_mut(&mut self) -> &mut Map<String, Value> {
        object_in(
            self.variables
                .entry("internal".to_owned())
                .or_insert(Value::Null),
        )
    }
}

/// Adds to `changes` each key of `old` or `new` (`None`: no object) whose value differs,
/// under `prefix`. Where an object is on either side (and the other side is an object or
/// nothing), its keys are compared instead, `depth` levels further down at most.
fn diff_objects(
    prefix: &str,
    old: Option<&Map<String, Value>>,
    new: Option<&Map<String, Value>>,
    depth: usize,
    changes: &mut Vec<Change>,
) {
    let keys: std::collections::BTreeSet<&String> =
        old.into_iter().chain(new).flat_map(Map::keys).collect();
    for key in keys {
        let before = old.and_then(|map| map.get(key)).unwrap_or(&Value::Null);
        let after = new.and_then(|map| map.get(key)).unwrap_or(&Value::Null);
        if before == after {
            continue;
        }
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match (before, after) {
            (Value::Object(_) | Value::Null, Value::Object(_) | Value::Null) if depth > 0 => {
                diff_objects(
                    &path,
                    before.as_object(),
                    after.as_object(),
                    depth - 1,
                    changes,
                );
            }
            _ => changes.push(Change {
                path,
                before: before.clone(),
                after: after.clone(),
            }),
        }
    }
}

/// The object `value` holds, after replacing whatever else it held (nothing, a text...)
/// with an empty object.
fn object_in(value: &mut Value) -> &mut Map<String, Value> {
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    match value {
        Value::Object(map) => map,
        _ => unreachable!("made an object above"),
    }
}

/// Writes `value` at `segments` under `target`, turning what is in the way into objects.
fn set_in(target: &mut Value, segments: &[Segment<'_>], value: Value) -> Result<(), ()> {
    let Some((first, rest)) = segments.split_first() else {
        *target = value;
        return Ok(());
    };
    let next = match first {
        Segment::Key(key) => object_in(target)
            .entry((*key).to_owned())
            .or_insert(Value::Null),
        Segment::Index(index) => match target {
            Value::Array(items) if *index < items.len() => &mut items[*index],
            _ => return Err(()),
        },
    };
    set_in(next, rest, value)
}

/// The text of a value as a message shows it, after Chatlayer's modifiers.
fn apply_modifier(value: &Value, modifier: Option<&str>) -> String {
    let text = value_text(value);
    match modifier {
        Some("toUpperCase") => text.to_uppercase(),
        Some("toLowerCase") => text.to_lowercase(),
        Some("capitalize") => {
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => text,
            }
        }
        Some("increment") => match value_number(value) {
            Some(number) => value_text(&serde_json::json!(number + 1.0)),
            None => text,
        },
        _ => text,
    }
}

/// A value as a message shows it: strings as they are, whole numbers without a decimal
/// point (`118`, not `118.0`: Chatlayer runs on JavaScript, which has one number type),
/// everything else as JSON.
pub(crate) fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        Value::Number(number) => match number.as_f64() {
            Some(float) if number.is_f64() && float.fract() == 0.0 && float.abs() < 1e15 => {
                format!("{float:.0}")
            }
            _ => number.to_string(),
        },
        other => other.to_string(),
    }
}

/// Whether a session value is the one expected: equal as JSON, as numbers (`59` and
/// `59.0`), or as the text a message would show (`59` and `"59"`), as Chatlayer keeps
/// both numbers and text.
pub(crate) fn same_value(actual: &Value, expected: &Value) -> bool {
    actual == expected
        || matches!((actual.as_f64(), expected.as_f64()), (Some(a), Some(b)) if a == b)
        || value_text(actual) == value_text(expected)
}

/// A value as a number, when it is one or is numeric text.
pub(crate) fn value_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn session(variables: Value) -> Session {
        let Value::Object(variables) = variables else {
            panic!()
        };
        Session::new(Map::new(), variables)
    }

    #[test]
    fn paths_read_keys_and_indexes() {
        let session = session(json!({ "order": { "items": [{ "sku": "A1" }] } }));
        assert_eq!(session.get("order.items[0].sku"), Some(&json!("A1")));
        assert_eq!(session.get("order.items[1].sku"), None);
        assert_eq!(session.get("order..sku"), None);
    }

    #[test]
    fn set_creates_objects_and_refuses_internal() {
        let mut session = session(json!({}));
        session.set("cart.sku", json!("B2")).unwrap();
        assert_eq!(session.get("cart"), Some(&json!({ "sku": "B2" })));
        assert!(
            session
                .set("internal.channel", json!("x"))
                .unwrap_err()
                .contains("read-only")
        );
    }

    #[test]
    fn interpolation_fills_set_variables_applies_modifiers_and_reports_unset_ones() {
        let session = session(json!({ "user": { "name": "ada" }, "n": 2 }));
        let mut unset = Vec::new();
        assert_eq!(
            session.interpolate(
                "Hi {user.name|capitalize}, {n|increment} {user.age} {not a path}",
                &mut unset
            ),
            "Hi Ada, 3 {user.age} {not a path}"
        );
        assert_eq!(unset, ["user.age"]);
        let totals = self::session(json!({ "total": 118.0, "price": 19.99 }));
        assert_eq!(
            totals.interpolate("{total} {price}", &mut unset),
            "118 19.99"
        );
    }

    #[test]
    fn a_merge_keeps_keys_the_reply_does_not_name() {
        let mut session = session(json!({ "order": { "sku": "A1", "quantity": 1 } }));
        let before = session.clone();
        session
            .merge_namespace("order", json!({ "quantity": 2 }))
            .unwrap();
        assert_eq!(
            session.get("order"),
            Some(&json!({ "sku": "A1", "quantity": 2 }))
        );
        assert_eq!(
            session.changes_since(&before),
            [Change {
                path: "order.quantity".into(),
                before: json!(1),
                after: json!(2)
            }]
        );
    }
}
