//! Errors as HTTP answers: the JSON body with the error's status, and the one content type
//! every answer of the framework carries.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;

use super::{ErrorCode, StepError};
use crate::untrusted::Untrusted;

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

/// The JSON 405 of a path whose steps answer only the `allowed` methods, with `Allow`.
pub(crate) async fn method_not_allowed(allowed: Vec<Method>) -> Response {
    let names: Vec<&str> = allowed.iter().map(Method::as_str).collect();
    let error = StepError::of(
        ErrorCode::MethodNotAllowed,
        format!("this path answers {}", names.join(", ")),
    )
    .with_hint("set the API step's method to match the step");
    let mut response = error_response(&error, None);
    if let Ok(allow) = HeaderValue::from_str(&names.join(", ")) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

/// The JSON 405 of a route that answers `GET` (and so `HEAD`) only.
pub(crate) async fn get_only() -> Response {
    method_not_allowed(vec![Method::GET, Method::HEAD]).await
}

/// The JSON 404 of a path no step answers (and the 405 of a `CONNECT`).
/// The answer to a path no step serves; `served` are the steps' paths, for the hint: the one
/// the caller probably meant (`/return` for `/returns`), or the paths there are.
pub(crate) fn not_found(request: Request, served: &[&'static str]) -> Response {
    if request.method() == Method::CONNECT {
        // A tunnel to elsewhere (`CONNECT host:port`) is no path of this server.
        let error = StepError::of(
            ErrorCode::MethodNotAllowed,
            "CONNECT is not served: this server answers API steps, it is no proxy",
        );
        let mut response = error_response(&error, None);
        response.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static("GET, HEAD, POST, PUT, PATCH, DELETE"),
        );
        return response;
    }
    let path = request.uri().path();
    let hint = match crate::nearest::closest(path, served) {
        Some(near) => format!("did you mean `{near}`? Correct the API step's URL"),
        None if served.is_empty() => "this server serves no step".to_owned(),
        None => {
            const SHOWN: usize = 8;
            let mut listed: Vec<String> = served
                .iter()
                .take(SHOWN)
                .map(|path| format!("`{path}`"))
                .collect();
            if served.len() > SHOWN {
                listed.push(format!("and {} more", served.len() - SHOWN));
            }
            format!(
                "correct the API step's URL: the steps are served at {}",
                listed.join(", ")
            )
        }
    };
    let error = StepError::of(
        ErrorCode::NotFound,
        format!("no step answers {}", Untrusted(path)),
    )
    .with_hint(hint);
    error_response(&error, None)
}
