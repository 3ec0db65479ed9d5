use chatlayer_runtime::prelude::*;

#[api_step("/shop//order")]
async fn order() -> Reply {
    Reply::new()
}

fn main() {}
