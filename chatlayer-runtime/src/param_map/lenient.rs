//! A serde `Deserializer` over a JSON value that coerces the way Chatlayer's parameters need.
//!
//! Chatlayer sends what the bot builder mapped, and the same value may arrive as `5` or `"5"`
//! (query rows are always text; the docs' own example turns static text `5` into a number).
//! So a number target accepts a numeric string, a string target accepts a number or a bool, a
//! bool target accepts `"true"`/`"false"`, and an `Option` treats `null` and `""` as absent.
//! An object or array target also accepts a string holding JSON (how an object variable may
//! arrive in a query string). Everything else is as strict as `serde_json`.
//!
//! The coercions apply at every depth, so they also hold inside a `Params<T>` struct.

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Number, Value};

use super::json;

/// Deserializes from a borrowed JSON value with Chatlayer's lenient coercions.
#[derive(Clone, Copy)]
pub(crate) struct Lenient<'a>(pub(crate) Node<'a>);

/// A JSON value as [`Lenient`] reads it: a scalar may be borrowed from wherever it was
/// found (a parsed `Value`, or a body's text), containers are parsed values.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Node<'a> {
    Null,
    Bool(bool),
    Number(&'a Number),
    Text(&'a str),
    Array(&'a [Value]),
    Object(&'a Map<String, Value>),
}

impl<'a> From<&'a Value> for Node<'a> {
    fn from(value: &'a Value) -> Self {
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(n),
            Value::String(s) => Node::Text(s),
            Value::Array(items) => Node::Array(items),
            Value::Object(map) => Node::Object(map),
        }
    }
}

impl Node<'_> {
    /// Whether the value counts as "not sent": `null` and `""` do.
    pub(crate) fn is_absent(self) -> bool {
        matches!(self, Node::Null | Node::Text(""))
    }
}

type Error = serde_json::Error;

/// Whether a parameter value counts as "not sent": `null` and `""` do.
pub(crate) fn is_absent(value: &Value) -> bool {
    Node::from(value).is_absent()
}

impl<'a> Lenient<'a> {
    /// Reads `value`.
    pub(crate) fn of(value: &'a Value) -> Self {
        Lenient(Node::from(value))
    }

    fn unexpected(&self) -> Unexpected<'a> {
        match self.0 {
            Node::Null => Unexpected::Unit,
            Node::Bool(b) => Unexpected::Bool(b),
            Node::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => Unexpected::Unsigned(u),
                (_, Some(i), _) => Unexpected::Signed(i),
                (_, _, Some(f)) => Unexpected::Float(f),
                _ => Unexpected::Other("number"),
            },
            Node::Text(s) => Unexpected::Str(s),
            Node::Array(_) => Unexpected::Seq,
            Node::Object(_) => Unexpected::Map,
        }
    }

    fn invalid<T>(&self, expected: &dyn de::Expected) -> Result<T, Error> {
        Err(de::Error::invalid_type(self.unexpected(), expected))
    }

    /// A number, from a JSON number or from text that parses as one.
    fn number(&self) -> Option<Number> {
        match self.0 {
            Node::Number(n) => Some(n.clone()),
            Node::Text(text) => parse_number(text.trim()),
            _ => None,
        }
    }

    /// A string holding JSON, decoded, for object and array targets.
    fn embedded_json(&self) -> Option<Value> {
        match self.0 {
            Node::Text(text) => {
                let trimmed = text.trim_start();
                if trimmed.starts_with('{') || trimmed.starts_with('[') {
                    serde_json::from_str(text).ok()
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}

fn parse_number(text: &str) -> Option<Number> {
    if let Ok(unsigned) = text.parse::<u64>() {
        return Some(unsigned.into());
    }
    if let Ok(signed) = text.parse::<i64>() {
        return Some(signed.into());
    }
    // `f64::from_str` also accepts "inf" and "NaN", which no bot builder means as a number.
    text.parse::<f64>()
        .ok()
        .filter(|float| float.is_finite())
        .and_then(Number::from_f64)
}

/// Calls the visitor's integer method that fits the number, letting serde range-check it.
fn visit_integer<'de, V: Visitor<'de>>(
    lenient: &Lenient<'_>,
    visitor: V,
) -> Result<V::Value, Error> {
    let Some(number) = lenient.number() else {
        return lenient.invalid(&visitor);
    };
    if let Some(unsigned) = number.as_u64() {
        visitor.visit_u64(unsigned)
    } else if let Some(signed) = number.as_i64() {
        visitor.visit_i64(signed)
    } else {
        // A float with no fractional part (`5.0`) is a fine integer; `5.5` is not.
        let float = number.as_f64().unwrap_or(f64::NAN);
        if float.fract() == 0.0 && float.abs() < 9.0e15 {
            visitor.visit_i64(float as i64)
        } else {
            Err(de::Error::invalid_value(Unexpected::Float(float), &visitor))
        }
    }
}

impl<'de> Deserializer<'de> for Lenient<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Node::Null => visitor.visit_unit(),
            Node::Bool(b) => visitor.visit_bool(b),
            Node::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Node::Text(s) => visitor.visit_str(s),
            Node::Array(items) => visit_array(items, visitor),
            Node::Object(map) => visit_object(map, visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Node::Bool(b) => visitor.visit_bool(b),
            Node::Text(text) => match text.trim() {
                t if t.eq_ignore_ascii_case("true") => visitor.visit_bool(true),
                t if t.eq_ignore_ascii_case("false") => visitor.visit_bool(false),
                _ => self.invalid(&visitor),
            },
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visit_integer(&self, visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visit_integer(&self, visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visit_integer(&self, visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visit_integer(&self, visitor)
    }
    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visit_integer(&self, visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visit_integer(&self, visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visit_integer(&self, visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visit_integer(&self, visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visit_integer(&self, visitor)
    }
    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visit_integer(&self, visitor)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.number().and_then(|n| n.as_f64()) {
            Some(float) => visitor.visit_f64(float),
            None => self.invalid(&visitor),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Node::Text(text) => visitor.visit_str(text),
            Node::Number(n) => visitor.visit_string(n.to_string()),
            Node::Bool(b) => visitor.visit_str(if b { "true" } else { "false" }),
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.0.is_absent() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Node::Null => visitor.visit_unit(),
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match (self.0, self.embedded_json()) {
            (Node::Array(items), _) => visit_array(items, visitor),
            (_, Some(Value::Array(items))) => visit_array(&items, visitor),
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match (self.0, self.embedded_json()) {
            (Node::Object(map), _) => visit_object(map, visitor),
            (_, Some(Value::Object(map))) => visit_object(&map, visitor),
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // A struct may also be sent as the array of its fields in order, as serde_json
        // reads it.
        match self.0 {
            Node::Array(items) => visit_array(items, visitor),
            _ => self.deserialize_map(visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Node::Text(variant) => visitor.visit_enum(variant.into_deserializer()),
            Node::Object(map) if map.len() == 1 => {
                let (variant, content) = map.iter().next().expect("one entry");
                visitor.visit_enum(LenientEnum { variant, content })
            }
            _ => self.invalid(&visitor),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

fn visit_array<'de, V: Visitor<'de>>(items: &[Value], visitor: V) -> Result<V::Value, Error> {
    let mut access = LenientSeq {
        items: items.iter(),
    };
    let value = visitor.visit_seq(&mut access)?;
    if access.items.len() == 0 {
        Ok(value)
    } else {
        Err(de::Error::invalid_length(
            items.len(),
            &"fewer elements in the array",
        ))
    }
}

fn visit_object<'de, V: Visitor<'de>>(
    map: &Map<String, Value>,
    visitor: V,
) -> Result<V::Value, Error> {
    visitor.visit_map(LenientMap::new(
        map.iter()
            .map(|(key, value)| (key.as_str(), Sent::Value(value))),
    ))
}

struct LenientSeq<'a> {
    items: std::slice::Iter<'a, Value>,
}

impl<'de> SeqAccess<'de> for LenientSeq<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some(item) => seed.deserialize(Lenient::of(item)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// Map access over `(key, value)` pairs. Entries whose value is absent (`null`, `""`) are
/// skipped, so a struct field that Chatlayer sent empty behaves as if it was not sent:
/// `Option` fields become `None`, `#[serde(default)]` applies, required fields are missing.
pub(crate) struct LenientMap<'a, I> {
    entries: I,
    pending: Option<Sent<'a>>,
}

impl<'a, I: Iterator<Item = (&'a str, Sent<'a>)>> LenientMap<'a, I> {
    pub(crate) fn new(entries: I) -> Self {
        LenientMap {
            entries,
            pending: None,
        }
    }
}

impl<'de, 'a, I: Iterator<Item = (&'a str, Sent<'a>)>> MapAccess<'de> for LenientMap<'a, I> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        for (key, value) in self.entries.by_ref() {
            if value.is_absent() {
                continue;
            }
            self.pending = Some(value);
            return seed.deserialize(key.into_deserializer()).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .pending
            .take()
            .ok_or_else(|| <Error as de::Error>::custom("value requested before its key"))?;
        value.read_seed(seed)
    }
}

struct LenientEnum<'a> {
    variant: &'a String,
    content: &'a Value,
}

impl<'de, 'a> EnumAccess<'de> for LenientEnum<'a> {
    type Error = Error;
    type Variant = Lenient<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Lenient<'a>), Error> {
        let variant = seed.deserialize(self.variant.as_str().into_deserializer())?;
        Ok((variant, Lenient::of(self.content)))
    }
}

impl<'de> VariantAccess<'de> for Lenient<'_> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.0 {
            Node::Null => Ok(()),
            _ => self.invalid(&"a unit variant"),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }
}

/// A deserializer for a parameter that was not sent: `Option` targets become `None`, anything
/// else fails (the caller reports it as a missing parameter).
pub(crate) struct Absent;

impl<'de> Deserializer<'de> for Absent {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("missing"))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_none()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// One parameter's value, wherever it is kept.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Sent<'a> {
    /// A value read already (a query or form parameter, or a body read whole).
    Value(&'a Value),
    /// The JSON text of a scanned body's value.
    Json {
        text: &'a str,
        /// Whether nothing below its top is `null` or `""` (see [`RawEntry::plain`]).
        plain: bool,
    },
}

impl<'a> Sent<'a> {
    /// Whether the value counts as "not sent": `null` and `""` do.
    pub(crate) fn is_absent(self) -> bool {
        match self {
            Sent::Value(value) => is_absent(value),
            Sent::Json { text, .. } => text == "null" || text == "\"\"",
        }
    }

    /// Whether the value is `null`.
    pub(crate) fn is_null(self) -> bool {
        match self {
            Sent::Value(value) => value.is_null(),
            Sent::Json { text, .. } => text == "null",
        }
    }

    /// Calls `read` with the value as a [`Node`]: scalars are borrowed or parsed in place;
    /// a container is parsed into a `Value` first.
    pub(crate) fn with_node<R>(self, read: impl FnOnce(Node<'_>) -> R) -> R {
        let text = match self {
            Sent::Value(value) => return read(Node::from(value)),
            Sent::Json { text, .. } => text,
        };
        match text.as_bytes().first() {
            Some(b'"') => {
                let inner = &text[1..text.len() - 1];
                if inner.contains('\\') {
                    read(Node::Text(&json::decode_string(text)))
                } else {
                    read(Node::Text(inner))
                }
            }
            Some(b't') => read(Node::Bool(true)),
            Some(b'f') => read(Node::Bool(false)),
            Some(b'n') => read(Node::Null),
            Some(b'{' | b'[') => read(Node::from(&json::parse_value(text))),
            // A number beyond `f64` stays text, as the full reader keeps it.
            _ => match text.parse::<Number>() {
                Ok(number) => read(Node::Number(&number)),
                Err(_) => read(Node::Text(text)),
            },
        }
    }

    /// Reads the value through `seed` with the lenient coercions.
    pub(crate) fn read_seed<'de, S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<S::Value, serde_json::Error> {
        self.with_node(|node| seed.deserialize(Lenient(node)))
    }

    /// The JSON text of an object or array whose reading by serde_json gives what the
    /// lenient reading gives whenever serde_json succeeds: so it can be tried first, and
    /// saves building a `Value` of it.
    pub(crate) fn plain_container(self) -> Option<&'a str> {
        match self {
            Sent::Json { text, plain: true } if text.starts_with(['{', '[']) => Some(text),
            _ => None,
        }
    }
}
