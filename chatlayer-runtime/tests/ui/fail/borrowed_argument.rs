use chatlayer_runtime::prelude::*;

#[api_step("/order")]
async fn order(sku: &str) -> Reply {
    Reply::new().add_message(sku)
}

fn main() {}
