use chatlayer_runtime::prelude::*;

#[api_step("/order")]
async fn order(sku: impl Into<String>) -> Reply {
    Reply::new().add_message(sku.into())
}

fn main() {}
