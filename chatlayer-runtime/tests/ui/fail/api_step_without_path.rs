use chatlayer_runtime::prelude::*;

#[api_step]
async fn order() -> Reply {
    Reply::new()
}

fn main() {}
