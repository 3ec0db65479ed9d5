//! Compile-error tests of `#[api_step]` / `#[next_block]`: one fixture per error in
//! `tests/ui/fail`, each with the exact compiler output committed next to it (`.stderr`), so
//! a change in what users see is a reviewed change. `tests/ui/pass` must compile and run.
//!
//! Compiler output differs between Rust releases, so the expectations are pinned to the
//! toolchain this repository is built with (see README, "Tests"); other toolchains skip this
//! test. After an intended change, regenerate with:
//!
//!     TRYBUILD=overwrite cargo test -p chatlayer-runtime --test ui

#[rustversion::attr(
    not(stable(1.95)),
    ignore = "the .stderr files are written by Rust 1.95"
)]
#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
