use chatlayer_runtime::prelude::*;

struct Shop;

impl Shop {
    #[api_step("/order")]
    async fn order(&self) -> Reply {
        Reply::new()
    }
}

fn main() {}
