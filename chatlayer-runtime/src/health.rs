//! `GET /healthz` (the process answers) and `GET /readyz` (it takes new work: false while
//! draining), for orchestrators' probes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::get;

use crate::app::{HEALTH_PATH, READY_PATH};
use crate::error::json_response;

/// Whether the server is draining (shutting down): shared by the server and `/readyz`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Draining(Arc<AtomicBool>);

impl Draining {
    pub(crate) fn start(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub(crate) fn is_on(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

pub(crate) fn routes<S: Clone + Send + Sync + 'static>(draining: Draining) -> Router<S> {
    Router::new()
        .route(
            HEALTH_PATH,
            get(|| async { status(StatusCode::OK, "ok") }).fallback(get_only),
        )
        .route(
            READY_PATH,
            get(move || {
                let draining = draining.clone();
                async move {
                    if draining.is_on() {
                        status(StatusCode::SERVICE_UNAVAILABLE, "draining")
                    } else {
                        status(StatusCode::OK, "ready")
                    }
                }
            })
            .fallback(get_only),
        )
}

/// The JSON 405 of a route that answers `GET` (and so `HEAD`) only.
pub(crate) async fn get_only() -> Response {
    crate::dispatch::method_not_allowed(vec![Method::GET, Method::HEAD]).await
}

fn status(code: StatusCode, text: &'static str) -> Response {
    json_response(code, format!("{{\"status\":\"{text}\"}}").into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get(router: &Router, path: &str) -> (StatusCode, String) {
        let response = router
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn readiness_turns_false_while_draining_and_liveness_stays() {
        let draining = Draining::default();
        let router: Router = routes(draining.clone());
        assert_eq!(
            get(&router, READY_PATH).await,
            (StatusCode::OK, r#"{"status":"ready"}"#.to_owned())
        );
        draining.start();
        assert_eq!(
            get(&router, READY_PATH).await,
            (
                StatusCode::SERVICE_UNAVAILABLE,
                r#"{"status":"draining"}"#.to_owned()
            )
        );
        assert_eq!(get(&router, HEALTH_PATH).await.0, StatusCode::OK);
    }
}
