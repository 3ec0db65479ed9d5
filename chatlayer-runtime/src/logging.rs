//! Logging out of the box: a standalone server installs a `tracing` subscriber when the
//! program has none, so the steps it serves, the failures it answers and the fallbacks it
//! takes are on the terminal without any setup. A program that installed its own (an
//! embedding app) keeps it: this never replaces a subscriber.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The filter when `RUST_LOG` is unset: the framework's start-up lines, warnings and errors.
const DEFAULT_FILTER: &str = "info";

/// Installs the framework's subscriber (text lines on standard error, filtered by
/// `RUST_LOG`, `info` by default) unless the program already has one. Returns whether it
/// installed it.
pub(crate) fn install_default_subscriber() -> bool {
    if tracing::dispatcher::has_been_set() {
        return false;
    }
    let (filter, bad_filter) = match std::env::var("RUST_LOG") {
        Ok(text) if !text.trim().is_empty() => match EnvFilter::try_new(&text) {
            Ok(filter) => (filter, None),
            Err(error) => (EnvFilter::new(DEFAULT_FILTER), Some((text, error))),
        },
        _ => (EnvFilter::new(DEFAULT_FILTER), None),
    };
    // Colours only for a person at a terminal: log collectors get plain text.
    let colours = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colours)
        .try_init()
        .is_ok();
    if let Some((text, error)) = bad_filter {
        tracing::warn!("RUST_LOG={text:?} cannot be used ({error}); logging at `{DEFAULT_FILTER}`");
    }
    installed
}
