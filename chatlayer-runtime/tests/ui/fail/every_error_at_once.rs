use chatlayer_runtime::prelude::*;

#[api_step("orders//:id", method = FETCH, colour = "red")]
async fn order<T>(&self, (a, b): (T, T), sku: &str) -> Reply {
    Reply::new()
}

fn main() {}
