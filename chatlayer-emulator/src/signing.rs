//! Signing the requests the emulator sends, the way the backend verifies them: a backend
//! that checks an HMAC signature refuses an unsigned call, so a conversation against it
//! needs the same secret and scheme.
//!
//! A bot file names its scheme under `signature:` (its secret from the environment, as
//! `${NAME}`), for a backend written in anything; against a chatlayer-rs app in-process,
//! the app's own verifier signs (the `app` feature).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;

/// Signs a request: the headers to add to it.
///
/// The emulator calls it with the request exactly as sent: `target` is the path and query
/// (`/chatlayer/order?lang=en`, the base URL's path included), `body` the bytes of the body.
///
/// ```
/// use chatlayer_emulator::{Backend, RequestSigner};
///
/// #[derive(Debug)]
/// struct Gateway;
///
/// impl RequestSigner for Gateway {
///     fn headers(&self, _method: &str, _target: &str, body: &[u8]) -> Vec<(String, String)> {
///         vec![("x-body-length".to_owned(), body.len().to_string())]
///     }
/// }
///
/// let backend = Backend::url("http://localhost:3000").signed_by(Gateway);
/// # let _ = backend;
/// ```
pub trait RequestSigner: fmt::Debug + Send + Sync {
    /// The headers that sign a request with `method`, `target` and `body`.
    fn headers(&self, method: &str, target: &str, body: &[u8]) -> Vec<(String, String)>;
}

/// A bot file's `signature:`: HMAC over the body (or the whole request), as
/// chatlayer-runtime's `SignatureVerifier` and most webhook schemes verify it.
///
/// ```yaml
/// signature:
///   secret: "${CHATLAYER_SIGNATURE_SECRET}"
///   header: x-chatlayer-signature     # the default
///   algorithm: sha256                 # sha1, sha256 (the default), sha512
///   encoding: hex                     # hex (the default) or base64
///   prefix: "sha256="                 # text before the MAC; none by default
///   timestamp_header: x-timestamp     # sign "<unix seconds>.<body>"; off by default
///   covers: body                      # body (the default) or request: "METHOD path?query\n" first
/// ```
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignatureSpec {
    pub(crate) secret: String,
    #[serde(default = "default_header")]
    header: String,
    #[serde(default)]
    algorithm: Algorithm,
    #[serde(default)]
    encoding: Encoding,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    timestamp_header: Option<String>,
    #[serde(default)]
    covers: Covers,
}

impl fmt::Debug for SignatureSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureSpec")
            .field("secret", &"[hidden]")
            .field("header", &self.header)
            .field("covers", &self.covers)
            .finish_non_exhaustive()
    }
}

fn default_header() -> String {
    "x-chatlayer-signature".to_owned()
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Algorithm {
    Sha1,
    #[default]
    Sha256,
    Sha512,
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Encoding {
    #[default]
    Hex,
    Base64,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Covers {
    #[default]
    Body,
    Request,
}

impl SignatureSpec {
    /// The signer, with the secret as expanded from the environment.
    pub(crate) fn with_secret(&self, secret: String) -> HmacSigner {
        HmacSigner {
            spec: self.clone(),
            secret: secret.into_bytes(),
        }
    }
}

/// A [`SignatureSpec`] with its secret.
#[derive(Clone)]
pub(crate) struct HmacSigner {
    spec: SignatureSpec,
    secret: Vec<u8>,
}

impl fmt::Debug for HmacSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.spec.fmt(f)
    }
}

impl HmacSigner {
    fn sign(&self, method: &str, target: &str, body: &[u8], timestamp: Option<&str>) -> String {
        let mut signed = Vec::with_capacity(body.len() + 64);
        if self.spec.covers == Covers::Request {
            signed.extend_from_slice(format!("{method} {target}\n").as_bytes());
        }
        if let Some(timestamp) = timestamp {
            signed.extend_from_slice(timestamp.as_bytes());
            signed.push(b'.');
        }
        signed.extend_from_slice(body);
        let mac = match self.spec.algorithm {
            Algorithm::Sha1 => mac::<Hmac<sha1::Sha1>>(&self.secret, &signed),
            Algorithm::Sha256 => mac::<Hmac<sha2::Sha256>>(&self.secret, &signed),
            Algorithm::Sha512 => mac::<Hmac<sha2::Sha512>>(&self.secret, &signed),
        };
        let encoded = match self.spec.encoding {
            Encoding::Hex => mac.iter().map(|byte| format!("{byte:02x}")).collect(),
            Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(&mac),
        };
        format!("{}{encoded}", self.spec.prefix)
    }
}

fn mac<M: Mac + KeyInit>(secret: &[u8], bytes: &[u8]) -> Vec<u8> {
    let mut mac = <M as KeyInit>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(bytes);
    mac.finalize().into_bytes().to_vec()
}

impl RequestSigner for HmacSigner {
    fn headers(&self, method: &str, target: &str, body: &[u8]) -> Vec<(String, String)> {
        let timestamp = self.spec.timestamp_header.as_ref().map(|header| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs()
                .to_string();
            (header.clone(), now)
        });
        let signature = self.sign(
            method,
            target,
            body,
            timestamp.as_ref().map(|(_, now)| now.as_str()),
        );
        let mut headers = vec![(self.spec.header.clone(), signature)];
        headers.extend(timestamp);
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> SignatureSpec {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn signs_the_body_as_rfc_4231_test_case_2() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        let signer = spec("secret: x").with_secret("Jefe".to_owned());
        assert_eq!(
            signer.sign("POST", "/x", b"what do ya want for nothing?", None),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn request_mode_signs_method_and_target_first() {
        let body = spec("{secret: x, covers: body}").with_secret("k".to_owned());
        let request = spec("{secret: x, covers: request}").with_secret("k".to_owned());
        let whole = b"POST /order?a=1\n{}";
        assert_eq!(
            request.sign("POST", "/order?a=1", b"{}", None),
            body.sign("", "", whole, None)
        );
    }

    #[test]
    fn unknown_settings_are_refused() {
        assert!(serde_saphyr::from_str::<SignatureSpec>("{secret: x, algo: md5}").is_err());
        assert!(serde_saphyr::from_str::<SignatureSpec>("{secret: x, algorithm: md5}").is_err());
    }
}
