//! The data a reply stores in the session, kept as the JSON text of an object.
//!
//! A step's data is serialized once, straight from the step's own value into text, and that
//! text is copied into the reply's bytes. Converting it to a `serde_json::Map` first, as the
//! obvious design would, deep-copies a `json!` value and allocates every key twice, which
//! was a tenth of the whole cost of a typical step. The map is built only when someone reads
//! it ([`Reply::session_data`](super::Reply::session_data)) or when two writes must merge.

use std::fmt;
use std::sync::OnceLock;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// One JSON object, as text, with its parsed form made on demand.
#[derive(Clone)]
pub(crate) struct SessionData {
    json: Box<RawValue>,
    parsed: OnceLock<Map<String, Value>>,
}

impl SessionData {
    /// Serializes `data`; the error says what to do when it is not a JSON object.
    pub(crate) fn serialize(data: impl Serialize) -> Result<Self, String> {
        let json = serde_json::value::to_raw_value(&data)
            .map_err(|error| format!("cannot be serialized: {error}"))?;
        match json.get().as_bytes().first() {
            Some(b'{') => Ok(SessionData {
                json,
                parsed: OnceLock::new(),
            }),
            first => Err(format!(
                "must be a JSON object, got {}: wrap it, e.g. json!({{\"value\": ...}})",
                kind_of(first.copied())
            )),
        }
    }

    /// Data that is already a map, as read back from a reply's JSON.
    pub(crate) fn from_map(map: Map<String, Value>) -> Self {
        let json = serde_json::value::to_raw_value(&map).expect("a JSON map serializes");
        SessionData {
            json,
            parsed: OnceLock::from(map),
        }
    }

    /// The object's text, as it goes on the wire.
    pub(crate) fn raw(&self) -> &RawValue {
        &self.json
    }

    /// The object, parsed on first use.
    pub(crate) fn map(&self) -> &Map<String, Value> {
        self.parsed.get_or_init(|| parse(&self.json))
    }

    /// Adds `other`'s keys, replacing keys both have.
    pub(crate) fn extend(&mut self, other: SessionData) {
        let mut map = self.map().clone();
        map.extend(other.into_map());
        *self = SessionData::from_map(map);
    }

    fn into_map(self) -> Map<String, Value> {
        self.parsed
            .into_inner()
            .unwrap_or_else(|| parse(&self.json))
    }
}

/// The map of an object this module serialized.
fn parse(json: &RawValue) -> Map<String, Value> {
    serde_json::from_str(json.get()).expect("the text was serialized from an object")
}

/// Two writes are equal when they store the same keys and values, whatever the key order.
impl PartialEq for SessionData {
    fn eq(&self, other: &Self) -> bool {
        self.json.get() == other.json.get() || self.map() == other.map()
    }
}

impl fmt::Debug for SessionData {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.map(), formatter)
    }
}

/// What a JSON text starting with `first` is, for the error message.
fn kind_of(first: Option<u8>) -> &'static str {
    match first {
        Some(b'n') => "null",
        Some(b't' | b'f') => "a bool",
        Some(b'"') => "a string",
        Some(b'[') => "an array",
        Some(b'{') => "an object",
        _ => "a number",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize)]
    struct Order<'a> {
        sku: &'a str,
        quantity: u32,
    }

    #[test]
    fn keeps_the_text_and_parses_it_on_demand() {
        let data = SessionData::serialize(Order {
            sku: "A1",
            quantity: 2,
        })
        .unwrap();
        assert_eq!(data.raw().get(), r#"{"sku":"A1","quantity":2}"#);
        assert_eq!(data.map()["quantity"], 2);
        assert_eq!(
            data,
            SessionData::from_map(
                json!({"quantity": 2, "sku": "A1"})
                    .as_object()
                    .unwrap()
                    .clone()
            )
        );
    }

    #[test]
    fn merges_later_keys_over_earlier_ones() {
        let mut data = SessionData::serialize(json!({ "a": 1, "b": 2 })).unwrap();
        data.extend(SessionData::serialize(json!({ "b": 3, "c": 4 })).unwrap());
        assert_eq!(data.raw().get(), r#"{"a":1,"b":3,"c":4}"#);
    }

    #[test]
    fn says_what_else_it_got() {
        for (value, kind) in [
            (json!(null), "null"),
            (json!(true), "a bool"),
            (json!("text"), "a string"),
            (json!([1]), "an array"),
            (json!(-1.5), "a number"),
        ] {
            let error = SessionData::serialize(value).unwrap_err();
            assert!(
                error.starts_with(&format!("must be a JSON object, got {kind}:")),
                "{error}"
            );
        }
        let mut keys = std::collections::HashMap::new();
        keys.insert((1, 2), "tuple keys");
        assert!(
            SessionData::serialize(keys)
                .unwrap_err()
                .starts_with("cannot be serialized")
        );
    }
}
