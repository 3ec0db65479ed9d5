//! Compile-time validation of step paths, so that axum never panics at start-up over a path
//! and the user sees the mistake under their own string literal.

use proc_macro2::Span;
use syn::LitStr;

use crate::errors::Errors;

const ALLOWED: &str = "ASCII letters, digits, '-', '_', '.' and '~'";

/// Checks `literal` (the value of a step's path) and reports every problem in it.
pub(crate) fn validate(literal: &LitStr, errors: &Errors) {
    let path = literal.value();
    if path.is_empty() {
        errors.at(
            literal.span(),
            "a step path cannot be empty\n\
             help: write the path Chatlayer calls, starting with '/', e.g. \"/order\"",
        );
        return;
    }
    if !path.starts_with('/') {
        errors.at(
            char_span(literal, &path, 0),
            format!(
                "a step path must start with '/'\n\
                 help: write \"/{path}\""
            ),
        );
        // Keep checking the segments: every problem is reported at once.
    }
    if path == "/" {
        return;
    }
    let body = path.strip_prefix('/').unwrap_or(&path);
    let body_offset = path.len() - body.len();
    let mut offset = body_offset;
    for segment in body.split('/') {
        check_segment(literal, &path, segment, offset, errors);
        offset += segment.len() + 1;
    }
}

fn check_segment(literal: &LitStr, path: &str, segment: &str, offset: usize, errors: &Errors) {
    if segment.is_empty() {
        let at = offset.min(path.len().saturating_sub(1));
        let (what, help) = if offset >= path.len() {
            ("a trailing '/'", "remove the trailing '/'")
        } else {
            ("an empty segment ('//')", "remove the extra '/'")
        };
        errors.at(
            char_span(literal, path, at),
            format!(
                "step path {} has {what}\n{}\nhelp: {help}",
                quoted(path),
                caret(path, at)
            ),
        );
        return;
    }
    if segment == "." || segment == ".." {
        errors.at(
            char_span(literal, path, offset),
            format!(
                "step path {} has a '{segment}' segment, which HTTP clients resolve away\n{}\n\
                 help: spell the path out without '.' or '..' segments",
                quoted(path),
                caret(path, offset)
            ),
        );
        return;
    }
    let first = segment.as_bytes()[0];
    if first == b':' || first == b'*' {
        errors.at(
            char_span(literal, path, offset),
            format!(
                "step path {} uses the `{}{}` segment syntax of axum 0.7, which axum 0.8 rejects\n{}\n\
                 help: Chatlayer sends parameters in the query string or the body, not in the path: \
                 use a fixed path such as \"/order\" and map `{}` as a parameter row in the API step",
                quoted(path),
                first as char,
                &segment[1..],
                caret(path, offset),
                &segment[1..],
            ),
        );
        return;
    }
    if let Some((index, bad)) = segment
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')))
    {
        let at = offset + index;
        let help = match bad {
            '{' | '}' => "path parameters are not supported: Chatlayer sends parameters in the \
                          query string or the body, so map them as Query or Body rows in the API step"
                .to_owned(),
            '?' => "the query string is not part of the path: Chatlayer's Query rows arrive as \
                    parameters on their own"
                .to_owned(),
            _ => format!("path segments may contain {ALLOWED}"),
        };
        errors.at(
            char_span(literal, path, at),
            format!(
                "step path {} contains {}, which is not allowed in a path\n{}\nhelp: {help}",
                quoted(path),
                describe_char(bad),
                caret(path, at)
            ),
        );
    }
}

fn describe_char(c: char) -> String {
    if c.is_whitespace() {
        format!("whitespace ({:?})", c)
    } else {
        format!("the character '{c}'")
    }
}

fn quoted(path: &str) -> String {
    format!("\"{path}\"")
}

/// A two-line picture of where in the path the problem is: the quoted path, then a caret.
fn caret(path: &str, byte_offset: usize) -> String {
    let column = path[..byte_offset.min(path.len())].chars().count() + 1;
    format!("  {}\n  {}^ here", quoted(path), " ".repeat(column))
}

/// The span of one character of the literal when the compiler can produce it (nightly),
/// otherwise the literal's whole span.
fn char_span(literal: &LitStr, path: &str, byte_offset: usize) -> Span {
    let token = literal.token();
    let source = token.to_string();
    // Sub-spans are only exact when the source text is the plain quoted value.
    if source == quoted(path) {
        let start = byte_offset + 1;
        let end = start + path[byte_offset..].chars().next().map_or(1, char::len_utf8);
        if let Some(span) = token.subspan(start..end) {
            return span;
        }
    }
    literal.span()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(path: &str) -> Vec<String> {
        let errors = Errors::new();
        validate(&LitStr::new(path, Span::call_site()), &errors);
        let tokens = errors.into_compile_errors().to_string();
        tokens
            .split("compile_error")
            .skip(1)
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn accepts_ordinary_paths() {
        for path in [
            "/",
            "/order",
            "/route/opening-hours",
            "/v1/orders.status",
            "/a_b~c",
        ] {
            assert!(messages(path).is_empty(), "{path} should be valid");
        }
    }

    #[test]
    fn rejects_each_rule_with_a_reason() {
        let cases = [
            ("order", "must start with '/'"),
            ("", "cannot be empty"),
            ("/order/", "trailing '/'"),
            ("/a//b", "empty segment"),
            ("/orders/:id", "axum 0.7"),
            ("/files/*rest", "axum 0.7"),
            ("/orders/{id}", "path parameters are not supported"),
            ("/order?x=1", "query string is not part of the path"),
            ("/or der", "whitespace"),
            ("/../x", "'..' segment"),
        ];
        for (path, expected) in cases {
            let found = messages(path);
            assert!(
                found.iter().any(|message| message.contains(expected)),
                "{path:?}: expected {expected:?} in {found:?}"
            );
        }
    }

    #[test]
    fn reports_every_problem_at_once() {
        assert_eq!(messages("order//:id").len(), 3);
    }
}
