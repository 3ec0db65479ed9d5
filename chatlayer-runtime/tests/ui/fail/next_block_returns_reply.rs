use chatlayer_runtime::prelude::*;

#[next_block]
fn opening_hours(open: BlockId) -> Reply {
    Reply::new().set_next_dialog_state(open)
}

fn main() {}
