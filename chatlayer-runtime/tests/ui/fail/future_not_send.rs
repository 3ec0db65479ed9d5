use chatlayer_runtime::prelude::*;
use std::rc::Rc;

async fn tick() {}

#[api_step("/order")]
async fn order(sku: String) -> Reply {
    let shared = Rc::new(sku);
    tick().await;
    Reply::new().add_message(shared.to_string())
}

fn main() {}
