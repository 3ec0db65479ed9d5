//! Scripts read as Botium reads them, run by the quickstart's `converse` against its bot:
//! each construct that was misread or wrongly refused before now runs (and passes against
//! the quickstart), and each the emulator cannot run is refused with its file, its line as
//! written and the reason, never read as something else.

mod support;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

use support::{quickstart, text};

fn converse(scripts: &Path) -> Output {
    quickstart([
        OsStr::new("converse"),
        OsStr::new("bot.yaml"),
        scripts.as_os_str(),
    ])
}

/// A fresh folder holding `files` (name, content).
fn folder(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, content) in files {
        std::fs::write(dir.join(file), content).unwrap();
    }
    dir
}

const GREETING: &str =
    "Greeting\n\n#bot\nWelcome to our shop!\n\n#bot\nWhat would you like to do?\n";

/// Before: `#include` sections were refused, `INCLUDE` was sent as text, an empty `#bot`
/// read nothing (shifting every later check), `BUTTONS a\|b` split at the escaped pipe,
/// `!!` read as a negation, a byte-order mark lost a first section, CR-only files were one
/// title line, and utterance names were sent and compared as text.
#[test]
fn botium_constructs_run_as_botium_reads_them() {
    let dir = folder(
        "botium-reading",
        &[
            ("greeting.pconvo.txt", GREETING),
            (
                "order.utterances.txt",
                "UTT_ORDER\nOrder a product\norder A PRODUCT\n\n",
            ),
            (
                "welcome.utterances.txt",
                "UTT_WELCOME\nHello there\nWelcome to our shop\n",
            ),
            (
                "e-utterances.convo.txt",
                "Utterances\n\n#bot\nUTT_WELCOME\n\n#bot\nWhat would you like to do?\n\n#me\nUTT_ORDER\n\n#bot\nWhich product would you like?\n",
            ),
            (
                "a-include-section.convo.txt",
                "Include as a section\n\n#include Greeting\n\n#me\nOrder a product\n\n#bot\nWhich product would you like?\n",
            ),
            (
                "b-include-hook.convo.txt",
                "Include as a logic hook\n\n#begin\nINCLUDE Greeting\n\n#me\nOrder a product\n\n#bot\nWhich product\nTEXT_CONTAINS_ANY_IC which product|nothing\n",
            ),
            (
                "c-empty-bot.convo.txt",
                "\u{feff}#bot\n\n#bot\nWhat would you like to do?\nBUTTONS_COUNT >=6\nTEXT_WILDCARDEXACT_ANY What would * do?\n\n#me\nBUTTON Order|Order a product\n\n#bot\n!Nothing like this\nBOT_UNCONSUMED_COUNT 0\n",
            ),
            (
                "d-carriage-returns.convo.txt",
                "Old line ends\r#bot\rWelcome\r\r#bot\r?Nothing like this\r\r#bot\rWhat would you like to do?\r#end\rBOT_CONSUMED\r",
            ),
        ],
    );
    let output = converse(&dir);
    let report = text(&output);
    assert!(output.status.success(), "{report}");
    assert!(report.contains("5 passed, 0 failed"), "{report}");
    // A #me naming an utterance runs once per variant.
    assert!(
        report.contains("-- with Order a product") && report.contains("-- with order A PRODUCT"),
        "{report}"
    );
}

/// Each line the emulator cannot run is refused, quoted as written, with the reason.
#[test]
fn what_cannot_run_is_refused_with_its_line_and_reason() {
    let cases: &[(&str, &str)] = &[
        (
            "#me\nhi\n#bot\n?INTENT greeting\n",
            "`?INTENT greeting`: the asserter INTENT cannot run here",
        ),
        (
            "#me\nhi\n#bot\nok\nTEXT_WER hello|0.2\n",
            "the asserter TEXT_WER cannot run here",
        ),
        (
            "#me\nMEDIA photo.jpg\n#bot\nok\n",
            "the user input MEDIA cannot run here",
        ),
        (
            "#me\nhi\nUPDATE_CUSTOM SET_HEADER|x|y\n#bot\nok\n",
            "the logic hook UPDATE_CUSTOM cannot run here",
        ),
        (
            "#me\nMy order is $orderId\n#bot\nok\n",
            "`$orderId` is a Botium scripting-memory variable",
        ),
        (
            "#me\nUTT_MOOD\n#bot\nok\n",
            "`UTT_MOOD` reads as an utterance name",
        ),
        (
            "#begin\nSET_SCRIPTING_MEMORY name|Joe\n#me\nhi\n",
            "scripting memory is off",
        ),
        (
            "#me\nhi\n#bot\nok\n#me\nWAITFORBOT 100\n",
            "the logic hook WAITFORBOT cannot run here",
        ),
        (
            "#me\nBUTTON Order\nplease\n#bot\nok\n",
            "`please`: no text may follow a user input",
        ),
        (
            "#include Missing\n#me\nhi\n",
            "no partial convo is named `Missing`",
        ),
        (
            "#me\nhi\n#bot\nCHATLAYER_BLOK menu\n",
            "`CHATLAYER_BLOK` is not an extension this runner knows",
        ),
    ];
    for (index, (script, expected)) in cases.iter().enumerate() {
        let name = format!("refused-{index}");
        let dir = folder(
            &name,
            &[("script.convo.txt", &format!("Refused\n\n{script}"))],
        );
        let output = converse(&dir);
        let report = text(&output);
        assert!(!output.status.success(), "{script:?} ran:\n{report}");
        assert!(
            report.contains("script.convo.txt:") && report.contains(expected),
            "{script:?} should be refused with {expected:?}:\n{report}"
        );
    }
}

/// The project's botium.json: a custom asserter it registers is a hook, not text (before,
/// `CUSTOMASSERTER` was compared as the bot's text), and its matching mode is the one bot
/// texts are compared with.
#[test]
fn botium_json_custom_hooks_are_refused_and_its_matching_mode_is_kept() {
    let custom = folder(
        "botium-json-custom",
        &[
            (
                "botium.json",
                r#"{"botium": {"Capabilities": {"ASSERTERS": [{"ref": "CUSTOMASSERTER", "src": "./a.js"}]}}}"#,
            ),
            (
                "custom.convo.txt",
                "Custom\n\n#bot\nWelcome\nCUSTOMASSERTER\n",
            ),
        ],
    );
    let report = text(&converse(&custom));
    assert!(
        report.contains(
            "custom.convo.txt:5: `CUSTOMASSERTER`: `CUSTOMASSERTER` is a custom hook registered in"
        ),
        "{report}"
    );

    let script = ("welcome.convo.txt", "Welcome\n\n#bot\nWelcome\n");
    let default = folder("botium-json-default", &[script]);
    let output = converse(&default);
    assert!(
        output.status.success(),
        "contains, by default: {}",
        text(&output)
    );
    let equals = folder(
        "botium-json-equals",
        &[
            (
                "botium.json",
                r#"{"botium": {"Capabilities": {"SCRIPTING_MATCHING_MODE": "equals"}}}"#,
            ),
            script,
        ],
    );
    let output = converse(&equals);
    let report = text(&output);
    assert!(!output.status.success(), "equals: {report}");
    assert!(report.contains("the text differs"), "{report}");
}

/// Scripting memory, with botium.json's SCRIPTING_ENABLE_MEMORY: a `$name` in a bot text
/// takes its value from the answer, later texts use it, SET_SCRIPTING_MEMORY sets one.
/// Before, `$orderId` was compared as the text "$orderId".
#[test]
fn scripting_memory_takes_values_from_answers_and_fills_later_texts() {
    let memory_on = r#"{"botium": {"Capabilities": {"SCRIPTING_ENABLE_MEMORY": true}}}"#;
    let dir = folder(
        "botium-memory",
        &[
            ("botium.json", memory_on),
            (
                "memory.convo.txt",
                "Memory\n\n#begin\nSET_SCRIPTING_MEMORY order|ABC-1\n\n#bot\nWelcome\n\n#bot\nWhat would you like to do?\n\n#me\nTrack my order\n\n#bot\nWhat is your order number?\n\n#me\n$order\n\n#bot\nOrder $orderId is $status.\n\n#me\nTrack my order\n\n#bot\nWhat is your order number?\n\n#me\n$orderId\n\n#bot\nOrder ABC-1 is $status.\n",
            ),
        ],
    );
    let output = converse(&dir);
    let report = text(&output);
    assert!(output.status.success(), "{report}");
    assert!(report.contains("you: ABC-1"), "{report}");

    let functions = folder(
        "botium-memory-functions",
        &[
            ("botium.json", memory_on),
            ("f.convo.txt", "Functions\n\n#me\nIt is $now\n"),
        ],
    );
    let report = text(&converse(&functions));
    assert!(
        report.contains("`$now` is one of Botium's scripting functions"),
        "{report}"
    );
}
