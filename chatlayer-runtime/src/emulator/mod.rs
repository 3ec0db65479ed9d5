//! The conversation emulator: run a bot's flow against its backend, locally, in tests, in
//! CI scripts and in a web page. Behind the `emulator` cargo feature.
//!
//! A [`BotFile`] (YAML) describes the part of a Chatlayer bot that matters to its backend:
//! message blocks, input blocks, action blocks holding API steps configured as in
//! Chatlayer's editor, and conditions. A [`Conversation`] walks it: it calls the steps
//! through a [`Backend`] (in-process, or any URL, so the backend may be written in any
//! language), and applies each reply as Chatlayer does: the session first, then the
//! messages, then the jump. Every exchange is kept in the transcript.
//!
//! * In Rust tests: [`Conversation`], with assertions in
//!   [`testing`](crate::testing::Conversation).
//! * In any CI: conversation scripts in BotiumScript's `*.convo.txt` format, run by
//!   [`run_scripts`] (the `converse` command).
//! * In a browser: the page at `/emulator`, served by the `emulate` command or mounted
//!   with [`page::router`].
//! * For a recording of real traffic ([`record`](crate::record)): the same page shows each
//!   recorded session as a conversation ([`RecordedConversation`], the
//!   `emulate --recording DIR` command, [`page::recording_router`]).
//!
//! `docs/emulator.md` in the repository describes the bot file and the semantics.

mod assertions;
mod backend;
mod bot;
mod cli;
mod convo;
mod engine;
mod messages;
pub mod page;
mod recording;
mod request;
mod session;
mod starter;
mod story;
mod transcript;

pub use backend::{Backend, CHATLAYER_TIMEOUT};
pub use bot::{Block, BotFile, BotFileError};
pub use convo::{Script, ScriptFailure, ScriptReport, run_scripts};
pub use engine::{Conversation, Waiting};
pub use recording::RecordedConversation;
pub use session::Change;
pub use starter::starter_file;
pub use transcript::{Entry, Exchange, SentRequest, render};

pub use cli::run_standalone;
pub(crate) use cli::{EmulatorCommand, USAGE, parse_command, run_command};
