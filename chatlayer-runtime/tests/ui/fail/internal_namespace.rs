use chatlayer_runtime::prelude::*;

#[api_step("/order", namespace = "internal")]
async fn order() -> Reply {
    Reply::new()
}

fn main() {}
