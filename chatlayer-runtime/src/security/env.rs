//! The security settings an app reads from its environment, once, when it is built, so that
//! an app is protected the same way whether it serves itself, is served with `serve_with`, or
//! is mounted in a host's router.

use super::{Auth, IpAllowList, SignatureVerifier};

/// The Bearer token callers must send.
pub const BEARER_TOKEN_ENV: &str = "CHATLAYER_BEARER_TOKEN";
/// The Basic user name callers must send (with [`BASIC_PASSWORD_ENV`]).
pub const BASIC_USER_ENV: &str = "CHATLAYER_BASIC_USER";
/// The Basic password callers must send (with [`BASIC_USER_ENV`]).
pub const BASIC_PASSWORD_ENV: &str = "CHATLAYER_BASIC_PASSWORD";
/// The shared secret of request signatures (turns verification on).
pub const SIGNATURE_SECRET_ENV: &str = "CHATLAYER_SIGNATURE_SECRET";
/// The header carrying the signature.
pub const SIGNATURE_HEADER_ENV: &str = "CHATLAYER_SIGNATURE_HEADER";
/// `sha1`, `sha256` or `sha512`.
pub const SIGNATURE_ALGORITHM_ENV: &str = "CHATLAYER_SIGNATURE_ALGORITHM";
/// `hex` or `base64`.
pub const SIGNATURE_ENCODING_ENV: &str = "CHATLAYER_SIGNATURE_ENCODING";
/// Text before the MAC, e.g. `sha256=`.
pub const SIGNATURE_PREFIX_ENV: &str = "CHATLAYER_SIGNATURE_PREFIX";
/// The header carrying the signed timestamp, when timestamps are signed.
pub const SIGNATURE_TIMESTAMP_HEADER_ENV: &str = "CHATLAYER_SIGNATURE_TIMESTAMP_HEADER";
/// The replay window of signed timestamps, in seconds.
pub const SIGNATURE_WINDOW_SECS_ENV: &str = "CHATLAYER_SIGNATURE_WINDOW_SECS";
/// The networks allowed to call the steps.
pub const ALLOW_IPS_ENV: &str = "CHATLAYER_ALLOW_IPS";
/// The reverse proxies whose `X-Forwarded-For` is believed.
pub const TRUSTED_PROXIES_ENV: &str = "CHATLAYER_TRUSTED_PROXIES";

/// Every variable the security settings read.
pub const SECURITY_ENV_VARIABLES: [&str; 12] = [
    BEARER_TOKEN_ENV,
    BASIC_USER_ENV,
    BASIC_PASSWORD_ENV,
    SIGNATURE_SECRET_ENV,
    SIGNATURE_HEADER_ENV,
    SIGNATURE_ALGORITHM_ENV,
    SIGNATURE_ENCODING_ENV,
    SIGNATURE_PREFIX_ENV,
    SIGNATURE_TIMESTAMP_HEADER_ENV,
    SIGNATURE_WINDOW_SECS_ENV,
    ALLOW_IPS_ENV,
    TRUSTED_PROXIES_ENV,
];

/// Reads one variable: `None` when it is unset or blank.
pub(crate) type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, as a [`Lookup`].
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// What the environment says, read once.
#[derive(Debug, Default)]
pub(crate) struct EnvSecurity {
    pub(crate) auth: Option<Auth>,
    pub(crate) signature: Option<SignatureVerifier>,
    pub(crate) ip_allow_list: Option<IpAllowList>,
    /// The variables that are set, for the warning of an app that ignores them.
    pub(crate) set: Vec<&'static str>,
    /// Values that cannot be used: what is wrong with each.
    pub(crate) problems: Vec<String>,
}

impl EnvSecurity {
    /// Reads every security variable through `read`.
    pub(crate) fn read(read: Lookup<'_>) -> Self {
        let mut problems = Vec::new();
        let auth = keep(Auth::from_lookup(read), &mut problems);
        let signature = keep(SignatureVerifier::from_lookup(read), &mut problems);
        let ip_allow_list = keep(IpAllowList::from_lookup(read), &mut problems);
        EnvSecurity {
            auth,
            signature,
            ip_allow_list,
            set: SECURITY_ENV_VARIABLES
                .into_iter()
                .filter(|name| read(name).is_some())
                .collect(),
            problems,
        }
    }
}

/// The setting, or `None` with its problem recorded.
fn keep<T>(result: Result<Option<T>, String>, problems: &mut Vec<String>) -> Option<T> {
    result.unwrap_or_else(|problem| {
        problems.push(problem);
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvSecurity {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        EnvSecurity::read(&move |name| {
            pairs
                .iter()
                .find(|(known, _)| known == name)
                .map(|(_, value)| value.clone())
        })
    }

    #[test]
    fn nothing_set_is_nothing_on() {
        let read = env(&[]);
        assert!(read.auth.is_none() && read.signature.is_none() && read.ip_allow_list.is_none());
        assert!(read.set.is_empty() && read.problems.is_empty());
    }

    #[test]
    fn each_setting_is_read_and_every_problem_reported() {
        let read = env(&[
            (BEARER_TOKEN_ENV, "t0ken"),
            (SIGNATURE_SECRET_ENV, "s3cret"),
            (ALLOW_IPS_ENV, "10.0.0.0/8, chatlayer-2022"),
        ]);
        assert_eq!(read.auth, Some(Auth::bearer("t0ken")));
        assert!(read.signature.is_some() && read.ip_allow_list.is_some());
        assert_eq!(
            read.set,
            [BEARER_TOKEN_ENV, SIGNATURE_SECRET_ENV, ALLOW_IPS_ENV]
        );

        let read = env(&[
            (BASIC_USER_ENV, "bot"),
            (SIGNATURE_SECRET_ENV, "s3cret"),
            (SIGNATURE_ALGORITHM_ENV, "md5"),
            (ALLOW_IPS_ENV, "10.0.0.0/33"),
        ]);
        assert_eq!(read.problems.len(), 3, "{:?}", read.problems);
        assert!(read.problems[0].contains(BASIC_PASSWORD_ENV));
        assert!(read.problems[1].contains("md5"));
        assert!(read.problems[2].contains("10.0.0.0/33"));
    }
}
