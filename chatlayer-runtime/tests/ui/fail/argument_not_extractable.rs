use chatlayer_runtime::prelude::*;

struct Database;

#[api_step("/order")]
async fn order(sku: String, db: Database) -> Reply {
    let _ = db;
    Reply::new().add_message(sku)
}

fn main() {}
