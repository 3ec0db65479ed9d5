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

/// A name whose letters (lower case, separators dropped) hold one of these is redacted,
/// wherever it appears: long enough to mean a secret inside any word.
const SECRET_WORDS: [&str; 20] = [
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "signature",
    "credential",
    "apikey",
    "privatekey",
    "accesskey",
    "authorization",
    "hmac",
    "cookie",
    "bearer",
    "jwt",
    "creditcard",
    "cardnumber",
    "iban",
    "cvv",
    "cvc",
];

/// A name with one of these as a whole token (`x-auth`, `user_pwd`, `pinCode`) is redacted:
/// too short to look for inside words (`author`, `spin`, `passenger`).
const SECRET_TOKENS: [&str; 7] = ["pass", "pwd", "pin", "otp", "auth", "sig", "ssn"];

/// In headers and query strings only (where they name credentials: `x-functions-key`,
/// `?code=` of Azure Functions, `?key=` of Google's APIs), these tokens are secrets too; in
/// bodies they are ordinary words (a postback's `key`, an error's `code`).
const URL_TOKENS: [&str; 2] = ["key", "code"];

/// In a body, `key` is a secret after one of these (`private_key`, `accessKey`).
const KEY_QUALIFIERS: [&str; 8] = [
    "private",
    "access",
    "api",
    "secret",
    "subscription",
    "client",
    "signing",
    "encryption",
];

/// Where a name appears: the rules differ a little.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Header,
    Query,
    Body,
}

/// The names to redact: the built-in rules, the app's own list, and the headers the app
/// itself knows carry secrets (its signature header, whatever its name).
#[derive(Clone, Debug, Default)]
pub(crate) struct Redaction {
    /// More names, normalised (see [`letters`]).
    extra: Vec<String>,
}

impl Redaction {
    pub(crate) fn new(extra: &[String]) -> Self {
        Redaction {
            extra: extra.iter().map(|name| letters(name)).collect(),
        }
    }

    /// Whether the header `name` is redacted.
    pub(crate) fn header(&self, name: &str) -> bool {
        HEADERS
            .iter()
            .any(|header| header.eq_ignore_ascii_case(name))
            || self.named(name, Place::Header)
    }

    /// Whether the body field `name` is redacted.
    pub(crate) fn field(&self, name: &str) -> bool {
        self.named(name, Place::Body)
    }

    fn named(&self, name: &str, place: Place) -> bool {
        let folded = letters(name);
        if self.extra.contains(&folded) || SECRET_WORDS.iter().any(|word| folded.contains(word)) {
            return true;
        }
        let tokens = tokens(name);
        tokens.iter().enumerate().any(|(index, token)| {
            SECRET_TOKENS.contains(&token.as_str())
                || (place != Place::Body && URL_TOKENS.contains(&token.as_str()))
                || (token == "key"
                    && index > 0
                    && KEY_QUALIFIERS.contains(&tokens[index - 1].as_str()))
        })
    }

    /// Redacts the secret fields of `value`, at any depth, inside JSON held as text too.
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
            Value::String(text) => {
                if let Some(redacted) = self.json_text(text) {
                    *text = redacted;
                }
            }
            _ => {}
        }
    }

    /// A text that is a JSON object or array (`{"password":"..."}` sent as one
    /// parameter), redacted, when it had something to redact.
    fn json_text(&self, text: &str) -> Option<String> {
        let trimmed = text.trim_start();
        if !trimmed.starts_with('{') && !trimmed.starts_with('[') {
            return None;
        }
        let mut inner: Value = serde_json::from_str(text).ok()?;
        let before = inner.clone();
        self.json(&mut inner);
        (inner != before).then(|| inner.to_string())
    }

    /// Redacts the secret fields of form data.
    pub(crate) fn form(&self, text: &str) -> String {
        self.pairs(text, Place::Body)
    }

    /// Redacts the secret parameters of a query string.
    pub(crate) fn query(&self, text: &str) -> String {
        self.pairs(text, Place::Query)
    }

    fn pairs(&self, text: &str, place: Place) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in form_urlencoded::parse(text.as_bytes()) {
            if self.named(&name, place) {
                out.append_pair(&name, REDACTED);
            } else {
                match self.json_text(&value) {
                    Some(redacted) => out.append_pair(&name, &redacted),
                    None => out.append_pair(&name, &value),
                };
            }
        }
        out.finish()
    }
}

/// `X_API-Key` as `xapikey`: lower-case letters and digits, separators dropped, so that
/// `x-api_key`, `X_API_KEY` and `xApiKey` are one name.
fn letters(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `Ocp-Apim-Subscription-Key` as `ocp apim subscription key`, `privateKey` as
/// `private key`: split at anything but letters and digits, and where lower case turns to
/// upper case.
fn tokens(name: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower && !current.is_empty() {
            tokens.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
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

    /// The names an attacker's recording kept in clear, and names that must stay.
    #[test]
    fn names_are_normalised_and_matched_by_token() {
        let redaction = Redaction::new(&["X-Chatlayer-Hmac".to_owned()]);
        for header in [
            "x-chatlayer-hmac",
            "x-api_key",
            "X_API_KEY",
            "x-functions-key",
            "Ocp-Apim-Subscription-Key",
            "X-Hmac-Sha256",
            "X-Access-Key",
            "X-Private-Key",
            "Cookie2",
        ] {
            assert!(redaction.header(header), "header {header}");
        }
        for key in [
            "code",
            "sig",
            "signature",
            "key",
            "pwd",
            "pin",
            "otp",
            "jwt",
            "private_key",
            "auth",
        ] {
            assert!(redaction.named(key, Place::Query), "query {key}");
        }
        for field in [
            "pass",
            "pwd",
            "pin",
            "otp",
            "private_key",
            "privateKey",
            "access_key",
            "credentials",
            "auth",
            "bearer",
            "jwt",
            "hmac",
            "passphrase",
            "userPwd",
            "pinCode",
        ] {
            assert!(redaction.field(field), "field {field}");
        }
        for field in [
            "sku",
            "key",
            "code",
            "author",
            "spin",
            "passenger",
            "keyword",
            "value",
            "sessionId",
            "compass",
        ] {
            assert!(!redaction.field(field), "field {field} kept");
        }
        for header in ["content-type", "x-timestamp", "traceparent", "user-agent"] {
            assert!(!redaction.header(header), "header {header} kept");
        }
    }

    #[test]
    fn json_held_as_text_is_redacted_inside() {
        let redaction = Redaction::new(&["loyaltyNumber".to_owned()]);
        let mut body = json!({
            "user": r#"{"name":"Ada","password":"hunter2"}"#,
            "card": r#"{"loyalty_number":"123"}"#,
            "note": "{not json",
        });
        redaction.json(&mut body);
        let user: Value = serde_json::from_str(body["user"].as_str().unwrap()).unwrap();
        assert_eq!(user, json!({ "name": "Ada", "password": REDACTED }));
        assert!(!body["card"].as_str().unwrap().contains("123"), "{body}");
        assert_eq!(body["note"], "{not json");
        let form = redaction.form("user=%7B%22password%22%3A%22hunter2%22%7D&sku=A1");
        assert!(!form.contains("hunter2"), "{form}");
    }
}
