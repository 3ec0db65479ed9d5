//! Configuration from the environment, in one place: every variable the framework reads
//! ([`Variable`]), the snapshot they are read from ([`Environment`]), the grammar of their
//! values (durations: [`parse_duration`]; switches; numbers; lists), and what is wrong with
//! one that cannot be used ([`InvalidVariable`], which names it).
//!
//! Each variable is read once: an app reads its own when it is built
//! ([`AppBuilder::build`](crate::AppBuilder::build)), a [`Server`](crate::server::Server)
//! its own when it is configured. Settings made in code win over the environment. Tests
//! hand in the variables they need instead of changing the process's
//! ([`AppBuilder::environment`](crate::AppBuilder::environment)), so tests running at once
//! cannot see each other's.
//!
//! The variables:
//!
#![doc = include_str!("variables.md")]

mod duration;
mod variables;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

#[doc(hidden)]
pub use duration::{CASES as DURATION_CASES, step_timeout};
pub use duration::{DurationProblem, parse_duration};
pub use variables::Variable;

/// The values of the framework's [variables](Variable), read once.
///
/// ```
/// use chatlayer_runtime::config::{Environment, Variable};
///
/// // What a test hands to an app instead of changing the process's environment:
/// let env = Environment::empty().with(Variable::BearerToken, "t0ken");
/// assert_eq!(env.get(Variable::BearerToken), Some("t0ken"));
/// assert_eq!(env.get(Variable::Record), None);
/// ```
#[derive(Clone, Default)]
pub struct Environment {
    values: Vec<(Variable, String)>,
    /// Names that are set but mean nothing any more, with their replacement.
    renamed: Vec<&'static str>,
}

impl Environment {
    /// The process's environment: every variable of [`Variable::ALL`], read now.
    pub fn process() -> Self {
        let mut environment = Environment::empty();
        for variable in Variable::ALL {
            if let Ok(value) = std::env::var(variable.name()) {
                environment = environment.with(*variable, value);
            }
        }
        environment.renamed = variables::RENAMED
            .iter()
            .map(|(old, _, _)| *old)
            .filter(|old| std::env::var_os(old).is_some())
            .collect();
        environment
    }

    /// No variable set.
    pub fn empty() -> Self {
        Environment::default()
    }

    /// The same, with `variable` set to `value`.
    pub fn with(mut self, variable: Variable, value: impl Into<String>) -> Self {
        self.values.retain(|(set, _)| *set != variable);
        self.values.push((variable, value.into()));
        self
    }

    /// The value of `variable`, trimmed; `None` when it is unset or blank.
    pub fn get(&self, variable: Variable) -> Option<&str> {
        self.values
            .iter()
            .find(|(set, _)| *set == variable)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// The variables of `area` (see [`Variable::area`]) that are set.
    pub(crate) fn set_in(&self, area: &str) -> Vec<Variable> {
        Variable::ALL
            .iter()
            .copied()
            .filter(|variable| variable.area() == area && self.get(*variable).is_some())
            .collect()
    }

    /// The problems of names that were renamed, when they are set.
    pub(crate) fn renamed_problems(&self) -> Vec<InvalidVariable> {
        variables::RENAMED
            .iter()
            .filter(|(old, _, _)| self.renamed.contains(old))
            .map(|(old, new, expected)| InvalidVariable {
                variable: *new,
                value: None,
                problem: format!("{old} is no longer read: set {new} instead, {expected}"),
            })
            .collect()
    }

    /// `variable` as a duration ([`parse_duration`]); `None` when unset.
    pub(crate) fn duration(&self, variable: Variable) -> Result<Option<Duration>, InvalidVariable> {
        self.parsed(variable, |text| {
            parse_duration(text).map_err(|problem| problem.message().to_owned())
        })
    }

    /// `variable` as a switch: `on`, `true`, `yes`, `1` or `off`, `false`, `no`, `0`.
    pub(crate) fn switch(&self, variable: Variable) -> Result<Option<bool>, InvalidVariable> {
        self.parsed(variable, |text| {
            parse_switch(text).ok_or_else(|| "expected on or off".to_owned())
        })
    }

    /// `variable` as a whole number; `what` names what it counts, for the problem.
    pub(crate) fn number<T: FromStr>(
        &self,
        variable: Variable,
        what: &str,
    ) -> Result<Option<T>, InvalidVariable> {
        self.parsed(variable, |text| {
            text.parse::<T>()
                .map_err(|_| format!("expected a whole number of {what}"))
        })
    }

    /// `variable` as a comma-separated list (blank items left out); empty when unset.
    pub(crate) fn list(&self, variable: Variable) -> Vec<String> {
        self.get(variable)
            .map(|text| {
                text.split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `variable` read by `parse`, whose error says what was expected.
    pub(crate) fn parsed<T>(
        &self,
        variable: Variable,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, InvalidVariable> {
        let Some(text) = self.get(variable) else {
            return Ok(None);
        };
        parse(text)
            .map(Some)
            .map_err(|problem| InvalidVariable::new(variable, text, problem))
    }
}

/// Shows which variables are set, never their values (some are secrets).
impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.values.iter().map(|(variable, _)| variable.name()))
            .finish()
    }
}

/// `on`/`off` and their usual spellings.
pub(crate) fn parse_switch(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Some(true),
        "off" | "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// A variable whose value cannot be used: which, its value (unless it is a secret), and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidVariable {
    variable: Variable,
    value: Option<String>,
    problem: String,
}

impl InvalidVariable {
    /// `variable`'s value `value` cannot be used because of `problem` (what was expected).
    pub fn new(variable: Variable, value: &str, problem: impl Into<String>) -> Self {
        InvalidVariable {
            variable,
            value: (!variable.is_secret()).then(|| value.to_owned()),
            problem: problem.into(),
        }
    }

    /// The variable.
    pub fn variable(&self) -> Variable {
        self.variable
    }

    /// What is wrong with it.
    pub fn problem(&self) -> &str {
        &self.problem
    }
}

/// `CHATLAYER_DRAIN_DELAY="5" cannot be used: a duration needs a unit ...`.
impl fmt::Display for InvalidVariable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(
                f,
                "{}={value:?} cannot be used: {}",
                self.variable, self.problem
            ),
            None => write!(f, "{} cannot be used: {}", self.variable, self.problem),
        }
    }
}

impl std::error::Error for InvalidVariable {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_read_durations_with_the_attributes_grammar() {
        for (text, millis) in DURATION_CASES {
            let env = Environment::empty().with(Variable::DrainDelay, *text);
            let read = env.duration(Variable::DrainDelay);
            match millis {
                // A blank value is an unset variable.
                _ if text.trim().is_empty() => assert_eq!(read, Ok(None)),
                Some(millis) => {
                    assert_eq!(read, Ok(Some(Duration::from_millis(*millis))), "{text:?}")
                }
                None => {
                    let problem = read.unwrap_err().to_string();
                    assert!(problem.starts_with("CHATLAYER_DRAIN_DELAY="), "{problem}");
                }
            }
        }
    }

    #[test]
    fn a_secret_value_is_never_shown() {
        let shown = InvalidVariable::new(Variable::BearerToken, "hunter2", "too short").to_string();
        assert_eq!(shown, "CHATLAYER_BEARER_TOKEN cannot be used: too short");
        let env = Environment::empty().with(Variable::BearerToken, "hunter2");
        assert!(!format!("{env:?}").contains("hunter2"));
    }

    #[test]
    fn the_documented_table_is_the_variables_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/config/variables.md");
        let table = Variable::markdown_table();
        if std::env::var_os("CHATLAYER_BLESS").is_some() {
            std::fs::write(path, &table).unwrap();
            return;
        }
        let written = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            written == table,
            "src/config/variables.md is out of date; rerun with CHATLAYER_BLESS=1:\n{table}"
        );
    }
}
