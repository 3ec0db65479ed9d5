//! Error accumulation: every problem found in an annotation is reported, not only the first.
//!
//! `Errors` panics if it is dropped while still holding errors that nobody read, so a code path
//! that forgets to report them fails loudly in the macro's own tests instead of silently
//! accepting bad input.

use proc_macro2::{Span, TokenStream};
use std::cell::RefCell;
use std::fmt::Display;

pub(crate) struct Errors {
    collected: RefCell<Option<Vec<syn::Error>>>,
}

impl Errors {
    pub(crate) fn new() -> Self {
        Errors {
            collected: RefCell::new(Some(Vec::new())),
        }
    }

    pub(crate) fn push(&self, error: syn::Error) {
        self.collected
            .borrow_mut()
            .as_mut()
            .expect("errors already taken")
            .push(error);
    }

    pub(crate) fn at(&self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// An error underlining all of `tokens` (first to last token, also on stable Rust).
    pub(crate) fn spanned(&self, tokens: impl quote::ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.collected
            .borrow()
            .as_ref()
            .is_none_or(|errors| errors.is_empty())
    }

    /// Takes every collected error out as `compile_error!` invocations.
    pub(crate) fn into_compile_errors(self) -> TokenStream {
        let errors = self.collected.borrow_mut().take().unwrap_or_default();
        errors.iter().map(syn::Error::to_compile_error).collect()
    }
}

impl Drop for Errors {
    fn drop(&mut self) {
        let unread = self
            .collected
            .get_mut()
            .as_ref()
            .is_some_and(|errors| !errors.is_empty());
        if unread && !std::thread::panicking() {
            panic!("chatlayer-macros bug: errors were collected but never reported");
        }
    }
}
