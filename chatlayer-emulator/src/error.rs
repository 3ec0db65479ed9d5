//! [`Error`]: why an emulator command stopped.

use std::fmt;
use std::io;

/// Why an emulator command could not do what it was asked.
#[non_exhaustive]
pub enum Error {
    /// The command line cannot be followed, or a file it names cannot be used: the message
    /// says why.
    Usage(String),
    /// Conversation scripts failed: the message says how many.
    Failed(String),
    /// The address could not be bound.
    Bind {
        /// The address.
        address: String,
        /// The system's reason.
        source: io::Error,
    },
    /// Writing the output, or serving the page, failed.
    Io(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(message) | Error::Failed(message) => f.write_str(message),
            Error::Bind { address, source } => write!(
                f,
                "cannot listen on {address}: {source}\n\
                 help: set CHATLAYER_ADDR=host:port (or PORT) to another address"
            ),
            Error::Io(error) => write!(f, "{error}"),
        }
    }
}

/// `main` prints an error through `Debug`: the message, as `Display` writes it.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Bind { source, .. } | Error::Io(source) => Some(source),
            Error::Usage(_) | Error::Failed(_) => None,
        }
    }
}
