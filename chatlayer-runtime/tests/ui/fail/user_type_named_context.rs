use chatlayer_runtime::prelude::*;

mod mine {
    /// The app's own type that happens to be called `Context`: read from the parameter
    /// `context` like any `Deserialize` type.
    #[derive(serde::Deserialize)]
    pub struct Context {
        pub tenant: String,
    }
}

#[api_step("/lookup")]
async fn lookup(context: mine::Context, #[param(rename = "context")] raw: String) -> Reply {
    Reply::new().add_message(context.tenant + &raw)
}

fn main() {}
