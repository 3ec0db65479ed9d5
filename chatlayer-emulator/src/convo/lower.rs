//! From what Botium's compiler read ([`botium`](super::botium)) to what the runner runs:
//! partial convos included, each hook looked up in [`features`](super::features), and every
//! line the runner cannot honour refused with its file, its line as written and the reason.

use std::collections::BTreeMap;

use serde_json::Value;

use super::botium::{Compiled, Hook, HookKind, Sender, Step};
use super::config::BotiumConfig;
use super::features::{Support, looks_like_a_name, support};
use super::memory;
use super::{Check, CheckKind, Counted, Section, TextHow, TextMatch, regexp};

/// Partial convos by name (their title), with the file each came from.
pub(crate) type Partials = BTreeMap<String, (String, Compiled)>;

/// Utterances by name: the variants of each (`*.utterances.txt`: the name, then one
/// variant per line).
pub(crate) type Utterances = BTreeMap<String, Vec<String>>;

/// What a script may refer to besides itself: the files beside it, and the project's
/// `botium.json`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Library {
    pub(crate) partials: Partials,
    pub(crate) utterances: Utterances,
    pub(crate) config: BotiumConfig,
    /// `*.scriptingmemory.txt` files beside the script (not read yet).
    pub(crate) memory_files: Vec<String>,
}

impl Library {
    /// The variants `text` stands for when it names an utterance, as Botium resolves it:
    /// the whole text is a name, or its first word is and the rest fills each variant's
    /// `%s` in turn.
    pub(crate) fn resolve(&self, text: &str) -> Option<Vec<String>> {
        if let Some(variants) = self.utterances.get(text) {
            return Some(variants.clone());
        }
        let (name, rest) = text.split_once(' ')?;
        let variants = self.utterances.get(name)?;
        let args: Vec<&str> = rest.split(' ').collect();
        Some(
            variants
                .iter()
                .map(|variant| {
                    let mut filled = String::new();
                    let mut args = args.iter();
                    let mut parts = variant.split("%s").peekable();
                    while let Some(part) = parts.next() {
                        filled.push_str(part);
                        if parts.peek().is_some() {
                            filled.push_str(args.next().copied().unwrap_or("%s"));
                        }
                    }
                    filled
                })
                .collect(),
        )
    }
}

/// A problem with a line of a file.
fn at(source: &str, line: usize, problem: impl std::fmt::Display) -> String {
    format!("{source}:{line}: {problem}")
}

/// The runner's sections for `compiled` (from `source`), partial convos expanded.
pub(crate) fn sections(
    source: &str,
    compiled: &Compiled,
    library: &Library,
) -> Result<Vec<Section>, String> {
    let mut sections = Vec::new();
    expand(
        source,
        compiled,
        library,
        &mut Vec::new(),
        true,
        &mut sections,
    )?;
    Ok(sections)
}

fn expand(
    source: &str,
    compiled: &Compiled,
    library: &Library,
    chain: &mut Vec<String>,
    root: bool,
    out: &mut Vec<Section>,
) -> Result<(), String> {
    for step in &compiled.steps {
        let mut includes: Vec<String> = Vec::new();
        if step.sender == Sender::Include {
            includes.extend(step.channel.iter().cloned());
            if let Some(text) = &step.text {
                includes.extend(
                    text.text
                        .lines()
                        .map(str::trim)
                        .filter(|line| !line.is_empty())
                        .map(str::to_owned),
                );
            }
            if let Some(hook) = step.hooks.first() {
                return Err(at(
                    source,
                    hook.line,
                    format!(
                        "`{}`: an #include section names partial convos only",
                        hook.raw.trim()
                    ),
                ));
            }
        } else {
            for hook in step.hooks.iter().filter(|hook| hook.name == "INCLUDE") {
                match hook.args.as_slice() {
                    [name] if !name.is_empty() => includes.push(name.clone()),
                    _ => {
                        return Err(at(
                            source,
                            hook.line,
                            format!(
                                "`{}`: INCLUDE takes one partial convo's name",
                                hook.raw.trim()
                            ),
                        ));
                    }
                }
            }
            let interacts =
                step.text.is_some() || step.hooks.iter().any(|hook| hook.name != "INCLUDE");
            let begin_or_end = matches!(step.sender, Sender::Begin | Sender::End);
            if (includes.is_empty() || interacts) && (root || !begin_or_end) {
                out.push(section(source, step, library)?);
            }
        }
        for name in includes {
            if chain.contains(&name) {
                return Err(at(
                    source,
                    step.line,
                    format!(
                        "partial convos include each other in a circle: {} -> {name}",
                        chain.join(" -> ")
                    ),
                ));
            }
            let Some((partial_source, partial)) = library.partials.get(&name) else {
                let known: Vec<&str> = library.partials.keys().map(String::as_str).collect();
                return Err(at(
                    source,
                    step.line,
                    format!(
                        "no partial convo is named `{name}` ({}): a partial convo is a \
                         *.pconvo.txt file beside the script, named by its first line",
                        if known.is_empty() {
                            "there is none".to_owned()
                        } else {
                            format!("there are: {}", known.join(", "))
                        }
                    ),
                ));
            };
            chain.push(name);
            expand(partial_source, partial, library, chain, false, out)?;
            chain.pop();
        }
    }
    Ok(())
}

/// One step as the runner runs it, or the reason it cannot.
fn section(source: &str, step: &Step, library: &Library) -> Result<Section, String> {
    let mut section = Section {
        speaker: step.sender,
        line: step.line,
        text: None,
        text_line: step.line,
        negated_text: false,
        optional: false,
        variants: None,
        matching: library.config.matching,
        checks: Vec::new(),
    };
    // A channel (`#me #private`) picks where a multi-channel Botium connector sends: the
    // emulator has one conversation, so every channel is it (docs/emulator.md says so).
    if let Some(text) = &step.text {
        let variants = match step.sender {
            Sender::Me | Sender::Bot => library.resolve(&text.text),
            _ => None,
        };
        if variants.is_none() {
            check_text(source, step.sender, text.line, &text.text, library)?;
        }
        section.variants = variants;
        if !text.text.is_empty() {
            if matches!(step.sender, Sender::Begin | Sender::End) {
                return Err(at(
                    source,
                    text.line,
                    format!(
                        "`{}`: text in a {} section has no meaning (Botium sends nothing and \
                         checks nothing for it)",
                        first_line(&text.text),
                        step.sender.header()
                    ),
                ));
            }
            if let (Sender::Bot, TextHow::Regexp) = (step.sender, section.matching.how) {
                let patterns = section
                    .variants
                    .as_deref()
                    .unwrap_or(std::slice::from_ref(&text.text));
                patterns_compile(patterns, section.matching.ignore_case).map_err(|problem| {
                    at(
                        source,
                        text.line,
                        format!(
                            "`{}` (SCRIPTING_MATCHING_MODE regexp): {problem}",
                            first_line(&text.text)
                        ),
                    )
                })?;
            }
            section.text = Some(text.text.clone());
            section.text_line = text.line;
            section.negated_text = text.not;
            section.optional = text.optional;
        } else {
            section.text = Some(String::new());
        }
    }
    let mut optional_flags = Vec::new();
    if section.text.as_deref().is_some_and(|text| !text.is_empty()) {
        optional_flags.push(section.optional);
    }
    for hook in &step.hooks {
        if hook.kind == HookKind::Asserter {
            optional_flags.push(hook.optional);
        }
        if hook.name == "INCLUDE" {
            continue;
        }
        let kind = check(source, step.sender, hook, library)?;
        section.checks.push(Check {
            line: hook.line,
            negated: hook.not,
            kind,
        });
    }
    if optional_flags.iter().any(|flag| *flag) {
        if optional_flags.iter().any(|flag| !*flag) {
            return Err(at(
                source,
                step.line,
                "a section's text and asserters are all optional (`?`) or none is (Botium \
                 refuses the mix too)",
            ));
        }
        section.optional = true;
    }
    if section.optional && step.sender != Sender::Bot {
        return Err(at(
            source,
            step.line,
            format!(
                "`?` marks an optional bot answer: it has no meaning in {}",
                step.sender.header()
            ),
        ));
    }
    Ok(section)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// What a text cannot be read as, here: scripting memory, an utterance name, JSON.
fn check_text(
    source: &str,
    sender: Sender,
    line: usize,
    text: &str,
    library: &Library,
) -> Result<(), String> {
    memory_check(source, line, first_line(text), text, library)?;
    let trimmed = text.trim();
    if let Some(word) = trimmed.split(' ').next()
        && looks_like_a_name(word)
    {
        return Err(at(
            source,
            line,
            format!(
                "`{}`: `{word}` reads as an utterance name (from a *.utterances.txt file) or \
                 a custom asserter or logic hook (registered in botium.json); the emulator \
                 reads neither, and will not send or compare it as text",
                first_line(text)
            ),
        ));
    }
    let json = (trimmed.starts_with('{') && trimmed.ends_with('}'))
        || (trimmed.starts_with('[') && trimmed.ends_with(']'));
    if json && serde_json::from_str::<Value>(trimmed).is_ok() {
        return Err(at(
            source,
            line,
            format!(
                "`{}`: Botium reads a {} text that is JSON as structured data for its \
                 connector, which the emulator does not model",
                first_line(text),
                sender.header()
            ),
        ));
    }
    Ok(())
}

/// Whether `text`'s `$name`s can run: with `SCRIPTING_ENABLE_MEMORY` they are variables
/// (Botium's functions refused, and memory files not read yet); without, Botium would
/// compare them as text, which is almost never what a script means, so they are refused.
fn memory_check(
    source: &str,
    line: usize,
    quoted: &str,
    text: &str,
    library: &Library,
) -> Result<(), String> {
    let names = memory::names(text);
    let Some(first) = names.first().copied() else {
        return Ok(());
    };
    let problem = if !library.config.memory {
        format!(
            "`{first}` is a Botium scripting-memory variable, but scripting memory is off (no \
             botium.json beside or above the script sets SCRIPTING_ENABLE_MEMORY), so Botium \
             would compare the text `{first}` literally: turn it on there, or check session \
             values with CHATLAYER_SESSION"
        )
    } else if let Some(function) = names.iter().find(|name| memory::FUNCTIONS.contains(name)) {
        format!(
            "`{function}` is one of Botium's scripting functions, which the emulator does not run"
        )
    } else if let Some(file) = library.memory_files.first() {
        format!(
            "`{first}` may take its value from {file}, a scripting memory file, which the \
             emulator does not read yet"
        )
    } else {
        return Ok(());
    };
    Err(at(source, line, format!("`{quoted}`: {problem}")))
}

/// The check a hook line is, or the reason the runner refuses it.
fn check(
    source: &str,
    sender: Sender,
    hook: &Hook,
    library: &Library,
) -> Result<CheckKind, String> {
    let refuse = |why: &str| at(source, hook.line, format!("`{}`: {why}", hook.raw.trim()));
    for arg in &hook.args {
        memory_check(source, hook.line, hook.raw.trim(), arg, library)?;
    }
    if library.config.custom(&hook.name).is_some() {
        let file = library.config.file.as_deref().unwrap_or("botium.json");
        return Err(refuse(&format!(
            "`{}` is a custom hook registered in {file}: its code runs inside Botium, not here",
            hook.name
        )));
    }
    match support(hook.kind, &hook.name) {
        Some(Support::Refused(why)) => {
            let kind = match hook.kind {
                HookKind::Asserter => "asserter",
                HookKind::LogicHook => "logic hook",
                HookKind::UserInput => "user input",
            };
            return Err(refuse(&format!(
                "the {kind} {} cannot run here: {why}",
                hook.name
            )));
        }
        Some(Support::Runs) => {}
        None => {
            return Err(refuse(&format!(
                "`{}` is not an extension this runner knows: CHATLAYER_START (in #begin), \
                 CHATLAYER_BLOCK, CHATLAYER_SESSION, CHATLAYER_ERROR",
                hook.name
            )));
        }
    }
    let args = &hook.args;
    let one = || args.first().cloned().unwrap_or_default();
    let in_bot = |kind: CheckKind| {
        if sender == Sender::Bot {
            Ok(kind)
        } else {
            Err(refuse(&format!(
                "`{}` checks a bot message: the emulator runs it in #bot sections",
                hook.name
            )))
        }
    };
    let name = hook.name.as_str();
    if let Some(mut text_match) = text_asserter(name, args) {
        text_match.args = args
            .iter()
            .flat_map(|arg| library.resolve(arg).unwrap_or_else(|| vec![arg.clone()]))
            .collect();
        if let TextHow::Regexp = text_match.how {
            patterns_compile(&text_match.args, text_match.ignore_case).map_err(|problem| {
                let split = if text_match.args.len() > 1 {
                    " (arguments split at `|`, so each is a pattern of its own: write `\\|` \
                     for an alternation inside one)"
                } else {
                    ""
                };
                refuse(&format!("{problem}{split}"))
            })?;
        }
        return in_bot(CheckKind::Text(text_match));
    }
    let count = |what: Counted| {
        if args.len() > 1 {
            return Err(refuse(
                "a count asserter takes one argument, such as `2` or `>=1`",
            ));
        }
        let arg = args.first().cloned().filter(|arg| !arg.is_empty());
        if let Some(arg) = &arg
            && parse_count(arg).is_none()
        {
            return Err(refuse(&format!(
                "`{arg}` is not a count: write `2`, `=2`, `<3`, `<=3`, `>0` or `>=1`"
            )));
        }
        in_bot(CheckKind::Count {
            what,
            recursive: name.ends_with("_REC"),
            arg,
        })
    };
    match name {
        "BUTTONS" => in_bot(CheckKind::Buttons(non_empty(args))),
        "MEDIA" => in_bot(CheckKind::Media(non_empty(args))),
        "CARDS" => in_bot(CheckKind::Cards(non_empty(args))),
        "BUTTONS_COUNT" | "BUTTONS_COUNT_REC" => count(Counted::Buttons),
        "MEDIA_COUNT" | "MEDIA_COUNT_REC" => count(Counted::Media),
        "CARDS_COUNT" | "CARDS_COUNT_REC" => count(Counted::Cards),
        "JSON_PATH" | "JSON_PATH_COUNT" => {
            let (path, second) = match args.as_slice() {
                [path] => (path, None),
                [path, second] => (path, Some(second.clone())),
                _ => {
                    return Err(refuse(&format!(
                        "{name} takes a JSONPath and an optional {}: `{name} $.path|{}`",
                        if name == "JSON_PATH" {
                            "value"
                        } else {
                            "count"
                        },
                        if name == "JSON_PATH" { "value" } else { ">=1" },
                    )));
                }
            };
            let compiled = json_path(path).map_err(|problem| refuse(&problem))?;
            if name == "JSON_PATH" {
                return in_bot(CheckKind::JsonPath {
                    path: path.clone(),
                    compiled,
                    expected: second,
                });
            }
            let arg = second.filter(|arg| !arg.is_empty());
            if arg.as_deref().is_some_and(|arg| parse_count(arg).is_none()) {
                return Err(refuse("write the count as `2`, `<3` or `>=1`"));
            }
            in_bot(CheckKind::JsonPathCount {
                path: path.clone(),
                compiled,
                arg,
            })
        }
        "BOT_CONSUMED" => Ok(CheckKind::Consumed),
        "BOT_UNCONSUMED_COUNT" => {
            let arg = args.first().cloned().filter(|arg| !arg.is_empty());
            if arg.as_deref().is_some_and(|arg| parse_count(arg).is_none()) {
                return Err(refuse("write the count as `2`, `<3` or `>=1`"));
            }
            Ok(CheckKind::Unconsumed(arg))
        }
        "SKIP_BOT_UNCONSUMED" => Ok(CheckKind::SkipUnconsumed),
        "SET_SCRIPTING_MEMORY" | "CLEAR_SCRIPTING_MEMORY" | "ASSIGN_SCRIPTING_MEMORY"
            if !library.config.memory =>
        {
            Err(refuse(
                "scripting memory is off (no botium.json beside or above the script sets \
             SCRIPTING_ENABLE_MEMORY), so Botium would set a variable no text reads",
            ))
        }
        "ASSIGN_SCRIPTING_MEMORY" if sender != Sender::Bot => Err(refuse(
            "ASSIGN_SCRIPTING_MEMORY reads the bot message of its section: the emulator runs \
             it in #bot sections",
        )),
        "ASSIGN_SCRIPTING_MEMORY" => match args.as_slice() {
            [name, path] if !name.is_empty() => {
                let compiled = json_path(path).map_err(|problem| refuse(&problem))?;
                Ok(CheckKind::AssignMemory {
                    name: format!("${}", name.trim_start_matches('$')),
                    path: path.clone(),
                    compiled,
                })
            }
            _ => Err(refuse(
                "ASSIGN_SCRIPTING_MEMORY takes a name and a JSONPath: \
                 `ASSIGN_SCRIPTING_MEMORY name|$.messageText`",
            )),
        },
        "SET_SCRIPTING_MEMORY" => match args.as_slice() {
            [name, value] if !name.is_empty() => Ok(CheckKind::SetMemory(
                format!("${}", name.trim_start_matches('$')),
                value.clone(),
            )),
            _ => Err(refuse(
                "SET_SCRIPTING_MEMORY takes a name and a value: `SET_SCRIPTING_MEMORY name|value`",
            )),
        },
        "CLEAR_SCRIPTING_MEMORY" => match args.as_slice() {
            [name] if !name.is_empty() => Ok(CheckKind::ClearMemory(format!(
                "${}",
                name.trim_start_matches('$')
            ))),
            _ => Err(refuse(
                "CLEAR_SCRIPTING_MEMORY takes a name: `CLEAR_SCRIPTING_MEMORY name`",
            )),
        },
        "BUTTON" => match args.as_slice() {
            [payload] => Ok(CheckKind::Click {
                payload: payload.clone(),
                text: None,
            }),
            [payload, text] => Ok(CheckKind::Click {
                payload: payload.clone(),
                text: Some(text.clone()),
            }),
            _ => Err(refuse(
                "BUTTON takes one or two arguments: `BUTTON payload` or `BUTTON payload|text`",
            )),
        },
        "CHATLAYER_START" if sender == Sender::Begin => Ok(CheckKind::Start(one())),
        "CHATLAYER_START" => Err(refuse("CHATLAYER_START belongs in #begin")),
        "CHATLAYER_BLOCK" => Ok(CheckKind::Block(hook_rest(hook))),
        "CHATLAYER_ERROR" => Ok(CheckKind::Error(hook_rest(hook))),
        "CHATLAYER_SESSION" => {
            let rest = hook_rest(hook);
            Ok(match rest.split_once('=') {
                Some((path, value)) => {
                    let value = value.trim();
                    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::from(value));
                    CheckKind::Session(path.trim().to_owned(), Some(value))
                }
                None => CheckKind::Session(rest, None),
            })
        }
        _ => Err(refuse(&format!("`{name}` is not run here"))),
    }
}

/// An extension's argument as written (it is not split at `|`).
fn hook_rest(hook: &Hook) -> String {
    hook.args.join("|")
}

fn non_empty(args: &[String]) -> Vec<String> {
    args.iter().filter(|arg| !arg.is_empty()).cloned().collect()
}

/// Whether every pattern compiles as a JavaScript regular expression; the first problem.
fn patterns_compile(patterns: &[String], ignore_case: bool) -> Result<(), String> {
    patterns
        .iter()
        .try_for_each(|pattern| regexp::compile(pattern, ignore_case).map(drop))
}

/// A JSONPath argument (`JSON_PATH`, `JSON_PATH_COUNT`, `ASSIGN_SCRIPTING_MEMORY`), read as
/// RFC 9535 writes it.
fn json_path(path: &str) -> Result<serde_json_path::JsonPath, String> {
    serde_json_path::JsonPath::parse(path).map_err(|error| {
        format!("`{path}` is not a JSONPath this runner reads (RFC 9535): {error}")
    })
}

/// The text asserters: `TEXT_<HOW>_<ANY|ALL>[_IC]`, and `TEXT[_EQUALS][_IC]` (equals any).
fn text_asserter(name: &str, args: &[String]) -> Option<TextMatch> {
    let (name, ignore_case) = match name.strip_suffix("_IC") {
        Some(name) => (name, true),
        None => (name, false),
    };
    let (how, all) = match name {
        "TEXT" | "TEXT_EQUALS" => (TextHow::Equals, false),
        "TEXT_CONTAINS_ANY" => (TextHow::Contains, false),
        "TEXT_CONTAINS_ALL" => (TextHow::Contains, true),
        "TEXT_WILDCARD_ANY" => (TextHow::Wildcard, false),
        "TEXT_WILDCARD_ALL" => (TextHow::Wildcard, true),
        "TEXT_WILDCARDEXACT_ANY" => (TextHow::WildcardExact, false),
        "TEXT_WILDCARDEXACT_ALL" => (TextHow::WildcardExact, true),
        "TEXT_REGEXP_ANY" => (TextHow::Regexp, false),
        "TEXT_REGEXP_ALL" => (TextHow::Regexp, true),
        _ => return None,
    };
    Some(TextMatch {
        how,
        all,
        ignore_case,
        args: args.to_vec(),
    })
}

/// Botium's count argument: `2`, `=2`, `==2`, `<3`, `<=3`, `>0`, `>=1`, as a test.
pub(crate) fn parse_count(arg: &str) -> Option<(&'static str, usize)> {
    let arg = arg.trim();
    for op in ["<=", ">=", "==", "<", ">", "="] {
        if let Some(number) = arg.strip_prefix(op) {
            return Some((op, number.trim().parse().ok()?));
        }
    }
    Some(("=", arg.parse().ok()?))
}

/// Whether `count` passes the count argument (`None`: more than none).
pub(crate) fn count_holds(count: usize, arg: Option<&str>) -> bool {
    let Some((op, number)) = arg.and_then(parse_count) else {
        return count > 0;
    };
    match op {
        "<=" => count <= number,
        ">=" => count >= number,
        "<" => count < number,
        ">" => count > number,
        _ => count == number,
    }
}
