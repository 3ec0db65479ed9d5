//! What the document says about security: the schemes the steps use, and what each
//! operation requires, both read from the app's resolved protections.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{SecurityRequirement, SecurityScheme};
use crate::security::{AuthKind, StepGuards};

/// The name of the signature scheme, when requests must be signed.
const SIGNATURE_SCHEME: &str = "requestSignature";

/// The schemes the steps use, named `bearerAuth`, `basicAuth` and `requestSignature`.
pub(super) fn schemes<'a>(
    guards: impl IntoIterator<Item = &'a StepGuards>,
) -> BTreeMap<String, SecurityScheme> {
    let mut kinds = BTreeSet::new();
    let mut signature_header = None;
    for guard in guards {
        kinds.extend(guard.auth_kind());
        signature_header = signature_header.or(guard.signature_header());
    }
    let signature = signature_header.map(|header| {
        (
            SIGNATURE_SCHEME.to_owned(),
            SecurityScheme::ApiKey {
                name: header.to_owned(),
                location: "header".to_owned(),
                description: Some(
                    "An HMAC of the request body (and timestamp, when configured) with the \
                     shared secret."
                        .to_owned(),
                ),
            },
        )
    });
    kinds
        .into_iter()
        .map(|kind| {
            let (scheme, description) = match kind {
                AuthKind::Bearer => ("bearer", "The API step's Authorization tab: Bearer token."),
                AuthKind::Basic => ("basic", "The API step's Authorization tab: Basic auth."),
            };
            (
                scheme_name(kind).to_owned(),
                SecurityScheme::Http {
                    scheme: scheme.to_owned(),
                    description: Some(description.to_owned()),
                },
            )
        })
        .chain(signature)
        .collect()
}

fn scheme_name(kind: AuthKind) -> &'static str {
    match kind {
        AuthKind::Bearer => "bearerAuth",
        AuthKind::Basic => "basicAuth",
    }
}

/// What a request must carry: the auth scheme and the signature, both when both are on;
/// nothing (`[]`) for an open step.
pub(super) fn requirements(
    auth: Option<AuthKind>,
    signature_header: Option<&str>,
) -> Vec<SecurityRequirement> {
    let mut requirement: SecurityRequirement = BTreeMap::new();
    if let Some(kind) = auth {
        requirement.insert(scheme_name(kind).to_owned(), Vec::new());
    }
    if signature_header.is_some() {
        requirement.insert(SIGNATURE_SCHEME.to_owned(), Vec::new());
    }
    if requirement.is_empty() {
        Vec::new()
    } else {
        vec![requirement]
    }
}

/// An operation's own `security`: absent when it is the document's, else what it requires
/// (`[]` for an open step, which linters want said explicitly).
pub(super) fn operation_requirements(
    step: &StepGuards,
    document: &[SecurityRequirement],
) -> Option<Vec<SecurityRequirement>> {
    let own = requirements(step.auth_kind(), step.signature_header());
    (own != document || document.is_empty()).then_some(own)
}
