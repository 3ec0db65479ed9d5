//! Serves the steps of the `lib_bin_split` library.
//!
//! `App::discover()` finds steps in every crate linked into the program, and cargo links a
//! dependency only when the program refers to it. Nothing here calls the library, so this
//! line is what links it:
use lib_bin_split as _;

use chatlayer_runtime::App;

#[tokio::main]
async fn main() -> Result<(), chatlayer_runtime::ServeError> {
    if std::env::args().any(|arg| arg == "--list-steps") {
        return list_steps();
    }
    App::discover().serve().await
}

/// Prints the steps discovery finds, one `METHOD path` per line.
fn list_steps() -> Result<(), chatlayer_runtime::ServeError> {
    let app = App::discover().build()?;
    for step in app.steps() {
        println!("{} {}", step.method(), step.path());
    }
    Ok(())
}
