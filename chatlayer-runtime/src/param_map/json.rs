//! A body of JSON parameters, read into a map whatever valid JSON it holds, with the number
//! of values bounded (parsed values take far more memory than their text).
//!
//! serde_json reads almost every body, counting values as it builds them. Valid JSON that it
//! refuses goes through [`tolerant`] instead, so that it reaches parameter extraction, where
//! only the odd parameter fails (and falls back): numbers beyond `f64` (`1e400`, a
//! 5,000-digit integer), nesting deeper than serde_json's 128 levels (up to [`MAX_DEPTH`]),
//! escaped lone surrogates (`"\ud800"`), and a leading byte-order mark.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Why a body could not be read as parameters.
#[derive(Debug, PartialEq)]
pub(crate) enum JsonProblem {
    /// It holds more values than allowed.
    TooManyValues,
    /// It nests containers deeper than [`MAX_DEPTH`].
    TooDeep,
    /// It is valid JSON, but not an object.
    NotAnObject,
    /// It is not JSON: what is wrong, and where.
    Invalid(String),
}

/// How deep a body may nest arrays and objects. serde_json's `Value`, and the types a step
/// reads, are read, cloned and dropped by recursion: 2,000 levels of nesting overflowed the
/// stack of a debug build, aborting the whole process, when a step took a
/// `serde_json::Value`. 512 levels leave that a wide margin and no real body near it.
pub(crate) const MAX_DEPTH: usize = 512;

/// Reads `text` as a JSON object of at most `limit` values (the object itself included),
/// nested at most [`MAX_DEPTH`] levels.
pub(crate) fn parse_object(text: &str, limit: usize) -> Result<Map<String, Value>, JsonProblem> {
    let budget = Budget::new(limit);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let fast = ObjectSeed(&budget)
        .deserialize(&mut deserializer)
        .and_then(|map| deserializer.end().map(|()| map));
    match fast {
        Ok(Some(map)) => Ok(map),
        Ok(None) => Err(JsonProblem::NotAnObject),
        Err(_) if budget.exhausted.get() => Err(JsonProblem::TooManyValues),
        // Valid JSON serde_json does not take, or not JSON at all: the tolerant reader
        // tells which, with serde_json's own words for the latter.
        Err(error) => tolerant::parse(text, limit).map_err(|problem| match problem {
            JsonProblem::Invalid(_) => JsonProblem::Invalid(error.to_string()),
            other => other,
        }),
    }
}

/// Reads one value's JSON text, already checked by the scan (so within the limits): with
/// serde_json, or with the tolerant reader when serde_json refuses it.
pub(crate) fn parse_value(text: &str) -> Value {
    serde_json::from_str(text)
        .ok()
        .or_else(|| tolerant::parse_value(text, usize::MAX).ok())
        .unwrap_or(Value::Null)
}

/// Decodes a JSON string literal (quotes included), already checked by the scan.
pub(crate) fn decode_string(quoted: &str) -> String {
    match parse_value(quoted) {
        Value::String(text) => text,
        _ => String::new(),
    }
}

/// How many values may still be made.
struct Budget {
    left: Cell<usize>,
    exhausted: Cell<bool>,
}

impl Budget {
    fn new(limit: usize) -> Self {
        Budget {
            left: Cell::new(limit),
            exhausted: Cell::new(false),
        }
    }

    fn spend<E: de::Error>(&self) -> Result<(), E> {
        match self.left.get().checked_sub(1) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => {
                self.exhausted.set(true);
                Err(E::custom("too many values"))
            }
        }
    }
}

/// The top level: an object (`Some`), or any other value (`None`).
struct ObjectSeed<'a>(&'a Budget);

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_> {
    type Value = Option<Map<String, Value>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        match ValueSeed(self.0).deserialize(deserializer)? {
            Value::Object(map) => Ok(Some(map)),
            _ => Ok(None),
        }
    }
}

/// One value, built like serde_json's own `Value`, counting against the budget.
struct ValueSeed<'a>(&'a Budget);

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Value, E> {
        self.0.spend()?;
        Ok(Value::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Value, E> {
        self.0.spend()?;
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Value, E> {
        self.0.spend()?;
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Value, E> {
        self.0.spend()?;
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Value, E> {
        self.0.spend()?;
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Value, E> {
        self.0.spend()?;
        Ok(Value::String(value))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.0.spend()?;
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.0.spend()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(ValueSeed(self.0))? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Value, A::Error> {
        self.0.spend()?;
        let mut map = Map::new();
        while let Some(key) = entries.next_key::<String>()? {
            let value = entries.next_value_seed(ValueSeed(self.0))?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

/// A reader for valid JSON that serde_json refuses: no recursion (so deeper than
/// serde_json's 128 levels, up to [`MAX_DEPTH`]), numbers beyond `f64` kept as their text,
/// lone surrogates as U+FFFD, a leading BOM skipped.
/// Slower than serde_json, and only used when serde_json has refused a body.
mod tolerant {
    use serde_json::{Map, Number, Value};

    use super::{JsonProblem, MAX_DEPTH};

    /// A container being read.
    enum Open {
        Array(Vec<Value>),
        /// The object so far, and the key whose value is being read.
        Object(Map<String, Value>, Option<String>),
    }

    pub(super) fn parse(text: &str, limit: usize) -> Result<Map<String, Value>, JsonProblem> {
        match parse_value(text, limit)? {
            Value::Object(map) => Ok(map),
            _ => Err(JsonProblem::NotAnObject),
        }
    }

    /// Reads any JSON value.
    pub(super) fn parse_value(text: &str, limit: usize) -> Result<Value, JsonProblem> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = Reader {
            bytes: text.as_bytes(),
            text,
            at: 0,
        };
        let mut left = limit;
        let mut stack: Vec<Open> = Vec::new();
        let document = loop {
            reader.skip_space();
            let next = reader.peek();
            let closes_empty = match stack.last() {
                Some(Open::Object(map, None)) => map.is_empty() && next == Some(b'}'),
                Some(Open::Array(items)) => items.is_empty() && next == Some(b']'),
                _ => false,
            };
            if closes_empty {
                reader.at += 1;
                let value = match stack.pop() {
                    Some(Open::Array(items)) => Value::Array(items),
                    Some(Open::Object(map, _)) => Value::Object(map),
                    None => unreachable!("a container is open"),
                };
                match place(&mut stack, &mut reader, value)? {
                    Some(document) => break document,
                    None => continue,
                }
            }
            // Inside an object, a key comes first.
            if let Some(Open::Object(_, slot @ None)) = stack.last_mut() {
                if next != Some(b'"') {
                    return Err(reader.invalid("expected a key"));
                }
                *slot = Some(reader.string()?);
                reader.skip_space();
                reader.expect(b':')?;
                reader.skip_space();
            }
            left = left.checked_sub(1).ok_or(JsonProblem::TooManyValues)?;
            if matches!(reader.peek(), Some(b'{' | b'[')) && stack.len() == MAX_DEPTH {
                return Err(JsonProblem::TooDeep);
            }
            let value = match reader.peek() {
                Some(b'{') => {
                    reader.at += 1;
                    stack.push(Open::Object(Map::new(), None));
                    continue;
                }
                Some(b'[') => {
                    reader.at += 1;
                    stack.push(Open::Array(Vec::new()));
                    continue;
                }
                Some(b'"') => Value::String(reader.string()?),
                Some(b't') => reader.word("true", Value::Bool(true))?,
                Some(b'f') => reader.word("false", Value::Bool(false))?,
                Some(b'n') => reader.word("null", Value::Null)?,
                Some(b'-' | b'0'..=b'9') => reader.number()?,
                _ => return Err(reader.invalid("expected a value")),
            };
            if let Some(document) = place(&mut stack, &mut reader, value)? {
                break document;
            }
        };
        reader.skip_space();
        if reader.at != reader.bytes.len() {
            return Err(reader.invalid("trailing characters"));
        }
        Ok(document)
    }

    /// Puts `value` into the container being read and moves past the separator; returns the
    /// whole document once the outermost value is complete.
    fn place(
        stack: &mut Vec<Open>,
        reader: &mut Reader<'_>,
        value: Value,
    ) -> Result<Option<Value>, JsonProblem> {
        let mut value = value;
        loop {
            match stack.last_mut() {
                None => return Ok(Some(value)),
                Some(Open::Array(items)) => items.push(value),
                Some(Open::Object(map, key)) => {
                    let key = key.take().expect("a key was read before its value");
                    map.insert(key, value);
                }
            }
            reader.skip_space();
            let closing = match (stack.last(), reader.peek()) {
                (Some(_), Some(b',')) => {
                    reader.at += 1;
                    return Ok(None);
                }
                (Some(Open::Array(_)), Some(b']')) | (Some(Open::Object(..)), Some(b'}')) => {
                    reader.at += 1;
                    stack.pop().expect("a container is open")
                }
                _ => return Err(reader.invalid("expected `,` or the end of the container")),
            };
            value = match closing {
                Open::Array(items) => Value::Array(items),
                Open::Object(map, _) => Value::Object(map),
            };
        }
    }

    struct Reader<'a> {
        bytes: &'a [u8],
        text: &'a str,
        at: usize,
    }

    impl Reader<'_> {
        fn peek(&self) -> Option<u8> {
            self.bytes.get(self.at).copied()
        }

        fn skip_space(&mut self) {
            while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                self.at += 1;
            }
        }

        fn expect(&mut self, byte: u8) -> Result<(), JsonProblem> {
            if self.peek() == Some(byte) {
                self.at += 1;
                Ok(())
            } else {
                Err(self.invalid(&format!("expected `{}`", byte as char)))
            }
        }

        fn invalid(&self, what: &str) -> JsonProblem {
            JsonProblem::Invalid(format!("{what} at byte {}", self.at))
        }

        fn word(&mut self, word: &str, value: Value) -> Result<Value, JsonProblem> {
            if self.text[self.at..].starts_with(word) {
                self.at += word.len();
                Ok(value)
            } else {
                Err(self.invalid("expected a value"))
            }
        }

        /// A number with JSON's grammar: serde_json's own value when it has one, else its
        /// text (a value beyond `f64`), which number arguments then refuse by name.
        fn number(&mut self) -> Result<Value, JsonProblem> {
            let start = self.at;
            if self.peek() == Some(b'-') {
                self.at += 1;
            }
            match self.peek() {
                Some(b'0') => self.at += 1,
                Some(b'1'..=b'9') => self.digits(),
                _ => return Err(self.invalid("expected a digit")),
            }
            if self.peek() == Some(b'.') {
                self.at += 1;
                if !matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(self.invalid("expected a digit"));
                }
                self.digits();
            }
            if matches!(self.peek(), Some(b'e' | b'E')) {
                self.at += 1;
                if matches!(self.peek(), Some(b'+' | b'-')) {
                    self.at += 1;
                }
                if !matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(self.invalid("expected a digit"));
                }
                self.digits();
            }
            let literal = &self.text[start..self.at];
            Ok(serde_json::from_str::<Number>(literal)
                .map_or_else(|_| Value::String(literal.to_owned()), Value::Number))
        }

        fn digits(&mut self) {
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.at += 1;
            }
        }

        /// A string, escapes decoded; an escaped surrogate without its pair is U+FFFD.
        fn string(&mut self) -> Result<String, JsonProblem> {
            self.expect(b'"')?;
            let mut out = String::new();
            loop {
                let run = self.bytes[self.at..]
                    .iter()
                    .position(|byte| matches!(byte, b'"' | b'\\') || *byte < 0x20)
                    .ok_or_else(|| self.invalid("unterminated string"))?;
                out.push_str(&self.text[self.at..self.at + run]);
                self.at += run;
                match self.bytes[self.at] {
                    b'"' => {
                        self.at += 1;
                        return Ok(out);
                    }
                    b'\\' => {
                        self.at += 1;
                        self.escape(&mut out)?;
                    }
                    _ => return Err(self.invalid("control character in a string")),
                }
            }
        }

        fn escape(&mut self, out: &mut String) -> Result<(), JsonProblem> {
            let byte = self
                .peek()
                .ok_or_else(|| self.invalid("unterminated escape"))?;
            self.at += 1;
            let simple = match byte {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let unit = self.hex4()?;
                    out.push(self.code_point(unit)?);
                    return Ok(());
                }
                _ => return Err(self.invalid("invalid escape")),
            };
            out.push(simple);
            Ok(())
        }

        /// The character a `\uXXXX` escape starts: a surrogate pair joined, a lone
        /// surrogate replaced.
        fn code_point(&mut self, unit: u16) -> Result<char, JsonProblem> {
            if !(0xD800..0xDC00).contains(&unit) {
                return Ok(char::from_u32(u32::from(unit)).unwrap_or('\u{fffd}'));
            }
            if self.bytes[self.at..].starts_with(b"\\u") {
                let save = self.at;
                self.at += 2;
                let low = self.hex4()?;
                if (0xDC00..0xE000).contains(&low) {
                    let joined =
                        0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                    return Ok(char::from_u32(joined).unwrap_or('\u{fffd}'));
                }
                self.at = save;
            }
            Ok('\u{fffd}')
        }

        fn hex4(&mut self) -> Result<u16, JsonProblem> {
            let digits = self
                .text
                .get(self.at..self.at + 4)
                .ok_or_else(|| self.invalid("unterminated escape"))?;
            if !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                return Err(self.invalid("invalid escape"));
            }
            let unit =
                u16::from_str_radix(digits, 16).map_err(|_| self.invalid("invalid escape"))?;
            self.at += 4;
            Ok(unit)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(text: &str) -> Value {
        Value::Object(parse_object(text, 1_000_000).unwrap())
    }

    #[test]
    fn valid_json_that_serde_json_refuses_is_read() {
        let deep = format!("{{\"deep\": {}1{}}}", "[".repeat(300), "]".repeat(300));
        let digits = "9".repeat(5000);
        for (text, key, expected) in [
            (
                r#"{"quantity": 1e400, "sku": "A1"}"#.to_owned(),
                "quantity",
                json!("1e400"),
            ),
            (format!(r#"{{"big": {digits}}}"#), "big", json!(digits)),
            (
                r#"{"name": "\ud800", "pair": "\ud83d\ude00"}"#.to_owned(),
                "name",
                json!("\u{fffd}"),
            ),
            ("\u{feff}{\"sku\": \"A1\"}".to_owned(), "sku", json!("A1")),
        ] {
            let value = parsed(&text);
            assert_eq!(value[key], expected, "{text}");
        }
        assert_eq!(parsed(r#"{"pair": "\ud83d\ude00"}"#)["pair"], "\u{1f600}");
        let deep = parsed(&deep);
        let mut inner = &deep["deep"];
        for _ in 0..300 {
            inner = &inner[0];
        }
        assert_eq!(inner, &json!(1));
    }

    #[test]
    fn nesting_is_read_up_to_the_depth_limit() {
        let nested =
            |depth: usize| format!("{{\"a\": {}0{}}}", "[".repeat(depth), "]".repeat(depth));
        // The object itself is one level.
        assert!(parse_object(&nested(MAX_DEPTH - 1), 1_000_000).is_ok());
        assert_eq!(
            parse_object(&nested(MAX_DEPTH), 1_000_000),
            Err(JsonProblem::TooDeep)
        );
        let objects = format!(
            "{}{}",
            "{\"a\":".repeat(MAX_DEPTH + 1),
            "}".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(parse_object(&objects, 1_000_000), Err(JsonProblem::TooDeep));
    }

    #[test]
    fn what_is_not_json_is_still_refused_in_serde_json_s_words() {
        for text in [
            r#"{"a": }"#,
            r#"{"a": 1,}"#,
            "{\"a\": [1,]}",
            "{'a': 1}",
            r#"{"a": 01}"#,
            r#"{"a": "\u12g4"}"#,
            "{\"a\": \"\u{1}\"}",
            r#"{"a": 1} x"#,
        ] {
            match parse_object(text, 100) {
                Err(JsonProblem::Invalid(message)) => {
                    assert!(message.contains("line"), "{text}: {message}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        assert_eq!(parse_object("[1, 2]", 100), Err(JsonProblem::NotAnObject));
        assert_eq!(
            parse_object("\u{feff}[1]", 100),
            Err(JsonProblem::NotAnObject)
        );
    }

    proptest::proptest! {
        /// The tolerant reader reads whatever serde_json reads, to the same value: it only
        /// ever adds what serde_json refuses.
        #[test]
        fn the_tolerant_reader_agrees_with_serde_json(value in json_values()) {
            let text = serde_json::to_string(&serde_json::json!({ "v": value })).unwrap();
            let expected: Map<String, Value> = serde_json::from_str(&text).unwrap();
            proptest::prop_assert_eq!(tolerant::parse(&text, usize::MAX), Ok(expected));
        }
    }

    fn json_values() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(any::<String>(), inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn the_number_of_values_is_bounded_on_both_paths() {
        let zeros = format!("{{\"a\": [{}]}}", vec!["0"; 100].join(","));
        assert!(
            parse_object(&zeros, 102).is_ok(),
            "the object, the array and 100 zeros"
        );
        assert_eq!(parse_object(&zeros, 101), Err(JsonProblem::TooManyValues));
        let refused_by_serde = format!("{{\"n\": 1e400, \"a\": [{}]}}", vec!["0"; 100].join(","));
        assert!(parse_object(&refused_by_serde, 103).is_ok());
        assert_eq!(
            parse_object(&refused_by_serde, 102),
            Err(JsonProblem::TooManyValues)
        );
    }
}
