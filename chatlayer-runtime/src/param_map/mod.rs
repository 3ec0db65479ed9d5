//! The parameters of one request: Chatlayer's Body rows and Query rows, decoded once.

mod form;
mod format;
mod json;
pub(crate) mod lenient;
mod scan;
mod sent;

use serde_json::{Map, Value};

pub(crate) use format::BodyFormat;
pub(crate) use lenient::Sent;
pub(crate) use sent::SentParams;

/// The parameters Chatlayer sent, as the bot builder mapped them in the API step.
///
/// Body rows arrive as one JSON object (parsed whatever the `Content-Type` says, since
/// Chatlayer may not send one) or as `application/x-www-form-urlencoded` form data when the
/// request says so; Query rows arrive in the query string, always as text. When a name is in
/// both, the body wins. A name repeated in a query string or a form becomes an array of its
/// values, so nothing sent is lost.
///
/// Steps rarely need this type: arguments read parameters by name. Take
/// [`RawRequest`](crate::RawRequest) to see all of them.
///
/// ```
/// use chatlayer_runtime::ParamMap;
/// use serde_json::json;
///
/// let params = ParamMap::from_parts(
///     json!({ "amount": 500, "destination": "Elon Musk" }),
///     json!({ "source": "Chatlayer", "amount": "1" }),
/// );
/// assert_eq!(params.get("amount"), Some(&json!(500))); // the body wins
/// assert_eq!(params.get("source"), Some(&json!("Chatlayer")));
/// assert_eq!(params.len(), 3);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamMap {
    body: Map<String, Value>,
    query: Map<String, Value>,
}

impl ParamMap {
    /// Builds a map from a body object and a query object (non-objects count as empty).
    pub fn from_parts(body: Value, query: Value) -> Self {
        let into_map = |value: Value| match value {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        ParamMap {
            body: into_map(body),
            query: into_map(query),
        }
    }

    /// The value of parameter `name`: from the body if it is there, else from the query.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.body.get(name).or_else(|| self.query.get(name))
    }

    /// The parameters from the request body.
    pub fn body(&self) -> &Map<String, Value> {
        &self.body
    }

    /// The parameters from the query string (every value is text, or an array of texts).
    pub fn query(&self) -> &Map<String, Value> {
        &self.query
    }

    /// Every parameter once: body entries, then the query entries the body does not shadow.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.body.iter().chain(
            self.query
                .iter()
                .filter(|(name, _)| !self.body.contains_key(name.as_str())),
        )
    }

    /// How many distinct parameter names were sent.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether no parameter was sent at all.
    pub fn is_empty(&self) -> bool {
        self.body.is_empty() && self.query.is_empty()
    }

    /// All parameters merged into one JSON object, body winning on a clash.
    pub fn to_map(&self) -> Map<String, Value> {
        self.iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }
}

/// The UTF-8 byte-order mark, which some senders put before JSON.
const BOM: &[u8] = b"\xEF\xBB\xBF";

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue, header};
    use serde_json::json;

    fn headers(content_type: Option<&str>) -> BodyFormat {
        let mut headers = HeaderMap::new();
        if let Some(value) = content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
        }
        BodyFormat::of(&headers).unwrap()
    }

    /// Every parameter of a request, as a map.
    fn decode(
        format: BodyFormat,
        query: Option<&str>,
        body: &[u8],
        value_limit: usize,
    ) -> Result<ParamMap, crate::StepError> {
        SentParams::decode(format, query, body, value_limit).map(|sent| (**sent.map()).clone())
    }

    #[test]
    fn json_body_is_parsed_without_a_content_type() {
        let params = decode(headers(None), None, br#"{"amount": 500}"#, 100).unwrap();
        assert_eq!(params.get("amount"), Some(&json!(500)));
    }

    #[test]
    fn json_body_is_parsed_whatever_the_content_type_says() {
        for content_type in ["text/plain", "text/html", "application/json;"] {
            let params = decode(headers(Some(content_type)), None, br#"{"a": "b"}"#, 100).unwrap();
            assert_eq!(params.get("a"), Some(&json!("b")), "{content_type}");
        }
    }

    #[test]
    fn form_body_and_query_are_decoded_with_repeats_kept() {
        let params = decode(
            headers(Some("application/x-www-form-urlencoded; charset=utf-8")),
            Some("source=Chatlayer&tag=a&tag=b&sku=query"),
            b"sku=A%201&quantity=2",
            100,
        )
        .unwrap();
        assert_eq!(params.get("sku"), Some(&json!("A 1")));
        assert_eq!(params.get("quantity"), Some(&json!("2")));
        assert_eq!(params.get("tag"), Some(&json!(["a", "b"])));
        assert_eq!(params.query().get("sku"), Some(&json!("query")));
        assert_eq!(params.len(), 4);
    }

    #[test]
    fn a_json_object_wins_over_a_form_content_type() {
        let params = decode(
            headers(Some("application/x-www-form-urlencoded")),
            None,
            br#" {"amount": 500, "destination": "Elon Musk"}"#,
            100,
        )
        .unwrap();
        assert_eq!(params.get("amount"), Some(&json!(500)));
        assert_eq!(params.len(), 2);
    }

    #[test]
    fn empty_and_blank_bodies_carry_no_parameters() {
        for body in [&b""[..], b"  \n"] {
            assert!(decode(headers(None), None, body, 100).unwrap().is_empty());
        }
    }

    #[test]
    fn a_body_that_is_not_a_json_object_is_rejected() {
        for body in [&b"[1, 2]"[..], b"\"text\"", b"{\"a\": ", b"sku=A1"] {
            let error = decode(headers(None), None, body, 100).unwrap_err();
            assert_eq!(error.code(), "invalid_body");
        }
    }
}
