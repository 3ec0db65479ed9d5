use chatlayer_runtime::prelude::*;

#[api_step("/order")]
async fn order(#[param(alias = "qty")] quantity: u32) -> Reply {
    Reply::new().add_message(quantity.to_string())
}

fn main() {}
