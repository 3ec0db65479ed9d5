//! The one grammar of durations, for attributes (`timeout = "5s"`, checked while the crate
//! compiles) and for environment variables (`CHATLAYER_DRAIN_DELAY=5s`, checked when the app
//! is built): a whole number and a unit, `ms`, `s`, `m` (or `min`) or `h`, with spaces
//! allowed around them. A number alone is refused (is `5` seconds or milliseconds?), and so
//! is a fraction (`1.5s`: write `1500ms`).
//!
//! The parser is a `const fn`, so that the macros need no grammar of their own: they hand
//! the attribute's text to it in a constant, and a text it refuses fails the build there.

use std::time::Duration;

/// Why a text is not a duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationProblem {
    /// Nothing but spaces.
    Empty,
    /// It does not start with a whole number.
    NoNumber,
    /// A number with a fraction.
    Fraction,
    /// A number with no unit.
    NoUnit,
    /// A unit other than `ms`, `s`, `m`, `min` or `h`.
    UnknownUnit,
    /// More than `u64::MAX` milliseconds.
    TooLong,
}

impl DurationProblem {
    /// What is wrong, and what to write instead.
    pub const fn message(self) -> &'static str {
        match self {
            DurationProblem::Empty => {
                "a duration is empty: write a number and a unit, e.g. 500ms, 5s or 1m"
            }
            DurationProblem::NoNumber => {
                "a duration starts with a whole number: write e.g. 500ms, 5s or 1m"
            }
            DurationProblem::Fraction => {
                "a duration is a whole number: use a smaller unit, e.g. 1500ms for 1.5s"
            }
            DurationProblem::NoUnit => {
                "a duration needs a unit (is 5 seconds or milliseconds?): write e.g. 500ms, 5s or 1m"
            }
            DurationProblem::UnknownUnit => {
                "unknown unit in a duration: the units are ms, s, m (or min) and h, e.g. 5s"
            }
            DurationProblem::TooLong => "a duration is too long to count in milliseconds",
        }
    }
}

impl std::fmt::Display for DurationProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for DurationProblem {}

/// Reads `text` as a duration: see the module documentation.
///
/// ```
/// use std::time::Duration;
/// use chatlayer_runtime::config::parse_duration;
///
/// assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
/// assert_eq!(parse_duration(" 5 s "), Ok(Duration::from_secs(5)));
/// assert_eq!(parse_duration("1min"), Ok(Duration::from_secs(60)));
/// assert!(parse_duration("5").is_err()); // seconds or milliseconds?
/// ```
pub const fn parse_duration(text: &str) -> Result<Duration, DurationProblem> {
    let bytes = text.as_bytes();
    let mut index = skip_spaces(bytes, 0);
    if index == bytes.len() {
        return Err(DurationProblem::Empty);
    }
    let mut number: u64 = 0;
    let digits_start = index;
    while index < bytes.len() && bytes[index].is_ascii_digit() {
        number = match number.checked_mul(10) {
            Some(tens) => match tens.checked_add((bytes[index] - b'0') as u64) {
                Some(sum) => sum,
                None => return Err(DurationProblem::TooLong),
            },
            None => return Err(DurationProblem::TooLong),
        };
        index += 1;
    }
    if index == digits_start {
        return Err(DurationProblem::NoNumber);
    }
    if index < bytes.len() && (bytes[index] == b'.' || bytes[index] == b',') {
        return Err(DurationProblem::Fraction);
    }
    index = skip_spaces(bytes, index);
    let unit_start = index;
    while index < bytes.len() && bytes[index].is_ascii_alphabetic() {
        index += 1;
    }
    let unit_end = index;
    if skip_spaces(bytes, index) != bytes.len() {
        return Err(DurationProblem::UnknownUnit);
    }
    let millis_per_unit: u64 = match unit_len_and_kind(bytes, unit_start, unit_end) {
        Unit::None => return Err(DurationProblem::NoUnit),
        Unit::Unknown => return Err(DurationProblem::UnknownUnit),
        Unit::Millis => 1,
        Unit::Seconds => 1_000,
        Unit::Minutes => 60_000,
        Unit::Hours => 3_600_000,
    };
    match number.checked_mul(millis_per_unit) {
        Some(millis) => Ok(Duration::from_millis(millis)),
        None => Err(DurationProblem::TooLong),
    }
}

enum Unit {
    None,
    Unknown,
    Millis,
    Seconds,
    Minutes,
    Hours,
}

const fn unit_len_and_kind(bytes: &[u8], start: usize, end: usize) -> Unit {
    match end - start {
        0 => Unit::None,
        1 => match bytes[start] {
            b's' => Unit::Seconds,
            b'm' => Unit::Minutes,
            b'h' => Unit::Hours,
            _ => Unit::Unknown,
        },
        2 if bytes[start] == b'm' && bytes[start + 1] == b's' => Unit::Millis,
        3 if bytes[start] == b'm' && bytes[start + 1] == b'i' && bytes[start + 2] == b'n' => {
            Unit::Minutes
        }
        _ => Unit::Unknown,
    }
}

const fn skip_spaces(bytes: &[u8], mut index: usize) -> usize {
    while index < bytes.len() && bytes[index].is_ascii_whitespace() {
        index += 1;
    }
    index
}

/// A step's `timeout = "..."`: a duration, and not zero (the step could never answer).
/// Evaluated in the constant the macros write, so a wrong text fails the build at the
/// attribute.
#[doc(hidden)]
pub const fn step_timeout(text: &str) -> Duration {
    match parse_duration(text) {
        Ok(duration) if duration.is_zero() => {
            panic!(
                "`timeout` cannot be zero: the step could never answer (Chatlayer gives up after 20s)"
            )
        }
        Ok(duration) => duration,
        Err(problem) => panic!("{}", problem.message()),
    }
}

/// The cases both readers of durations are tested on: the text, and the milliseconds it
/// means or `None` when it is refused. One list, so the grammar of attributes and of
/// variables cannot part.
#[doc(hidden)]
pub const CASES: &[(&str, Option<u64>)] = &[
    ("500ms", Some(500)),
    ("5s", Some(5_000)),
    (" 7 s ", Some(7_000)),
    ("2m", Some(120_000)),
    ("1min", Some(60_000)),
    ("1h", Some(3_600_000)),
    ("0s", Some(0)),
    ("", None),
    ("5", None),
    ("s", None),
    ("1.5s", None),
    ("5d", None),
    ("-1s", None),
    ("5 s x", None),
    ("soon", None),
    ("99999999999999999999s", None),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_reads_as_listed() {
        for (text, millis) in CASES {
            let read = parse_duration(text).ok().map(|d| d.as_millis() as u64);
            assert_eq!(read, *millis, "{text:?}");
        }
    }

    /// Attributes read their text through `step_timeout` (in a constant, where a panic is a
    /// compile error at the literal): the same cases, the same verdicts, and zero refused.
    #[test]
    fn attributes_read_every_case_as_variables_do() {
        for (text, millis) in CASES {
            let read = std::panic::catch_unwind(|| step_timeout(text).as_millis() as u64).ok();
            let expected = millis.filter(|millis| *millis > 0);
            assert_eq!(read, expected, "{text:?}");
        }
    }

    #[test]
    fn each_refusal_says_why() {
        assert_eq!(parse_duration("5"), Err(DurationProblem::NoUnit));
        assert_eq!(parse_duration("1.5s"), Err(DurationProblem::Fraction));
        assert_eq!(parse_duration("5d"), Err(DurationProblem::UnknownUnit));
        assert_eq!(parse_duration("  "), Err(DurationProblem::Empty));
        assert_eq!(parse_duration("x"), Err(DurationProblem::NoNumber));
    }
}
