//! Discovery across the library / binary boundary, checked on the built binaries.

use std::process::Command;

#[test]
fn the_binary_that_links_the_library_discovers_its_steps() {
    let output = Command::new(env!("CARGO_BIN_EXE_lib-bin-split"))
        .arg("--list-steps")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "POST /appointment/cancel\nPOST /appointment/confirm\n"
    );
}

#[test]
fn a_binary_that_does_not_link_the_library_fails_with_the_fix() {
    let output = Command::new(env!("CARGO_BIN_EXE_unlinked"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("no steps were found"), "{message}");
    assert!(message.contains("use my_steps as _;"), "{message}");
}

#[test]
fn a_test_that_links_the_library_discovers_its_steps_too() {
    // This test binary refers to the library (below), so it is linked.
    let app = chatlayer_runtime::App::discover().build().unwrap();
    let names: Vec<&str> = app.steps().iter().map(|step| step.name()).collect();
    assert_eq!(names, ["cancel_appointment", "confirm_appointment"]);
    assert_eq!(lib_bin_split::cancel_appointment("c".into()).as_str(), "c");
}
