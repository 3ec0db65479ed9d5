//! The security settings an app reads from its environment, once, when it is built, so that
//! an app is protected the same way whether it serves itself, is served by a host's
//! [`Server`](crate::server::Server), or is mounted in a host's router.

use super::{Auth, IpAllowList, SignatureVerifier};
use crate::config::{Environment, InvalidVariable, Variable};

/// What the environment says, read once.
#[derive(Debug, Default)]
pub(crate) struct EnvSecurity {
    pub(crate) auth: Option<Auth>,
    pub(crate) signature: Option<SignatureVerifier>,
    pub(crate) ip_allow_list: Option<IpAllowList>,
    /// The variables that are set, for the warning of an app that ignores them.
    pub(crate) set: Vec<Variable>,
    /// Values that cannot be used.
    pub(crate) problems: Vec<InvalidVariable>,
}

impl EnvSecurity {
    /// Reads every security variable of `env`.
    pub(crate) fn read(env: &Environment) -> Self {
        let mut problems = Vec::new();
        let auth = keep(Auth::from_environment(env), &mut problems);
        let signature = keep(SignatureVerifier::from_environment(env), &mut problems);
        let ip_allow_list = keep(IpAllowList::from_environment(env), &mut problems);
        EnvSecurity {
            auth,
            signature,
            ip_allow_list,
            set: env.set_in("security"),
            problems,
        }
    }
}

/// The setting, or `None` with its problem recorded.
fn keep<T>(
    result: Result<Option<T>, InvalidVariable>,
    problems: &mut Vec<InvalidVariable>,
) -> Option<T> {
    result.unwrap_or_else(|problem| {
        problems.push(problem);
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(Variable, &str)]) -> EnvSecurity {
        let env = pairs
            .iter()
            .fold(Environment::empty(), |env, (variable, value)| {
                env.with(*variable, *value)
            });
        EnvSecurity::read(&env)
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
            (Variable::BearerToken, "t0ken"),
            (Variable::SignatureSecret, "s3cret"),
            (Variable::AllowIps, "10.0.0.0/8, chatlayer-2022"),
        ]);
        assert_eq!(read.auth, Some(Auth::bearer("t0ken")));
        assert!(read.signature.is_some() && read.ip_allow_list.is_some());
        assert_eq!(
            read.set,
            [
                Variable::BearerToken,
                Variable::SignatureSecret,
                Variable::AllowIps
            ]
        );

        let read = env(&[
            (Variable::BasicUser, "bot"),
            (Variable::SignatureSecret, "s3cret"),
            (Variable::SignatureAlgorithm, "md5"),
            (Variable::AllowIps, "10.0.0.0/33"),
        ]);
        assert_eq!(read.problems.len(), 3, "{:?}", read.problems);
        assert_eq!(read.problems[0].variable(), Variable::BasicUser);
        assert!(
            read.problems[0]
                .to_string()
                .contains("CHATLAYER_BASIC_PASSWORD")
        );
        assert!(read.problems[1].to_string().contains("md5"));
        assert!(read.problems[2].to_string().contains("10.0.0.0/33"));
    }
}
