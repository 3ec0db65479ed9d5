//! Who may call the steps: credentials ([`Auth`]), request signatures
//! ([`SignatureVerifier`]) and the caller's address ([`IpAllowList`]).
//!
//! Each is set in the app builder or in the environment (the variables below), and both are
//! resolved once, when the app is built, into the protections every entry point applies:
//! [`App::serve`](crate::App::serve), [`App::serve_with`](crate::App::serve_with), the
//! [`router`](crate::App::router) a host app mounts, and the OpenAPI document, which
//! declares what the steps require. A setting in the builder wins over the environment (with
//! a warning); [`AppBuilder::security_from_env(false)`](crate::AppBuilder::security_from_env)
//! ignores the environment (with a warning when it sets something).
//!
//! | variable | setting |
//! |---|---|
//! | `CHATLAYER_BEARER_TOKEN` | [`Auth::bearer`] for every step |
//! | `CHATLAYER_BASIC_USER`, `CHATLAYER_BASIC_PASSWORD` | [`Auth::basic`] for every step |
//! | `CHATLAYER_SIGNATURE_SECRET` (and `_HEADER`, `_ALGORITHM`, `_ENCODING`, `_PREFIX`, `_TIMESTAMP_HEADER`, `_WINDOW_SECS`) | [`SignatureVerifier`]: see [`SignatureVerifier::from_env`] |
//! | `CHATLAYER_ALLOW_IPS`, `CHATLAYER_TRUSTED_PROXIES` | [`IpAllowList`]: see [`IpAllowList::from_env`] |

mod auth;
mod env;
mod ip;
mod signature;

use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::descriptor::StepDescriptor;
use crate::error::StepError;

pub use auth::{Auth, AuthKind};
pub use env::{
    ALLOW_IPS_ENV, BASIC_PASSWORD_ENV, BASIC_USER_ENV, BEARER_TOKEN_ENV, SECURITY_ENV_VARIABLES,
    SIGNATURE_ALGORITHM_ENV, SIGNATURE_ENCODING_ENV, SIGNATURE_HEADER_ENV, SIGNATURE_PREFIX_ENV,
    SIGNATURE_SECRET_ENV, SIGNATURE_TIMESTAMP_HEADER_ENV, SIGNATURE_WINDOW_SECS_ENV,
    TRUSTED_PROXIES_ENV,
};
pub use ip::{CHATLAYER_EGRESS_2022, IpAllowList};
pub use signature::{
    DEFAULT_SIGNATURE_HEADER, SignatureAlgorithm, SignatureEncoding, SignatureVerifier,
};

pub(crate) use auth::challenge;
pub(crate) use env::{EnvSecurity, Lookup, process_env};

/// What the app builder was told about security.
#[derive(Debug)]
pub(crate) struct SecuritySettings {
    pub(crate) auth: Option<Auth>,
    pub(crate) auth_overrides: Vec<(&'static StepDescriptor, Auth)>,
    pub(crate) signature: Option<SignatureVerifier>,
    pub(crate) ip_allow_list: Option<IpAllowList>,
    pub(crate) from_env: bool,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        SecuritySettings {
            auth: None,
            auth_overrides: Vec::new(),
            signature: None,
            ip_allow_list: None,
            from_env: true,
        }
    }
}

impl SecuritySettings {
    /// The protections of the app: the builder's settings, completed by the environment as
    /// `read` sees it. Returns what cannot be used in the environment as problems.
    pub(crate) fn resolve(self, read: Lookup<'_>) -> (Guards, Vec<String>) {
        let env = EnvSecurity::read(read);
        if !self.from_env {
            if !env.set.is_empty() {
                tracing::warn!(
                    "{} {} set, but this app ignores the environment's security settings \
                     (security_from_env(false)): nothing applies them",
                    env.set.join(", "),
                    if env.set.len() == 1 { "is" } else { "are" }
                );
            }
            return (self.without_env(), Vec::new());
        }
        let auth = prefer_builder(self.auth, env.auth, "authentication");
        let signature = prefer_builder(self.signature, env.signature, "request signatures");
        let ip_allow_list =
            prefer_builder(self.ip_allow_list, env.ip_allow_list, "an IP allow-list");
        let guards = Guards {
            auth,
            auth_overrides: self.auth_overrides,
            signature: signature.map(Arc::new),
            ip_allow_list: ip_allow_list.map(Arc::new),
        };
        (guards, env.problems)
    }

    fn without_env(self) -> Guards {
        Guards {
            auth: self.auth,
            auth_overrides: self.auth_overrides,
            signature: self.signature.map(Arc::new),
            ip_allow_list: self.ip_allow_list.map(Arc::new),
        }
    }
}

/// The builder's setting when there is one (warning when the environment sets it too), else
/// the environment's.
fn prefer_builder<T>(builder: Option<T>, env: Option<T>, what: &str) -> Option<T> {
    match (builder, env) {
        (Some(builder), Some(_)) => {
            tracing::warn!(
                "{what} is configured both in the app builder and in the environment; the \
                 builder's applies"
            );
            Some(builder)
        }
        (builder, env) => builder.or(env),
    }
}

/// The app's protections, resolved once when it is built.
#[derive(Debug, Default)]
pub(crate) struct Guards {
    auth: Option<Auth>,
    auth_overrides: Vec<(&'static StepDescriptor, Auth)>,
    signature: Option<Arc<SignatureVerifier>>,
    ip_allow_list: Option<Arc<IpAllowList>>,
}

impl Guards {
    /// Whether any step checks the caller's address.
    pub(crate) fn checks_ip(&self) -> bool {
        self.ip_allow_list.is_some()
    }

    /// The protections of `step`: its own auth (the last `auth_for` naming it), else the
    /// app's, plus the app-wide signature and IP checks.
    pub(crate) fn for_step(&self, step: &StepDescriptor) -> StepGuards {
        let auth = self
            .auth_overrides
            .iter()
            .rev()
            .find(|(other, _)| other.same_route(step))
            .map(|(_, auth)| auth.clone())
            .or_else(|| self.auth.clone())
            .unwrap_or_else(Auth::none);
        StepGuards {
            auth,
            signature: self.signature.clone(),
            ip_allow_list: self.ip_allow_list.clone(),
        }
    }

    /// The app-wide auth scheme, if any.
    pub(crate) fn default_auth(&self) -> Option<AuthKind> {
        self.auth.as_ref().and_then(Auth::kind)
    }

    /// The steps `auth_for` names, to check that the app serves them.
    pub(crate) fn overridden_steps(&self) -> impl Iterator<Item = &'static StepDescriptor> + '_ {
        self.auth_overrides.iter().map(|(step, _)| *step)
    }

    /// The signature verifier, when requests must be signed.
    pub(crate) fn signature(&self) -> Option<&SignatureVerifier> {
        self.signature.as_deref()
    }
}

/// The protections of one step, checked in dispatch before the step runs.
#[derive(Clone, Debug)]
pub(crate) struct StepGuards {
    auth: Auth,
    signature: Option<Arc<SignatureVerifier>>,
    ip_allow_list: Option<Arc<IpAllowList>>,
}

impl StepGuards {
    /// The checks that need no body: the caller's address, then its credentials.
    pub(crate) fn admit(&self, parts: &Parts) -> Result<(), StepError> {
        if let Some(list) = &self.ip_allow_list {
            let peer = parts
                .extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0);
            list.check(peer, &parts.headers)?;
        }
        self.auth.check(&parts.headers)
    }

    /// The signature over the body, when requests must be signed.
    pub(crate) fn verify_body(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), StepError> {
        match &self.signature {
            Some(verifier) => verifier.verify(headers, body),
            None => Ok(()),
        }
    }

    /// The step's auth scheme, if it requires credentials.
    pub(crate) fn auth_kind(&self) -> Option<AuthKind> {
        self.auth.kind()
    }

    /// The header carrying the signature, when requests must be signed.
    pub(crate) fn signature_header(&self) -> Option<&str> {
        self.signature
            .as_ref()
            .map(|verifier| verifier.header_name().as_str())
    }

    /// Whether an IP allow-list applies.
    pub(crate) fn checks_ip(&self) -> bool {
        self.ip_allow_list.is_some()
    }
}
