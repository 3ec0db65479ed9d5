//! Assertions on a [`Conversation`] for Rust tests: each failure is reported at the test's
//! line, with the latest turn's transcript.

use serde_json::Value;

use super::convo::wildcard_contains;
use super::engine::Conversation;
use super::session::same_value;
use super::transcript::{Entry, render};

impl Conversation {
    /// Asserts that the conversation is at block `id`.
    #[track_caller]
    pub fn assert_block(&self, id: &str) -> &Self {
        let actual = self.current_block();
        assert!(
            actual == Some(id),
            "expected the conversation at block `{id}`, it is at {}\n{}",
            actual.map_or_else(|| "no block".to_owned(), |block| format!("`{block}`")),
            self.context()
        );
        self
    }

    /// Asserts that the bot said `text` in the latest turn: a message contains it, ignoring
    /// case, with `*` standing for any text.
    #[track_caller]
    pub fn assert_said(&self, text: &str) -> &Self {
        let said = self.last_turn().iter().any(|entry| match entry {
            Entry::Bot { message, .. } => super::messages::texts(message)
                .into_iter()
                .chain(std::iter::once(Entry::message_summary(message)))
                .any(|said| wildcard_contains(&said, text)),
            _ => false,
        });
        assert!(
            said,
            "expected the bot to say `{text}` in the latest turn\n{}",
            self.context()
        );
        self
    }

    /// Asserts that the session variable at `path` holds `expected` (a number equals its
    /// text, as Chatlayer stores both).
    #[track_caller]
    pub fn assert_variable(&self, path: &str, expected: impl Into<Value>) -> &Self {
        let expected = expected.into();
        let actual = self.variable(path);
        let same = actual.is_some_and(|actual| same_value(actual, &expected));
        assert!(
            same,
            "expected the session variable `{path}` to be {expected}, it is {}\n{}",
            actual.map_or_else(|| "not set".to_owned(), Value::to_string),
            self.context()
        );
        self
    }

    /// Asserts that the latest turn had no error.
    #[track_caller]
    pub fn assert_no_error(&self) -> &Self {
        assert!(
            self.last_error().is_none(),
            "expected no error in the latest turn\n{}",
            self.context()
        );
        self
    }

    /// Asserts that the latest turn had an error whose code is `expected` or whose message
    /// contains it.
    #[track_caller]
    pub fn assert_error(&self, expected: &str) -> &Self {
        let found = self.last_turn().iter().any(|entry| match entry {
            Entry::Error { message, code, .. } => {
                code.as_deref() == Some(expected) || message.contains(expected)
            }
            _ => false,
        });
        assert!(
            found,
            "expected an error `{expected}` in the latest turn\n{}",
            self.context()
        );
        self
    }

    fn context(&self) -> String {
        format!("latest turn:\n{}", render(self.last_turn()))
    }
}
