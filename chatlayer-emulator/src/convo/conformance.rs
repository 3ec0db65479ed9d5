//! The conformance suite: `tests/conformance/` holds convo, partial convo and utterances
//! files, one or more per construct of the format, each with what Botium's own compiler
//! (botium-core 1.15.10, run by `botium-expected.js` there) makes of it. This reading must
//! be the same, field for field.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::botium::{Compiled, HookKind, Sender, Step, compile, lines};
use super::features::classify;

/// The suite, or another folder prepared the same way (`CHATLAYER_CONFORMANCE_DIR`: to
/// compare this reading with Botium's on any collection of convo files).
fn folder() -> PathBuf {
    std::env::var_os("CHATLAYER_CONFORMANCE_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance"),
        PathBuf::from,
    )
}

/// Botium's JSON test: an object or an array.
fn source_data(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    let bracketed = (trimmed.starts_with('{') && trimmed.ends_with('}'))
        || (trimmed.starts_with('[') && trimmed.ends_with(']'));
    bracketed
        .then(|| serde_json::from_str(trimmed).ok())
        .flatten()
}

fn step(step: &Step) -> Value {
    let hooks = |kind: HookKind, flags: bool| -> Vec<Value> {
        step.hooks
            .iter()
            .filter(|hook| hook.kind == kind)
            .map(|hook| {
                if flags {
                    json!({ "name": hook.name, "args": hook.args, "not": hook.not, "optional": hook.optional })
                } else {
                    json!({ "name": hook.name, "args": hook.args })
                }
            })
            .collect()
    };
    let text = step.text.as_ref();
    let data = text.and_then(|text| source_data(&text.text));
    json!({
        "sender": match step.sender {
            Sender::Begin => "begin",
            Sender::Include => "include",
            Sender::Me => "me",
            Sender::Bot => "bot",
            Sender::End => "end",
        },
        "channel": step.channel,
        "text": if data.is_some() { None } else { text.map(|text| text.text.clone()) },
        "sourceData": data,
        "not": text.is_some_and(|text| text.not),
        "optional": text.is_some_and(|text| text.optional),
        "asserters": hooks(HookKind::Asserter, true),
        "logicHooks": hooks(HookKind::LogicHook, false),
        "userInputs": hooks(HookKind::UserInput, false),
    })
}

fn reading(compiled: &Compiled) -> Value {
    json!({
        "title": compiled.title,
        "steps": compiled.steps.iter().map(step).collect::<Vec<_>>(),
    })
}

/// Numbers as JavaScript has them (one kind: `1.0` is `1`).
fn as_javascript(value: &mut Value) {
    match value {
        Value::Number(number) => {
            if let Some(float) = number.as_f64()
                && let Some(same) = serde_json::Number::from_f64(float)
            {
                *number = same;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(as_javascript),
        Value::Object(map) => map.values_mut().for_each(as_javascript),
        _ => {}
    }
}

/// Botium keeps a title as written (and an empty first line as an empty title); this
/// reading trims it, and has none for an empty line.
fn botium_title(expected: &mut Value) {
    let title = expected["title"]
        .as_str()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    expected["title"] = title.map_or(Value::Null, |title| Value::String(title.to_owned()));
}

#[test]
fn every_file_reads_as_botium_reads_it() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().ends_with(".txt"))
        .collect();
    files.sort();
    let (mut convos, mut utterances) = (0, 0);
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).unwrap();
        let expected_file = folder().join(format!("{name}.botium.json"));
        let mut expected: Value = serde_json::from_str(
            &std::fs::read_to_string(&expected_file).unwrap_or_else(|_| {
                panic!("{name} has no {name}.botium.json: run botium-expected.js")
            }),
        )
        .unwrap();
        if name.ends_with(".utterances.txt") {
            utterances += 1;
            let lines = lines(&text);
            let ours: Vec<String> = lines[1..]
                .iter()
                .map(|(_, line)| line.trim_end_matches(['\n', '\t', '\r']).to_owned())
                .filter(|line| !line.trim().is_empty())
                .collect();
            // A deliberate difference: Botium keeps empty lines as empty variants (a
            // trailing newline becomes an empty user message); here they are none.
            let theirs: Vec<&str> = expected["utterances"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .filter(|variant| !variant.trim().is_empty())
                .collect();
            assert_eq!(lines[0].1.trim(), expected["name"], "{name}");
            assert_eq!(ours, theirs, "{name}");
            continue;
        }
        convos += 1;
        match compile(&text, &classify) {
            Err((line, problem)) => assert!(
                expected.get("error").is_some(),
                "{name}: refused at line {line} ({problem}), Botium reads it: {expected:#}"
            ),
            Ok(compiled) => {
                assert!(
                    expected.get("error").is_none(),
                    "{name}: read, Botium refuses it: {expected}"
                );
                botium_title(&mut expected);
                let mut ours = reading(&compiled);
                as_javascript(&mut ours);
                as_javascript(&mut expected);
                assert!(
                    ours == expected,
                    "{name} reads otherwise than Botium:\n ours:   {ours:#}\n Botium: {expected:#}"
                );
            }
        }
    }
    eprintln!("{convos} convo files and {utterances} utterances files read as Botium reads them");
    if std::env::var_os("CHATLAYER_CONFORMANCE_DIR").is_none() {
        assert!(
            convos >= 60 && utterances >= 2,
            "{convos} convos, {utterances} utterances files"
        );
        // The docs state the suite's counts: they must be this suite's.
        let partials = files
            .iter()
            .filter(|file| file.to_string_lossy().ends_with(".pconvo.txt"))
            .count();
        let stated = format!(
            "holds {} convo files, {} and {utterances} utterances files",
            convos - partials,
            if partials == 1 {
                "a partial convo".to_owned()
            } else {
                format!("{partials} partial convos")
            }
        );
        let guide = include_str!("../../../docs/emulator.md").replace('\n', " ");
        assert!(
            guide.contains(&stated),
            "docs/emulator.md should say: {stated}"
        );
    }
}
