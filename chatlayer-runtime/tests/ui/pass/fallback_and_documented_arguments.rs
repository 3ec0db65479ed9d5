//! A step whose fallback argument is read only by the framework, with doc comments on its
//! arguments: it must compile without a single warning.
#![deny(warnings)]

use chatlayer_runtime::prelude::*;

/// Book a slot.
#[api_step("/book", namespace = "booking", fallback = on_error)]
async fn book(
    /// The slot, e.g. `2026-11-23T10:00`.
    slot: String,
    /// Where the conversation goes when the slot cannot be booked.
    on_error: BlockId,
    /// Read by its name, `unused`, although the function ignores it.
    _unused: Option<String>,
) -> Result<Reply, StepError> {
    Ok(Reply::new().add_session_data(json!({ "slot": slot })))
}

fn main() {
    let wire: Vec<&str> = book::STEP.args().iter().map(|arg| arg.wire_name()).collect();
    assert_eq!(wire, ["slot", "on_error", "unused"]);
    assert_eq!(book::STEP.fallback_param(), Some("on_error"));
    assert_eq!(
        book::STEP.args()[0].description(),
        Some("The slot, e.g. `2026-11-23T10:00`.")
    );
}
