//! The paths an app serves besides its steps, and how a mount prefix is written: shared by
//! the app (which refuses steps at these paths), the routes that answer them (health,
//! documents, metrics) and the OpenAPI document (which names them under a prefix).

/// Where liveness is answered, relative to the steps.
pub(crate) const HEALTH_PATH: &str = "/healthz";
/// Where readiness is answered, relative to the steps.
pub(crate) const READY_PATH: &str = "/readyz";
/// Where the OpenAPI document is served, relative to the steps.
pub(crate) const OPENAPI_PATH: &str = "/openapi.json";
/// Where the docs page is served, relative to the steps.
pub(crate) const DOCS_PATH: &str = "/docs";
/// Where the metrics are served, relative to the steps.
pub(crate) const METRICS_PATH: &str = "/metrics";

/// `/chatlayer/` and `chatlayer` become `/chatlayer`; `/` and `` become ``.
pub(crate) fn normalize_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

/// Whether `path` is the docs page or under it.
pub(crate) fn in_docs(path: &str) -> bool {
    path == DOCS_PATH
        || path
            .strip_prefix(DOCS_PATH)
            .is_some_and(|rest| rest.starts_with('/'))
}
