//! Parameters that none of a step's arguments reads: usually a typo in the API step's key
//! (`E-mail` for `email`), which would otherwise leave an optional argument silently empty.
//! They are logged once per step and name, or refused when the step denies them.

use std::collections::BTreeSet;
use std::sync::Mutex;

use crate::error::{ErrorCode, StepError};
use crate::extract::context::READ_BY_THE_FRAMEWORK;
use crate::nearest::closest;
use crate::param_map::SentParams;
use crate::untrusted::{Bounded, Untrusted};

/// How many distinct unknown names one step remembers having logged: callers choose the
/// names, so the memory they can make the server keep is bounded.
const REMEMBERED: usize = 32;

/// The parameters one step reads, and the unknown ones already logged.
pub(crate) struct KnownParams {
    /// Sorted, for the messages; `None` when an argument may read any parameter.
    names: Option<Box<[&'static str]>>,
    deny: bool,
    logged: Mutex<BTreeSet<String>>,
}

impl KnownParams {
    /// `names` (any order, duplicates allowed) are the parameters the step reads; `None`
    /// when it may read any. With `deny`, a request with another parameter is refused.
    pub(crate) fn new(names: Option<Vec<&'static str>>, deny: bool) -> Self {
        let names = names.map(|mut names| {
            names.sort_unstable();
            names.dedup();
            names.into_boxed_slice()
        });
        KnownParams {
            names,
            deny,
            logged: Mutex::new(BTreeSet::new()),
        }
    }

    /// Refuses (with `deny`) or logs (once per name) the parameters of `params` that the
    /// step does not read.
    pub(crate) fn check(&self, step: &str, params: &SentParams) -> Result<(), StepError> {
        let Some(names) = &self.names else {
            return Ok(());
        };
        // A handful of names: a scan that compares lengths first beats a binary search of
        // string comparisons, and every request pays for it.
        // The framework's own names are never unknown, and never listed as the step's.
        let is_unknown =
            |name: &&str| !names.contains(name) && !READ_BY_THE_FRAMEWORK.contains(name);
        let mut sent = params.names();
        // Most requests carry only known names: nothing is allocated for them.
        let Some(first) = sent.find(is_unknown) else {
            return Ok(());
        };
        if self.deny {
            let mut error = StepError::of(
                ErrorCode::UnknownParameter,
                format!(
                    "parameter {} is not read by this step, which reads {}",
                    Untrusted(first),
                    list(names)
                ),
            )
            .with_parameter(Untrusted(first).escaped());
            error = error.with_hint(match closest(first, names) {
                Some(known) => {
                    format!("did you mean `{known}`? Rename the API step's row, or remove it")
                }
                None => "remove the row from the API step, or read it with an argument".to_owned(),
            });
            return Err(error);
        }
        self.log_once(step, first, names);
        for name in sent.filter(is_unknown) {
            self.log_once(step, name, names);
        }
        Ok(())
    }

    fn log_once(&self, step: &str, name: &str, names: &[&'static str]) {
        let mut logged = self
            .logged
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if logged.len() >= REMEMBERED || logged.contains(name) {
            return;
        }
        logged.insert(name.to_owned());
        let suggestion = closest(name, names)
            .map(|known| format!(" (did you mean `{known}`?)"))
            .unwrap_or_default();
        tracing::warn!(
            step,
            parameter = %Bounded::message(name),
            "parameter {} is not read by this step{suggestion}, which reads {}; a typo in the \
             API step's key? (logged once per step and name; deny_unknown_params refuses such \
             requests)",
            Untrusted(name),
            list(names)
        );
    }
}

/// `` `a`, `b` and `c` ``, or "no parameters".
fn list(names: &[&str]) -> String {
    match names {
        [] => "no parameters".to_owned(),
        [one] => format!("`{one}`"),
        [rest @ .., last] => format!(
            "{} and `{last}`",
            rest.iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(body: serde_json::Value) -> SentParams {
        SentParams::decoded(crate::param_map::ParamMap::from_parts(body, json!({})))
    }

    #[test]
    fn near_names_are_suggested() {
        let known = ["email", "slot", "on_success"];
        assert_eq!(closest("E-mail", &known), Some("email"));
        assert_eq!(closest("emial", &known), Some("email"));
        assert_eq!(closest("onSuccess", &known), Some("on_success"));
        assert_eq!(closest("colour", &known), None);
        assert_eq!(closest("slto", &["slot"]), Some("slot"));
    }

    #[test]
    fn unknown_names_are_refused_when_denied_and_pass_otherwise() {
        let strict = KnownParams::new(Some(vec!["slot", "email"]), true);
        assert!(
            strict
                .check("book", &params(json!({"email": "a@b.c"})))
                .is_ok()
        );
        let error = strict
            .check("book", &params(json!({"E-mail": "a@b.c", "slot": "10:00"})))
            .unwrap_err();
        assert_eq!(error.code(), "unknown_parameter");
        assert_eq!(error.parameter(), Some("E-mail"));
        assert!(
            error.message().contains("`email` and `slot`"),
            "{}",
            error.message()
        );
        assert!(error.hint().unwrap().contains("did you mean `email`?"));

        let lenient = KnownParams::new(Some(vec!["slot"]), false);
        assert!(
            lenient
                .check("book", &params(json!({"E-mail": "x"})))
                .is_ok()
        );
        let open = KnownParams::new(None, true);
        assert!(open.check("book", &params(json!({"anything": 1}))).is_ok());
    }

    #[test]
    fn the_names_remembered_are_bounded() {
        let known = KnownParams::new(Some(vec!["slot"]), false);
        for index in 0..1000 {
            let body = json!({ format!("junk{index}"): 1 });
            known.check("book", &params(body)).unwrap();
        }
        assert_eq!(known.logged.lock().unwrap().len(), REMEMBERED);
    }
}
