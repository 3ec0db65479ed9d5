use chatlayer_runtime::prelude::*;

#[next_block]
fn opening_hours(open: BlockId) {
    let _ = open;
}

fn main() {}
