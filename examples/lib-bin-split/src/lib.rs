//! Steps defined in a library crate. The binary that serves them must link this crate:
//! see `src/main.rs` for the one line that does it, and `src/bin/unlinked.rs` for what
//! happens without it.

use chatlayer_runtime::prelude::*;

/// Confirm an appointment.
#[api_step("/appointment/confirm", namespace = "appointment")]
pub async fn confirm_appointment(slot: String, confirmed: BlockId) -> Reply {
    Reply::new()
        .add_session_data(json!({ "slot": slot, "status": "confirmed" }))
        .add_message(format!("See you at {slot}."))
        .set_next_dialog_state(confirmed)
}

/// Cancel an appointment.
#[next_block("/appointment/cancel")]
pub fn cancel_appointment(cancelled: BlockId) -> BlockId {
    cancelled
}
