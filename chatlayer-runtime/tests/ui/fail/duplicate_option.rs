use chatlayer_runtime::prelude::*;

#[api_step("/order", method = GET, method = POST)]
async fn order() -> Reply {
    Reply::new()
}

fn main() {}
