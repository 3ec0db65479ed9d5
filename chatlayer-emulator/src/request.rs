//! The request an API step sends, built from its rows as Chatlayer builds it: Query rows in
//! the query string, Body rows as one JSON object, Headers rows as headers, and the
//! Authorization tab.

use base64::Engine as _;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::bot::{ApiStep, Authorization, Row, RowType, Values};
use super::session::{Session, value_text};
use super::signing::{RequestSigner, SignatureSpec};

/// A request ready to send.
#[derive(Clone, Debug)]
pub(crate) struct Outgoing {
    pub(crate) method: String,
    /// The step's URL with the query string: relative (`/order?x=1`) or absolute.
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Value>,
    /// What must not be shown: each value taken from the environment, with what shows in
    /// its place (`${NAME}`). The Authorization header is hidden whole.
    pub(crate) secrets: Vec<(String, String)>,
    /// How the bot file says to sign it; when it says nothing, the backend's own signer
    /// (an app's verifier) signs.
    pub(crate) signer: Option<Arc<dyn RequestSigner>>,
}

impl Outgoing {
    /// Signs the request as the bot file's `signature:` says, its secret expanded as any
    /// other `${NAME}` (and hidden as they are).
    pub(crate) fn sign_with(
        &mut self,
        spec: &SignatureSpec,
        values: &Values,
    ) -> Result<(), String> {
        let secret = expand_environment(&spec.secret, values, &mut self.secrets)
            .map_err(|problem| format!("the bot file's `signature`: {problem}"))?;
        self.signer = Some(Arc::new(spec.with_secret(secret)));
        Ok(())
    }
}

/// Builds the request of `api` from the session. A variable row whose variable is not set is
/// left out (what Chatlayer sends then is undocumented; the framework reads a missing key,
/// `null` and `""` alike), with a note.
pub(crate) fn build(
    api: &ApiStep,
    session: &Session,
    values: &Values,
    notes: &mut Vec<String>,
) -> Result<Outgoing, String> {
    let mut secrets = Vec::new();
    let mut value_of = |row: &Row, tab: &str| -> Result<Option<Value>, String> {
        Ok(match row.kind {
            RowType::Text => Some(Value::String(expand_environment(
                &row.value,
                values,
                &mut secrets,
            )?)),
            RowType::Dialogstate => Some(Value::String(row.value.clone())),
            RowType::Variable => {
                let value = session.get(&row.value).cloned();
                if value.is_none() {
                    notes.push(format!(
                        "the {tab} row `{}` maps the variable `{}`, which is not set: it is left out",
                        row.key, row.value
                    ));
                }
                value
            }
        })
    };

    let mut query = form_urlencoded::Serializer::new(String::new());
    let mut has_query = false;
    for row in &api.query {
        if let Some(value) = value_of(row, "Query")? {
            query.append_pair(&row.key, &value_text(&value));
            has_query = true;
        }
    }
    let mut headers = Vec::new();
    for row in &api.headers {
        if let Some(value) = value_of(row, "Headers")? {
            headers.push((row.key.clone(), value_text(&value)));
        }
    }
    let body = if api.body.is_empty() {
        None
    } else {
        let mut object = Map::new();
        for row in &api.body {
            if let Some(value) = value_of(row, "Body")? {
                object.insert(row.key.clone(), value);
            }
        }
        Some(Value::Object(object))
    };
    if body.is_some()
        && !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
    {
        // Chatlayer's pages ask bot builders to add this header; the emulator adds it for them.
        headers.push(("content-type".to_owned(), "application/json".to_owned()));
    }
    if let Some(auth) = &api.auth {
        headers.push((
            "authorization".to_owned(),
            authorization(auth, values, &mut secrets)?,
        ));
    }

    let mut url = api.url.trim().to_owned();
    if has_query {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&query.finish());
    }
    Ok(Outgoing {
        method: api.method.to_ascii_uppercase(),
        url,
        headers,
        body,
        secrets,
        signer: None,
    })
}

fn authorization(
    auth: &Authorization,
    values: &Values,
    secrets: &mut Vec<(String, String)>,
) -> Result<String, String> {
    let (value, shown) = match auth {
        Authorization::Basic { username, password } => {
            let credentials = format!(
                "{}:{}",
                expand_environment(username, values, secrets)?,
                expand_environment(password, values, secrets)?
            );
            let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
            (format!("Basic {encoded}"), "Basic [hidden]")
        }
        Authorization::Bearer { token } => (
            format!("Bearer {}", expand_environment(token, values, secrets)?),
            "Bearer [hidden]",
        ),
    };
    secrets.push((value.clone(), shown.to_owned()));
    Ok(value)
}

/// Replaces each `${NAME}` with the value given for `NAME` (`values`), or else the
/// environment variable `NAME`, so that tokens and passwords stay out of the bot file; each
/// value is added to `secrets`, to be shown as `${NAME}` wherever the request is shown.
pub(crate) fn expand_environment(
    text: &str,
    values: &Values,
    secrets: &mut Vec<(String, String)>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("`{text}` opens `${{` without closing it"))?;
        let name = &after[..end];
        let value = match values.get(name) {
            Some(value) => value.clone(),
            None => std::env::var(name).map_err(|_| {
                format!(
                    "the environment variable `{name}` is not set (the bot file names it as \
                     `${{{name}}}`; a test can give it with `BotFile::with_value`)"
                )
            })?,
        };
        out.push_str(&value);
        if !value.is_empty() {
            secrets.push((value, format!("${{{name}}}")));
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `text` with every secret replaced by what shows in its place, longest first (a value
/// may hold a shorter one), and the password of a URL's `user:password@` hidden.
pub(crate) fn masked(text: &str, secrets: &[(String, String)]) -> String {
    let mut ordered: Vec<&(String, String)> = secrets.iter().collect();
    ordered.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
    let mut out = text.to_owned();
    for (value, shown) in ordered {
        out = out.replace(value.as_str(), shown);
        // A value in a query string is percent-encoded there.
        let encoded: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
        if encoded != *value {
            out = out.replace(&encoded, shown);
        }
    }
    hide_url_password(&out)
}

/// `http://user:secret@host/x` as `http://user:[hidden]@host/x`.
pub(crate) fn hide_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:[hidden]@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// `value` with every secret string inside it masked.
pub(crate) fn masked_value(value: &Value, secrets: &[(String, String)]) -> Value {
    match value {
        Value::String(text) => Value::String(masked(text, secrets)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| masked_value(item, secrets))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| (key.clone(), masked_value(item, secrets)))
                .collect(),
        ),
        other => other.clone(),
    }
}
