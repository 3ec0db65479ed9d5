//! The guide: how to write, serve, protect, document and test a Chatlayer backend with this
//! crate, one chapter per module. Every example in it compiles and runs as a test.
//!
//! * [`wire`]: from Chatlayer's API step to arguments and replies.
//! * [`failures`]: what a failing step answers, and every error code.
//! * [`serving`]: on its own, or inside an existing axum app.
//! * [`openapi`]: the generated document and docs page.
//! * [`security`]: credentials, signatures, IP allow-lists, limits.
//! * [`testing`]: calling steps in tests.
//! * [`recording`]: recording real traffic, replaying it, and what it shows.
//!
//! Whole conversations (bot files, BotiumScript scripts, the emulator page) are the
//! `chatlayer-emulator` crate's.

#[doc = include_str!("wire.md")]
pub mod wire {}

#[doc = include_str!("failures.md")]
pub mod failures {}

#[doc = include_str!("serving.md")]
pub mod serving {}

#[doc = include_str!("openapi.md")]
pub mod openapi {}

#[doc = include_str!("security.md")]
pub mod security {}

#[doc = include_str!("testing.md")]
pub mod testing {}

#[doc = include_str!("recording.md")]
pub mod recording {}
