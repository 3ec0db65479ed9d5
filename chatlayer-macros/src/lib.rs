//! Attribute macros for [chatlayer-runtime](https://docs.rs/chatlayer-runtime).
//!
//! Do not depend on this crate directly: `chatlayer-runtime` re-exports both macros, and its
//! documentation of `api_step` and `next_block` is the reference (with examples that compile
//! and the exact shape of the expansion).
//!
//! The crate is organised as a pipeline, one stage per module:
//! `attr` (the attribute grammar) and `signature` (the function, parsed signature-only) feed
//! `path` and the signature checks, which report every problem through `errors`; `expand`
//! emits the user's function unchanged plus the step's descriptor and registration.

mod attr;
mod case;
mod errors;
mod expand;
mod path;
mod signature;

use proc_macro::TokenStream;

/// Turns a plain function into a Chatlayer API step. See `chatlayer_runtime::api_step`.
#[proc_macro_attribute]
pub fn api_step(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(attr::StepKind::ApiStep, attr.into(), item.into()).into()
}

/// Turns a plain function into a step whose whole answer is the next block.
/// See `chatlayer_runtime::next_block`.
#[proc_macro_attribute]
pub fn next_block(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(attr::StepKind::NextBlock, attr.into(), item.into()).into()
}
