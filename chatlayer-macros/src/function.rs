//! The annotated function, parsed signature-only, and what each argument's own attributes
//! say (`#[param(...)]` and doc comments).
//!
//! The body is kept as an opaque token stream with its original spans: a half-written body
//! never breaks the macro, and rust-analyzer keeps working inside it.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Expr, FnArg, Ident, LitStr, Pat, Signature, Token, Type, Visibility};

use crate::errors::Errors;

/// The annotated function: attributes, visibility and signature parsed, body untouched.
pub(crate) struct StepFn {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) body: TokenStream,
}

impl Parse for StepFn {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = Attribute::parse_outer(input)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        if input.peek(Token![;]) {
            return Err(input.error("a step needs a body"));
        }
        let body: proc_macro2::Group = input.parse()?;
        if body.delimiter() != proc_macro2::Delimiter::Brace {
            return Err(syn::Error::new(body.span(), "expected the function body"));
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the function body"));
        }
        Ok(StepFn {
            attrs,
            vis,
            sig,
            body: body.into_token_stream(),
        })
    }
}

/// One typed argument as written, with what its own attributes say.
pub(crate) struct RawArg {
    /// The argument's name; `None` for a pattern (already reported).
    pub(crate) ident: Option<Ident>,
    pub(crate) ty: Type,
    pub(crate) rename: Option<LitStr>,
    pub(crate) default: Option<Expr>,
    /// The doc comment or `#[param(description = "...")]`.
    pub(crate) description: Option<String>,
}

/// The name of the per-argument attribute.
const PARAM_ATTR: &str = "param";

/// Reads each typed argument's name, type and attributes; problems go to `errors`.
pub(crate) fn raw_args(sig: &Signature, errors: &Errors) -> Vec<RawArg> {
    sig.inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(typed) => Some(raw_arg(typed, errors)),
            FnArg::Receiver(_) => None,
        })
        .collect()
}

fn raw_arg(typed: &syn::PatType, errors: &Errors) -> RawArg {
    let ident = match &*typed.pat {
        Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => Some(pat.ident.clone()),
        other => {
            errors.spanned(
                other,
                "a step argument must be a plain name: the name is the parameter Chatlayer sends\n\
                 help: name the argument (e.g. `form: Params<OrderForm>`) and destructure it in \
                 the body",
            );
            None
        }
    };
    let mut arg = RawArg {
        ident,
        ty: (*typed.ty).clone(),
        rename: None,
        default: None,
        description: None,
    };
    let docs = doc_text(&typed.attrs);
    parse_param_attrs(&typed.attrs, &mut arg, errors);
    if !docs.is_empty() {
        if arg.description.is_some() {
            let doc = typed.attrs.iter().find(|attr| attr.path().is_ident("doc"));
            errors.spanned(
                doc,
                "this argument is described twice: by its doc comment and by \
                 #[param(description = ...)]\nhelp: keep one of them",
            );
        }
        arg.description = Some(docs);
    }
    arg
}

/// Reads `#[param(rename = "...", default = expr, description = "...")]` into `arg`.
fn parse_param_attrs(attrs: &[Attribute], arg: &mut RawArg, errors: &Errors) {
    for attr in attrs.iter().filter(|attr| attr.path().is_ident(PARAM_ATTR)) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: LitStr = meta.value()?.parse()?;
                if value.value().is_empty() {
                    return Err(syn::Error::new(
                        value.span(),
                        "a parameter name cannot be empty",
                    ));
                }
                if arg.rename.replace(value).is_some() {
                    return Err(meta.error("`rename` is given more than once"));
                }
                Ok(())
            } else if meta.path.is_ident("default") {
                let value: Expr = meta.value()?.parse()?;
                if arg.default.replace(value).is_some() {
                    return Err(meta.error("`default` is given more than once"));
                }
                Ok(())
            } else if meta.path.is_ident("description") {
                let value: LitStr = meta.value()?.parse()?;
                if arg.description.replace(value.value()).is_some() {
                    return Err(meta.error("`description` is given more than once"));
                }
                Ok(())
            } else {
                Err(meta.error(
                    "unknown #[param] option\nhelp: the options are `rename = \"wireName\"`, \
                     `default = <expression>` and `description = \"...\"` (or a doc comment)",
                ))
            }
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
}

/// The function as it is compiled: as written, minus the argument attributes the compiler
/// would refuse (`#[param]`, doc comments), with `unused_variables` allowed on `read_by_us`
/// (the argument the framework itself reads: the fallback block).
pub(crate) fn user_fn_tokens(step: &StepFn, read_by_us: Option<&Ident>) -> TokenStream {
    let mut sig = step.sig.clone();
    for input in &mut sig.inputs {
        if let FnArg::Typed(typed) = input {
            typed
                .attrs
                .retain(|attr| !attr.path().is_ident(PARAM_ATTR) && !attr.path().is_ident("doc"));
            let is_read_by_us = matches!(
                (&*typed.pat, read_by_us),
                (Pat::Ident(pat), Some(ident)) if pat.ident == *ident
            );
            if is_read_by_us {
                typed
                    .attrs
                    .push(syn::parse_quote!(#[allow(unused_variables)]));
            }
        }
    }
    let attrs = &step.attrs;
    let vis = &step.vis;
    let body = &step.body;
    // A step's arguments are the API step's parameter rows: many of them is the normal case,
    // not the smell clippy's lint is about.
    quote::quote! {
        #(#attrs)*
        #[allow(clippy::too_many_arguments)]
        #vis #sig #body
    }
}

/// The doc comment, one line per `///` line, with the conventional leading space removed.
pub(crate) fn doc_text(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(pair) = &attr.meta
            && let Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) = &pair.value
        {
            // `split('\n')`, not `lines()`: an empty `///` is a paragraph break to keep.
            for line in text.value().split('\n') {
                lines.push(line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned());
            }
        }
    }
    lines.join("\n").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_text_keeps_paragraph_breaks() {
        let item: syn::ItemFn = syn::parse_quote! {
            /// Place an order.
            ///
            /// Stores it in the session.
            #[doc = " Third paragraph.\n More."]
            fn order() {}
        };
        assert_eq!(
            doc_text(&item.attrs),
            "Place an order.\n\nStores it in the session.\nThird paragraph.\nMore."
        );
    }

    #[test]
    fn argument_doc_comments_become_descriptions_and_leave_the_compiled_function() {
        let step: StepFn = syn::parse_quote! {
            fn book(
                /// The slot, e.g. `2026-11-23T10:00`.
                slot: String,
                on_error: BlockId,
            ) -> Reply { Reply::new() }
        };
        let errors = Errors::new();
        let args = raw_args(&step.sig, &errors);
        assert!(errors.is_empty());
        assert_eq!(
            args[0].description.as_deref(),
            Some("The slot, e.g. `2026-11-23T10:00`.")
        );
        let on_error: Ident = syn::parse_quote!(on_error);
        let compiled = user_fn_tokens(&step, Some(&on_error)).to_string();
        assert!(!compiled.contains("doc"), "{compiled}");
        assert!(
            compiled.contains("# [allow (unused_variables)] on_error"),
            "{compiled}"
        );
    }
}
