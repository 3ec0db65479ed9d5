use chatlayer_runtime::prelude::*;

#[api_step("/order", verb = POST)]
async fn order() -> Reply {
    Reply::new()
}

fn main() {}
