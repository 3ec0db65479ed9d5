//! The grammar of `#[api_step(...)]` and `#[next_block(...)]`:
//! an optional path literal followed by `key = value` options.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Ident, Lit, LitBool, LitStr, Path, Token, Type};

use crate::case::RenameRule;
use crate::errors::Errors;

/// Which macro is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StepKind {
    ApiStep,
    NextBlock,
}

impl StepKind {
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            StepKind::ApiStep => "#[api_step]",
            StepKind::NextBlock => "#[next_block]",
        }
    }

    fn known_options(self) -> String {
        crate::options::names(self == StepKind::NextBlock)
    }
}

/// The HTTP methods Chatlayer's API step can send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return None,
        })
    }

    /// The name of `http::Method`'s constant for it.
    pub(crate) fn constant(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// How a step names the parameter that carries its failure block.
#[derive(Clone)]
pub(crate) enum Fallback {
    /// `fallback = on_failure`: one of the function's own arguments.
    Argument(Ident),
    /// `fallback = "errorBlock"`: a parameter name as it appears on the wire.
    WireName(LitStr),
}

/// Everything the attribute says, with spans kept for later checks.
pub(crate) struct StepAttr {
    pub(crate) path: Option<LitStr>,
    pub(crate) method: Method,
    pub(crate) rename_all: RenameRule,
    pub(crate) namespace: Option<LitStr>,
    /// `session = Type`: the type of the session data, for the OpenAPI document.
    pub(crate) session: Option<Type>,
    pub(crate) tag: Option<LitStr>,
    pub(crate) fallback: Option<Fallback>,
    pub(crate) fallback_message: Option<LitStr>,
    /// `timeout = "5s"`, as written: read by the runtime's one duration grammar, in a
    /// constant, so a wrong text fails the build at this literal.
    pub(crate) timeout: Option<LitStr>,
    /// `deny_unknown_params`: refuse parameters no argument reads.
    pub(crate) deny_unknown_params: bool,
    pub(crate) krate: Path,
}

impl StepAttr {
    fn defaults() -> Self {
        StepAttr {
            path: None,
            method: Method::Post,
            rename_all: RenameRule::SnakeCase,
            namespace: None,
            session: None,
            tag: None,
            fallback: None,
            fallback_message: None,
            timeout: None,
            deny_unknown_params: false,
            krate: syn::parse_quote!(::chatlayer_runtime),
        }
    }
}

/// The raw shape: `"/path"?, (key = value | flag),*`.
struct RawAttr {
    path: Option<LitStr>,
    options: Punctuated<RawOption, Token![,]>,
}

/// One option as written: `key = value`, or a bare `flag`.
struct RawOption {
    name: Path,
    value: OptionValue,
}

enum OptionValue {
    /// `flag`.
    Flag,
    /// `key(...)`: not a form any option takes.
    List(proc_macro2::Span),
    /// `key = expression`.
    Expr(Expr),
    /// `session = Type`: a type, which need not parse as an expression (`Vec<Slot>`).
    Type(Type),
}

impl Parse for RawAttr {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let path = if input.peek(LitStr) {
            let path: LitStr = input.parse()?;
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
            Some(path)
        } else {
            None
        };
        let options = Punctuated::parse_terminated_with(input, parse_option)?;
        Ok(RawAttr { path, options })
    }
}

/// One option; the keyword `crate` is accepted as a name, and `session`'s value is a type.
fn parse_option(input: ParseStream) -> syn::Result<RawOption> {
    if input.peek(LitStr) {
        let literal: LitStr = input.parse()?;
        return Err(syn::Error::new(
            literal.span(),
            "the path must come first, and only once, e.g. #[api_step(\"/order\", method = GET)]",
        ));
    }
    let name: Path = if input.peek(Token![crate]) {
        let krate: Token![crate] = input.parse()?;
        Ident::new("crate", krate.span).into()
    } else {
        input.call(Path::parse_mod_style)?
    };
    let value = if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        if name.is_ident("session") {
            OptionValue::Type(input.parse()?)
        } else {
            OptionValue::Expr(input.parse()?)
        }
    } else if input.peek(syn::token::Paren) {
        let group: proc_macro2::Group = input.parse()?;
        OptionValue::List(group.span())
    } else {
        OptionValue::Flag
    };
    Ok(RawOption { name, value })
}

/// Parses the attribute's tokens, reporting every problem to `errors`.
pub(crate) fn parse(kind: StepKind, tokens: TokenStream, errors: &Errors) -> StepAttr {
    let mut attr = StepAttr::defaults();
    let raw = match RawAttr::parse.parse2(tokens) {
        Ok(raw) => raw,
        Err(error) => {
            errors.push(error);
            return attr;
        }
    };
    attr.path = raw.path;
    if kind == StepKind::ApiStep && attr.path.is_none() {
        errors.at(
            Span::call_site(),
            "#[api_step] needs the path Chatlayer calls\n\
             help: write it first, e.g. #[api_step(\"/order\")]",
        );
    }

    let mut seen: Vec<String> = Vec::new();
    for option in raw.options {
        let Some(name) = option.name.get_ident().map(Ident::to_string) else {
            errors.at(
                option.name.span(),
                format!(
                    "unknown {} option\nhelp: the options are: {}",
                    kind.attribute(),
                    kind.known_options()
                ),
            );
            continue;
        };
        let name_span = option.name.span();
        // Only the listed options exist: the list is also the documentation's table.
        if !crate::options::exists(&name) {
            unknown_option(kind, &name, name_span, errors);
            continue;
        }
        if seen.contains(&name) {
            errors.at(name_span, format!("`{name}` is given more than once"));
            continue;
        }
        seen.push(name.clone());
        if name == "deny_unknown_params" {
            match &option.value {
                OptionValue::Flag => attr.deny_unknown_params = true,
                OptionValue::Expr(Expr::Lit(ExprLit {
                    lit: Lit::Bool(LitBool { value, .. }),
                    ..
                })) => attr.deny_unknown_params = *value,
                _ => errors.at(name_span, "write `deny_unknown_params` on its own"),
            }
            continue;
        }
        if name == "session" {
            match (&option.value, kind) {
                (_, StepKind::NextBlock) => errors.at(
                    name_span,
                    "a #[next_block] only chooses the next block and writes no session data\n\
                     help: use #[api_step] with `namespace = ...` and `session = ...`",
                ),
                (OptionValue::Type(ty), StepKind::ApiStep) => attr.session = Some(ty.clone()),
                _ => errors.at(
                    name_span,
                    "write `session = Type`: the type of the data the step stores, e.g. \
                     `session = Booking`",
                ),
            }
            continue;
        }
        let value = match option.value {
            OptionValue::Expr(value) => value,
            OptionValue::Type(ty) => {
                errors.spanned(ty.to_token_stream(), format!("write `{name} = ...`"));
                continue;
            }
            OptionValue::Flag | OptionValue::List(_) => {
                let span = match option.value {
                    OptionValue::List(span) => span,
                    _ => name_span,
                };
                if is_known(kind, &name) {
                    errors.at(
                        span,
                        format!("write `{name} = ...`; see the {} docs", kind.attribute()),
                    );
                } else {
                    unknown_option(kind, &name, name_span, errors);
                }
                continue;
            }
        };
        let value = &value;
        match name.as_str() {
            "method" => match method_name(value).and_then(|n| Method::from_name(&n)) {
                Some(method) => attr.method = method,
                None => errors.at(
                    value.span(),
                    "unknown HTTP method\nhelp: Chatlayer sends GET, POST, PUT, PATCH or DELETE, \
                     e.g. `method = GET`",
                ),
            },
            "rename_all" => match string(value) {
                Some(lit) => match RenameRule::from_name(&lit.value()) {
                    Some(rule) => attr.rename_all = rule,
                    None => errors.at(
                        lit.span(),
                        format!(
                            "unknown rename_all rule {:?}\nhelp: use one of {}",
                            lit.value(),
                            RenameRule::NAMES
                        ),
                    ),
                },
                None => errors.at(value.span(), "write `rename_all = \"camelCase\"`"),
            },
            "namespace" if kind == StepKind::NextBlock => errors.at(
                name_span,
                "a #[next_block] only chooses the next block and writes no session data\n\
                 help: use #[api_step] with `namespace = ...` to store data in the session",
            ),
            "namespace" => match string(value) {
                Some(lit) => {
                    check_namespace(&lit, errors);
                    attr.namespace = Some(lit);
                }
                None => errors.at(value.span(), "write `namespace = \"order\"`"),
            },
            "tag" => match string(value) {
                Some(lit) => attr.tag = Some(lit),
                None => errors.at(value.span(), "write `tag = \"orders\"`"),
            },
            "fallback" => match value {
                Expr::Path(path) if path.path.get_ident().is_some() => {
                    attr.fallback = Some(Fallback::Argument(
                        path.path.get_ident().cloned().expect("checked above"),
                    ));
                }
                _ => match string(value) {
                    Some(lit) if !lit.value().is_empty() => {
                        attr.fallback = Some(Fallback::WireName(lit))
                    }
                    _ => errors.at(
                        value.span(),
                        "write `fallback = on_failure` (an argument of type BlockId) or \
                         `fallback = \"errorBlock\"` (a parameter name as Chatlayer sends it)",
                    ),
                },
            },
            "fallback_message" => match string(value) {
                Some(lit) => attr.fallback_message = Some(lit),
                None => errors.at(
                    value.span(),
                    "write `fallback_message = \"Sorry, that did not work.\"`",
                ),
            },
            "timeout" => match string(value) {
                Some(lit) => attr.timeout = Some(lit),
                None => errors.at(value.span(), "write `timeout = \"5s\"`"),
            },
            "crate" => match crate_path(value) {
                Some(path) => attr.krate = path,
                None => errors.at(
                    value.span(),
                    "write `crate = ::path::to::chatlayer_runtime`",
                ),
            },
            _ => unknown_option(kind, &name, name_span, errors),
        }
    }
    attr
}

/// Whether `name` is an option of `kind`'s attribute.
fn is_known(kind: StepKind, name: &str) -> bool {
    kind.known_options()
        .split(',')
        .any(|known| known.trim() == name)
}

fn unknown_option(kind: StepKind, name: &str, span: Span, errors: &Errors) {
    errors.at(
        span,
        format!(
            "unknown {} option `{name}`\nhelp: the options are: {}",
            kind.attribute(),
            kind.known_options()
        ),
    );
}

fn check_namespace(lit: &LitStr, errors: &Errors) {
    let namespace = lit.value();
    if namespace.is_empty() {
        errors.at(lit.span(), "a session namespace cannot be empty");
    } else if namespace == "internal" || namespace.starts_with("internal.") {
        errors.at(
            lit.span(),
            "Chatlayer's `internal` session namespace is read-only: Chatlayer restores it after \
             every write\nhelp: store your data under a namespace of your own, e.g. \"order\"",
        );
    }
}

fn string(value: &Expr) -> Option<LitStr> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit.clone()),
        _ => None,
    }
}

fn method_name(value: &Expr) -> Option<String> {
    match value {
        Expr::Path(path) => path.path.get_ident().map(Ident::to_string),
        _ => string(value).map(|lit| lit.value()),
    }
}

fn crate_path(value: &Expr) -> Option<Path> {
    match value {
        Expr::Path(path) => Some(path.path.clone()),
        _ => string(value).and_then(|lit| lit.parse().ok()),
    }
}
