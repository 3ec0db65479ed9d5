//! The parameters of one request as the step's arguments read them.
//!
//! A JSON body (the usual case) is not read into a map: it is [scanned](super::scan) once,
//! and each argument reads the text of its own parameter straight into its own type. A text
//! without escapes is borrowed, a number is parsed where it is, and a nested object is read
//! by serde_json into the argument's type. Nothing is built for parameters no argument reads.
//! The [`ParamMap`] of every parameter as JSON values is built on first use only, for
//! whoever asks for it ([`RawRequest`](crate::RawRequest), a custom extractor calling
//! [`StepRequest::params`](crate::extract::StepRequest::params)).
//!
//! Form bodies, and JSON bodies the scan leaves to the full reader, are read into the map
//! at once, as before; arguments then read from it.

use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};

use super::json::{self, JsonProblem};
use super::lenient::Sent;
use super::scan::{self, RawEntry, Scanned};
use super::{BOM, BodyFormat, ParamMap, form};
use crate::error::{ErrorCode, StepError};

/// Every parameter of one request.
#[derive(Debug)]
pub(crate) struct SentParams {
    form: Form,
    /// Every parameter as JSON values: built on first use for a scanned body, at once for
    /// the others.
    map: OnceLock<Arc<ParamMap>>,
}

#[derive(Debug)]
enum Form {
    /// A JSON object body, scanned: its text and its entries, and the query's parameters.
    Scanned {
        text: String,
        entries: Vec<RawEntry>,
        query: Map<String, Value>,
    },
    /// Read into [`SentParams::map`] at once.
    Decoded,
}

impl SentParams {
    /// Decodes the query string and the body of one request, the body as `format` says and
    /// with at most `value_limit` JSON values.
    pub(crate) fn decode(
        format: BodyFormat,
        query: Option<&str>,
        body: &[u8],
        value_limit: usize,
    ) -> Result<Self, StepError> {
        let query = query
            .map(|query| form::decode(query.as_bytes(), None))
            .unwrap_or_default();
        let raw = body.strip_prefix(BOM).unwrap_or(body);
        let first = raw.iter().find(|byte| !byte.is_ascii_whitespace());
        if first.is_none() {
            return Ok(SentParams::decoded(ParamMap {
                body: Map::new(),
                query,
            }));
        }
        if first != Some(&b'{') && format.form {
            // A JSON object is parsed as JSON even when the request claims to be a form
            // (curl's `-d` does that by default); anything else under that claim is a form,
            // whose bytes (raw or %-escaped) are text in its charset.
            return Ok(SentParams::decoded(ParamMap {
                body: form::decode(raw, format.charset),
                query,
            }));
        }
        let text = match format.charset {
            Some(charset) => charset.decode_without_bom_handling(raw).0.into_owned(),
            None => String::from_utf8(raw.to_vec()).map_err(|error| {
                StepError::invalid_body(format!(
                    "the request body is not UTF-8 text ({}); name its charset in the \
                     Content-Type",
                    error.utf8_error()
                ))
            })?,
        };
        match scan::scan(&text, value_limit) {
            Ok(Scanned::Object(entries)) => Ok(SentParams {
                form: Form::Scanned {
                    text,
                    entries,
                    query,
                },
                map: OnceLock::new(),
            }),
            Ok(Scanned::Other) => match json::parse_object(&text, value_limit) {
                Ok(body) => Ok(SentParams::decoded(ParamMap { body, query })),
                Err(problem) => Err(refusal(problem, value_limit)),
            },
            Err(problem) => Err(refusal(problem, value_limit)),
        }
    }

    /// Parameters read into a map already.
    pub(crate) fn decoded(map: ParamMap) -> Self {
        SentParams {
            form: Form::Decoded,
            map: OnceLock::from(Arc::new(map)),
        }
    }

    /// The value of parameter `name`: from the body if it is there (the last of a name sent
    /// twice), else from the query.
    pub(crate) fn get(&self, name: &str) -> Option<Sent<'_>> {
        match &self.form {
            Form::Scanned {
                text,
                entries,
                query,
            } => entries
                .iter()
                .rev()
                .find(|entry| entry.key.is(name, text))
                .map(|entry| sent(text, entry))
                .or_else(|| query.get(name).map(Sent::Value)),
            Form::Decoded => self.map().get(name).map(Sent::Value),
        }
    }

    /// The value of parameter `name` when it was really sent: not missing, `null` or `""`.
    pub(crate) fn present(&self, name: &str) -> Option<Sent<'_>> {
        self.get(name).filter(|value| !value.is_absent())
    }

    /// Calls `visit` with the name of every parameter sent (in no particular order, some
    /// maybe twice) until it returns `false`: one loop per source, with no iterator
    /// adapters between, for the lookup every request makes.
    pub(crate) fn each_name<'a>(&'a self, mut visit: impl FnMut(&'a str) -> bool) {
        match &self.form {
            Form::Scanned {
                text,
                entries,
                query,
            } => {
                for entry in entries {
                    if !visit(entry.key.text(text)) {
                        return;
                    }
                }
                for name in query.keys() {
                    if !visit(name) {
                        return;
                    }
                }
            }
            Form::Decoded => {
                let map = self.map();
                for name in map.body().keys().chain(map.query().keys()) {
                    if !visit(name) {
                        return;
                    }
                }
            }
        }
    }

    /// Every parameter once, sorted by name: for a name sent twice in the body its last
    /// value, and a body parameter over a query parameter of the same name.
    pub(crate) fn entries(&self) -> Vec<(&str, Sent<'_>)> {
        let Form::Scanned {
            text,
            entries,
            query,
        } = &self.form
        else {
            return self
                .map()
                .iter()
                .map(|(name, value)| (name.as_str(), Sent::Value(value)))
                .collect();
        };
        let mut body: Vec<(&str, Sent<'_>)> = entries
            .iter()
            .map(|entry| (entry.key.text(text), sent(text, entry)))
            .collect();
        // Stable: of the entries of one name, the last sent stays last, and wins.
        body.sort_by(|a, b| a.0.cmp(b.0));
        let mut once: Vec<(&str, Sent<'_>)> = Vec::with_capacity(body.len() + query.len());
        for entry in body {
            match once.last_mut() {
                Some(last) if last.0 == entry.0 => *last = entry,
                _ => once.push(entry),
            }
        }
        let sent_in_body = once.len();
        for (name, value) in query {
            if once[..sent_in_body]
                .binary_search_by(|(body_name, _)| (*body_name).cmp(name.as_str()))
                .is_err()
            {
                once.push((name, Sent::Value(value)));
            }
        }
        once.sort_by(|a, b| a.0.cmp(b.0));
        once
    }

    /// Every parameter as JSON values, built on first use.
    pub(crate) fn map(&self) -> &Arc<ParamMap> {
        self.map.get_or_init(|| {
            let Form::Scanned {
                text,
                entries,
                query,
            } = &self.form
            else {
                unreachable!("a decoded body's map is made with it");
            };
            let mut body = Map::new();
            for entry in entries {
                let value = json::parse_value(&text[entry.value.clone()]);
                body.insert(entry.key.text(text).to_owned(), value);
            }
            Arc::new(ParamMap {
                body,
                query: query.clone(),
            })
        })
    }
}

fn sent<'a>(text: &'a str, entry: &RawEntry) -> Sent<'a> {
    Sent::Json {
        text: &text[entry.value.clone()],
        plain: entry.plain,
    }
}

/// The answer to a body that cannot be read as parameters.
fn refusal(problem: JsonProblem, value_limit: usize) -> StepError {
    match problem {
        JsonProblem::TooManyValues => StepError::of(
            ErrorCode::BodyTooLarge,
            format!("the request body holds more than {value_limit} JSON values"),
        )
        .with_hint("send fewer values, or raise the app's body_value_limit"),
        JsonProblem::TooDeep => StepError::of(
            ErrorCode::BodyTooLarge,
            format!(
                "the request body nests arrays and objects deeper than {} levels",
                json::MAX_DEPTH
            ),
        ),
        JsonProblem::NotAnObject => StepError::invalid_body(
            "the request body is JSON, but not an object of parameters".to_owned(),
        ),
        JsonProblem::Invalid(why) => StepError::invalid_body(format!(
            "the request body is not a JSON object of parameters: {why}"
        )),
    }
}
