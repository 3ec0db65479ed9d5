use chatlayer_runtime::prelude::*;

#[api_step("/order")]
async unsafe fn order() -> Reply {
    Reply::new()
}

fn main() {}
