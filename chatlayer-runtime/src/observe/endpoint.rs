//! `GET /metrics`: the app's metrics for a Prometheus scraper, behind a Bearer token when
//! one is configured.

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::metrics::{Exposition, Metrics};
use crate::app::METRICS_PATH;
use crate::error::{ErrorCode, StepError, error_response};

/// The token a scraper must send as `Authorization: Bearer <token>`. Kept as a digest, so
/// that every comparison takes the same time whatever was sent, and never printed.
#[derive(Clone)]
pub(crate) struct MetricsToken([u8; 32]);

impl MetricsToken {
    pub(crate) fn new(token: impl AsRef<[u8]>) -> Self {
        MetricsToken(Sha256::digest(token.as_ref()).into())
    }

    fn admits(&self, headers: &HeaderMap) -> bool {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| text.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
            .map(|(_, token)| token.trim());
        presented.is_some_and(|token| {
            let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
            bool::from(digest.ct_eq(&self.0))
        })
    }
}

impl fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricsToken(<redacted>)")
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
    Router::new().route(METRICS_PATH, get(read).fallback(crate::health::get_only))
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
