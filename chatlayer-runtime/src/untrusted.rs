//! [`Untrusted`]: text the caller controls (parameter names and values, header values),
//! shown in logs and error messages only truncated and escaped, so that a caller can neither
//! forge log lines (a newline), write raw control bytes, nor make one request produce
//! megabytes of log or of error body.

use std::fmt;

/// How many characters of a caller's text are shown; the rest is counted, not shown.
pub(crate) const SHOWN_CHARS: usize = 64;

/// Caller-controlled text for a log line or an error message: `"like this"`, with control
/// characters, quotes and backslashes escaped as in Rust, cut after [`SHOWN_CHARS`]
/// characters with the number of characters left out.
#[derive(Clone, Copy)]
pub(crate) struct Untrusted<'a>(pub(crate) &'a str);

impl Untrusted<'_> {
    /// The text escaped and cut, without quotes: for a field that names it (an error's
    /// `parameter`). A cut text ends with `...`.
    pub(crate) fn escaped(&self) -> String {
        let mut shown = String::new();
        let mut chars = self.0.chars();
        for c in chars.by_ref().take(SHOWN_CHARS) {
            shown.extend(c.escape_debug());
        }
        if chars.next().is_some() {
            shown.push_str("...");
        }
        shown
    }
}

impl fmt::Display for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        let mut chars = self.0.chars();
        for c in chars.by_ref().take(SHOWN_CHARS) {
            write!(f, "{}", c.escape_debug())?;
        }
        let rest = chars.count();
        f.write_str("\"")?;
        if rest > 0 {
            write!(f, " (and {rest} more characters)")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// How many characters of a message (which may quote what a caller sent) an error body or
/// a log line shows.
pub(crate) const MESSAGE_CHARS: usize = 500;

/// Text that may quote a caller (an error's message, a step's own words), bounded for one
/// log line or an error body: control characters escaped, cut after `.1` characters with
/// the number left out. Unlike [`Untrusted`], not quoted: it is prose.
#[derive(Clone, Copy)]
pub(crate) struct Bounded<'a>(pub(crate) &'a str, pub(crate) usize);

impl Bounded<'_> {
    /// A message, at most [`MESSAGE_CHARS`] characters.
    pub(crate) fn message(text: &str) -> Bounded<'_> {
        Bounded(text, MESSAGE_CHARS)
    }
}

impl fmt::Display for Bounded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.0.chars();
        for c in chars.by_ref().take(self.1) {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        let rest = chars.count();
        if rest > 0 {
            write!(f, "... ({rest} more characters)")?;
        }
        Ok(())
    }
}

/// A caller's identifier (a session id) for a `name=value` log field: shown as it is when
/// it is a plain token (ASCII letters, digits and `-_.:@/+`, as ids are), else quoted and
/// escaped as [`Untrusted`] is, so that `s3" status=999` can never pass for fields of the
/// line. At most `max` characters are shown. A plain id is copied as one run of text, not
/// formatted character by character: it is on every request's access line.
pub(crate) fn log_token(text: &str, max: usize) -> String {
    let plain = |byte: &u8| byte.is_ascii_alphanumeric() || b"-_.:@/+".contains(byte);
    if !text.is_empty() && text.bytes().all(|byte| plain(&byte)) {
        // Plain text is ASCII: characters are bytes.
        if text.len() <= max {
            return text.to_owned();
        }
        return format!("{}... ({} more characters)", &text[..max], text.len() - max);
    }
    let mut shown = String::with_capacity(text.len().min(max) + 2);
    shown.push('"');
    let mut chars = text.chars();
    for c in chars.by_ref().take(max) {
        shown.extend(c.escape_debug());
    }
    shown.push('"');
    let rest = chars.count();
    if rest > 0 {
        shown.push_str(&format!(" (and {rest} more characters)"));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_tokens_are_plain_or_quoted_never_fields() {
        assert_eq!(log_token("s-1", 128), "s-1");
        assert_eq!(log_token("user@example.com", 128), "user@example.com");
        assert_eq!(
            log_token(r#"s3" status=999 code="forged"#, 128),
            r#""s3\" status=999 code=\"forged""#
        );
        assert_eq!(log_token("a b", 128), r#""a b""#);
        assert_eq!(log_token("", 128), r#""""#);
        assert_eq!(log_token("a\nb", 128), r#""a\nb""#);
        assert_eq!(log_token("abcdef", 3), "abc... (3 more characters)");
        assert_eq!(log_token("é é", 2), "\"é \" (and 1 more characters)");
    }

    #[test]
    fn bounded_prose_keeps_quotes_and_escapes_controls() {
        assert_eq!(Bounded("a \"b\"\nc", 100).to_string(), "a \"b\"\\nc");
        assert_eq!(
            Bounded("abcdef", 3).to_string(),
            "abc... (3 more characters)"
        );
    }

    #[test]
    fn escapes_what_could_forge_a_line_and_cuts_what_is_long() {
        assert_eq!(Untrusted("sku").to_string(), r#""sku""#);
        assert_eq!(
            Untrusted("a\nlevel=ERROR \"b\"\0").to_string(),
            r#""a\nlevel=ERROR \"b\"\0""#
        );
        let long = "x".repeat(1_000_000);
        let shown = Untrusted(&long).to_string();
        assert!(shown.len() < 120, "{}", shown.len());
        assert!(shown.ends_with(" (and 999936 more characters)"), "{shown}");
        assert_eq!(Untrusted(&long).escaped().len(), SHOWN_CHARS + 3);
        assert_eq!(Untrusted("E\u{7}mail").escaped(), r"E\u{7}mail");
    }
}
