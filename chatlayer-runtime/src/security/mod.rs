//! Who may call the steps: credentials ([`Auth`]), request signatures
//! ([`SignatureVerifier`]) and the caller's address ([`IpAllowList`]).
//!
//! Each is set in code ([`Security`]) or in the environment (the variables below), and both
//! are resolved once, when the app is built, into the protections every entry point
//! applies: [`App::serve`](crate::App::serve), a host's
//! [`Server`](crate::server::Server), the [`router`](crate::App::router) a host app
//! mounts, and the OpenAPI document, which declares what the steps require. A setting in
//! code wins over the environment (with a warning); [`Security::from_env(false)`](Security::from_env) ignores
//! the environment (with a warning when it sets something).
//!
//! | variable | setting |
//! |---|---|
//! | `CHATLAYER_BEARER_TOKEN` | [`Auth::bearer`] for every step |
//! | `CHATLAYER_BASIC_USER`, `CHATLAYER_BASIC_PASSWORD` | [`Auth::basic`] for every step |
//! | `CHATLAYER_SIGNATURE_SECRET` (and `_HEADER`, `_ALGORITHM`, `_ENCODING`, `_PREFIX`, `_TIMESTAMP_HEADER`, `_WINDOW`) | [`SignatureVerifier`]: see [`SignatureVerifier::from_env`] |
//! | `CHATLAYER_ALLOW_IPS`, `CHATLAYER_TRUSTED_PROXIES` | [`IpAllowList`]: see [`IpAllowList::from_env`] |

mod auth;
mod env;
mod ip;
mod signature;

use std::sync::Arc;

use axum::extract::{ConnectInfo, OriginalUri};
use axum::http::request::Parts;

use crate::config::{Environment, InvalidVariable};
use crate::descriptor::StepDescriptor;
use crate::error::StepError;

pub use auth::{Auth, AuthKind};
pub use ip::{CHATLAYER_EGRESS_2022, IpAllowList};
use signature::Signed;
pub use signature::{
    DEFAULT_SIGNATURE_HEADER, SignatureAlgorithm, SignatureEncoding, SignatureVerifier,
    SignedContent,
};

pub(crate) use auth::challenge;
use env::EnvSecurity;

/// Who may call the steps, set with [`AppBuilder::security`](crate::AppBuilder::security).
/// What is left alone here is read from the environment when the app is built (the
/// variables above), unless [`from_env(false)`](Self::from_env) says otherwise.
///
/// ```
/// use chatlayer_runtime::prelude::*;
/// use chatlayer_runtime::security::{Auth, Security, SignatureVerifier};
///
/// # #[api_step("/x")] fn x() -> Reply { Reply::new() }
/// let app = App::discover()
///     .security(
///         Security::new()
///             .auth(Auth::bearer("s3cret-token"))
///             .signatures(SignatureVerifier::new("shared-secret")),
///     )
///     .build();
/// # let _ = app;
/// ```
#[derive(Debug)]
#[must_use]
pub struct Security {
    auth: Option<Auth>,
    auth_overrides: Vec<(&'static StepDescriptor, Auth)>,
    signature: Option<SignatureVerifier>,
    ip_allow_list: Option<IpAllowList>,
    from_env: bool,
}

impl Default for Security {
    fn default() -> Self {
        Security {
            auth: None,
            auth_overrides: Vec::new(),
            signature: None,
            ip_allow_list: None,
            from_env: true,
        }
    }
}

impl Security {
    /// Nothing set: the environment decides (by default nothing is required).
    pub fn new() -> Self {
        Security::default()
    }

    /// Who may call every step, as the API steps' Authorization tab is set:
    /// [`Auth::bearer`] or [`Auth::basic`]. A request without the right credentials gets a
    /// JSON 401 and the step does not run. The health endpoints and the docs stay open.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Who may call one step, instead of the app-wide [`auth`](Self::auth): e.g.
    /// `Auth::none()` to open it, or other credentials.
    pub fn auth_for(mut self, step: &'static StepDescriptor, auth: Auth) -> Self {
        self.auth_overrides.push((step, auth));
        self
    }

    /// Requires every request to carry an HMAC signature (see [`SignatureVerifier`]): a
    /// missing or wrong one gets a JSON 401 (`invalid_signature`) and the step does not run.
    pub fn signatures(mut self, verifier: SignatureVerifier) -> Self {
        self.signature = Some(verifier);
        self
    }

    /// Lets only callers from these networks reach the steps (see [`IpAllowList`]); others
    /// get a JSON 403 (`forbidden_ip`). The server must hand each request the caller's
    /// address: [`Server::for_app`](crate::server::Server::for_app) does, and so does axum's
    /// `into_make_service_with_connect_info::<SocketAddr>()`; without it every request is
    /// refused (the caller's address is unknown).
    pub fn allow_ips(mut self, list: IpAllowList) -> Self {
        self.ip_allow_list = Some(list);
        self
    }

    /// Whether the security variables of the environment apply (default: yes, however the
    /// app is served). With `false`, only these settings apply, and a variable that is set
    /// anyway is reported at warn when the app is built, since nothing applies it.
    pub fn from_env(mut self, on: bool) -> Self {
        self.from_env = on;
        self
    }

    /// The protections of the app: these settings, completed by `env`. Returns what
    /// cannot be used in the environment as problems.
    pub(crate) fn resolve(self, env: &Environment) -> (Guards, Vec<InvalidVariable>) {
        let read = EnvSecurity::read(env);
        if !self.from_env {
            if !read.set.is_empty() {
                let names: Vec<&str> = read.set.iter().map(|variable| variable.name()).collect();
                tracing::warn!(
                    "{} {} set, but this app ignores the environment's security settings \
                     (Security::from_env(false)): nothing applies them",
                    names.join(", "),
                    if names.len() == 1 { "is" } else { "are" }
                );
            }
            return (self.without_env(), Vec::new());
        }
        let auth = prefer_code(self.auth, read.auth, "authentication");
        let signature = prefer_code(self.signature, read.signature, "request signatures");
        let ip_allow_list = prefer_code(self.ip_allow_list, read.ip_allow_list, "an IP allow-list");
        let guards = Guards {
            auth,
            auth_overrides: self.auth_overrides,
            signature: signature.map(Arc::new),
            ip_allow_list: ip_allow_list.map(Arc::new),
        };
        (guards, read.problems)
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

/// The code's setting when there is one (warning when the environment sets it too), else
/// the environment's.
fn prefer_code<T>(code: Option<T>, env: Option<T>, what: &str) -> Option<T> {
    match (code, env) {
        (Some(code), Some(_)) => {
            tracing::warn!(
                "{what} is configured both in code and in the environment; the code's applies"
            );
            Some(code)
        }
        (code, env) => code.or(env),
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
/// The guards of an answer that reaches no step: a 405 for a path's other methods, or the
/// 404 of a path no step answers. A stranger (a caller from elsewhere, or one without any
/// of the credentials of the steps concerned) gets the refusal a step would give instead,
/// so that the status tells nothing about which paths and methods exist, and the answer is
/// never recorded.
#[derive(Clone, Debug, Default)]
pub(crate) struct Gate {
    /// The credentials of the steps concerned; empty when one of them is open to anyone.
    auths: Vec<Auth>,
    ip_allow_list: Option<Arc<IpAllowList>>,
}

impl Gate {
    /// The gate in front of the answers of `steps` that are not theirs.
    pub(crate) fn for_steps<'a>(
        guards: &Guards,
        steps: impl IntoIterator<Item = &'a StepDescriptor>,
    ) -> Gate {
        let mut auths = Vec::new();
        for step in steps {
            let auth = guards.for_step(step).auth;
            if auth.kind().is_none() {
                auths.clear();
                break;
            }
            auths.push(auth);
        }
        Gate {
            auths,
            ip_allow_list: guards.ip_allow_list.clone(),
        }
    }

    /// The refusal a stranger gets, as a whole answer; `None` for a caller the steps admit.
    /// (The router marks it unrecorded.)
    pub(crate) fn refuse(&self, parts: &Parts) -> Option<axum::response::Response> {
        let error = self.check(parts).err()?;
        let mut response = crate::error::error_response(&error.0, None);
        if let Some(kind) = error.1 {
            response
                .headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, challenge(kind));
        }
        Some(response)
    }

    fn check(&self, parts: &Parts) -> Result<(), (StepError, Option<AuthKind>)> {
        if let Some(list) = &self.ip_allow_list {
            let peer = parts
                .extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0);
            list.check(peer, &parts.headers)
                .map_err(|error| (error, None))?;
        }
        let Some(first) = self.auths.first() else {
            return Ok(());
        };
        if self
            .auths
            .iter()
            .any(|auth| auth.check(&parts.headers).is_ok())
        {
            return Ok(());
        }
        Err((
            first.check(&parts.headers).err().unwrap_or_else(|| {
                StepError::of(crate::error::ErrorCode::Unauthorized, "credentials refused")
            }),
            first.kind(),
        ))
    }
}

#[derive(Clone, Debug)]
pub(crate) struct StepGuards {
    auth: Auth,
    signature: Option<Arc<SignatureVerifier>>,
    ip_allow_list: Option<Arc<IpAllowList>>,
}

impl StepGuards {
    /// The checks that need no body: the caller's address, its credentials, then (when
    /// requests must be signed) that nothing the signature leaves out would reach the step.
    pub(crate) fn admit(&self, parts: &Parts) -> Result<(), StepError> {
        if let Some(list) = &self.ip_allow_list {
            let peer = parts
                .extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0);
            list.check(peer, &parts.headers)?;
        }
        self.auth.check(&parts.headers)?;
        match &self.signature {
            Some(verifier) => verifier.admit_target(parts.uri.query()),
            None => Ok(()),
        }
    }

    /// The signature over what it covers, when requests must be signed.
    pub(crate) fn verify(&self, parts: &Parts, body: &[u8]) -> Result<(), StepError> {
        let Some(verifier) = &self.signature else {
            return Ok(());
        };
        // Under a host's `nest`, the URI the step sees has lost the host's prefix; the
        // sender signed the path it sent.
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or(&parts.uri, |original| &original.0);
        let target = uri.path_and_query().map_or("/", |target| target.as_str());
        let signed = Signed {
            method: parts.method.as_str(),
            target,
            body,
        };
        verifier.verify(&parts.headers, &signed)
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
