//! The request an API step sends, built from its rows as Chatlayer builds it: Query rows in
//! the query string, Body rows as one JSON object, Headers rows as headers, and the
//! Authorization tab.

use base64::Engine as _;
use serde_json::{Map, Value};

use super::bot::{ApiStep, Authorization, Row, RowType};
use super::session::{Session, value_text};

/// A request ready to send.
#[derive(Clone, Debug)]
pub(crate) struct Outgoing {
    pub(crate) method: String,
    /// The step's URL with the query string: relative (`/order?x=1`) or absolute.
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Value>,
}

/// Builds the request of `api` from the session. A variable row whose variable is not set is
/// left out (what Chatlayer sends then is undocumented; the framework reads a missing key,
/// `null` and `""` alike), with a note.
pub(crate) fn build(
    api: &ApiStep,
    session: &Session,
    notes: &mut Vec<String>,
) -> Result<Outgoing, String> {
    let mut value_of = |row: &Row, tab: &str| -> Result<Option<Value>, String> {
        Ok(match row.kind {
            RowType::Text => Some(Value::String(expand_environment(&row.value)?)),
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
        headers.push(("authorization".to_owned(), authorization(auth)?));
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
    })
}

fn authorization(auth: &Authorization) -> Result<String, String> {
    Ok(match auth {
        Authorization::Basic { username, password } => {
            let credentials = format!(
                "{}:{}",
                expand_environment(username)?,
                expand_environment(password)?
            );
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            )
        }
        Authorization::Bearer { token } => format!("Bearer {}", expand_environment(token)?),
    })
}

/// Replaces each `${NAME}` with the environment variable `NAME`, so that tokens and
/// passwords stay out of the bot file.
pub(crate) fn expand_environment(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("`{text}` opens `${{` without closing it"))?;
        let name = &after[..end];
        let value = std::env::var(name).map_err(|_| {
            format!("the environment variable `{name}` is not set (the bot file names it as `${{{name}}}`)")
        })?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}
