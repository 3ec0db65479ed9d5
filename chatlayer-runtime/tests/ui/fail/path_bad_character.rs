use chatlayer_runtime::prelude::*;

#[api_step("/order?sku=1")]
async fn order() -> Reply {
    Reply::new()
}

#[api_step("/new order")]
async fn new_order() -> Reply {
    Reply::new()
}

fn main() {}
