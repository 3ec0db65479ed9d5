//! Errors as HTTP answers: the JSON body with the error's status, and the one content type
//! every answer of the framework carries.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::StepError;

/// The content type of every answer: JSON in UTF-8.
pub(crate) const JSON: &str = "application/json; charset=utf-8";

/// `error` as its JSON [`ErrorBody`](super::ErrorBody), with its status; `step` names the
/// step that answered, when the request reached one.
pub(crate) fn error_response(error: &StepError, step: Option<&str>) -> Response {
    let body = serde_json::to_vec(&error.to_body(step)).unwrap_or_else(|_| b"{}".to_vec());
    json_response(error.status_code(), body)
}

/// `body` (JSON text) with `status`.
pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}
