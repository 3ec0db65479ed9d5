use chatlayer_runtime::prelude::*;

struct Shop;

impl Shop {
    #[api_step("/order")]
    async fn order(sku: String) -> Reply {
        Reply::new().add_message(sku)
    }
}

fn main() {}
