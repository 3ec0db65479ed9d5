//! The validated step: everything the attribute and the function say, checked once and
//! resolved (wire names, the default path, the fallback parameter), so that expansion only
//! prints it.

use proc_macro2::TokenStream;
use syn::{Expr, FnArg, Ident, LitStr, Path, ReturnType, Safety, Signature, Type, Visibility};

use crate::attr::{Fallback, Method, StepAttr, StepKind};
use crate::case;
use crate::errors::Errors;
use crate::function::{self, RawArg, StepFn};
use crate::path;

/// A step ready to expand.
pub(crate) struct StepModel {
    pub(crate) kind: StepKind,
    pub(crate) krate: Path,
    pub(crate) vis: Visibility,
    /// The function's identifier as written (possibly `r#type`).
    pub(crate) ident: Ident,
    /// The function's name without `r#`.
    pub(crate) name: String,
    pub(crate) method: Method,
    /// The path served: the attribute's, or the one derived from the name.
    pub(crate) path: LitStr,
    pub(crate) docs: String,
    pub(crate) tag: Option<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) session: Option<Type>,
    /// The wire name of the parameter carrying the fallback block.
    pub(crate) fallback: Option<String>,
    pub(crate) fallback_message: Option<String>,
    pub(crate) timeout: Option<syn::LitStr>,
    pub(crate) deny_unknown_params: bool,
    pub(crate) is_async: bool,
    pub(crate) output: ReturnType,
    pub(crate) args: Vec<ArgModel>,
    /// Pairs of arguments (by index, first < second) that read the same wire name: fine
    /// only when one of them is not read by name (a `Dep`, `Context`...), which the types
    /// decide, so the expansion checks it at compile time.
    pub(crate) same_wire_name: Vec<(usize, usize)>,
    /// The function as it is compiled.
    pub(crate) user_fn: TokenStream,
}

/// One argument of the step.
pub(crate) struct ArgModel {
    pub(crate) ident: Ident,
    /// The name in Rust, without `r#`.
    pub(crate) rust_name: String,
    pub(crate) ty: Type,
    /// The parameter name Chatlayer sends.
    pub(crate) wire_name: String,
    pub(crate) default: Option<Expr>,
    pub(crate) description: Option<String>,
}

/// What a failed validation leaves: the function to re-emit, and whether a placeholder
/// `name::STEP` can be declared next to it (not inside an `impl` block).
pub(crate) struct Invalid {
    pub(crate) user_fn: TokenStream,
    pub(crate) placeholder: bool,
}

const SHAPE: &str = "a step is a plain function such as\n  \
    async fn order(sku: String, quantity: Option<u32>, on_success: BlockId) -> Reply";

/// Validates the step, reporting every problem to `errors`. `in_impl_block` says whether the
/// function sits in an `impl` or `trait` block (where no companion type can be declared).
pub(crate) fn validate(
    kind: StepKind,
    attr: StepAttr,
    step: &StepFn,
    in_impl_block: bool,
    errors: &Errors,
) -> Result<StepModel, Invalid> {
    let receiver = step.sig.receiver().is_some();
    if let Some(path) = &attr.path {
        path::validate(path, errors);
    }
    check_function_shape(kind, &step.sig, errors);
    if let Some(receiver) = step.sig.receiver() {
        errors.at(
            receiver.self_token.span,
            format!(
                "a step cannot take `self`: it is registered as a free function\n\
                 help: move it out of the `impl` block; reach shared state with `Dep<T>`\n{SHAPE}"
            ),
        );
    } else if in_impl_block {
        errors.at(
            step.sig.ident.span(),
            format!(
                "{} works on free functions, and `{}` is in an `impl` or `trait` block\n\
                 help: move it out of the block, next to it in the module; reach shared \
                 state with `Dep<T>`",
                kind.attribute(),
                step.sig.ident
            ),
        );
    }
    let args: Vec<ArgModel> = function::raw_args(&step.sig, errors)
        .into_iter()
        .filter_map(|raw| arg_model(&attr, raw, errors))
        .collect();
    let fallback = fallback(&attr, &args, errors);
    let read_by_us = match &attr.fallback {
        Some(Fallback::Argument(named)) => args
            .iter()
            .find(|arg| same_name(&arg.ident, named))
            .map(|arg| &arg.ident),
        _ => None,
    };
    let user_fn = function::user_fn_tokens(step, read_by_us);
    if !errors.is_empty() {
        return Err(Invalid {
            user_fn,
            placeholder: !receiver && !in_impl_block,
        });
    }

    let ident = step.sig.ident.clone();
    let name = unraw(&ident);
    let path = attr
        .path
        .unwrap_or_else(|| LitStr::new(&case::path_from_fn_name(&name), ident.span()));
    let same_wire_name = same_wire_name(&args);
    Ok(StepModel {
        kind,
        krate: attr.krate,
        vis: step.vis.clone(),
        ident,
        name,
        method: attr.method,
        path,
        docs: function::doc_text(&step.attrs),
        tag: attr.tag.as_ref().map(LitStr::value),
        namespace: attr.namespace.as_ref().map(LitStr::value),
        session: attr.session,
        fallback,
        fallback_message: attr.fallback_message.as_ref().map(LitStr::value),
        timeout: attr.timeout,
        deny_unknown_params: attr.deny_unknown_params,
        is_async: step.sig.asyncness.is_some(),
        output: step.sig.output.clone(),
        args,
        same_wire_name,
        user_fn,
    })
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
    for input in &sig.inputs {
        let FnArg::Typed(typed) = input else { continue };
        match &*typed.ty {
            Type::Reference(reference) => errors.spanned(
                reference,
                format!(
                    "a step argument cannot be borrowed: each request's data is handed over by \
                     value\nhelp: {}",
                    owned_instead(&reference.elem)
                ),
            ),
            Type::ImplTrait(impl_trait) => errors.spanned(
                impl_trait,
                "a step argument cannot be `impl Trait`: that makes the function generic\n\
                 help: name a concrete type",
            ),
            _ => {}
        }
    }
}

/// The argument's model; `None` for a pattern argument (already reported).
fn arg_model(attr: &StepAttr, raw: RawArg, errors: &Errors) -> Option<ArgModel> {
    let ident = raw.ident?;
    let rust_name = unraw(&ident);
    let wire_name = match raw.rename {
        Some(lit) => lit.value(),
        None => {
            // A leading `_` only tells Rust the argument is unused: it is not part of the
            // parameter's name (`_on_error` reads `on_error`).
            let base = rust_name.trim_start_matches('_');
            if base.is_empty() {
                errors.at(
                    ident.span(),
                    "an argument named only with underscores reads no parameter\n\
                     help: name it, or give it a parameter with #[param(rename = \"...\")]",
                );
                return None;
            }
            attr.rename_all.apply(base)
        }
    };
    Some(ArgModel {
        ident,
        rust_name,
        ty: raw.ty,
        wire_name,
        default: raw.default,
        description: raw.description,
    })
}

/// What to take instead of a borrowed `&T`: the owned text or list for `&str` and `&[T]`, and
/// for anything else the app's shared value it most likely is (a database, a client).
fn owned_instead(referent: &Type) -> String {
    match referent {
        Type::Path(path) if path.path.is_ident("str") => {
            "take an owned type: `String` instead of `&str`".to_owned()
        }
        Type::Slice(slice) => {
            let item = &slice.elem;
            format!(
                "take an owned type: `Vec<{}>` instead of `&[{}]`",
                quote::quote!(#item),
                quote::quote!(#item)
            )
        }
        other => {
            let name = quote::quote!(#other).to_string();
            format!(
                "a value the app holds for every request (a database, a client) is a \
                 dependency: take `Dep<{name}>` and give the value to \
                 `AppBuilder::provide`; a parameter Chatlayer sends is taken owned, as `{name}`"
            )
        }
    }
}

/// The wire name of the fallback parameter, checking that an argument named there exists.
fn fallback(attr: &StepAttr, args: &[ArgModel], errors: &Errors) -> Option<String> {
    match attr.fallback.as_ref()? {
        Fallback::WireName(lit) => Some(lit.value()),
        Fallback::Argument(named) => {
            let found = args.iter().find(|arg| same_name(&arg.ident, named));
            if found.is_none() {
                let help = match closest_argument(named, args) {
                    Some(near) => format!("did you mean `fallback = {near}`?"),
                    None => format!(
                        "add an argument `{named}: BlockId`, or name the parameter as \
                         Chatlayer sends it: `fallback = \"{named}\"`"
                    ),
                };
                errors.at(
                    named.span(),
                    format!("`fallback = {named}` names no argument of this step\nhelp: {help}"),
                );
            }
            found.map(|arg| arg.wire_name.clone())
        }
    }
}

/// The argument `named` probably meant: at most two edits away (`on_eror`, `on_error`).
fn closest_argument(named: &Ident, args: &[ArgModel]) -> Option<String> {
    let wanted = unraw(named);
    args.iter()
        .map(|arg| unraw(&arg.ident))
        .map(|name| (edit_distance(&wanted, &name), name))
        .filter(|(distance, name)| *distance <= 2 && name.len() >= 3)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// Levenshtein distance between two short names.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// Whether two identifiers name the same argument, ignoring `r#` and the leading `_` that
/// silences Rust's unused-variable lint.
fn same_name(a: &Ident, b: &Ident) -> bool {
    unraw(a).trim_start_matches('_') == unraw(b).trim_start_matches('_')
}

fn unraw(ident: &Ident) -> String {
    let text = ident.to_string();
    text.strip_prefix("r#").map(str::to_owned).unwrap_or(text)
}

fn same_wire_name(args: &[ArgModel]) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    for (second, arg) in args.iter().enumerate() {
        for (first, earlier) in args[..second].iter().enumerate() {
            if earlier.wire_name == arg.wire_name {
                pairs.push((first, second));
            }
        }
    }
    pairs
}
