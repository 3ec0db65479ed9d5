use chatlayer_runtime::prelude::*;

#[api_step("/order", rename_all = "camel")]
async fn order(order_id: String) -> Reply {
    Reply::new().add_message(order_id)
}

fn main() {}
