//! `GET /metrics`: the app's metrics for a Prometheus scraper, behind a Bearer token when
//! one is configured.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;

use super::metrics::{Exposition, Metrics};
use crate::error::{ErrorCode, StepError, error_response};
use crate::paths::METRICS_PATH;
use crate::security::Auth;

/// The token a scraper must send as `Authorization: Bearer <token>`: checked as the steps'
/// Bearer credentials are ([`Auth::bearer`]: kept as a digest, compared in constant time,
/// never printed).
#[derive(Clone, Debug)]
pub(crate) struct MetricsToken(Auth);

impl MetricsToken {
    pub(crate) fn new(token: impl AsRef<str>) -> Self {
        MetricsToken(Auth::bearer(token))
    }

    fn admits(&self, headers: &HeaderMap) -> bool {
        self.0.check(headers).is_ok()
    }
}

/// The `/metrics` route.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>(
    metrics: Arc<Metrics>,
    token: Option<MetricsToken>,
) -> Router<S> {
    let read = move |headers: HeaderMap| {
        let metrics = Arc::clone(&metrics);
        let token = token.clone();
        async move {
            if let Some(token) = &token
                && !token.admits(&headers)
            {
                return refused();
            }
            let accept = headers
                .get(header::ACCEPT)
                .and_then(|value| value.to_str().ok());
            let format = Exposition::negotiate(accept);
            let mut response = Response::new(Body::from(metrics.render(format)));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            );
            response
        }
    };
    Router::new().route(METRICS_PATH, get(read).fallback(crate::error::get_only))
}

fn refused() -> Response {
    let error = StepError::of(
        ErrorCode::Unauthorized,
        "reading the metrics requires the Bearer token this server was given",
    )
    .with_hint(
        "send `Authorization: Bearer <CHATLAYER_METRICS_TOKEN>`: in Prometheus, \
         `authorization: { credentials: ... }` in the scrape config",
    );
    let mut response = error_response(&error, None);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    debug_assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    response
}
