//! The W3C Trace Context `traceparent` header: the caller's trace a request belongs to.
//!
//! `version-traceid-parentid-flags`, e.g.
//! `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`: lowercase hexadecimal, neither
//! id all zeros, version `ff` invalid, and a later version may add fields after the flags.
//! A header that breaks these rules is ignored, as the specification says: the request then
//! starts a trace of its own.

use axum::http::HeaderMap;

/// The header's name.
pub(crate) const TRACEPARENT: &str = "traceparent";

/// A valid `traceparent`: borrowed from the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TraceParent<'a> {
    /// 32 hexadecimal digits.
    pub(crate) trace_id: &'a str,
    /// The caller's span: 16 hexadecimal digits.
    pub(crate) parent_id: &'a str,
    /// Whether the caller records this trace.
    pub(crate) sampled: bool,
}

impl<'a> TraceParent<'a> {
    /// The request's `traceparent`, when it has one valid one.
    pub(crate) fn of(headers: &'a HeaderMap) -> Option<TraceParent<'a>> {
        let mut values = headers.get_all(TRACEPARENT).iter();
        let value = values.next()?;
        if values.next().is_some() {
            // Two parents: which one is the caller's is unknown.
            return None;
        }
        TraceParent::parse(value.to_str().ok()?)
    }

    pub(crate) fn parse(text: &'a str) -> Option<TraceParent<'a>> {
        let text = text.trim_matches([' ', '\t']);
        let mut fields = text.split('-');
        let version = fields.next()?;
        let trace_id = fields.next()?;
        let parent_id = fields.next()?;
        let flags = fields.next()?;
        let exact = |field: &str, digits: usize| {
            field.len() == digits
                && field
                    .bytes()
                    .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
        };
        let valid = exact(version, 2)
            && version != "ff"
            // Version 00 has exactly four fields; later ones may have more.
            && (version != "00" || fields.next().is_none())
            && exact(trace_id, 32)
            && exact(parent_id, 16)
            && exact(flags, 2)
            && trace_id.bytes().any(|byte| byte != b'0')
            && parent_id.bytes().any(|byte| byte != b'0');
        if !valid {
            return None;
        }
        let flags = u8::from_str_radix(flags, 16).ok()?;
        Some(TraceParent {
            trace_id,
            parent_id,
            sampled: flags & 1 == 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn reads_the_specifications_example() {
        assert_eq!(
            TraceParent::parse(EXAMPLE),
            Some(TraceParent {
                trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
                parent_id: "00f067aa0ba902b7",
                sampled: true,
            })
        );
        let unsampled = EXAMPLE.replace("-01", "-00");
        assert!(!TraceParent::parse(&unsampled).unwrap().sampled);
        // A later version may carry more fields.
        let later = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds";
        assert!(TraceParent::parse(later).is_some());
    }

    #[test]
    fn ignores_what_breaks_the_rules() {
        for text in [
            "",
            "00",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
            "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceParent::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn two_headers_are_none() {
        let mut headers = HeaderMap::new();
        headers.append(TRACEPARENT, EXAMPLE.parse().unwrap());
        assert!(TraceParent::of(&headers).is_some());
        headers.append(TRACEPARENT, EXAMPLE.parse().unwrap());
        assert!(TraceParent::of(&headers).is_none());
    }
}
