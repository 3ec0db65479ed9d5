//! `cargo run --release -p chatlayer-bench [-- COMMAND]`: see [`chatlayer_bench::cli::USAGE`].

use std::process::ExitCode;

fn main() -> ExitCode {
    let result = chatlayer_bench::cli::parse(std::env::args().skip(1))
        .and_then(|options| chatlayer_bench::cli::run(&options));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("chatlayer-bench: {error}");
            ExitCode::FAILURE
        }
    }
}
