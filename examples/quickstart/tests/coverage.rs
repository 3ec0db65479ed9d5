//! Coverage of the quickstart's bot file, as CI checks it: its scripts reach every block,
//! step and written button (`converse --min-coverage 100`), a script alone falls short and
//! says what it missed, and the crawler writes scripts from nothing that reach it all again.

mod support;

use support::{quickstart, text};

/// What the crawler types at each of the quickstart's input blocks: each answer is a branch
/// (an unknown product code reaches the order step's fallback, a large amount the limit).
const ANSWERS: [&str; 9] = [
    "ask-sku=A1",
    "ask-sku=Z9",
    "ask-quantity=2",
    "ask-quantity-catalog=1",
    "ask-order-id=ABC-1",
    "ask-amount=400",
    "ask-amount=200000",
    "ask-hour=8",
    "ask-hour=12",
];

const FULL: &str = "coverage 100%: blocks 28/28, steps 10/10, buttons and quick replies 10/10";

#[test]
fn the_scripts_reach_every_block_step_and_button() {
    let output = quickstart([
        "converse",
        "bot.yaml",
        "convos",
        "--coverage",
        "--min-coverage",
        "100",
    ]);
    let report = text(&output);
    assert!(output.status.success(), "{report}");
    assert!(report.contains(FULL), "{report}");
    assert!(
        report.contains("  POST /order: answered x2, fallback `bad_request` x1\n"),
        "{report}"
    );
}

#[test]
fn one_script_alone_falls_short_and_says_what_it_missed() {
    let output = quickstart([
        "converse",
        "bot.yaml",
        "convos/order.convo.txt",
        "--min-coverage",
        "100",
    ]);
    let report = text(&output);
    assert!(!output.status.success(), "{report}");
    for missed in [
        "blocks never reached:\n",
        "  shop-open (message)\n",
        "  POST /stores: never called (from stores)\n",
        "buttons and quick replies never clicked:\n",
        "  menu: More\n",
        "under the 100% --min-coverage asks",
    ] {
        assert!(report.contains(missed), "{missed:?} in\n{report}");
    }
}

#[test]
fn the_crawler_writes_scripts_that_pass_and_reach_everything() {
    let out = std::env::temp_dir().join(format!("quickstart-crawl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let out_arg = out.to_str().unwrap();
    let mut crawl = vec!["crawl", "bot.yaml", "--out", out_arg];
    for answer in &ANSWERS {
        crawl.extend(["--answer", answer]);
    }
    let output = quickstart(&crawl);
    let report = text(&output);
    assert!(output.status.success(), "{report}");
    assert!(report.contains(FULL), "{report}");
    assert!(!report.contains("not written"), "{report}");

    let output = quickstart(["converse", "bot.yaml", out_arg, "--min-coverage", "100"]);
    let converse = text(&output);
    assert!(output.status.success(), "{converse}");
    assert!(converse.contains(FULL), "{converse}");

    // A second crawl into the same folder would replace the first's scripts: refused.
    let output = quickstart(&crawl);
    let again = text(&output);
    let _ = std::fs::remove_dir_all(&out);
    assert!(!output.status.success(), "{again}");
    assert!(
        again.contains("the crawler does not replace scripts"),
        "{again}"
    );
}

#[test]
fn the_crawler_says_which_input_blocks_it_had_no_answer_for() {
    let out = std::env::temp_dir().join(format!("quickstart-crawl-bare-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let output = quickstart([
        "crawl",
        "bot.yaml",
        "--out",
        out.to_str().unwrap(),
        "--depth",
        "3",
    ]);
    let report = text(&output);
    let _ = std::fs::remove_dir_all(&out);
    assert!(output.status.success(), "{report}");
    assert!(
        report.contains(
            "the crawl stopped at input blocks it had no answer for (give one with --answer \
             BLOCK=TEXT): ask-sku, ask-order-id, ask-amount, ask-hour"
        ),
        "{report}"
    );
}
