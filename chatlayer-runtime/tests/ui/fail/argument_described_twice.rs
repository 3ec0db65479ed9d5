use chatlayer_runtime::prelude::*;

#[api_step("/book")]
async fn book(
    /// The slot.
    #[param(description = "The slot to book.")]
    slot: String,
) -> Reply {
    Reply::new().add_message(slot)
}

fn main() {}
