//! JavaScript regular expressions, as Botium's `TEXT_REGEXP_*` asserters and its `regexp`
//! matching mode write them (`new RegExp(pattern, ignoreCase ? 'i' : '')`), run with the
//! `regex` crate.
//!
//! Where the two read the same syntax differently, the pattern is rewritten to mean what
//! JavaScript means: `\d`, `\w` and `\b` are ASCII in JavaScript (Unicode in `regex`), `.`
//! stops at every JavaScript line terminator (`\n`, `\r`, U+2028, U+2029), `[` inside a class
//! is a literal, and `\b` inside a class is a backspace. What `regex` cannot run
//! (lookaround, backreferences) or JavaScript reads in a way this does not model (`[]`,
//! `[^]`) is refused with the reason, never run as something else.

use regex::{Regex, RegexBuilder};

/// The pattern compiled to match as JavaScript's `RegExp` would, or why it cannot be.
pub(crate) fn compile(pattern: &str, ignore_case: bool) -> Result<Regex, String> {
    let translated = translate(pattern)?;
    RegexBuilder::new(&translated)
        .case_insensitive(ignore_case)
        .build()
        .map_err(|error| {
            let reason = error.to_string();
            let last = reason.lines().rev().find(|line| !line.trim().is_empty());
            format!(
                "the regular expression `{pattern}` cannot run here: {}",
                last.unwrap_or(&reason).trim().trim_start_matches("error: ")
            )
        })
}

/// `pattern` in the `regex` crate's syntax, with JavaScript's meaning.
fn translate(pattern: &str) -> Result<String, String> {
    let refuse = |what: &str| {
        Err(format!(
            "the regular expression `{pattern}` uses {what}, which this runner does not run"
        ))
    };
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    // Whether the next character is the first of a class (after `[` or `[^`).
    let mut class_start = false;
    while let Some(c) = chars.next() {
        let first_in_class = std::mem::take(&mut class_start);
        match c {
            '\\' => {
                let Some(escaped) = chars.next() else {
                    return refuse("a `\\` at its end");
                };
                match (escaped, in_class) {
                    ('d' | 'D' | 'w' | 'W' | 'b' | 'B', false) => {
                        out.push_str(&format!("(?-u:\\{escaped})"));
                    }
                    ('d', true) => out.push_str("0-9"),
                    ('D', true) => out.push_str("[^0-9]"),
                    ('w', true) => out.push_str("A-Za-z0-9_"),
                    ('W', true) => out.push_str("[^A-Za-z0-9_]"),
                    ('b', true) => out.push_str("\\x08"),
                    ('1'..='9', _) => return refuse("a backreference"),
                    ('k', false) if chars.peek() == Some(&'<') => {
                        return refuse("a named backreference");
                    }
                    ('c', _) => return refuse("a control-character escape (`\\c`)"),
                    ('0', _) => out.push_str("\\x00"),
                    // Everything else (`\s`, `\n`, `\t`, `\uXXXX`, `\x41`, `\.`, `\/`) reads
                    // the same in both.
                    (other, _) => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            '[' if in_class => out.push_str("\\["),
            '[' => {
                in_class = true;
                class_start = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
                if chars.peek() == Some(&']') {
                    return refuse("an empty class (`[]` or `[^]`)");
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            // Set operators in `regex` classes are literals in JavaScript's.
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '-' if in_class && !first_in_class && chars.peek() == Some(&'-') => {
                return refuse("`--` inside a class");
            }
            '.' if !in_class => out.push_str("[^\\n\\r\\x{2028}\\x{2029}]"),
            '(' if !in_class && chars.peek() == Some(&'?') => {
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with("?=")
                    || rest.starts_with("?!")
                    || rest.starts_with("?<=")
                    || rest.starts_with("?<!")
                {
                    return refuse("a lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`)");
                }
                out.push('(');
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        compile(pattern, false).unwrap().is_match(text)
    }

    #[test]
    fn it_matches_as_javascript_does() {
        // Botium's own test: TEXT_REGEXP_ANY id1_\d\d\d|id2_\d\d\d.
        assert!(matches(r"id1_\d\d\d", "my ID is id1_123"));
        assert!(!matches(r"id2_\d\d\d", "my ID is id1_123"));
        // ASCII \d and \w, as in JavaScript.
        assert!(!matches(r"^\d$", "٣"));
        assert!(!matches(r"^\w$", "é"));
        assert!(matches(r"^[\d]+$", "42"));
        assert!(!matches(r"^[\w]$", "é"));
        // `.` stops at \r as well as \n.
        assert!(!matches("a.b", "a\rb"));
        assert!(matches("a.b", "a-b"));
        // A `[` in a class, and a set operator, are literals.
        assert!(matches("^[[]$", "["));
        assert!(matches("^[a&&b]+$", "a&b"));
        assert!(compile("HELLO", true).unwrap().is_match("hello there"));
    }

    #[test]
    fn what_cannot_run_the_same_is_refused() {
        for (pattern, why) in [
            ("(?=x)", "lookaround"),
            ("(?<!x)y", "lookaround"),
            (r"(a)\1", "backreference"),
            ("[]", "empty class"),
            ("[^]", "empty class"),
            ("a{", "cannot run here"),
        ] {
            let error = compile(pattern, false).unwrap_err();
            assert!(error.contains(why), "{pattern}: {error}");
            assert!(error.contains(&format!("`{pattern}`")), "{error}");
        }
    }
}
