use chatlayer_runtime::prelude::*;

#[api_step("/order", method = FETCH)]
async fn order() -> Reply {
    Reply::new()
}

fn main() {}
