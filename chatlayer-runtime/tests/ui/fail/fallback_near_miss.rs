use chatlayer_runtime::prelude::*;

#[api_step("/order", fallback = on_eror)]
async fn order(sku: String, on_error: BlockId) -> Reply {
    Reply::new().add_message(sku).set_next_dialog_state(on_error)
}

fn main() {}
