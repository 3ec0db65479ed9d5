//! Parameters that none of a step's arguments reads: usually a typo in the API step's key
//! (`E-mail` for `email`), which would otherwise leave an optional argument silently empty.
//! They are logged once per step and name, or refused when the step denies them.

use std::sync::atomic::{AtomicU64, Ordering};

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
    /// The step's names and the framework's own, for the lookup every request makes.
    known: NameSet,
    deny: bool,
    /// The unknown names logged, by hash (0: a free slot). A name Chatlayer sends on every
    /// request (a row the step does not read) is looked up here on every request: plain
    /// loads, no lock and no read-modify-write, unless it is new.
    logged: [AtomicU64; REMEMBERED],
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
        let known = NameSet::new(
            names
                .iter()
                .flat_map(|names| names.iter().copied())
                .chain(READ_BY_THE_FRAMEWORK),
        );
        KnownParams {
            names,
            known,
            deny,
            logged: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// Refuses (with `deny`) or logs (once per name) the parameters of `params` that the
    /// step does not read.
    pub(crate) fn check(&self, step: &str, params: &SentParams) -> Result<(), StepError> {
        let Some(names) = &self.names else {
            return Ok(());
        };
        // Every request pays for this lookup, once per name it sends, so the names are
        // visited in one pass with no iterator adapters between. The framework's own names
        // are never unknown, and never listed as the step's.
        let mut first = None;
        params.each_name(|name| {
            let of_name = words(name);
            if self.known.contains(name, of_name) {
                return true;
            }
            if self.deny {
                first = Some(name);
                return false; // one is enough to refuse
            }
            self.log_once(step, name, of_name, names);
            true
        });
        let Some(first) = first else {
            return Ok(());
        };
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
        Err(error)
    }

    fn log_once(&self, step: &str, name: &str, of_name: Words, names: &[&'static str]) {
        if !self.first_time(name, of_name) {
            return;
        }
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

/// A few names, looked up on every request: a sent name is compared only with the names of
/// its length, found by index, and first by two words of its bytes (which, up to 16 bytes,
/// are all of them) rather than by a call to `memcmp`. A linear `contains` over the step's
/// and the framework's names cost about 1,900 instructions per request of a body as
/// Chatlayer sends it (a dozen names, each compared with ten).
struct NameSet {
    /// Sorted by length, each with its [`words`].
    names: Box<[(Words, &'static str)]>,
    /// `starts[n]`: where the names of `n` bytes begin in `names` (`n` up to
    /// [`LONG`], which holds every longer name too); `starts[LONG + 1]` is the end.
    starts: [usize; LONG + 2],
}

/// Names of this many bytes or more share the last bucket.
const LONG: usize = 64;

/// A name's first and last eight bytes as two words (a shorter name's bytes, zero-padded,
/// twice): with its length, the whole name up to 16 bytes.
type Words = (u64, u64);

fn words(name: &str) -> Words {
    let bytes = name.as_bytes();
    match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        (Some(head), Some(tail)) => (u64::from_le_bytes(*head), u64::from_le_bytes(*tail)),
        _ => {
            let word = bytes
                .iter()
                .rev()
                .fold(0u64, |word, byte| word << 8 | u64::from(*byte));
            (word, word)
        }
    }
}

impl NameSet {
    fn new(names: impl IntoIterator<Item = &'static str>) -> Self {
        let mut names: Vec<&'static str> = names.into_iter().collect();
        names.sort_unstable_by_key(|name| (name.len(), *name));
        names.dedup();
        let mut starts = [0; LONG + 2];
        for (bucket, start) in starts.iter_mut().enumerate() {
            *start = names.partition_point(|name| name.len().min(LONG) < bucket);
        }
        NameSet {
            names: names.into_iter().map(|name| (words(name), name)).collect(),
            starts,
        }
    }

    /// Whether `name`, whose [`words`] are `of_name`, is one of the set.
    fn contains(&self, name: &str, of_name: Words) -> bool {
        let bucket = name.len().min(LONG);
        let (start, end) = (self.starts[bucket], self.starts[bucket + 1]);
        self.names[start..end].iter().any(|(of_known, known)| {
            *of_known == of_name && (name.len() <= 16 || known.as_bytes() == name.as_bytes())
        })
    }
}

impl KnownParams {
    /// Whether `name` is logged for the first time: its hash takes a free slot. With every
    /// slot taken, or the hash already there, it is not. Two requests racing with one new
    /// name log it once: only one compare-exchange takes the slot, the other then finds it.
    fn first_time(&self, name: &str, of_name: Words) -> bool {
        let hash = name_hash(name, of_name);
        for slot in &self.logged {
            match slot.load(Ordering::Acquire) {
                found if found == hash => return false,
                0 => match slot.compare_exchange(0, hash, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => return true,
                    Err(found) if found == hash => return false,
                    Err(_) => continue,
                },
                _ => continue,
            }
        }
        false
    }
}

/// A hash of the name from its length and [`words`] (its first and last eight bytes), never
/// 0 (the free slot's mark). Names that agree on all three (only names over 16 bytes that
/// differ in the middle can) are one name here: the second goes unlogged, as a name past
/// the bound on remembered names does.
fn name_hash(name: &str, (head, tail): Words) -> u64 {
    let mixed = (head ^ tail.rotate_left(29) ^ (name.len() as u64).rotate_left(53))
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (mixed ^ mixed >> 31).max(1)
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
        let taken = known
            .logged
            .iter()
            .filter(|slot| slot.load(Ordering::Relaxed) != 0)
            .count();
        assert_eq!(taken, REMEMBERED);
    }

    #[test]
    fn the_name_set_finds_exactly_its_names() {
        let long = "a_name_longer_than_sixty_three_bytes_which_the_mask_counts_as_sixty_three";
        let set = NameSet::new(["sku", "quantity", "on_success", "sessionId", long, "sku"]);
        for name in ["sku", "quantity", "on_success", "sessionId", long] {
            assert!(set.contains(name, words(name)), "{name}");
        }
        let mut middle = long.to_owned();
        middle.replace_range(30..31, "X");
        for name in [
            "",
            "sk",
            "skU",
            "quantitY",
            "on_failure",
            "customer",
            &long[1..],
            "sessionI",
            &middle,
        ] {
            assert!(!set.contains(name, words(name)), "{name}");
        }
    }

    #[test]
    fn names_that_differ_in_length_or_at_either_end_hash_apart() {
        let names = [
            "",
            "a",
            "b",
            "ab",
            "ba",
            "customer",
            "customeR",
            "campaign",
            "customer1",
            "customer_name_first",
            "customer_name_final",
            "preferredLanguage",
            "a_b",
            "b_a",
        ];
        let hash = |name: &str| name_hash(name, words(name));
        for (index, one) in names.iter().enumerate() {
            assert_ne!(hash(one), 0);
            for other in &names[index + 1..] {
                assert_ne!(hash(one), hash(other), "{one} and {other}");
            }
        }
    }

    #[test]
    fn a_name_is_logged_once_even_by_racing_requests() {
        let known = std::sync::Arc::new(KnownParams::new(Some(vec!["slot"]), false));
        let firsts: usize = (0..8)
            .map(|_| {
                let known = std::sync::Arc::clone(&known);
                std::thread::spawn(move || {
                    (0..100)
                        .filter(|_| known.first_time("customer", words("customer")))
                        .count()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .sum();
        assert_eq!(firsts, 1);
        assert!(known.first_time("campaign", words("campaign")));
        assert!(!known.first_time("campaign", words("campaign")));
    }
}
