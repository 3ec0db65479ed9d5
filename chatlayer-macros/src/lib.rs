//! Attribute macros for [chatlayer-runtime](https://docs.rs/chatlayer-runtime).
//!
//! Do not depend on this crate directly: `chatlayer-runtime` re-exports both macros, and its
//! documentation of `api_step` and `next_block` is the reference (with examples that compile
//! and the exact shape of the expansion).
//!
//! The crate is a pipeline, one stage per module: `attr` (the attribute's grammar) and
//! `function` (the annotated function, parsed signature-only) are read; `model` validates
//! them into one resolved `model::StepModel`, with `path`, `case` and `context` (is the
//! function in an `impl` block?) as helpers, reporting every problem through `errors`;
//! `expand` prints the model: the user's function, the step's descriptor and registration.
//! `options` lists the attributes' options, for the parser and for the documentation.

mod attr;
mod case;
mod context;
mod errors;
mod expand;
mod function;
mod model;
mod options;
mod path;

use proc_macro::TokenStream;

/// Turns a plain function into a Chatlayer API step. See `chatlayer_runtime::api_step`.
#[proc_macro_attribute]
pub fn api_step(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(
        attr::StepKind::ApiStep,
        attr.into(),
        item.into(),
        &in_impl_block,
    )
    .into()
}

/// Turns a plain function into a step whose whole answer is the next block.
/// See `chatlayer_runtime::next_block`.
#[proc_macro_attribute]
pub fn next_block(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(
        attr::StepKind::NextBlock,
        attr.into(),
        item.into(),
        &in_impl_block,
    )
    .into()
}

/// Whether the function named `ident` sits in an `impl` or `trait` block of its source file.
fn in_impl_block(ident: &proc_macro2::Ident) -> bool {
    context::fn_in_associated_block(ident.span().unwrap())
}

/// The options table of `#[api_step]` (`__options_table!(api_step)`) or `#[next_block]`,
/// as a string literal, for the runtime's documentation. Not a public API.
#[doc(hidden)]
#[proc_macro]
pub fn __options_table(input: TokenStream) -> TokenStream {
    let table = options::table(input.to_string().trim() == "next_block");
    quote::quote!(#table).into()
}
