//! How a request says its body is written (`Content-Type`, its `charset`, and
//! `Content-Encoding`), read before the body so that a body the server cannot read is
//! refused without being read.

use axum::http::{HeaderMap, HeaderValue, header};
use encoding_rs::Encoding;

use crate::error::{ErrorCode, StepError};
use crate::untrusted::Untrusted;

/// What the server reads, for the messages of refusals.
const READS: &str = "the server reads a JSON object or form data \
                     (application/x-www-form-urlencoded), uncompressed, in UTF-8 or the \
                     charset the Content-Type names";

/// How to read one request's body.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct BodyFormat {
    /// The request says it is form data.
    pub(crate) form: bool,
    /// The charset, when the request names one other than UTF-8.
    pub(crate) charset: Option<&'static Encoding>,
}

impl BodyFormat {
    /// The format `headers` declare, or a 415 naming what cannot be read: a compressed body
    /// (any `Content-Encoding` but `identity`), multipart data, or an unknown charset. A
    /// body is read as JSON whatever other type it claims: Chatlayer may send none.
    pub(crate) fn of(headers: &HeaderMap) -> Result<Self, StepError> {
        // One pass over the few headers a request has costs less than two lookups.
        let mut content_type = None;
        for (name, value) in headers {
            if name == header::CONTENT_TYPE {
                content_type = Some(value);
            } else if name == header::CONTENT_ENCODING {
                identity_only(value)?;
            }
        }
        let Some(content_type) = content_type else {
            return Ok(JSON);
        };
        if content_type
            .as_bytes()
            .eq_ignore_ascii_case(b"application/json")
        {
            return Ok(JSON);
        }
        let content_type = content_type.to_str().unwrap_or("");
        let mut parts = content_type.split(';');
        let mime = parts.next().unwrap_or("").trim();
        if mime
            .get(..10)
            .is_some_and(|start| start.eq_ignore_ascii_case("multipart/"))
        {
            return Err(unsupported(format!(
                "the body is {}, which this server does not read",
                Untrusted(mime)
            )));
        }
        let mut charset = None;
        for parameter in parts {
            let Some((name, value)) = parameter.split_once('=') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("charset") {
                let label = value.trim().trim_matches('"');
                let encoding = Encoding::for_label(label.as_bytes()).ok_or_else(|| {
                    unsupported(format!(
                        "the charset {} is not one this server knows",
                        Untrusted(label)
                    ))
                })?;
                charset = (encoding != encoding_rs::UTF_8).then_some(encoding);
            }
        }
        Ok(BodyFormat {
            form: mime.eq_ignore_ascii_case("application/x-www-form-urlencoded"),
            charset,
        })
    }
}

/// JSON in UTF-8: no `Content-Type`, or `application/json` without parameters.
const JSON: BodyFormat = BodyFormat {
    form: false,
    charset: None,
};

/// Refuses any `Content-Encoding` but `identity`: the server never guesses a compression.
fn identity_only(value: &HeaderValue) -> Result<(), StepError> {
    let text = value.to_str().unwrap_or("?");
    for coding in text
        .split(',')
        .map(str::trim)
        .filter(|coding| !coding.is_empty())
    {
        if !coding.eq_ignore_ascii_case("identity") {
            return Err(unsupported(format!(
                "the body is encoded with {}, which this server does not decode",
                Untrusted(coding)
            )));
        }
    }
    Ok(())
}

fn unsupported(why: String) -> StepError {
    StepError::of(ErrorCode::UnsupportedMediaType, format!("{why}: {READS}")).with_hint(
        "send the API step's Body rows as JSON (or form data) without compression; set the \
         Content-Type header row to application/json, or remove it",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(pairs: &[(&str, &str)]) -> Result<BodyFormat, StepError> {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        BodyFormat::of(&headers)
    }

    #[test]
    fn json_form_and_charsets_are_read() {
        assert_eq!(
            format(&[]).unwrap(),
            BodyFormat {
                form: false,
                charset: None
            }
        );
        let form = format(&[(
            "content-type",
            "application/x-www-form-urlencoded; charset=ISO-8859-1",
        )])
        .unwrap();
        assert!(form.form);
        assert_eq!(form.charset.unwrap().name(), "windows-1252");
        let utf8 = format(&[
            ("content-type", "text/plain; charset=\"utf-8\""),
            ("content-encoding", "identity"),
        ])
        .unwrap();
        assert_eq!(
            utf8,
            BodyFormat {
                form: false,
                charset: None
            }
        );
    }

    #[test]
    fn what_cannot_be_read_is_a_415_naming_it() {
        for (pairs, says) in [
            (&[("content-encoding", "gzip")][..], "encoded with \"gzip\""),
            (
                &[("content-encoding", "identity, br")][..],
                "encoded with \"br\"",
            ),
            (
                &[("content-type", "multipart/form-data; boundary=x")][..],
                "multipart/form-data",
            ),
            (
                &[("content-type", "application/json; charset=klingon")][..],
                "charset \"klingon\"",
            ),
        ] {
            let error = format(pairs).unwrap_err();
            assert_eq!(
                (error.status(), error.code()),
                (415, "unsupported_media_type")
            );
            assert!(error.message().contains(says), "{}", error.message());
        }
    }
}
