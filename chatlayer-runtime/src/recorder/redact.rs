//! What a recording must never hold: credentials, signatures, cookies, and fields that look
//! like secrets. Applied before anything is written.

use serde_json::Value;

/// What replaces a secret.
pub(crate) const REDACTED: &str = "[redacted]";

/// Headers always redacted, by exact name.
const HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// A header whose name holds one of these is redacted (signature headers have many names).
const HEADER_PARTS: [&str; 7] = [
    "auth",
    "token",
    "secret",
    "signature",
    "password",
    "api-key",
    "apikey",
];

/// A field whose name, in lower case without `-` and `_`, holds one of these is redacted.
const FIELD_PARTS: [&str; 12] = [
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "authorization",
    "creditcard",
    "cardnumber",
    "cvv",
    "cvc",
    "iban",
    "ssn",
];

/// The names to redact: the built-in rules and the app's own list.
#[derive(Clone, Debug, Default)]
pub(crate) struct Redaction {
    /// More names, in lower case.
    extra: Vec<String>,
}

impl Redaction {
    pub(crate) fn new(extra: &[String]) -> Self {
        Redaction {
            extra: extra.iter().map(|name| name.to_ascii_lowercase()).collect(),
        }
    }

    /// Whether the header `name` (lower case) is redacted.
    pub(crate) fn header(&self, name: &str) -> bool {
        HEADERS.contains(&name)
            || HEADER_PARTS.iter().any(|part| name.contains(part))
            || self.extra.iter().any(|extra| extra == name)
    }

    /// Whether the field `name` is redacted.
    pub(crate) fn field(&self, name: &str) -> bool {
        let folded: String = name
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .flat_map(char::to_lowercase)
            .collect();
        FIELD_PARTS.iter().any(|part| folded.contains(part))
            || self
                .extra
                .iter()
                .any(|extra| extra.eq_ignore_ascii_case(name))
    }

    /// Redacts the secret fields of `value`, at any depth.
    pub(crate) fn json(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (name, field) in map.iter_mut() {
                    if self.field(name) {
                        *field = Value::String(REDACTED.to_owned());
                    } else {
                        self.json(field);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.json(item)),
            _ => {}
        }
    }

    /// Redacts the secret fields of form data or a query string (`a=1&b=2`).
    pub(crate) fn form(&self, text: &str) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in form_urlencoded::parse(text.as_bytes()) {
            if self.field(&name) {
                out.append_pair(&name, REDACTED);
            } else {
                out.append_pair(&name, &value);
            }
        }
        out.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credentials_signatures_and_secret_looking_names_are_redacted() {
        let redaction = Redaction::new(&["E-mail".to_owned()]);
        for header in [
            "authorization",
            "cookie",
            "x-chatlayer-signature",
            "x-hub-signature-256",
            "x-api-key",
            "x-auth-token",
            "e-mail",
        ] {
            assert!(redaction.header(header), "{header}");
        }
        for header in ["content-type", "user-agent", "x-timestamp", "traceparent"] {
            assert!(!redaction.header(header), "{header}");
        }
        let mut body = json!({
            "sku": "A1",
            "password": "p",
            "user": { "api_key": "k", "Credit-Card": "4111", "name": "Ada" },
            "list": [{ "accessToken": "t" }],
            "e-mail": "ada@example.com"
        });
        redaction.json(&mut body);
        assert_eq!(
            body,
            json!({
                "sku": "A1",
                "password": REDACTED,
                "user": { "api_key": REDACTED, "Credit-Card": REDACTED, "name": "Ada" },
                "list": [{ "accessToken": REDACTED }],
                "e-mail": REDACTED
            })
        );
        assert_eq!(
            redaction.form("sku=A1&token=abc&note=a+b"),
            "sku=A1&token=%5Bredacted%5D&note=a+b"
        );
    }
}
