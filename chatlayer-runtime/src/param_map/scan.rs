//! A JSON object body, checked whole and cut into its top-level entries without building a
//! single value: each entry keeps where its value's text is, and a step's argument later
//! reads exactly that text into its own type (see [`super::sent`]).
//!
//! Checking is as strict as reading: the grammar of JSON, the app's limit on the number of
//! values and the depth limit hold here, before any argument is read, exactly as they did
//! when the whole body was read into a map. The scan accepts what [`super::json`]'s tolerant
//! reader accepts (numbers beyond `f64`, lone surrogates, deep nesting); anything it does not
//! accept, including a body that is not an object, goes the old way (through
//! `json::parse_object`), which says exactly what is wrong.

use std::ops::Range;

use super::json::{JsonProblem, MAX_DEPTH};

/// The bytes that end a run of plain characters in a string: its closing quote, an escape,
/// and the control characters JSON does not allow there.
const ENDS_RUN: [bool; 256] = {
    let mut ends = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        ends[byte] = true;
        byte += 1;
    }
    ends[b'"' as usize] = true;
    ends[b'\\' as usize] = true;
    ends
};

/// One `"key": value` of the body's top-level object.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RawEntry {
    pub(crate) key: Key,
    /// Where the value's JSON text is in the body.
    pub(crate) value: Range<usize>,
    /// Whether nothing inside the value (below its top) is `null` or `""`: for such a value
    /// serde_json's own reading gives what the lenient reading gives, whenever it succeeds.
    pub(crate) plain: bool,
}

/// A key as sent: most keys have no escape, and are kept as where they are in the body.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Key {
    At(Range<usize>),
    Decoded(Box<str>),
}

impl Key {
    /// The key's text, given the body it was scanned from.
    pub(crate) fn text<'a>(&'a self, body: &'a str) -> &'a str {
        match self {
            Key::At(range) => &body[range.clone()],
            Key::Decoded(text) => text,
        }
    }

    /// Whether the key is `name` (lengths first: most keys differ in length).
    pub(crate) fn is(&self, name: &str, body: &str) -> bool {
        match self {
            Key::At(range) => {
                range.len() == name.len() && body.as_bytes()[range.clone()] == *name.as_bytes()
            }
            Key::Decoded(text) => **text == *name,
        }
    }
}

/// What a scan found.
#[derive(Debug, PartialEq)]
pub(crate) enum Scanned {
    /// An object within the limits: its entries in the order sent.
    Object(Vec<RawEntry>),
    /// Not an object, or not JSON at all: the caller reads it the old way, which says what.
    Other,
}

/// Scans `text` (a leading byte-order mark allowed) as a JSON object of at most `limit`
/// values, itself included, nested at most [`MAX_DEPTH`] levels.
pub(crate) fn scan(text: &str, limit: usize) -> Result<Scanned, JsonProblem> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        at: start,
        values: 0,
        limit,
        open: Open {
            bits: [0; MAX_DEPTH.div_ceil(64)],
            depth: 0,
        },
    };
    match scanner.object(text) {
        Ok(entries) => Ok(Scanned::Object(entries)),
        Err(Stop::Limit(problem)) => Err(problem),
        Err(Stop::NotHandled) => Ok(Scanned::Other),
    }
}

/// Why a scan stopped early.
enum Stop {
    /// Over a limit: the request is refused as the limit says.
    Limit(JsonProblem),
    /// Anything else: not for the scan to judge.
    NotHandled,
}

type Step<T> = Result<T, Stop>;

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Values seen so far.
    values: usize,
    limit: usize,
    /// The containers open inside the top-level value being scanned.
    open: Open,
}

/// The containers open inside one top-level value, one bit each (set: an object).
struct Open {
    bits: [u64; MAX_DEPTH.div_ceil(64)],
    depth: usize,
}

impl Open {
    fn push(&mut self, object: bool) {
        let (word, bit) = (self.depth / 64, self.depth % 64);
        if object {
            self.bits[word] |= 1 << bit;
        } else {
            self.bits[word] &= !(1 << bit);
        }
        self.depth += 1;
    }

    fn innermost_is_object(&self) -> bool {
        let top = self.depth - 1;
        self.bits[top / 64] & (1 << (top % 64)) != 0
    }
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Step<()> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Stop::NotHandled)
        }
    }

    /// Counts one more value against the limit.
    fn count(&mut self) -> Step<()> {
        self.values += 1;
        if self.values > self.limit {
            return Err(Stop::Limit(JsonProblem::TooManyValues));
        }
        Ok(())
    }

    /// The whole body: one object, then nothing but space.
    fn object(&mut self, text: &str) -> Step<Vec<RawEntry>> {
        self.skip_space();
        self.expect(b'{')?;
        self.count()?;
        let mut entries = Vec::new();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
        } else {
            loop {
                let key = self.key(text)?;
                self.skip_space();
                self.expect(b':')?;
                self.skip_space();
                let start = self.at;
                let plain = self.value()?;
                entries.push(RawEntry {
                    key,
                    value: start..self.at,
                    plain,
                });
                self.skip_space();
                match self.peek() {
                    Some(b',') => {
                        self.at += 1;
                        self.skip_space();
                    }
                    Some(b'}') => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(Stop::NotHandled),
                }
            }
        }
        self.skip_space();
        if self.at != self.bytes.len() {
            return Err(Stop::NotHandled);
        }
        Ok(entries)
    }

    /// A top-level key: where it is, or its text decoded when it holds an escape.
    fn key(&mut self, text: &str) -> Step<Key> {
        let start = self.at;
        let escaped = self.string()?;
        Ok(if escaped {
            Key::Decoded(super::json::decode_string(&text[start..self.at]).into_boxed_str())
        } else {
            Key::At(start + 1..self.at - 1)
        })
    }

    /// One top-level value, whatever it nests (inside the body's object, so one level deep
    /// already); whether it is plain (see [`RawEntry::plain`]).
    fn value(&mut self) -> Step<bool> {
        // Every container a value opens it closes, or the scan stops: so `open` is empty
        // here, and its bits are set before they are read.
        debug_assert_eq!(self.open.depth, 0);
        let mut plain = true;
        loop {
            // At the start of a value.
            self.count()?;
            match self.peek() {
                Some(opening @ (b'{' | b'[')) => {
                    // The body's object is one level.
                    if self.open.depth + 1 == MAX_DEPTH {
                        return Err(Stop::Limit(JsonProblem::TooDeep));
                    }
                    self.at += 1;
                    self.skip_space();
                    let closing = if opening == b'{' { b'}' } else { b']' };
                    if self.peek() == Some(closing) {
                        self.at += 1;
                    } else {
                        self.open.push(opening == b'{');
                        if opening == b'{' {
                            self.member_key()?;
                        }
                        continue;
                    }
                }
                Some(b'"') => {
                    let start = self.at;
                    self.string()?;
                    if self.open.depth > 0 && self.at - start == 2 {
                        plain = false;
                    }
                }
                Some(b't') => self.word(b"true")?,
                Some(b'f') => self.word(b"false")?,
                Some(b'n') => {
                    self.word(b"null")?;
                    if self.open.depth > 0 {
                        plain = false;
                    }
                }
                Some(b'-' | b'0'..=b'9') => self.number()?,
                _ => return Err(Stop::NotHandled),
            }
            // After a value: close what it ends, until another value starts.
            loop {
                if self.open.depth == 0 {
                    return Ok(plain);
                }
                self.skip_space();
                let object = self.open.innermost_is_object();
                match self.peek() {
                    Some(b',') => {
                        self.at += 1;
                        self.skip_space();
                        if object {
                            self.member_key()?;
                        }
                        break;
                    }
                    Some(b'}') if object => self.open.depth -= 1,
                    Some(b']') if !object => self.open.depth -= 1,
                    _ => return Err(Stop::NotHandled),
                }
                self.at += 1;
            }
        }
    }

    /// A key inside a nested object, and its colon.
    fn member_key(&mut self) -> Step<()> {
        self.string()?;
        self.skip_space();
        self.expect(b':')?;
        self.skip_space();
        Ok(())
    }

    fn word(&mut self, word: &[u8]) -> Step<()> {
        if self.bytes[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(Stop::NotHandled)
        }
    }

    /// A string with JSON's grammar; whether it holds an escape.
    fn string(&mut self) -> Step<bool> {
        self.expect(b'"')?;
        let mut escaped = false;
        loop {
            // Most of a body is the text of its strings: one tight loop finds where a run of
            // plain characters ends.
            let mut end = self.at;
            while let Some(&byte) = self.bytes.get(end)
                && !ENDS_RUN[usize::from(byte)]
            {
                end += 1;
            }
            let &stop = self.bytes.get(end).ok_or(Stop::NotHandled)?;
            self.at = end + 1;
            match stop {
                b'"' => return Ok(escaped),
                b'\\' => {
                    escaped = true;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.at += 1;
                        }
                        Some(b'u') => {
                            let digits = self.bytes.get(self.at + 1..self.at + 5);
                            if !digits.is_some_and(|d| d.iter().all(u8::is_ascii_hexdigit)) {
                                return Err(Stop::NotHandled);
                            }
                            self.at += 5;
                        }
                        _ => return Err(Stop::NotHandled),
                    }
                }
                _ => return Err(Stop::NotHandled),
            }
        }
    }

    /// A number with JSON's grammar (whatever its size).
    fn number(&mut self) -> Step<()> {
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(Stop::NotHandled),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.one_or_more_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.one_or_more_digits()?;
        }
        Ok(())
    }

    fn one_or_more_digits(&mut self) -> Step<()> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(Stop::NotHandled);
        }
        self.digits();
        Ok(())
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Vec<(String, String, bool)> {
        match scan(text, 1_000_000) {
            Ok(Scanned::Object(entries)) => entries
                .into_iter()
                .map(|entry| {
                    (
                        entry.key.text(text).to_owned(),
                        text[entry.value].to_owned(),
                        entry.plain,
                    )
                })
                .collect(),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn entries_keep_their_text_and_order() {
        let text = r#" { "sku" : "A1", "n":2, "user":{"a":[1,{"b":true}]}, "x\"y": [] ,"e":""} "#;
        assert_eq!(
            entries(text),
            [
                ("sku".into(), r#""A1""#.into(), true),
                ("n".into(), "2".into(), true),
                ("user".into(), r#"{"a":[1,{"b":true}]}"#.into(), true),
                ("x\"y".into(), "[]".into(), true),
                ("e".into(), r#""""#.into(), true),
            ]
        );
        assert_eq!(entries("{}"), []);
        assert_eq!(entries("\u{feff}{\"a\": 1}").len(), 1);
    }

    #[test]
    fn null_or_empty_text_inside_a_value_makes_it_not_plain() {
        for (text, plain) in [
            (r#"{"v": {"a": null}}"#, false),
            (r#"{"v": ["", 1]}"#, false),
            (r#"{"v": [{"a": {"b": ""}}]}"#, false),
            (r#"{"v": {"a": "null", "b": " "}}"#, true),
            (r#"{"v": null}"#, true),
        ] {
            assert_eq!(entries(text)[0].2, plain, "{text}");
        }
    }

    #[test]
    fn what_json_refuses_is_left_to_the_full_reader() {
        for text in [
            "[1]",
            "\"a\"",
            "",
            r#"{"a": }"#,
            r#"{"a": 1,}"#,
            r#"{"a": [1,]}"#,
            "{'a': 1}",
            r#"{"a": 01}"#,
            r#"{"a": 1.}"#,
            r#"{"a": -}"#,
            r#"{"a": 1e}"#,
            r#"{"a": "\u12g4"}"#,
            r#"{"a": "\x"}"#,
            "{\"a\": \"\u{1}\"}",
            r#"{"a": 1} x"#,
            r#"{"a": [1}"#,
            r#"{"a": {"b" 1}}"#,
            r#"{"a": tru}"#,
            r#"{"a": "open"#,
        ] {
            assert_eq!(scan(text, 100), Ok(Scanned::Other), "{text}");
        }
    }

    #[test]
    fn what_serde_json_refuses_but_is_json_is_scanned() {
        let digits = "9".repeat(5000);
        let text = format!(r#"{{"big": {digits}, "f": 1e400, "s": "\ud800", "d": -0.5E+3}}"#);
        assert_eq!(entries(&text).len(), 4);
    }

    #[test]
    fn limits_hold_as_the_full_reader_counts_them() {
        let zeros = format!("{{\"a\": [{}]}}", vec!["0"; 100].join(","));
        assert!(matches!(scan(&zeros, 102), Ok(Scanned::Object(_))));
        assert_eq!(scan(&zeros, 101), Err(JsonProblem::TooManyValues));
        let nested =
            |depth: usize| format!("{{\"a\": {}0{}}}", "[".repeat(depth), "]".repeat(depth));
        assert!(matches!(
            scan(&nested(MAX_DEPTH - 1), usize::MAX),
            Ok(Scanned::Object(_))
        ));
        assert_eq!(
            scan(&nested(MAX_DEPTH), usize::MAX),
            Err(JsonProblem::TooDeep)
        );
    }
}
