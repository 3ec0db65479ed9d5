//! `quickstart check BOT_FILE`: a bot file read against the app's steps, each problem with
//! its block and row, before any conversation runs.

mod support;

use std::path::PathBuf;

use support::{quickstart, text};

#[test]
fn the_quickstarts_bot_file_fits_its_steps() {
    let output = quickstart(["check", "bot.yaml"]);
    assert!(output.status.success(), "{}", text(&output));
    // The same from the committed document, as for a backend in another language.
    let output = quickstart(["check", "bot.yaml", "--openapi", "openapi.json"]);
    assert!(output.status.success(), "{}", text(&output));
}

/// One action block per kind of problem `check` finds.
#[test]
fn each_kind_of_problem_is_found_with_its_block_and_row() {
    let bot = "\
start: typo
blocks:
  - { id: done, type: message, messages: [Done] }
  - id: typo
    type: action
    api: { method: POST, url: /orders }
    goto: done
  - id: wrong-method
    type: action
    api: { method: GET, url: /order }
    goto: done
  - id: missing
    type: action
    api:
      url: /order
      body:
        - { key: on_success, type: dialogstate, value: done }
        - { key: on_failure, type: dialogstate, value: done }
    goto: done
  - id: rows
    type: action
    api:
      url: /menu
      body:
        - { key: trackOrderBlock, type: text, value: done }
        - { key: colour, type: text, value: red }
    goto: done
  - id: ask
    type: input
    triggers: [buy]
    messages: [Which product?]
    variable: cart.sku
    goto: uses-variables
  - id: uses-variables
    type: action
    api:
      url: /order
      body:
        - { key: sku, type: variable, value: cart.sku }
        - { key: quantity, type: variable, value: cart.quantitty }
        - { key: on_success, type: dialogstate, value: done }
        - { key: on_failure, type: dialogstate, value: done }
  - id: block-for-text
    type: action
    api:
      url: /order
      body:
        - { key: sku, type: dialogstate, value: done }
        - { key: on_success, type: dialogstate, value: done }
        - { key: on_failure, type: dialogstate, value: done }
    goto: done
";
    let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("broken-bot.yaml");
    std::fs::write(&file, bot).unwrap();
    let output = quickstart(["check", file.to_str().unwrap()]);
    let report = text(&output);
    assert!(!output.status.success(), "{report}");
    for expected in [
        "block `typo`: it calls POST /orders, which no step serves",
        "block `wrong-method`: it calls GET /order, but the step at /order answers POST",
        "block `missing`: the step requires `sku`, and no Body or Query row sends it",
        "block `rows`, row `trackOrderBlock`: the step expects a block id here",
        "block `rows`, row `colour`: no parameter of the step reads `colour`",
        "block `block-for-text`, row `sku`: a Dialog state row sends a block id, and the step reads text here",
        "block `uses-variables`, row `quantity`: the variable `cart.quantitty` is set on no path to this block",
        "7 problems with the steps",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
}
