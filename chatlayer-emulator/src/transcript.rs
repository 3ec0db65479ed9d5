//! What a conversation keeps: every message, block, call and change, in order.

use serde::Serialize;
use serde_json::Value;

use super::session::Change;

/// One entry of a conversation's transcript.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Entry {
    /// The conversation entered a block.
    Block {
        /// Its id.
        id: String,
        /// Its name.
        name: String,
        /// `message`, `input`, `action` or `condition`.
        block_type: &'static str,
    },
    /// The user typed a text or clicked a button or quick reply.
    User {
        /// What the user typed, or the title clicked.
        text: String,
        /// Whether it was a click on a button or quick reply.
        clicked: bool,
    },
    /// The bot showed a message (interpolated, in Chatlayer's `{type, config}` format).
    Bot {
        /// The block that showed it.
        block: String,
        /// The message.
        message: Value,
    },
    /// A call to an API step, as sent and as answered.
    Exchange(Box<Exchange>),
    /// Session variables that changed.
    Session {
        /// The changes, variable by variable.
        changes: Vec<Change>,
    },
    /// Something worth knowing that is not an error: a variable that was not set, a URL
    /// button the user would open.
    Note {
        /// What happened.
        text: String,
    },
    /// A failure that stopped the conversation (or that the bot file routes elsewhere).
    Error {
        /// The block where it happened.
        block: String,
        /// What went wrong.
        message: String,
        /// The backend's error code, when it answered with a JSON error.
        #[serde(skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        /// The backend's hint, when it gave one.
        #[serde(skip_serializing_if = "Option::is_none")]
        hint: Option<String>,
    },
}

/// An API call: the request as sent, and the answer.
#[derive(Clone, Debug, Serialize)]
pub struct Exchange {
    /// The block whose API step made the call.
    pub block: String,
    /// The request as sent.
    pub request: SentRequest,
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// Milliseconds from sending to the whole answer.
    pub latency_ms: f64,
    /// The answer's body: JSON when it parses, else its text.
    pub response: Option<Value>,
}

/// A request as the emulator sent it.
#[derive(Clone, Debug, Serialize)]
pub struct SentRequest {
    /// The method.
    pub method: String,
    /// The full URL (for an in-process call, the path and query).
    pub url: String,
    /// The headers, in order; values taken from the environment show as their `${NAME}`,
    /// and the Authorization header is hidden.
    pub headers: Vec<(String, String)>,
    /// The JSON body, when one was sent.
    pub body: Option<Value>,
}

impl Entry {
    /// The text the user sees for a bot message: its first text, the titles of its cards,
    /// or its media URL.
    pub(crate) fn message_summary(message: &Value) -> String {
        let config = &message["config"];
        if let Some(text) = config["textMessages"][0]["text"].as_str() {
            return text.to_owned();
        }
        if let Some(cards) = config["elements"].as_array() {
            return cards
                .iter()
                .filter_map(|card| card["title"].as_str())
                .collect::<Vec<_>>()
                .join(" | ");
        }
        if let Some(url) = config["media"]["url"].as_str() {
            return url.to_owned();
        }
        message.to_string()
    }
}

/// The texts the bot showed in `entries`, in order: the first variant of each message, as
/// shown.
pub(crate) fn shown_texts(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Bot { message, .. } => super::messages::texts(message).into_iter().next(),
            _ => None,
        })
        .collect()
}

/// The transcript as text, one line per entry, for terminals and test failures:
///
/// ```text
/// -- block order (Place the order, action)
///    POST /order -> 200 in 0.4 ms
///    session: order.total = 59 (was not set)
/// bot: You ordered 1 x Red sneakers for EUR 59.00.
///      [Track my order] [Our terms]
/// you: Track my order
/// !! error at block status: HTTP 400: there is no product `Z9` (hint: ...)
/// ```
pub fn render(entries: &[Entry]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for entry in entries {
        let _ = match entry {
            Entry::Block {
                id,
                name,
                block_type,
            } => {
                if name == id {
                    writeln!(out, "-- block {} ({block_type})", shown(id))
                } else {
                    writeln!(
                        out,
                        "-- block {} ({}, {block_type})",
                        shown(id),
                        shown(name)
                    )
                }
            }
            Entry::User { text, clicked } => {
                writeln!(
                    out,
                    "you: {}{}",
                    if *clicked { "[clicks] " } else { "" },
                    shown(text)
                )
            }
            Entry::Bot { message, .. } => {
                let _ = writeln!(out, "bot: {}", shown(&Entry::message_summary(message)));
                let titles: Vec<String> = super::messages::choices(message)
                    .into_iter()
                    .map(|choice| format!("[{}]", shown(&choice.title)))
                    .collect();
                if titles.is_empty() {
                    Ok(())
                } else {
                    writeln!(out, "     {}", titles.join(" "))
                }
            }
            Entry::Exchange(exchange) => writeln!(
                out,
                "   {} {} -> {} in {:.1} ms",
                shown(&exchange.request.method),
                shown(&exchange.request.url),
                exchange
                    .status
                    .map_or_else(|| "no answer".to_owned(), |status| status.to_string()),
                exchange.latency_ms
            ),
            Entry::Session { changes } => {
                for change in changes {
                    let _ = if change.before.is_null() {
                        writeln!(
                            out,
                            "   session: {} = {} (was not set)",
                            shown(&change.path),
                            shown(&change.after.to_string())
                        )
                    } else {
                        writeln!(
                            out,
                            "   session: {} = {} (was {})",
                            shown(&change.path),
                            shown(&change.after.to_string()),
                            shown(&change.before.to_string())
                        )
                    };
                }
                Ok(())
            }
            Entry::Note { text } => writeln!(out, "   note: {}", shown(text)),
            Entry::Error {
                block,
                message,
                code,
                hint,
            } => writeln!(
                out,
                "!! error at block {}: {}{}{}",
                shown(block),
                shown(message),
                code.as_deref()
                    .map(|code| format!(" [{}]", shown(code)))
                    .unwrap_or_default(),
                hint.as_deref()
                    .map(|hint| format!(" (hint: {})", shown(hint)))
                    .unwrap_or_default()
            ),
        };
    }
    out
}

/// How many characters of one field the transcript shows.
const SHOWN_CHARS: usize = 500;

/// Text from a backend or a caller, for a terminal: control characters (a newline that
/// would forge a line, an escape sequence that clears the screen) written as escapes, and
/// cut after [`SHOWN_CHARS`] characters with the number left out.
pub(crate) fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(SHOWN_CHARS));
    let mut chars = text.chars();
    for c in chars.by_ref().take(SHOWN_CHARS) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    let rest = chars.count();
    if rest > 0 {
        out.push_str(&format!("... ({rest} more characters)"));
    }
    out
}
