//! The classic mistake, kept as a regression test: this binary never refers to the
//! `lib_bin_split` library, so cargo does not link it and discovery finds no steps.
//! Building the app must then fail with an explanation, not serve an empty app.

use chatlayer_runtime::App;

fn main() {
    match App::discover().build() {
        Ok(app) => println!("found {} steps", app.steps().len()),
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(2);
        }
    }
}
