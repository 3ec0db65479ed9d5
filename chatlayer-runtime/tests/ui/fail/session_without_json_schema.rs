use chatlayer_runtime::prelude::*;

struct Booking {
    slot: String,
}

#[api_step("/book", namespace = "booking", session = Booking)]
async fn book(slot: String) -> Reply {
    let booking = Booking { slot };
    Reply::new().add_session_data(json!({ "slot": booking.slot }))
}

fn main() {}
