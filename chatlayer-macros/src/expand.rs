//! Prints a validated [`StepModel`]: the user's function unchanged, a hidden companion type
//! carrying the step's descriptor, and its registration with `inventory`.
//!
//! The generated code is deliberately small: one adapter that extracts each argument through
//! a runtime trait and calls the function, plus constant data. Everything else (decoding the
//! request, the failure policy, assembling the reply) lives in the runtime.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ReturnType};

use crate::attr::{self, StepKind};
use crate::errors::Errors;
use crate::function::StepFn;
use crate::model::{self, StepModel};

/// The whole pipeline: parse, validate, expand. Never drops the user's function.
/// `in_impl_block` tells whether the function sits in an `impl` or `trait` block.
pub(crate) fn expand(
    kind: StepKind,
    attr_tokens: TokenStream,
    item: TokenStream,
    in_impl_block: &dyn Fn(&Ident) -> bool,
) -> TokenStream {
    let errors = Errors::new();
    let attr = attr::parse(kind, attr_tokens, &errors);
    let step: StepFn = match syn::parse2(item.clone()) {
        Ok(step) => step,
        Err(error) => {
            errors.push(error);
            let compile_errors = errors.into_compile_errors();
            return quote! { #item #compile_errors };
        }
    };
    let krate = attr.krate.clone();
    let in_impl_block = step.sig.receiver().is_none() && in_impl_block(&step.sig.ident);
    let output = match model::validate(kind, attr, &step, in_impl_block, &errors) {
        Ok(model) => {
            drop(errors);
            let user_fn = &model.user_fn;
            let generated = generate(&model);
            quote! { #user_fn #generated }
        }
        Err(invalid) => {
            let user_fn = invalid.user_fn;
            let placeholder = if invalid.placeholder {
                placeholder(&krate, &step)
            } else {
                // In an `impl` block, where no type can be declared.
                TokenStream::new()
            };
            let compile_errors = errors.into_compile_errors();
            quote! { #user_fn #placeholder #compile_errors }
        }
    };
    if std::env::var_os("CHATLAYER_MACROS_DEBUG").is_some() {
        eprintln!("{output}");
    }
    output
}

/// The companion type for a step with errors: it keeps `name::STEP` resolvable so that code
/// listing the step does not add errors of its own on top of the real ones.
fn placeholder(krate: &syn::Path, step: &StepFn) -> TokenStream {
    let vis = &step.vis;
    let name = &step.sig.ident;
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #name {}
        #[allow(dead_code)]
        impl #name {
            #[doc(hidden)]
            #vis const STEP: &'static #krate::__private::StepDescriptor =
                &#krate::__private::StepDescriptor::INVALID;
        }
    }
}

fn generate(model: &StepModel) -> TokenStream {
    let krate = &model.krate;
    let vis = &model.vis;
    let name = &model.ident;
    let name_text = &model.name;
    let name_span = name.span();

    // Internal names use mixed-site hygiene so they can never capture or shadow user names.
    let request = Ident::new("__request", Span::mixed_site());
    let output = Ident::new("__output", Span::mixed_site());
    let inputs_doc = Ident::new("__inputs", Span::mixed_site());
    let locals: Vec<Ident> = (0..model.args.len())
        .map(|index| format_ident!("__arg{}", index, span = Span::mixed_site()))
        .collect();

    let arg_specs = model.args.iter().map(|arg| {
        let rust_name = &arg.rust_name;
        let wire_name = &arg.wire_name;
        let mut spec = quote! { __cl::ArgSpec::new(#rust_name, #wire_name) };
        // The default's source text documents it (and becomes the schema's `default` when it
        // is a JSON literal such as `1` or `"image"`).
        if let Some(default) = &arg.default {
            let source = expression_text(default);
            spec = quote! { #spec.with_default_source(#source) };
        }
        if let Some(description) = &arg.description {
            spec = quote! { #spec.with_description(#description) };
        }
        spec
    });

    let extractions = model.args.iter().enumerate().map(|(index, arg)| {
        let ty = &arg.ty;
        let local = &locals[index];
        // Spanned at the user's type: an argument type the framework cannot extract is
        // underlined in the user's signature, with the trait's on_unimplemented note.
        match &arg.default {
            None => quote_spanned! {ty.span()=>
                let #local = <#ty as __cl::FromStepRequest>::from_step_request(&#request, &__ARGS[#index])?;
            },
            Some(default) => quote_spanned! {ty.span()=>
                let #local = __cl::param_or_else::<#ty>(&#request, &__ARGS[#index], || #default)?;
            },
        }
    });

    let describes = model.args.iter().enumerate().map(|(index, arg)| {
        let ty = &arg.ty;
        // The schema probe picks `JsonSchema` when the type has it, and nothing otherwise.
        let arg_spec = quote_spanned! {ty.span()=>
            &__ARGS[#index].with_schema((&__cl::SchemaProbe::<#ty>::NEW).schema_fn())
        };
        match &arg.default {
            None => quote_spanned! {ty.span()=>
                <#ty as __cl::FromStepRequest>::describe(#arg_spec, #inputs_doc);
            },
            Some(_) => quote_spanned! {ty.span()=>
                __cl::describe_param_with_default::<#ty>(#arg_spec, #inputs_doc);
            },
        }
    });

    // Two arguments reading the same parameter name are a mistake when both read it by
    // name; whether they do is their types' business, so it is decided at compile time.
    let distinct_parameters = model.same_wire_name.iter().map(|&(first, second)| {
        let (a, b) = (&model.args[first], &model.args[second]);
        let reads = |arg: &crate::model::ArgModel| {
            let ty = &arg.ty;
            match arg.default {
                Some(_) => quote!(true),
                None => quote!(<#ty as __cl::FromStepRequest>::READS_OWN_PARAMETER),
            }
        };
        let (reads_a, reads_b) = (reads(a), reads(b));
        let message = format!(
            "`{}` and `{}` both read the parameter \"{}\"; rename one with #[param(rename = \"...\")]",
            a.rust_name, b.rust_name, b.wire_name
        );
        quote_spanned! {b.ident.span()=>
            const _: () = if #reads_a && #reads_b {
                ::core::panic!(#message)
            };
        }
    });

    let call = if model.is_async {
        quote! { #name(#(#locals),*).await }
    } else {
        quote! { #name(#(#locals),*) }
    };

    let finish = finish(model.kind, &model.output, &output, name_span);
    // Spanned at the function name: a future that is not `Send` is reported there.
    let boxed = quote_spanned! {name_span=>
        ::std::boxed::Box::pin(async move {
            #(#extractions)*
            let #output = #call;
            #finish
        })
    };

    let kind_variant = match model.kind {
        StepKind::ApiStep => quote!(ApiStep),
        StepKind::NextBlock => quote!(NextBlock),
    };
    let method = Ident::new(model.method.constant(), Span::call_site());
    let path = &model.path;
    let docs = &model.docs;
    let tag = optional_str(model.tag.as_deref());
    let namespace = optional_str(model.namespace.as_deref());
    let session = match &model.session {
        Some(ty) => quote_spanned! {ty.span()=>
            ::core::option::Option::Some(__cl::session_schema::<#ty> as __cl::SchemaFn)
        },
        None => quote! { ::core::option::Option::None },
    };
    let fallback = optional_str(model.fallback.as_deref());
    let fallback_message = optional_str(model.fallback_message.as_deref());
    // The runtime reads the text with the grammar environment variables use, while the
    // descriptor constant is evaluated: a text it refuses fails the build at the literal.
    let timeout = match &model.timeout {
        Some(lit) => quote_spanned! {lit.span()=>
            ::core::option::Option::Some(__cl::step_timeout(#lit))
        },
        None => quote! { ::core::option::Option::None },
    };
    let deny_unknown_params = model.deny_unknown_params;
    let location = quote_spanned! {name_span=>
        file: ::core::file!(),
        line: ::core::line!(),
        column: ::core::column!(),
    };

    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #name {}

        #[allow(dead_code)]
        impl #name {
            /// This step's descriptor, for `App::from_steps`.
            #vis const STEP: &'static #krate::__private::StepDescriptor = &{
                use #krate::__private as __cl;

                const __ARGS: &[__cl::ArgSpec] = &[#(#arg_specs),*];

                #(#distinct_parameters)*

                fn __handler(#request: __cl::StepRequest) -> __cl::StepFuture {
                    #boxed
                }

                // The probes' leading `&` looks needless to clippy, and is what makes the
                // fallback for types without `JsonSchema` reachable.
                #[allow(clippy::needless_borrow)]
                fn __describe(#inputs_doc: &mut __cl::StepInputs) {
                    #[allow(unused_imports)]
                    use __cl::{ViaJsonSchema as _, WithoutJsonSchema as _};
                    let _ = &#inputs_doc;
                    #(#describes)*
                }

                __cl::StepDescriptor::from_parts(__cl::StepParts {
                    kind: __cl::StepKind::#kind_variant,
                    method: __cl::StepMethod::#method,
                    path: #path,
                    name: #name_text,
                    module_path: ::core::module_path!(),
                    package: ::core::env!("CARGO_PKG_NAME"),
                    package_version: ::core::env!("CARGO_PKG_VERSION"),
                    package_license: ::core::env!("CARGO_PKG_LICENSE"),
                    package_description: ::core::env!("CARGO_PKG_DESCRIPTION"),
                    package_homepage: ::core::env!("CARGO_PKG_HOMEPAGE"),
                    package_repository: ::core::env!("CARGO_PKG_REPOSITORY"),
                    #location
                    docs: #docs,
                    tag: #tag,
                    namespace: #namespace,
                    session: #session,
                    fallback: #fallback,
                    fallback_message: #fallback_message,
                    timeout: #timeout,
                    deny_unknown_params: #deny_unknown_params,
                    args: __ARGS,
                    handler: __handler,
                    describe: __describe,
                })
            };
        }

        #krate::__private::inventory::submit! {
            #krate::__private::Registration(#name::STEP)
        }
    }
}

/// Turns the function's output into the reply. The trait is named on the user's own return
/// type tokens, so an unsupported type is reported on `-> Type` with the trait's note.
fn finish(kind: StepKind, output: &ReturnType, value: &Ident, name_span: Span) -> TokenStream {
    let (trait_path, function, fallback) = match kind {
        StepKind::ApiStep => (
            quote!(__cl::IntoReply),
            quote!(into_reply),
            quote!(__cl::finish_api_step),
        ),
        StepKind::NextBlock => (
            quote!(__cl::NextBlockOutput),
            quote!(into_next_block),
            quote!(__cl::finish_next_block),
        ),
    };
    match output {
        ReturnType::Default => quote_spanned! {name_span=> #trait_path::#function(#value) },
        // `impl Trait` cannot be named in a qualified path; let inference find the type.
        ReturnType::Type(_, ty) if contains_impl_trait(ty) => {
            quote_spanned! {ty.span()=> #fallback(#value) }
        }
        ReturnType::Type(_, ty) => quote_spanned! {ty.span()=>
            <#ty as #trait_path>::#function(#value)
        },
    }
}

fn contains_impl_trait(ty: &syn::Type) -> bool {
    ty.to_token_stream()
        .into_iter()
        .any(|token| matches!(&token, proc_macro2::TokenTree::Ident(ident) if ident == "impl"))
}

fn optional_str(value: Option<&str>) -> TokenStream {
    match value {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    }
}

/// Expansion snapshots: what the macros generate, pretty-printed and committed under
/// `tests/expand/`, so a change to the generated code shows up as a reviewed diff.
/// `CHATLAYER_BLESS=1 cargo test -p chatlayer-macros` rewrites them.
#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn pretty(tokens: TokenStream) -> String {
        let file: syn::File = syn::parse2(tokens).expect("the expansion parses as items");
        prettyplease::unparse(&file)
    }

    fn assert_snapshot(name: &str, actual: &str) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/expand")
            .join(format!("{name}.rs"));
        if std::env::var_os("CHATLAYER_BLESS").is_some() {
            std::fs::write(&path, actual).unwrap();
            return;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            expected == actual,
            "the expansion of {name} changed; review it and rerun with CHATLAYER_BLESS=1:\n{actual}"
        );
    }

    #[test]
    fn api_step() {
        let output = expand(
            StepKind::ApiStep,
            quote!(
                "/order",
                namespace = "order",
                session = Order,
                rename_all = "camelCase",
                fallback = on_failure
            ),
            quote! {
                /// Place an order.
                ///
                /// Stores it in the session.
                pub async fn order(
                    /// The product code.
                    sku: String,
                    #[param(default = 1)] quantity: u32,
                    on_failure: BlockId,
                    catalog: Dep<Catalog>,
                ) -> Result<Reply, StepError> {
                    let _ = catalog;
                    Ok(Reply::new().add_message(format!("{quantity} x {sku}")))
                }
            },
            &|_| false,
        );
        assert_snapshot("api_step", &pretty(output));
    }

    #[test]
    fn next_block() {
        let output = expand(
            StepKind::NextBlock,
            TokenStream::new(),
            quote! {
                fn opening_hours(open: BlockId, closed: BlockId) -> BlockId {
                    if is_open() { open } else { closed }
                }
            },
            &|_| false,
        );
        assert_snapshot("next_block", &pretty(output));
    }

    #[test]
    fn a_step_with_errors_keeps_the_function_and_registers_nothing() {
        let output = expand(
            StepKind::ApiStep,
            quote!("orders//x", method = FETCH),
            quote! { async fn order(sku: &str) -> Reply { Reply::new() } },
            &|_| false,
        )
        .to_string();
        assert!(output.contains("async fn order"), "{output}");
        assert_eq!(output.matches("compile_error").count(), 4, "{output}");
        assert!(!output.contains("inventory"), "{output}");
        assert!(output.contains("StepDescriptor :: INVALID"), "{output}");
    }

    #[test]
    fn a_step_in_an_impl_block_is_one_error_at_its_name() {
        let output = expand(
            StepKind::ApiStep,
            quote!("/order"),
            quote! { async fn order(sku: String) -> Reply { Reply::new() } },
            &|_| true,
        )
        .to_string();
        assert!(output.contains("async fn order"), "{output}");
        assert_eq!(output.matches("compile_error").count(), 1, "{output}");
        assert!(output.contains("in an `impl` or `trait` block"), "{output}");
        assert!(!output.contains("struct order"), "{output}");
    }

    #[test]
    fn an_unparsable_item_is_passed_through_with_the_error() {
        let output = expand(
            StepKind::ApiStep,
            quote!("/x"),
            quote! { struct NotAFunction; },
            &|_| false,
        )
        .to_string();
        assert!(output.starts_with("struct NotAFunction ;"), "{output}");
        assert!(output.contains("compile_error"), "{output}");
    }

    #[test]
    fn the_user_function_body_keeps_its_tokens() {
        let body = quote! { { let x = 1 ; todo ! ( "half typed" ) ; x . } };
        let output = expand(
            StepKind::ApiStep,
            quote!("/x"),
            quote! { async fn x() -> Reply #body },
            &|_| false,
        )
        .to_string();
        assert!(output.contains(&body.to_string()), "{output}");
    }
}

/// An expression as a reader would write it: `MediaChoice::Image` rather than the token
/// stream's `MediaChoice :: Image`. A lone literal is kept exactly.
fn expression_text(expr: &syn::Expr) -> String {
    let text = expr.to_token_stream().to_string();
    match expr {
        syn::Expr::Lit(_) => return text,
        // `-1` rather than `- 1`.
        syn::Expr::Unary(unary)
            if matches!(unary.op, syn::UnOp::Neg(_))
                && matches!(*unary.expr, syn::Expr::Lit(_)) =>
        {
            return format!("-{}", unary.expr.to_token_stream());
        }
        _ => {}
    }
    [
        (" :: ", "::"),
        (" . ", "."),
        (" (", "("),
        ("( ", "("),
        (" )", ")"),
        (" ,", ","),
        (" !", "!"),
        ("! [", "!["),
        ("! (", "!("),
        ("[ ", "["),
        (" ]", "]"),
        ("& ", "&"),
    ]
    .iter()
    .fold(text, |text, (from, to)| text.replace(from, to))
}

#[cfg(test)]
mod expression_text_tests {
    use super::expression_text;

    #[test]
    fn reads_like_source() {
        for (source, expected) in [
            ("MediaChoice::Image", "MediaChoice::Image"),
            ("\"image\".to_owned()", "\"image\".to_owned()"),
            ("vec![1, 2]", "vec![1, 2]"),
            ("\"a , b\"", "\"a , b\""),
            ("-1", "-1"),
        ] {
            let expr: syn::Expr = syn::parse_str(source).unwrap();
            assert_eq!(expression_text(&expr), expected, "{source}");
        }
    }
}
