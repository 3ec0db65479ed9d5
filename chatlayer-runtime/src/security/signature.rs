//! [`SignatureVerifier`]: HMAC request signatures, checked before a step runs.
//!
//! Chatlayer does not document a signature scheme, so every part is configurable: the
//! header, the hash, what is signed ([`SignedContent`]: the raw body, or the method, path
//! and query too; optionally after a timestamp header, within a replay window), and how the
//! MAC is written (hex or base64, with an optional `sha256=`-style prefix). The MAC is
//! compared in constant time.
//!
//! Whatever the scheme, nothing unsigned reaches a step's arguments: when only the body is
//! signed, a request with a query string is refused before its body is read.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderName};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use subtle::ConstantTimeEq;

use crate::config::{Environment, InvalidVariable, Variable};
use crate::error::{ErrorCode, StepError};

/// The header a signature is read from unless [`SignatureVerifier::header`] says otherwise.
pub const DEFAULT_SIGNATURE_HEADER: &str = "x-chatlayer-signature";

/// How far a signed timestamp may be from now, unless set otherwise.
const DEFAULT_WINDOW: Duration = Duration::from_secs(300);

/// The hash inside the HMAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// HMAC-SHA1 (only for senders that offer nothing better).
    Sha1,
    /// HMAC-SHA256, the default.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

/// How the MAC is written in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureEncoding {
    /// Lowercase or uppercase hexadecimal, the default.
    Hex,
    /// Standard base64 with padding.
    Base64,
}

/// What a signature is computed over.
///
/// The parameters a step reads come from the body and from the query string, and the route
/// says which step reads them; a signature protects what it covers and nothing else.
///
/// | | signed bytes | query string | a signature made for one step, sent to another |
/// |---|---|---|---|
/// | [`Body`](SignedContent::Body) | the raw body | refused (`unsigned_query`) | accepted when the body fills that step's parameters |
/// | [`Request`](SignedContent::Request) | `METHOD path?query` and a line feed, then the body | covered | refused |
///
/// With a timestamp ([`SignatureVerifier::timestamp`]), the timestamp and its separator
/// come right before the body in either form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignedContent {
    /// The raw body only: the scheme to assume of a sender whose scheme is not published,
    /// which is Chatlayer's case. The URL is not covered, so a request carrying a query
    /// string is refused, and a captured body can be replayed to another step it fits:
    /// give such steps different secrets, or use `Request` where the sender can.
    #[default]
    Body,
    /// The method, the path and query exactly as sent (`POST /order?lang=en`), a line feed,
    /// then the body: binds a signature to one step and covers the query string. For senders
    /// you configure yourself (a gateway, a proxy, this framework's own tools).
    Request,
}

/// Checks an HMAC signature on every request before the step runs; a missing or wrong one
/// gets a JSON 401. Off until given to [`Security::signatures`](super::Security::signatures)
/// (or `CHATLAYER_SIGNATURE_SECRET` is set).
///
/// ```
/// use std::time::Duration;
/// use chatlayer_runtime::security::{SignatureAlgorithm, SignatureEncoding, SignatureVerifier};
///
/// // `X-Hub-Signature-256: sha256=<hex>` over the raw body, GitHub style:
/// let verifier = SignatureVerifier::new("webhook-secret")
///     .header("x-hub-signature-256")
///     .prefix("sha256=");
/// let signature = verifier.sign("POST", "/order", br#"{"sku":"A1"}"#, None);
/// assert!(signature.starts_with("sha256="));
///
/// // Base64 HMAC-SHA512 over "<timestamp>.<body>", refused when older than five minutes:
/// let verifier = SignatureVerifier::new("webhook-secret")
///     .algorithm(SignatureAlgorithm::Sha512)
///     .encoding(SignatureEncoding::Base64)
///     .timestamp("x-timestamp", ".", Duration::from_secs(300));
/// # let _ = verifier;
/// ```
#[derive(Clone)]
pub struct SignatureVerifier {
    secret: Vec<u8>,
    header: HeaderName,
    algorithm: SignatureAlgorithm,
    encoding: SignatureEncoding,
    prefix: String,
    timestamp: Option<TimestampRule>,
    covers: SignedContent,
}

#[derive(Clone, Debug)]
struct TimestampRule {
    header: HeaderName,
    separator: String,
    window: Duration,
}

impl SignatureVerifier {
    /// HMAC-SHA256 of the raw body with `secret`, hex, in [`DEFAULT_SIGNATURE_HEADER`].
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        SignatureVerifier {
            secret: secret.as_ref().to_vec(),
            header: HeaderName::from_static(DEFAULT_SIGNATURE_HEADER),
            algorithm: SignatureAlgorithm::Sha256,
            encoding: SignatureEncoding::Hex,
            prefix: String::new(),
            timestamp: None,
            covers: SignedContent::Body,
        }
    }

    /// The header that carries the signature.
    ///
    /// # Panics
    ///
    /// When `name` is not a valid header name: a programming error, found at start-up.
    pub fn header(mut self, name: &str) -> Self {
        self.header = header_name(name);
        self
    }

    /// The hash (default SHA-256).
    pub fn algorithm(mut self, algorithm: SignatureAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// How the MAC is written (default hex).
    pub fn encoding(mut self, encoding: SignatureEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// Text before the MAC in the header, e.g. `sha256=`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// What the signature covers (default [`SignedContent::Body`]).
    ///
    /// ```
    /// use chatlayer_runtime::security::{SignatureVerifier, SignedContent};
    ///
    /// let verifier = SignatureVerifier::new("webhook-secret").covers(SignedContent::Request);
    /// // Bound to the step and its query: the same body elsewhere has another signature.
    /// let order = verifier.sign("POST", "/order?lang=en", b"{}", None);
    /// assert_ne!(order, verifier.sign("POST", "/transaction?lang=en", b"{}", None));
    /// ```
    pub fn covers(mut self, content: SignedContent) -> Self {
        self.covers = content;
        self
    }

    /// What the signature covers.
    pub fn signed_content(&self) -> SignedContent {
        self.covers
    }

    /// Signs `<timestamp><separator><body>` instead of the body, where the timestamp (Unix
    /// seconds) comes from `header`; a timestamp further than `window` from now is refused,
    /// so a captured request cannot be replayed later.
    ///
    /// # Panics
    ///
    /// When `header` is not a valid header name.
    pub fn timestamp(mut self, header: &str, separator: &str, window: Duration) -> Self {
        self.timestamp = Some(TimestampRule {
            header: header_name(header),
            separator: separator.to_owned(),
            window,
        });
        self
    }

    /// The verifier an app builds from its environment when it is built, `Ok(None)` when
    /// `CHATLAYER_SIGNATURE_SECRET` is unset:
    ///
    /// | variable | meaning | default |
    /// |---|---|---|
    /// | `CHATLAYER_SIGNATURE_SECRET` | the shared secret (turns verification on) | |
    /// | `CHATLAYER_SIGNATURE_HEADER` | the signature header | `x-chatlayer-signature` |
    /// | `CHATLAYER_SIGNATURE_ALGORITHM` | `sha1`, `sha256` or `sha512` | `sha256` |
    /// | `CHATLAYER_SIGNATURE_ENCODING` | `hex` or `base64` | `hex` |
    /// | `CHATLAYER_SIGNATURE_PREFIX` | text before the MAC, e.g. `sha256=` | none |
    /// | `CHATLAYER_SIGNATURE_TIMESTAMP_HEADER` | sign `<timestamp>.<body>`, timestamp from this header | off |
    /// | `CHATLAYER_SIGNATURE_WINDOW` | the replay window for timestamps, a duration | `5m` |
    /// | `CHATLAYER_SIGNATURE_COVERS` | `body` or `request`: see [`SignedContent`] | `body` |
    pub fn from_env() -> Result<Option<Self>, InvalidVariable> {
        SignatureVerifier::from_environment(&Environment::process())
    }

    /// The same, from `env`.
    pub fn from_environment(env: &Environment) -> Result<Option<Self>, InvalidVariable> {
        let Some(secret) = env.get(Variable::SignatureSecret) else {
            return Ok(None);
        };
        let mut verifier = SignatureVerifier::new(secret);
        let header_name = |variable: Variable| {
            env.parsed(variable, |text| {
                HeaderName::try_from(text).map_err(|_| "expected a header name".to_owned())
            })
        };
        if let Some(header) = header_name(Variable::SignatureHeader)? {
            verifier.header = header;
        }
        let algorithm = env.parsed(Variable::SignatureAlgorithm, |text| {
            match text.to_ascii_lowercase().as_str() {
                "sha1" => Ok(SignatureAlgorithm::Sha1),
                "sha256" => Ok(SignatureAlgorithm::Sha256),
                "sha512" => Ok(SignatureAlgorithm::Sha512),
                _ => Err("expected sha1, sha256 or sha512".to_owned()),
            }
        })?;
        if let Some(algorithm) = algorithm {
            verifier.algorithm = algorithm;
        }
        let encoding = env.parsed(Variable::SignatureEncoding, |text| {
            match text.to_ascii_lowercase().as_str() {
                "hex" => Ok(SignatureEncoding::Hex),
                "base64" => Ok(SignatureEncoding::Base64),
                _ => Err("expected hex or base64".to_owned()),
            }
        })?;
        if let Some(encoding) = encoding {
            verifier.encoding = encoding;
        }
        if let Some(prefix) = env.get(Variable::SignaturePrefix) {
            verifier.prefix = prefix.to_owned();
        }
        let window = env
            .duration(Variable::SignatureWindow)?
            .unwrap_or(DEFAULT_WINDOW);
        if let Some(header) = header_name(Variable::SignatureTimestampHeader)? {
            verifier.timestamp = Some(TimestampRule {
                header,
                separator: ".".to_owned(),
                window,
            });
        }
        let covers = env.parsed(Variable::SignatureCovers, |text| {
            match text.to_ascii_lowercase().as_str() {
                "body" => Ok(SignedContent::Body),
                "request" => Ok(SignedContent::Request),
                _ => Err("expected body or request".to_owned()),
            }
        })?;
        if let Some(covers) = covers {
            verifier.covers = covers;
        }
        Ok(Some(verifier))
    }

    /// The header name the signature is read from.
    pub fn header_name(&self) -> &HeaderName {
        &self.header
    }

    /// The header name the timestamp is read from, when timestamps are signed.
    pub fn timestamp_header(&self) -> Option<&HeaderName> {
        self.timestamp.as_ref().map(|rule| &rule.header)
    }

    /// The signature header value of a request, exactly as a sender must send it: to check
    /// a sender's settings, in the tools that call steps, or in tests. `target` is the path
    /// and query as sent (`/order?lang=en`); `method` and `target` count only when the
    /// signature [`covers`](Self::covers) the request, and `timestamp` only when timestamps
    /// are signed.
    pub fn sign(&self, method: &str, target: &str, body: &[u8], timestamp: Option<&str>) -> String {
        let signed = Signed {
            method,
            target,
            body,
        };
        let mac = self.mac(&self.signed_bytes(&signed, timestamp.unwrap_or("")));
        let encoded = match self.encoding {
            SignatureEncoding::Hex => to_hex(&mac),
            SignatureEncoding::Base64 => BASE64.encode(&mac),
        };
        format!("{}{encoded}", self.prefix)
    }

    /// Refuses what would reach a step's arguments unsigned: a query string, when only the
    /// body is signed. Checked before the body is read.
    pub(crate) fn admit_target(&self, query: Option<&str>) -> Result<(), StepError> {
        match (self.covers, query) {
            (SignedContent::Body, Some(query)) if !query.is_empty() => Err(StepError::of(
                ErrorCode::UnsignedQuery,
                format!(
                    "the request has a query string, and the {} signature covers the body only",
                    self.header
                ),
            )
            .with_hint(
                "while signatures are on, send parameters in the body (the API step's Body \
                 tab), or sign the whole request (SignedContent::Request, \
                 CHATLAYER_SIGNATURE_COVERS=request) if the sender does",
            )),
            _ => Ok(()),
        }
    }

    /// Checks the request's signature (and timestamp) against what it covers.
    pub(crate) fn verify(&self, headers: &HeaderMap, signed: &Signed<'_>) -> Result<(), StepError> {
        let timestamp = match &self.timestamp {
            None => "",
            Some(rule) => {
                let text = header_text(headers, &rule.header)?;
                check_window(text, rule)?;
                text
            }
        };
        let presented = header_text(headers, &self.header)?;
        let Some(encoded) = presented.trim().strip_prefix(self.prefix.as_str()) else {
            return Err(refused(format!(
                "the {} header does not start with `{}`",
                self.header, self.prefix
            )));
        };
        let decoded = match self.encoding {
            SignatureEncoding::Hex => from_hex(encoded),
            SignatureEncoding::Base64 => BASE64.decode(encoded).ok(),
        };
        let Some(decoded) = decoded else {
            return Err(refused(format!(
                "the {} header is not {}",
                self.header,
                match self.encoding {
                    SignatureEncoding::Hex => "hexadecimal",
                    SignatureEncoding::Base64 => "base64",
                }
            )));
        };
        if self.matches(&self.signed_bytes(signed, timestamp), &decoded) {
            Ok(())
        } else {
            Err(refused(format!(
                "the {} signature does not match {}",
                self.header,
                match self.covers {
                    SignedContent::Body => "the body",
                    SignedContent::Request => "the method, path, query and body",
                }
            )))
        }
    }

    fn signed_bytes(&self, signed: &Signed<'_>, timestamp: &str) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(signed.body.len() + 64);
        if self.covers == SignedContent::Request {
            bytes.extend_from_slice(signed.method.as_bytes());
            bytes.push(b' ');
            bytes.extend_from_slice(signed.target.as_bytes());
            bytes.push(b'\n');
        }
        if let Some(rule) = &self.timestamp {
            bytes.extend_from_slice(timestamp.as_bytes());
            bytes.extend_from_slice(rule.separator.as_bytes());
        }
        bytes.extend_from_slice(signed.body);
        bytes
    }

    fn mac(&self, bytes: &[u8]) -> Vec<u8> {
        fn compute<M: Mac + KeyInit>(secret: &[u8], bytes: &[u8]) -> Vec<u8> {
            let mut mac = <M as KeyInit>::new_from_slice(secret).expect("HMAC takes any key");
            mac.update(bytes);
            mac.finalize().into_bytes().to_vec()
        }
        match self.algorithm {
            SignatureAlgorithm::Sha1 => compute::<Hmac<sha1::Sha1>>(&self.secret, bytes),
            SignatureAlgorithm::Sha256 => compute::<Hmac<sha2::Sha256>>(&self.secret, bytes),
            SignatureAlgorithm::Sha512 => compute::<Hmac<sha2::Sha512>>(&self.secret, bytes),
        }
    }

    /// Whether `presented` is the MAC of `bytes`, compared in constant time.
    fn matches(&self, bytes: &[u8], presented: &[u8]) -> bool {
        bool::from(self.mac(bytes).ct_eq(presented))
    }
}

/// What a request presents for signing.
pub(crate) struct Signed<'a> {
    /// `POST`.
    pub(crate) method: &'a str,
    /// The path and query as sent: `/order?lang=en`.
    pub(crate) target: &'a str,
    /// The raw body.
    pub(crate) body: &'a [u8],
}

/// Never shows the secret.
impl fmt::Debug for SignatureVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureVerifier")
            .field("secret", &"<redacted>")
            .field("header", &self.header)
            .field("algorithm", &self.algorithm)
            .field("encoding", &self.encoding)
            .field("prefix", &self.prefix)
            .field("timestamp", &self.timestamp)
            .field("covers", &self.covers)
            .finish()
    }
}

fn header_name(name: &str) -> HeaderName {
    HeaderName::try_from(name).unwrap_or_else(|_| panic!("`{name}` is not a valid header name"))
}

fn header_text<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Result<&'a str, StepError> {
    let value = headers
        .get(name)
        .ok_or_else(|| refused(format!("the request has no {name} header")))?;
    value
        .to_str()
        .map_err(|_| refused(format!("the {name} header is not text")))
}

fn check_window(text: &str, rule: &TimestampRule) -> Result<(), StepError> {
    let sent: u64 = text.trim().parse().map_err(|_| {
        refused(format!(
            "the {} header is not a Unix time in seconds",
            rule.header
        ))
    })?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    if now.abs_diff(sent) > rule.window.as_secs() {
        return Err(refused(format!(
            "the {} timestamp is more than {:?} away from now: a replay, or a clock that is off",
            rule.header, rule.window
        )));
    }
    Ok(())
}

fn refused(why: String) -> StepError {
    StepError::of(ErrorCode::InvalidSignature, why).with_hint(
        "the sender must sign each request with the shared secret as this server is configured; \
         `<program> sign` computes the expected header for a body",
    )
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|index| u8::from_str_radix(&text[index..index + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// RFC 2202 and RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
    #[test]
    fn published_hmac_vectors() {
        let data = b"what do ya want for nothing?";
        for (algorithm, expected) in [
            (
                SignatureAlgorithm::Sha1,
                "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            ),
            (
                SignatureAlgorithm::Sha256,
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                SignatureAlgorithm::Sha512,
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
            ),
        ] {
            let verifier = SignatureVerifier::new("Jefe").algorithm(algorithm);
            assert_eq!(
                verifier.sign("POST", "/", data, None),
                expected,
                "{algorithm:?}"
            );
            let mut headers = HeaderMap::new();
            headers.insert(
                DEFAULT_SIGNATURE_HEADER,
                HeaderValue::from_str(&expected.to_uppercase()).unwrap(),
            );
            let signed = Signed {
                method: "POST",
                target: "/",
                body: data,
            };
            assert!(verifier.verify(&headers, &signed).is_ok(), "{algorithm:?}");
        }
    }

    #[test]
    fn hex_round_trips_and_rejects_junk() {
        assert_eq!(from_hex(&to_hex(&[0, 15, 255])), Some(vec![0, 15, 255]));
        for junk in ["abc", "zz", "é1"] {
            assert_eq!(from_hex(junk), None, "{junk}");
        }
    }

    #[test]
    fn the_secret_never_shows() {
        let shown = format!("{:?}", SignatureVerifier::new("hunter2"));
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
