use chatlayer_runtime::prelude::*;

#[api_step("/order")]
async fn order<T: ToString>(sku: T) -> Reply {
    Reply::new().add_message(sku.to_string())
}

fn main() {}
