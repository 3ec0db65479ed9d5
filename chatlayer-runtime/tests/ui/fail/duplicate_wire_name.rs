use chatlayer_runtime::prelude::*;

#[api_step("/order", rename_all = "camelCase")]
async fn order(order_id: String, #[param(rename = "orderId")] id: String) -> Reply {
    Reply::new().add_message(order_id + &id)
}

fn main() {}
