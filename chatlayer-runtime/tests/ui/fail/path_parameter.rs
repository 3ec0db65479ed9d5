use chatlayer_runtime::prelude::*;

#[api_step("/orders/{id}")]
async fn order(id: String) -> Reply {
    Reply::new().add_message(id)
}

fn main() {}
