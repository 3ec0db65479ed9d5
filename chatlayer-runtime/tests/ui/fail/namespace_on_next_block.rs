use chatlayer_runtime::prelude::*;

#[next_block("/route", namespace = "route")]
fn route(to: BlockId) -> BlockId {
    to
}

fn main() {}
