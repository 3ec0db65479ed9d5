use chatlayer_runtime::prelude::*;

pub struct Db;

#[api_step("/order")]
async fn order(sku: String, db: &Db) -> Reply {
    let _ = db;
    Reply::new().add_message(sku)
}

fn main() {}
