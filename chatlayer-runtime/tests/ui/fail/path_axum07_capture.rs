use chatlayer_runtime::prelude::*;

#[api_step("/orders/:id")]
async fn order() -> Reply {
    Reply::new()
}

#[api_step("/files/*rest")]
async fn files() -> Reply {
    Reply::new()
}

fn main() {}
