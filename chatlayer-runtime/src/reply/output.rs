//! What step functions may return: [`IntoReply`] for `#[api_step]`, [`NextBlockOutput`] for
//! `#[next_block]`.

use crate::error::StepError;
use crate::{BlockId, Reply};

/// A value an `#[api_step]` function can return.
///
/// Implemented for [`Reply`], [`BlockId`] (just go there), `Option<BlockId>` (`None`: answer
/// `{}`, so the Action block's own go-to applies), `()` (answer `{}`), and `Result<T, E>` of
/// any of these where `E` converts into [`StepError`] (every `E: Display` does).
///
/// ```
/// use chatlayer_runtime::{BlockId, IntoReply, Reply, StepError};
///
/// let reply = BlockId::new("next").into_reply().unwrap();
/// assert_eq!(reply.next_dialog_state(), Some(&BlockId::new("next")));
/// assert_eq!(().into_reply().unwrap(), Reply::new());
/// let failed: Result<Reply, StepError> = Err(StepError::bad_request("no such product"));
/// assert_eq!(failed.into_reply().unwrap_err().status(), 400);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from an #[api_step]",
    label = "this return type is not a Chatlayer reply",
    note = "an API step returns `Reply`, `BlockId`, `Option<BlockId>`, `()`, or a `Result` of one of these whose error converts into `StepError` (any error type that implements Display does)"
)]
pub trait IntoReply {
    /// Turns the value into the reply, or into the error the failure policy answers.
    fn into_reply(self) -> Result<Reply, StepError>;
}

impl IntoReply for Reply {
    fn into_reply(self) -> Result<Reply, StepError> {
        Ok(self)
    }
}

impl IntoReply for BlockId {
    fn into_reply(self) -> Result<Reply, StepError> {
        Ok(Reply::new().set_next_dialog_state(self))
    }
}

impl IntoReply for Option<BlockId> {
    fn into_reply(self) -> Result<Reply, StepError> {
        Ok(match self {
            Some(block) => Reply::new().set_next_dialog_state(block),
            None => Reply::new(),
        })
    }
}

impl IntoReply for () {
    fn into_reply(self) -> Result<Reply, StepError> {
        Ok(Reply::new())
    }
}

impl<T: IntoReply, E: Into<StepError>> IntoReply for Result<T, E> {
    fn into_reply(self) -> Result<Reply, StepError> {
        self.map_err(Into::into)?.into_reply()
    }
}

/// A value a `#[next_block]` function can return: where the conversation goes next.
///
/// Implemented for [`BlockId`], `Option<BlockId>` (`None`: answer `{}`, so the Action block's
/// own go-to applies) and `Result<T, E>` of these where `E` converts into [`StepError`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a #[next_block]",
    label = "a #[next_block] returns only where the conversation goes next",
    note = "return `BlockId`, `Option<BlockId>` (None: the Action block's own go-to applies) or `Result<BlockId, E>`; to also send messages or store session data, use #[api_step] and return a `Reply`"
)]
pub trait NextBlockOutput {
    /// Turns the value into the reply, or into the error the failure policy answers.
    fn into_next_block(self) -> Result<Reply, StepError>;
}

impl NextBlockOutput for BlockId {
    fn into_next_block(self) -> Result<Reply, StepError> {
        self.into_reply()
    }
}

impl NextBlockOutput for Option<BlockId> {
    fn into_next_block(self) -> Result<Reply, StepError> {
        self.into_reply()
    }
}

impl<T: NextBlockOutput, E: Into<StepError>> NextBlockOutput for Result<T, E> {
    fn into_next_block(self) -> Result<Reply, StepError> {
        self.map_err(Into::into)?.into_next_block()
    }
}
