use chatlayer_runtime::prelude::*;

#[api_step("/order/")]
async fn order() -> Reply {
    Reply::new()
}

fn main() {}
