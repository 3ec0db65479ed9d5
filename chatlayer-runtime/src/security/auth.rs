//! [`Auth`]: who may call the steps, as Chatlayer's Authorization tab sets it (Bearer token
//! or Basic credentials).
//!
//! Secrets are kept only as SHA-256 digests and compared in constant time; neither the
//! secret nor what a caller sent is ever logged or shown by `Debug`.

use std::fmt;

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::{Environment, InvalidVariable, Variable};
use crate::error::{ErrorCode, StepError};

/// Who may call a step: set app-wide with
/// [`Security::auth`](super::Security::auth) and per step with
/// [`Security::auth_for`](super::Security::auth_for).
///
/// ```
/// use chatlayer_runtime::App;
/// use chatlayer_runtime::security::{Auth, Security};
/// # use chatlayer_runtime::prelude::*;
/// # #[api_step("/order")] fn order() -> Reply { Reply::new() }
/// # #[api_step("/public")] fn public() -> Reply { Reply::new() }
///
/// let app = App::from_steps([order::STEP, public::STEP])
///     .security(
///         Security::new()
///             .auth(Auth::bearer("a-long-random-token")) // Authorization tab: Bearer
///             .auth_for(public::STEP, Auth::none()),      // this one is open
///     )
///     .build()
///     .unwrap();
/// assert_eq!(format!("{:?}", Auth::basic("bot", "s3cret")), "Auth::Basic(user: <redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Auth(Scheme);

#[derive(Clone, PartialEq, Eq)]
enum Scheme {
    None,
    /// SHA-256 of the token.
    Bearer([u8; 32]),
    /// SHA-256 of `user:password`, as Basic sends it (before base64).
    Basic([u8; 32]),
}

/// Which scheme an [`Auth`] uses, for the OpenAPI document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuthKind {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization: Basic <base64(user:password)>`.
    Basic,
}

impl Auth {
    /// Anyone may call: the default, and the way to open one step of a protected app.
    pub fn none() -> Self {
        Auth(Scheme::None)
    }

    /// Callers must send `Authorization: Bearer <token>`.
    pub fn bearer(token: impl AsRef<str>) -> Self {
        Auth(Scheme::Bearer(digest(token.as_ref().as_bytes())))
    }

    /// Callers must send `Authorization: Basic <base64(user:password)>`.
    pub fn basic(user: impl AsRef<str>, password: impl AsRef<str>) -> Self {
        let credentials = format!("{}:{}", user.as_ref(), password.as_ref());
        Auth(Scheme::Basic(digest(credentials.as_bytes())))
    }

    /// The scheme, or `None` for [`Auth::none`].
    pub fn kind(&self) -> Option<AuthKind> {
        match self.0 {
            Scheme::None => None,
            Scheme::Bearer(_) => Some(AuthKind::Bearer),
            Scheme::Basic(_) => Some(AuthKind::Basic),
        }
    }

    /// What an app reads from the environment when it is built: `CHATLAYER_BEARER_TOKEN`,
    /// or `CHATLAYER_BASIC_USER` with `CHATLAYER_BASIC_PASSWORD`. `Ok(None)` when none is
    /// set, an error when they are half set or both schemes are.
    pub fn from_env() -> Result<Option<Auth>, InvalidVariable> {
        Auth::from_environment(&Environment::process())
    }

    /// The same, from `env`.
    pub fn from_environment(env: &Environment) -> Result<Option<Auth>, InvalidVariable> {
        let (bearer, user, password) = (
            Variable::BearerToken,
            Variable::BasicUser,
            Variable::BasicPassword,
        );
        match (env.get(bearer), env.get(user), env.get(password)) {
            (None, None, None) => Ok(None),
            (Some(token), None, None) => Ok(Some(Auth::bearer(token))),
            (None, Some(name), Some(secret)) => Ok(Some(Auth::basic(name, secret))),
            (None, Some(name), None) => Err(InvalidVariable::new(
                user,
                name,
                format!("set {password} too, for Basic authentication"),
            )),
            (None, None, Some(secret)) => Err(InvalidVariable::new(
                password,
                secret,
                format!("set {user} too, for Basic authentication"),
            )),
            (Some(token), _, _) => Err(InvalidVariable::new(
                bearer,
                token,
                format!("set either {bearer} or {user} and {password}, not both"),
            )),
        }
    }

    /// Checks a request's `Authorization` header.
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<(), StepError> {
        let (scheme_name, expected) = match &self.0 {
            Scheme::None => return Ok(()),
            Scheme::Bearer(expected) => ("Bearer", expected),
            Scheme::Basic(expected) => ("Basic", expected),
        };
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(unauthorized(
                scheme_name,
                "the request has no Authorization header",
            ));
        };
        let presented = value
            .to_str()
            .ok()
            .and_then(|text| text.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case(scheme_name))
            .map(|(_, credentials)| credentials.trim());
        let Some(presented) = presented else {
            return Err(unauthorized(
                scheme_name,
                &format!("the Authorization header is not `{scheme_name} ...`"),
            ));
        };
        let presented = match self.0 {
            Scheme::Basic(_) => match BASE64.decode(presented) {
                Ok(decoded) => decoded,
                Err(_) => {
                    return Err(unauthorized(
                        scheme_name,
                        "the Basic credentials are not base64",
                    ));
                }
            },
            _ => presented.as_bytes().to_vec(),
        };
        // Digests have one length whatever was sent, so the comparison leaks nothing.
        if bool::from(digest(&presented).ct_eq(expected)) {
            Ok(())
        } else {
            Err(unauthorized(scheme_name, "the credentials are wrong"))
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Scheme::None => f.write_str("Auth::None"),
            Scheme::Bearer(_) => f.write_str("Auth::Bearer(<redacted>)"),
            Scheme::Basic(_) => f.write_str("Auth::Basic(user: <redacted>)"),
        }
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn unauthorized(scheme: &str, why: &str) -> StepError {
    StepError::of(
        ErrorCode::Unauthorized,
        format!("{why}: this step requires {scheme} authentication"),
    )
    .with_hint(format!(
        "set the API step's Authorization tab to {scheme} with the credentials this server was given"
    ))
}

/// The `WWW-Authenticate` value for a 401 of `kind`.
pub(crate) fn challenge(kind: AuthKind) -> HeaderValue {
    HeaderValue::from_static(match kind {
        AuthKind::Bearer => "Bearer",
        AuthKind::Basic => "Basic realm=\"chatlayer\", charset=\"UTF-8\"",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(authorization: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn bearer_accepts_only_the_token() {
        let auth = Auth::bearer("t0ken");
        assert!(auth.check(&headers(Some("Bearer t0ken"))).is_ok());
        assert!(auth.check(&headers(Some("bearer t0ken"))).is_ok());
        for wrong in [
            None,
            Some("Bearer t0ke"),
            Some("Bearer t0ken2"),
            Some("Basic t0ken"),
            Some("t0ken"),
        ] {
            let error = auth.check(&headers(wrong)).unwrap_err();
            assert_eq!(
                (error.status(), error.code()),
                (401, "unauthorized"),
                "{wrong:?}"
            );
        }
    }

    #[test]
    fn basic_accepts_only_the_pair() {
        let auth = Auth::basic("bot", "s3cret");
        // base64("bot:s3cret")
        assert!(auth.check(&headers(Some("Basic Ym90OnMzY3JldA=="))).is_ok());
        for wrong in [
            Some("Basic Ym90OnMzY3JldA"),   // not valid base64 padding
            Some("Basic Ym90OnMzY3JldDI="), // bot:s3cret2
            Some("Basic !!!"),
            Some("Bearer Ym90OnMzY3JldA=="),
            None,
        ] {
            assert!(auth.check(&headers(wrong)).is_err(), "{wrong:?}");
        }
    }

    #[test]
    fn secrets_never_show() {
        let shown = format!(
            "{:?} {:?}",
            Auth::bearer("t0ken"),
            Auth::basic("bot", "s3cret")
        );
        assert!(!shown.contains("t0ken") && !shown.contains("s3cret") && !shown.contains("bot"));
        let error = Auth::bearer("t0ken")
            .check(&headers(Some("Bearer guess")))
            .unwrap_err();
        assert!(!error.message().contains("guess") && !error.message().contains("t0ken"));
    }
}
