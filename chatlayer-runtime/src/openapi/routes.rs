//! `GET /openapi.json` and the Swagger UI page at `GET /docs`, served by the app itself.
//!
//! Both read axum's `NestedPath`, so a host that nests the steps' router under a prefix
//! gets a document whose paths carry that prefix and a page that loads its own assets.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{NestedPath, Path, Request};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use swagger_ui_redist::{SwaggerUi, SwaggerUiStaticFile};

use super::document::{self, DocumentInput};
use super::model::{Info, OpenApi};
use crate::descriptor::StepDescriptor;
use crate::error::{ErrorCode, StepError, error_response, get_only};
use crate::fallback::Fallback;
use crate::paths::{DOCS_PATH, OPENAPI_PATH, normalize_prefix};

use crate::security::Guards;

/// What the document is built from, and the documents already built, by prefix.
pub(crate) struct DocSource {
    input: DocumentInput,
    built: Mutex<BTreeMap<String, Bytes>>,
}

impl DocSource {
    pub(crate) fn new(
        steps: Vec<&'static StepDescriptor>,
        info: Info,
        tags: BTreeMap<String, String>,
        failure: Fallback,
        deny_unknown_params: bool,
        guards: Arc<Guards>,
    ) -> Self {
        DocSource {
            input: DocumentInput {
                steps,
                info,
                tags,
                failure,
                deny_unknown_params,
                guards,
            },
            built: Mutex::default(),
        }
    }

    pub(crate) fn document(&self, prefix: &str) -> OpenApi {
        document::build(&self.input, prefix)
    }

    /// The document's bytes for `prefix`, built once per prefix.
    fn document_bytes(&self, prefix: &str) -> Bytes {
        let prefix = normalize_prefix(prefix);
        let mut built = self
            .built
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        built
            .entry(prefix.clone())
            .or_insert_with(|| Bytes::from(self.document(&prefix).to_json_pretty()))
            .clone()
    }
}

/// The routes for the document and, when `docs_page`, the page and its assets.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>(
    source: Arc<DocSource>,
    docs_page: bool,
) -> Router<S> {
    let document_source = Arc::clone(&source);
    let mut router = Router::new().route(
        OPENAPI_PATH,
        get(move |request: Request| {
            let source = Arc::clone(&document_source);
            async move { serve_document(&source, &prefix_of(&request)) }
        })
        .fallback(get_only),
    );
    if docs_page {
        let info = &source.input.info;
        let title = format!("{} {}", info.title, info.version);
        router = router
            .route(
                DOCS_PATH,
                get(move |request: Request| {
                    let title = title.clone();
                    async move { serve_page(&title, &prefix_of(&request)) }
                })
                .fallback(get_only),
            )
            .route(
                &format!("{DOCS_PATH}/{{file}}"),
                get(serve_asset).fallback(get_only),
            );
    }
    router
}

/// The prefix the router is nested under, or "" at the root.
fn prefix_of(request: &Request) -> String {
    let nested = request.extensions().get::<NestedPath>();
    normalize_prefix(nested.map_or("", NestedPath::as_str))
}

fn serve_document(source: &DocSource, prefix: &str) -> Response {
    let mut response = source.document_bytes(prefix).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn serve_page(title: &str, prefix: &str) -> Response {
    let mut page = SwaggerUi::new();
    page.title(title.to_owned());
    page.config()
        .urls([format!("{prefix}{OPENAPI_PATH}")])
        // Swagger UI would otherwise send the document to validator.swagger.io.
        .validator_url("none")
        .display_operation_id(true)
        .deep_linking(true);
    for file in SwaggerUiStaticFile::all() {
        page.override_file_path(*file, format!("{prefix}{DOCS_PATH}/{}", file.file_name()));
    }
    match page.serve() {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(error) => error_response(
            &StepError::internal(format!("the docs page cannot be built: {error}")),
            None,
        ),
    }
}

async fn serve_asset(Path(file): Path<String>) -> Response {
    let asset = SwaggerUi::static_files()
        .iter()
        .find(|(kind, _)| kind.file_name() == file);
    let Some((_, bytes)) = asset else {
        let error = StepError::of(
            ErrorCode::NotFound,
            format!(
                "the docs page has no file {}",
                crate::untrusted::Untrusted(&file)
            ),
        );
        return error_response(&error, None);
    };
    let content_type = match file.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            // The files change only with the crate's version.
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        *bytes,
    )
        .into_response()
}
