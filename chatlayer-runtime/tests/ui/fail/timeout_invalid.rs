use chatlayer_runtime::prelude::*;

#[api_step("/order", timeout = "1.5s")]
async fn order() -> Reply {
    Reply::new()
}

fn main() {}
