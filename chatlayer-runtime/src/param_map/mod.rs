//! The parameters of one request: Chatlayer's Body rows and Query rows, decoded once.

pub(crate) mod lenient;

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

use crate::error::StepError;

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

    /// The value of parameter `name` when it was really sent: not missing, `null` or `""`.
    pub(crate) fn present(&self, name: &str) -> Option<&Value> {
        self.get(name).filter(|value| !lenient::is_absent(value))
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

    /// Decodes the query string and the body of one request.
    pub(crate) fn decode(
        headers: &HeaderMap,
        query: Option<&str>,
        body: &[u8],
    ) -> Result<Self, StepError> {
        let query = query.map(|q| decode_form(q.as_bytes())).unwrap_or_default();
        let first = body.iter().find(|byte| !byte.is_ascii_whitespace());
        let body = if first.is_none() {
            Map::new()
        } else if first != Some(&b'{') && is_form(headers) {
            // A JSON object is parsed as JSON even when the request claims to be a form
            // (curl's `-d` does that by default); anything else under that claim is a form.
            decode_form(body)
        } else {
            serde_json::from_slice::<Map<String, Value>>(body).map_err(|error| {
                StepError::invalid_body(format!(
                    "the request body is not a JSON object of parameters: {error}"
                ))
            })?
        };
        Ok(ParamMap { body, query })
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Decodes `a=1&b=2` pairs; a repeated name collects its values into an array.
fn decode_form(bytes: &[u8]) -> Map<String, Value> {
    let mut map = Map::new();
    for (name, value) in form_urlencoded::parse(bytes) {
        let value = Value::String(value.into_owned());
        match map.get_mut(name.as_ref()) {
            None => {
                map.insert(name.into_owned(), value);
            }
            Some(Value::Array(values)) => values.push(value),
            Some(first) => {
                let first = first.take();
                map.insert(name.into_owned(), Value::Array(vec![first, value]));
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    fn headers(content_type: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn json_body_is_parsed_without_a_content_type() {
        let params = ParamMap::decode(&headers(None), None, br#"{"amount": 500}"#).unwrap();
        assert_eq!(params.get("amount"), Some(&json!(500)));
    }

    #[test]
    fn json_body_is_parsed_whatever_the_content_type_says() {
        for content_type in ["text/plain", "text/html", "application/json;"] {
            let params =
                ParamMap::decode(&headers(Some(content_type)), None, br#"{"a": "b"}"#).unwrap();
            assert_eq!(params.get("a"), Some(&json!("b")), "{content_type}");
        }
    }

    #[test]
    fn form_body_and_query_are_decoded_with_repeats_kept() {
        let params = ParamMap::decode(
            &headers(Some("application/x-www-form-urlencoded; charset=utf-8")),
            Some("source=Chatlayer&tag=a&tag=b&sku=query"),
            b"sku=A%201&quantity=2",
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
        let params = ParamMap::decode(
            &headers(Some("application/x-www-form-urlencoded")),
            None,
            br#" {"amount": 500, "destination": "Elon Musk"}"#,
        )
        .unwrap();
        assert_eq!(params.get("amount"), Some(&json!(500)));
        assert_eq!(params.len(), 2);
    }

    #[test]
    fn empty_and_blank_bodies_carry_no_parameters() {
        for body in [&b""[..], b"  \n"] {
            assert!(
                ParamMap::decode(&headers(None), None, body)
                    .unwrap()
                    .is_empty()
            );
        }
    }

    #[test]
    fn a_body_that_is_not_a_json_object_is_rejected() {
        for body in [&b"[1, 2]"[..], b"\"text\"", b"{\"a\": ", b"sku=A1"] {
            let error = ParamMap::decode(&headers(None), None, body).unwrap_err();
            assert_eq!(error.code(), "invalid_body");
        }
    }
}
