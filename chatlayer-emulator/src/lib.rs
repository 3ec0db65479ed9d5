//! The conversation emulator for Chatlayer bots: run a bot's flow against its API-step
//! backend, locally, in tests, in CI scripts and in a web page, whatever language the backend
//! is written in.
//!
//! A [`BotFile`] (YAML) describes the part of a Chatlayer bot that matters to its backend:
//! message blocks, input blocks, action blocks holding API steps configured as in
//! Chatlayer's editor, and conditions. A [`Conversation`] walks it: it calls the steps
//! through a [`Backend`] (in-process to an axum `Router`, or any URL), and applies each reply
//! as Chatlayer does: the session first, then the messages, then the jump. Every exchange
//! is kept in the transcript.
//!
//! * In Rust tests: [`Conversation`], with assertions such as
//!   [`assert_said`](Conversation::assert_said).
//! * In any CI: conversation scripts in BotiumScript's `*.convo.txt` format, run by
//!   [`run_scripts`] (the `converse` command).
//! * In a browser: the page at `/emulator`, served by the `emulate` command or mounted
//!   with [`page::router`].
//! * For a recording of real traffic (chatlayer-runtime's `record` module): the same page
//!   shows each recorded session as a conversation ([`RecordedConversation`], the
//!   `emulate --recording DIR` command, [`page::recording_router`]).
//!
//! The `chatlayer-emulator` binary runs the commands against a backend at a URL. With the
//! `app` feature, the crate also runs conversations against a chatlayer-rs `App`
//! in-process, and adds `emulate` and `converse` to the app's own binary:
//! `App::discover().commands(chatlayer_emulator::commands()).run()`.
//!
//! `docs/emulator.md` in the repository describes the bot file and the semantics.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "app")]
mod app;
/// The guide's chapter on conversations (its example runs an app in-process: the `app`
/// feature).
#[cfg(feature = "app")]
#[cfg_attr(docsrs, doc(cfg(feature = "app")))]
#[doc = include_str!("guide.md")]
pub mod guide {}
mod assertions;
mod backend;
mod bot;
mod check;
mod cli;
mod convo;
mod coverage;
mod crawl;
mod engine;
mod error;
mod keeping;
mod messages;
pub mod page;
mod recorded;
mod recording;
mod request;
mod session;
mod signing;
mod story;
mod transcript;
mod unclosed;

pub use backend::{Backend, CHATLAYER_TIMEOUT, ExplainFallback, FALLBACK_HEADER, InProcess};
pub use bot::{Block, BotFile, BotFileError};
pub use check::{Problem, check_bot_file};
pub use cli::run_standalone;
pub use convo::{Script, ScriptFailure, ScriptReport, run_scripts};
pub use coverage::{ChoiceAt, Coverage, Outcome, Reached, StepCoverage};
pub use crawl::{CrawlReport, CrawledScript, Crawler};
pub use engine::{Conversation, Waiting};
pub use error::Error;
pub use recorded::{Payload, RecordedExchange, RecordedReply};
pub use recording::RecordedConversation;
pub use session::Change;
pub use signing::RequestSigner;
pub use transcript::{Entry, Exchange, SentRequest, render};

#[cfg(feature = "app")]
#[cfg_attr(docsrs, doc(cfg(feature = "app")))]
pub use app::{Check, Converse, Crawl, Emulate, commands, starter_file};
