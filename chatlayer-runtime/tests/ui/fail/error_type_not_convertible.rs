use chatlayer_runtime::prelude::*;

/// An error type without `Display`: the framework cannot log or convert it.
#[derive(Debug)]
struct OutOfStock;

#[api_step("/order")]
async fn order() -> Result<Reply, OutOfStock> {
    Err(OutOfStock)
}

fn main() {}
