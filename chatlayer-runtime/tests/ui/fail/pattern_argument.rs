use chatlayer_runtime::prelude::*;

#[api_step("/order")]
async fn order((sku, quantity): (String, u32)) -> Reply {
    Reply::new().add_message(format!("{quantity} x {sku}"))
}

fn main() {}
