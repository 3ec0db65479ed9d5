use chatlayer_runtime::prelude::*;

#[api_step("/order")]
async fn order(sku: String) -> String {
    sku
}

fn main() {}
