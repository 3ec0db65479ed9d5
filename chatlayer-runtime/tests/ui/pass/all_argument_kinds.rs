//! Every kind of argument and return type, in one file that must compile and run.
use chatlayer_runtime::prelude::*;
use chatlayer_runtime::StepError;
use serde::Deserialize;

#[derive(Deserialize)]
struct Form {
    sku: String,
}

struct Catalog;

#[api_step("/all", method = PATCH, rename_all = "camelCase", namespace = "all", tag = "t",
           fallback = on_failure, fallback_message = "sorry", crate = ::chatlayer_runtime)]
async fn all(
    order_id: String,
    #[param(rename = "qty", default = 1)] quantity: u32,
    maybe: Option<bool>,
    on_failure: BlockId,
    form: Params<Form>,
    context: Context,
    catalog: Dep<Catalog>,
    raw: RawRequest,
    mut r#type: String,
) -> Result<Reply, StepError> {
    let _ = (maybe, on_failure, context, catalog, raw);
    r#type.push('!');
    Ok(Reply::new().add_session_data(json!({ "id": order_id, "q": quantity, "sku": form.sku.clone(), "t": r#type })))
}

#[api_step("/unit", method = DELETE)]
fn unit() {}

#[api_step("/block", method = PUT)]
fn block(to: BlockId) -> BlockId {
    to
}

#[api_step("/maybe")]
fn maybe(to: Option<BlockId>) -> Option<BlockId> {
    to
}

#[next_block]
async fn r#async_route(to: BlockId) -> Result<Option<BlockId>, std::io::Error> {
    Ok(Some(to))
}

pub mod nested {
    use chatlayer_runtime::prelude::*;

    #[next_block("/nested", method = get)]
    pub(crate) fn nested(to: BlockId) -> BlockId {
        to
    }
}

fn main() {
    let app = App::from_steps([all::STEP, unit::STEP, block::STEP, maybe::STEP, async_route::STEP, nested::nested::STEP])
        .provide(Catalog)
        .build()
        .unwrap();
    assert_eq!(app.steps().len(), 6);
    assert_eq!(async_route::STEP.path(), "/async-route");
    assert_eq!(nested::nested::STEP.method(), Method::GET);
    assert_eq!(block(BlockId::new("b")), BlockId::new("b"));
    let wire: Vec<&str> = all::STEP.args().iter().map(|arg| arg.wire_name()).collect();
    assert_eq!(wire, ["orderId", "qty", "maybe", "onFailure", "form", "context", "catalog", "raw", "type"]);
}
