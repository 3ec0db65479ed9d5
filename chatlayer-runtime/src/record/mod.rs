//! Recording what Chatlayer really sends, and replaying it as regression tests.
//!
//! With recording on ([`AppBuilder::record`](crate::AppBuilder::record), or
//! `CHATLAYER_RECORD=dir`), every request a step answers is written to the folder as one
//! readable JSON file (an [`Exchange`]): the step, method, path, query, headers and body,
//! the reply's status and body, the latency and the time. Secrets are redacted before
//! anything is written (see [`Recording`]), the folder is bounded (a count cap and a size
//! cap: past either, nothing more is written), and recording never slows or fails a
//! request: the bytes are copied as they pass, and a thread of its own redacts and writes
//! them; a write that fails is logged, never answered.
//!
//! [`Replay`] sends every recorded request to an app again and compares the replies with
//! the recorded ones; [`ContractReport`] tells what a recording shows about what Chatlayer
//! sends. The conversation emulator (the `chatlayer-emulator` crate) shows a recording as
//! conversations, one per session (`emulate --recording DIR`).

mod replay;
mod report;

pub use crate::recorder::{Exchange, Payload, RecordedReply, Recording};
pub use replay::{Replay, ReplayError, ReplayReport, Replayed};
pub use report::ContractReport;
