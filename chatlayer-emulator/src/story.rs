//! What a conversation tells: its session and its transcript, and how an answered API call
//! changes both, in Chatlayer's order (the session, then the messages, then the jump).
//!
//! The engine tells a live conversation with it; a recording is told with it too
//! ([`recording`](super::recording)), so a recorded reply reads exactly as the same reply
//! would in a live conversation.

use serde_json::Value;

use super::messages;
use super::session::{Session, value_text};
use super::transcript::Entry;

/// A session and the transcript of what happened to it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Story {
    pub(crate) session: Session,
    pub(crate) transcript: Vec<Entry>,
}

/// What an answer asked for, once applied.
pub(crate) enum Applied {
    /// Go to this block (the reply's `nextDialogstate`), or, with none, follow the block's
    /// go-to.
    Jump(Option<String>),
    /// The call failed; the error is in the transcript.
    Failed,
}

impl Story {
    pub(crate) fn new(session: Session) -> Self {
        Story {
            session,
            transcript: Vec::new(),
        }
    }

    /// Changes the session, recording what changed or why it could not.
    pub(crate) fn write(&mut self, change: impl FnOnce(&mut Session) -> Result<(), String>) {
        let before = self.session.clone();
        if let Err(problem) = change(&mut self.session) {
            self.note(problem);
        }
        let changes = self.session.changes_since(&before);
        if !changes.is_empty() {
            self.transcript.push(Entry::Session { changes });
        }
    }

    pub(crate) fn note(&mut self, text: String) {
        self.transcript.push(Entry::Note { text });
    }

    /// Records an error at `block`.
    pub(crate) fn fail(&mut self, block: &str, message: String) {
        self.transcript.push(Entry::Error {
            block: block.to_owned(),
            message,
            code: None,
            hint: None,
        });
    }

    /// Shows messages, with the session's values filled in.
    pub(crate) fn show(&mut self, block: &str, messages: impl Iterator<Item = Value>) {
        for message in messages {
            let mut unset = Vec::new();
            let message = messages::interpolate(&message, &self.session, &mut unset);
            self.transcript.push(Entry::Bot {
                block: block.to_owned(),
                message,
            });
            for path in unset {
                self.note(format!(
                    "the message names `{{{path}}}`, which is not set: it shows as written"
                ));
            }
        }
    }

    /// Applies the answer to a call made at `block`: an error when its status is not 2xx
    /// (with the backend's code and hint when it sent them), the reply when it is a JSON
    /// object, nothing more when it is empty.
    pub(crate) fn answered(&mut self, block: &str, status: u16, body: Option<Value>) -> Applied {
        if !(200..300).contains(&status) {
            let error = body.as_ref().map(|body| &body["error"]);
            let text = |key: &str| {
                error
                    .and_then(|error| error[key].as_str())
                    .map(str::to_owned)
            };
            let message = match text("message") {
                Some(message) => format!("HTTP {status}: {message}"),
                None => format!("HTTP {status}"),
            };
            self.transcript.push(Entry::Error {
                block: block.to_owned(),
                message,
                code: text("code"),
                hint: text("hint"),
            });
            return Applied::Failed;
        }
        match body {
            Some(Value::Object(reply)) => self.apply_reply(block, reply),
            None => Applied::Jump(None),
            Some(other) => {
                self.fail(
                    block,
                    format!(
                        "the answer is not a Chatlayer reply (a JSON object): {}",
                        shorten(&value_text(&other))
                    ),
                );
                Applied::Failed
            }
        }
    }

    /// Applies a reply in Chatlayer's order: the session, then the messages, then the jump.
    fn apply_reply(&mut self, block: &str, reply: serde_json::Map<String, Value>) -> Applied {
        if let Some(session) = reply.get("session") {
            match (session["namespace"].as_str(), session.get("data")) {
                (Some(namespace), Some(data)) => {
                    let (namespace, data) = (namespace.to_owned(), data.clone());
                    let mut note = None;
                    self.write(|session| {
                        note = session.merge_namespace(&namespace, data)?;
                        Ok(())
                    });
                    if let Some(note) = note {
                        self.note(note);
                    }
                }
                _ => self.note(
                    "the reply's `session` needs both `namespace` (text) and `data`: it is ignored"
                        .to_owned(),
                ),
            }
        }
        match reply.get("messages") {
            Some(Value::Array(messages)) => self.show(block, messages.iter().cloned()),
            Some(_) => self.note("the reply's `messages` is not a list: it is ignored".to_owned()),
            None => {}
        }
        let jump = reply
            .get("action")
            .and_then(|action| action.get("nextDialogstate"))
            .or_else(|| reply.get("nextDialogstate"));
        match jump {
            None | Some(Value::Null) => Applied::Jump(None),
            Some(Value::String(id)) => Applied::Jump(Some(id.clone())),
            Some(other) => Applied::Jump(Some(value_text(other))),
        }
    }
}

/// `text` cut to its first 300 characters, for messages that quote an answer.
fn shorten(text: &str) -> String {
    const LIMIT: usize = 300;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}
