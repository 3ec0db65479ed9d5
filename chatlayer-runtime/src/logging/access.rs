//! [`AccessLines`]: the default output's encoder for the one event every request logs, the
//! access line.
//!
//! `tracing-subscriber`'s general formatter took about 12,000 instructions per access line
//! (counted with callgrind on the quickstart under load: a fifth of the whole request),
//! most of them in `core::fmt` machinery for the span lookup, the styled level and the
//! field-by-field escaping it must do for events it knows nothing about. This layer knows
//! the line: it writes the timestamp by hand and the fields as they are recorded, into one
//! reused buffer, and hands the line to the batch writer. The general formatter skips the
//! event (see [`super::install_default_subscriber`]); every other subscriber and exporter
//! still gets it as a normal `tracing` event.
//!
//! The output is the one the general formatter gave, so that log collectors and people see
//! no difference:
//!
//! ```text
//! 2026-11-21T10:49:03.123456Z  INFO chatlayer::access: answered step=order method=POST path=/order session=s-1 status=200 code=ok latency_ms=0.412 fallback=false
//! {"timestamp":"2026-11-21T10:49:03.123456Z","level":"INFO","message":"answered","step":"order",...,"target":"chatlayer::access"}
//! ```

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;

use super::Format;
use super::batch::BatchWriter;
use crate::observe::ACCESS_TARGET;

/// Writes access lines straight into the batch writer.
pub(super) struct AccessLines {
    pub(super) writer: BatchWriter,
    pub(super) format: Format,
    /// ANSI styles, as the general formatter uses them on a terminal.
    pub(super) colours: bool,
}

thread_local! {
    /// The line being written: reused, so that a line allocates nothing once warm.
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

impl<S: Subscriber> Layer<S> for AccessLines {
    fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
        if event.metadata().target() != ACCESS_TARGET {
            return;
        }
        LINE.with(|line| {
            // An access line logged while one is being written (by a field's Display, say)
            // is written with a buffer of its own rather than panicking.
            let mut own = String::new();
            let mut borrowed = line.try_borrow_mut();
            let line = match borrowed.as_deref_mut() {
                Ok(line) => line,
                Err(_) => &mut own,
            };
            line.clear();
            self.encode(event, line);
            let _ = self.writer.clone().write_all(line.as_bytes());
        });
    }
}

impl AccessLines {
    fn encode(&self, event: &Event<'_>, line: &mut String) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        match self.format {
            Format::Text => {
                self.styled(line, "\x1b[2m", |line| push_timestamp(line, now));
                line.push(' ');
                self.styled(line, "\x1b[32m", |line| line.push_str(" INFO"));
                line.push(' ');
                self.styled(line, "\x1b[2m", |line| {
                    line.push_str(ACCESS_TARGET);
                    line.push(':');
                });
                event.record(&mut TextFields {
                    line,
                    colours: self.colours,
                });
            }
            Format::Json => {
                line.push_str(r#"{"timestamp":""#);
                push_timestamp(line, now);
                line.push_str(r#"","level":"INFO""#);
                event.record(&mut JsonFields { line });
                line.push_str(r#","target":""#);
                line.push_str(ACCESS_TARGET);
                line.push_str(r#""}"#);
            }
        }
        line.push('\n');
    }

    fn styled(&self, line: &mut String, style: &str, write: impl FnOnce(&mut String)) {
        if self.colours {
            line.push_str(style);
            write(line);
            line.push_str("\x1b[0m");
        } else {
            write(line);
        }
    }
}

/// Fields as `name=value` after the message, as the general formatter writes them.
struct TextFields<'a> {
    line: &'a mut String,
    colours: bool,
}

impl TextFields<'_> {
    fn name(&mut self, field: &Field) {
        self.line.push(' ');
        if self.colours {
            self.line.push_str("\x1b[3m");
            self.line.push_str(field.name());
            self.line.push_str("\x1b[0m\x1b[2m=\x1b[0m");
        } else {
            self.line.push_str(field.name());
            self.line.push('=');
        }
    }
}

impl Visit for TextFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.line.push(' ');
        } else {
            self.name(field);
        }
        self.line.push_str(value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.name(field);
        let _ = write!(self.line, "{value}");
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.name(field);
        push_f64(self.line, value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.name(field);
        self.line.push_str(if value { "true" } else { "false" });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.line.push(' ');
        } else {
            self.name(field);
        }
        let _ = write!(self.line, "{value:?}");
    }
}

/// Fields as JSON members, flattened into the line's object.
struct JsonFields<'a> {
    line: &'a mut String,
}

impl JsonFields<'_> {
    fn name(&mut self, field: &Field) {
        self.line.push_str(",\"");
        // Field names are identifiers written in this crate: nothing to escape.
        self.line.push_str(field.name());
        self.line.push_str("\":");
    }
}

impl Visit for JsonFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.name(field);
        self.line.push('"');
        let _ = JsonEscaped(self.line).write_str(value);
        self.line.push('"');
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.name(field);
        let _ = write!(self.line, "{value}");
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.name(field);
        if value.is_finite() {
            push_f64(self.line, value);
        } else {
            self.line.push_str("null");
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.name(field);
        self.line.push_str(if value { "true" } else { "false" });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.name(field);
        self.line.push('"');
        let _ = write!(JsonEscaped(self.line), "{value:?}");
        self.line.push('"');
    }
}

/// Writes text into a JSON string's contents, escaped.
struct JsonEscaped<'a>(&'a mut String);

impl fmt::Write for JsonEscaped<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut rest = text;
        while let Some(at) = rest.find(|c: char| c == '"' || c == '\\' || c < ' ') {
            self.0.push_str(&rest[..at]);
            let c = rest[at..].chars().next().unwrap_or_default();
            match c {
                '"' => self.0.push_str("\\\""),
                '\\' => self.0.push_str("\\\\"),
                '\n' => self.0.push_str("\\n"),
                '\r' => self.0.push_str("\\r"),
                '\t' => self.0.push_str("\\t"),
                other => write!(self.0, "\\u{:04x}", u32::from(other))?,
            }
            rest = &rest[at + c.len_utf8()..];
        }
        self.0.push_str(rest);
        Ok(())
    }
}

/// `value` as `{}` writes it. The latency is a whole number of microseconds in
/// milliseconds (`0.412`), which is written digit by digit: `{}` on an `f64` cost more
/// than the rest of the line's numbers together.
fn push_f64(line: &mut String, value: f64) {
    let micros = (value * 1000.0).round();
    if (0.0..1e15).contains(&micros) && micros / 1000.0 == value {
        let micros = micros as u64;
        let _ = write!(line, "{}", micros / 1000);
        let mut fraction = micros % 1000;
        if fraction > 0 {
            line.push('.');
            let mut width = 3;
            while fraction.is_multiple_of(10) {
                fraction /= 10;
                width -= 1;
            }
            push_digits(line, fraction, width);
        }
    } else {
        let _ = write!(line, "{value}");
    }
}

/// RFC 3339 in UTC with microseconds, e.g. `2026-11-21T10:49:03.123456Z`, the general
/// formatter's format.
pub(crate) fn push_timestamp(line: &mut String, since_epoch: std::time::Duration) {
    let seconds = since_epoch.as_secs();
    let (year, month, day) = civil_from_days(seconds / 86_400);
    let of_day = seconds % 86_400;
    push_digits(line, year, 4);
    line.push('-');
    push_digits(line, month, 2);
    line.push('-');
    push_digits(line, day, 2);
    line.push('T');
    push_digits(line, of_day / 3600, 2);
    line.push(':');
    push_digits(line, of_day / 60 % 60, 2);
    line.push(':');
    push_digits(line, of_day % 60, 2);
    line.push('.');
    push_digits(line, u64::from(since_epoch.subsec_micros()), 6);
    line.push('Z');
}

/// `value` in exactly `width` decimal digits (its lowest ones), zero-padded.
fn push_digits(line: &mut String, value: u64, width: u32) {
    let mut divisor = 10u64.pow(width - 1);
    while divisor > 0 {
        line.push(char::from(b'0' + (value / divisor % 10) as u8));
        divisor /= 10;
    }
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn timestamp(seconds: u64, micros: u32) -> String {
        let mut line = String::new();
        push_timestamp(
            &mut line,
            Duration::from_secs(seconds) + Duration::from_micros(u64::from(micros)),
        );
        line
    }

    #[test]
    fn timestamps_are_rfc_3339_with_microseconds() {
        assert_eq!(timestamp(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(timestamp(951_782_400, 7), "2000-02-29T00:00:00.000007Z");
        assert_eq!(
            timestamp(1_795_258_143, 123_456),
            "2026-11-21T10:49:03.123456Z"
        );
        assert_eq!(
            timestamp(4_102_444_799, 999_999),
            "2099-12-31T23:59:59.999999Z"
        );
    }

    #[test]
    fn every_day_of_four_centuries_matches_a_day_by_day_count() {
        let (mut year, mut month, mut day) = (1970u64, 1u64, 1u64);
        for days in 0..146_097 {
            assert_eq!(civil_from_days(days), (year, month, day), "day {days}");
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
            let length = match month {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            day += 1;
            if day > length {
                day = 1;
                month += 1;
                if month > 12 {
                    month = 1;
                    year += 1;
                }
            }
        }
    }

    #[test]
    fn numbers_are_written_as_display_writes_them() {
        let mut values = vec![
            0.0, 0.001, 0.01, 0.1, 0.412, 0.5, 1.0, 12.345, 1000.25, 1e-7,
        ];
        values.extend([3.3333333, f64::MAX, 1.0e20, 123_456.789]);
        values.extend((0..5000).map(|micros| f64::from(micros) / 1000.0));
        for value in values {
            let mut line = String::new();
            push_f64(&mut line, value);
            assert_eq!(line, value.to_string());
        }
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut text = String::new();
        JsonEscaped(&mut text)
            .write_str("a\"b\\c\nd\u{1}é")
            .unwrap();
        assert_eq!(text, r#"a\"b\\c\nd\u0001é"#);
        let parsed: String = serde_json::from_str(&format!("\"{text}\"")).unwrap();
        assert_eq!(parsed, "a\"b\\c\nd\u{1}é");
    }
}
