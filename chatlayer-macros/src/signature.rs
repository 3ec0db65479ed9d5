//! Signature-only parsing of the annotated function, and the checks on its arguments.
//!
//! The body is kept as an opaque token stream with its original spans: a half-written body
//! never breaks the macro, and rust-analyzer keeps working inside it.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{
    Attribute, Expr, FnArg, Ident, LitStr, Pat, ReturnType, Safety, Signature, Token, Type,
    Visibility,
};

use crate::attr::{Fallback, StepAttr, StepKind};
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

/// One argument of the step function, as the generated code needs it.
pub(crate) struct StepArg {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    /// The parameter name Chatlayer sends (after `rename_all` and `#[param(rename)]`).
    pub(crate) wire_name: String,
    pub(crate) default: Option<Expr>,
    /// `#[param(description = "...")]`: what the parameter is, for the OpenAPI document.
    pub(crate) description: Option<String>,
}

/// The options of one argument's `#[param(...)]`.
#[derive(Default)]
struct ParamAttrs {
    rename: Option<LitStr>,
    default: Option<Expr>,
    description: Option<LitStr>,
}

/// The name of the per-argument attribute.
const PARAM_ATTR: &str = "param";

const SHAPE: &str = "a step is a plain function such as\n  \
    async fn order(sku: String, quantity: Option<u32>, on_success: BlockId) -> Reply";

/// Checks the signature and returns the arguments. Problems go to `errors`.
pub(crate) fn analyze(
    kind: StepKind,
    attr: &StepAttr,
    step: &StepFn,
    errors: &Errors,
) -> Vec<StepArg> {
    check_function_shape(kind, &step.sig, errors);
    let mut args = Vec::new();
    for input in &step.sig.inputs {
        match input {
            FnArg::Receiver(receiver) => errors.at(
                receiver.self_token.span,
                format!(
                    "a step cannot take `self`: it is registered as a free function\n\
                     help: move it out of the `impl` block; reach shared state with `Dep<T>`\n{SHAPE}"
                ),
            ),
            FnArg::Typed(typed) => {
                if let Some(arg) = analyze_arg(attr, typed, errors) {
                    args.push(arg);
                }
            }
        }
    }
    check_wire_names(&args, errors);
    check_fallback(attr, &args, errors);
    args
}

fn check_function_shape(kind: StepKind, sig: &Signature, errors: &Errors) {
    let generics = &sig.generics;
    if !generics.params.is_empty() {
        errors.spanned(
            generics,
            format!(
                "a step cannot be generic: each step is registered as one concrete function\n\
                 help: give the arguments concrete types, and call a generic helper from the body\n{SHAPE}"
            ),
        );
    } else if let Some(clause) = &generics.where_clause {
        errors.spanned(
            clause,
            "a step cannot have a `where` clause: it is registered as one concrete function",
        );
    }
    if let Safety::Unsafe(token) = &sig.safety {
        errors.at(
            token.span,
            "a step cannot be `unsafe`: the framework calls it for every request\n\
             help: keep the `unsafe` block inside the body",
        );
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(
            abi,
            "a step cannot have an `extern` ABI: it is called from Rust",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(variadic, "a step cannot be variadic");
    }
    if kind == StepKind::NextBlock && matches!(sig.output, ReturnType::Default) {
        errors.at(
            sig.ident.span(),
            "a #[next_block] returns the block the conversation goes to next\n\
             help: add a return type: `-> BlockId`, `-> Option<BlockId>` (None: the Action \
             block's own go-to applies) or `-> Result<BlockId, E>`",
        );
    }
}

fn analyze_arg(attr: &StepAttr, typed: &syn::PatType, errors: &Errors) -> Option<StepArg> {
    let ParamAttrs {
        rename,
        default,
        description,
    } = parse_param_attrs(&typed.attrs, errors);
    let ty = (*typed.ty).clone();
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
    match &ty {
        Type::Reference(reference) => errors.spanned(
            reference,
            "a step argument cannot be borrowed: each request's data is handed over by value\n\
             help: take an owned type, e.g. `String` instead of `&str`",
        ),
        Type::ImplTrait(impl_trait) => errors.spanned(
            impl_trait,
            "a step argument cannot be `impl Trait`: that makes the function generic\n\
             help: name a concrete type",
        ),
        _ => {}
    }
    let ident = ident?;
    let unraw = ident.to_string().trim_start_matches("r#").to_owned();
    let wire_name = match rename {
        Some(lit) => lit.value(),
        None => attr.rename_all.apply(&unraw),
    };
    Some(StepArg {
        ident,
        ty,
        wire_name,
        default,
        description: description.map(|lit| lit.value()),
    })
}

/// Reads `#[param(rename = "...", default = expr, description = "...")]` from an argument.
fn parse_param_attrs(attrs: &[Attribute], errors: &Errors) -> ParamAttrs {
    let ParamAttrs {
        mut rename,
        mut default,
        mut description,
    } = ParamAttrs::default();
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
                if rename.replace(value).is_some() {
                    return Err(meta.error("`rename` is given more than once"));
                }
                Ok(())
            } else if meta.path.is_ident("default") {
                let value: Expr = meta.value()?.parse()?;
                if default.replace(value).is_some() {
                    return Err(meta.error("`default` is given more than once"));
                }
                Ok(())
            } else if meta.path.is_ident("description") {
                let value: LitStr = meta.value()?.parse()?;
                if description.replace(value).is_some() {
                    return Err(meta.error("`description` is given more than once"));
                }
                Ok(())
            } else {
                Err(meta.error(
                    "unknown #[param] option\nhelp: the options are `rename = \"wireName\"`, \
                     `default = <expression>` and `description = \"...\"`",
                ))
            }
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    ParamAttrs {
        rename,
        default,
        description,
    }
}

fn check_wire_names(args: &[StepArg], errors: &Errors) {
    for (index, arg) in args.iter().enumerate() {
        if let Some(first) = args[..index]
            .iter()
            .find(|earlier| earlier.wire_name == arg.wire_name && reads_a_parameter(earlier))
            .filter(|_| reads_a_parameter(arg))
        {
            errors.at(
                arg.ident.span(),
                format!(
                    "`{}` and `{}` both read the parameter \"{}\"\n\
                     help: rename one with #[param(rename = \"...\")]",
                    first.ident, arg.ident, arg.wire_name
                ),
            );
        }
    }
}

/// Whether the argument obviously reads a parameter by its own name. Arguments of the
/// framework's own extractor types (`Dep`, `Params`, `Context`, `RawRequest`) do not.
fn reads_a_parameter(arg: &StepArg) -> bool {
    let Type::Path(path) = &arg.ty else {
        return true;
    };
    let last = path
        .path
        .segments
        .last()
        .map(|segment| segment.ident.to_string());
    !matches!(
        last.as_deref(),
        Some("Dep" | "Params" | "Context" | "RawRequest")
    )
}

fn check_fallback(attr: &StepAttr, args: &[StepArg], errors: &Errors) {
    if let Some(Fallback::Argument(ident)) = &attr.fallback
        && !args.iter().any(|arg| arg.ident == *ident)
    {
        errors.at(
            ident.span(),
            format!(
                "`fallback = {ident}` names no argument of this step\n\
                 help: add an argument `{ident}: BlockId`, or name the parameter as Chatlayer \
                 sends it: `fallback = \"{ident}\"`"
            ),
        );
    }
}

/// The wire name of the fallback parameter, if the step has one.
pub(crate) fn fallback_wire_name(attr: &StepAttr, args: &[StepArg]) -> Option<String> {
    match attr.fallback.as_ref()? {
        Fallback::WireName(lit) => Some(lit.value()),
        Fallback::Argument(ident) => args
            .iter()
            .find(|arg| arg.ident == *ident)
            .map(|arg| arg.wire_name.clone()),
    }
}

/// The function exactly as written, minus the `#[param]` attributes the compiler would not know.
pub(crate) fn user_fn_tokens(step: &StepFn) -> TokenStream {
    let mut sig = step.sig.clone();
    for input in &mut sig.inputs {
        if let FnArg::Typed(typed) = input {
            typed.attrs.retain(|attr| !attr.path().is_ident(PARAM_ATTR));
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
}
