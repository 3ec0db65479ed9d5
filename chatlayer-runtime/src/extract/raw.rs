//! [`RawRequest`]: the request as it arrived.

use std::sync::Arc;

use axum::http::{HeaderMap, Method, Uri};

use super::{ArgSpec, FromStepRequest, StepInputs, StepRequest};
use crate::error::StepError;
use crate::param_map::ParamMap;

/// The request as it arrived: method, URI, headers, and every parameter Chatlayer sent.
/// For what typed arguments cannot say, such as a header row or a parameter whose name is
/// only known at run time.
///
/// ```
/// use chatlayer_runtime::prelude::*;
///
/// #[api_step("/echo")]
/// async fn echo(raw: RawRequest) -> Reply {
///     let agent = raw.headers().get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or("?");
///     Reply::new().add_message(format!(
///         "{} {} from {agent} with {} parameters",
///         raw.method(),
///         raw.uri().path(),
///         raw.params().len()
///     ))
/// }
/// ```
#[derive(Clone, Debug)]
pub struct RawRequest {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    params: Arc<ParamMap>,
}

impl RawRequest {
    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The URI, as the step's router saw it (without the prefix of a host app's `nest`).
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Every parameter, body and query.
    pub fn params(&self) -> &ParamMap {
        &self.params
    }
}

impl FromStepRequest for RawRequest {
    fn from_step_request(request: &StepRequest, _arg: &ArgSpec) -> Result<Self, StepError> {
        Ok(RawRequest {
            method: request.method().clone(),
            uri: request.uri().clone(),
            headers: request.headers().clone(),
            params: request.shared_params(),
        })
    }

    /// Sees every parameter, so none counts as unknown to its step.
    fn describe(_arg: &ArgSpec, inputs: &mut StepInputs) {
        inputs.add_any_parameter();
    }
}
