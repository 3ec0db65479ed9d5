//! Conversation scripts in BotiumScript's convo format (`*.convo.txt`), the convention teams
//! already use to test Chatlayer bots, run against the emulator.
//!
//! ```text
//! Order a product                      <- the title (then an optional description)
//!
//! #begin
//! CHATLAYER_START menu                 <- extension: start at a block
//!
//! #bot
//! How can we help?
//! BUTTONS Order|Track my order         <- Botium's asserters: BUTTONS, MEDIA, CARDS
//!
//! #me
//! Order                                <- clicks the button, answers an input, or a trigger
//!
//! #bot
//! You ordered * for EUR 59.00.         <- contains, ignoring case; * is any text
//! CHATLAYER_BLOCK thanks               <- extension: the block reached
//! CHATLAYER_SESSION order.total = 59   <- extension: a session variable's value
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::backend::Backend;
use super::bot::BotFile;
use super::engine::Conversation;
use super::messages;
use super::session::same_value;
use super::transcript::{Entry, render, shown};

/// A conversation script: a title and its sections, in order.
#[derive(Clone, Debug)]
pub struct Script {
    title: String,
    source: String,
    sections: Vec<Section>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Speaker {
    Begin,
    Me,
    Bot,
    End,
}

#[derive(Clone, Debug)]
struct Section {
    speaker: Speaker,
    /// The line of its `#` header, 1-based.
    line: usize,
    text: Vec<String>,
    negated_text: bool,
    checks: Vec<Check>,
}

/// An asserter or logic hook line.
#[derive(Clone, Debug)]
struct Check {
    line: usize,
    negated: bool,
    kind: CheckKind,
}

#[derive(Clone, Debug)]
enum CheckKind {
    Buttons(Vec<String>),
    Media(Vec<String>),
    Cards(Vec<String>),
    /// `#me BUTTON <title>`: click.
    Click(String),
    /// Extension: the block the conversation is at.
    Block(String),
    /// Extension: a variable is set, or set to a value.
    Session(String, Option<Value>),
    /// Extension: the conversation hit an error whose code or message contains this.
    Error(String),
    /// Extension, `#begin` only: the block to start at.
    Start(String),
}

/// Botium asserters that need what the emulator does not model (NLP, timing).
const NOT_MODELLED: [&str; 8] = [
    "INTENT",
    "INTENT_CONFIDENCE",
    "INTENT_UNIQUE",
    "ENTITIES",
    "ENTITY_VALUES",
    "ENTITY_CONTENT",
    "PAUSE",
    "WAITFORBOT",
];

impl Script {
    /// Reads a script from its text; `source` names it in reports (e.g. its path).
    pub fn parse(source: &str, text: &str) -> Result<Self, String> {
        let mut lines = text.lines().enumerate().peekable();
        let mut title = String::new();
        while let Some((_, line)) = lines.peek() {
            if line.trim_start().starts_with('#') {
                break;
            }
            if title.is_empty() && !line.trim().is_empty() {
                title = line.trim().to_owned();
            }
            lines.next();
        }
        let mut sections: Vec<Section> = Vec::new();
        for (index, raw) in lines {
            let number = index + 1;
            let line = raw.trim();
            if let Some(header) = line.strip_prefix('#') {
                let speaker = match header.trim().to_ascii_lowercase().as_str() {
                    "me" => Speaker::Me,
                    "bot" => Speaker::Bot,
                    "begin" => Speaker::Begin,
                    "end" => Speaker::End,
                    other => {
                        return Err(format!(
                            "{source}:{number}: `#{other}` is not a section this runner knows: \
                             #me, #bot, #begin or #end"
                        ));
                    }
                };
                sections.push(Section {
                    speaker,
                    line: number,
                    text: Vec::new(),
                    negated_text: false,
                    checks: Vec::new(),
                });
                continue;
            }
            let Some(section) = sections.last_mut() else {
                continue;
            };
            if line.is_empty() {
                continue;
            }
            match parse_check(line, section.speaker)
                .map_err(|problem| format!("{source}:{number}: {problem}"))?
            {
                Some((negated, kind)) => section.checks.push(Check {
                    line: number,
                    negated,
                    kind,
                }),
                None => match line.strip_prefix('!') {
                    Some(rest) if section.speaker == Speaker::Bot => {
                        section.negated_text = true;
                        section.text.push(rest.trim().to_owned());
                    }
                    _ => section.text.push(line.to_owned()),
                },
            }
        }
        if !sections
            .iter()
            .any(|section| matches!(section.speaker, Speaker::Me | Speaker::Bot))
        {
            return Err(format!(
                "{source}: the script has no #me or #bot section, so it would check nothing: a \
                 script is a title line, then sections such as #me (what the user says) and \
                 #bot (what the bot must answer)"
            ));
        }
        if title.is_empty() {
            title = Path::new(source).file_name().map_or_else(
                || source.to_owned(),
                |name| name.to_string_lossy().into_owned(),
            );
        }
        Ok(Script {
            title,
            source: source.to_owned(),
            sections,
        })
    }

    /// Reads the script at `path`.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// The script's title (its first line).
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Runs the script: a fresh conversation with `bot` through `backend`, section by
    /// section, stopping at the first unmet expectation.
    pub async fn run(&self, bot: &BotFile, backend: &Backend) -> ScriptReport {
        let mut conversation = Conversation::new(bot.clone(), backend.clone());
        let mut runner = Runner {
            conversation: &mut conversation,
            pending: VecDeque::new(),
            started: false,
        };
        let mut failure = None;
        for (turn, section) in self.sections.iter().enumerate() {
            if let Err(problem) = runner.section(section).await {
                failure = Some(ScriptFailure {
                    source: self.source.clone(),
                    line: section.line,
                    turn: turn + 1,
                    problem,
                });
                break;
            }
        }
        if failure.is_none() {
            runner.start_if_needed(None).await;
            if let Some(error) = runner.pending_error() {
                failure = Some(ScriptFailure {
                    source: self.source.clone(),
                    line: self.sections.last().map_or(1, |section| section.line),
                    turn: self.sections.len(),
                    problem: format!(
                        "the conversation ended at an error no #bot expects: {}",
                        shown(&error.to_string())
                    ),
                });
            }
        }
        ScriptReport {
            title: self.title.clone(),
            source: self.source.clone(),
            transcript: render(conversation.transcript()),
            failure,
        }
    }
}

fn parse_check(line: &str, speaker: Speaker) -> Result<Option<(bool, CheckKind)>, String> {
    let (negated, rest) = match line.strip_prefix('!') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, line),
    };
    let (word, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let args = args.trim();
    let list = || -> Vec<String> {
        args.split('|')
            .map(|item| item.trim().to_owned())
            .filter(|item| !item.is_empty())
            .collect()
    };
    let kind = match word {
        "BUTTONS" => CheckKind::Buttons(list()),
        "MEDIA" => CheckKind::Media(list()),
        "CARDS" => CheckKind::Cards(list()),
        "BUTTON" if speaker == Speaker::Me => CheckKind::Click(args.to_owned()),
        "CHATLAYER_BLOCK" => CheckKind::Block(args.to_owned()),
        "CHATLAYER_ERROR" => CheckKind::Error(args.to_owned()),
        "CHATLAYER_START" if speaker == Speaker::Begin => CheckKind::Start(args.to_owned()),
        "CHATLAYER_SESSION" => match args.split_once('=') {
            Some((path, value)) => {
                let value = value.trim();
                let value = serde_json::from_str(value).unwrap_or_else(|_| Value::from(value));
                CheckKind::Session(path.trim().to_owned(), Some(value))
            }
            None => CheckKind::Session(args.to_owned(), None),
        },
        word if NOT_MODELLED.contains(&word) => {
            return Err(format!(
                "`{word}` needs what the emulator does not model (it has no NLP and no clock); \
                 remove it, or run this script against the live bot with Botium"
            ));
        }
        word if word.starts_with("CHATLAYER_") => {
            return Err(format!(
                "`{word}` is not an extension this runner knows: CHATLAYER_START (in #begin), \
                 CHATLAYER_BLOCK, CHATLAYER_SESSION, CHATLAYER_ERROR"
            ));
        }
        _ => return Ok(None),
    };
    Ok(Some((negated, kind)))
}

/// Runs sections against one conversation.
struct Runner<'a> {
    conversation: &'a mut Conversation,
    /// What the bot said (or the errors it hit) that no `#bot` has read yet.
    pending: VecDeque<Entry>,
    started: bool,
}

impl Runner<'_> {
    async fn start_if_needed(&mut self, at: Option<&str>) {
        if self.started {
            return;
        }
        self.started = true;
        let turn = match at {
            Some(block) => self.conversation.start_at(block).await,
            None => self.conversation.start().await,
        };
        self.pending.extend(said(turn));
    }

    fn pending_error(&self) -> Option<String> {
        self.pending.iter().find_map(|entry| match entry {
            Entry::Error { message, .. } => Some(message.clone()),
            _ => None,
        })
    }

    async fn section(&mut self, section: &Section) -> Result<(), String> {
        match section.speaker {
            Speaker::Begin => {
                let start = section.checks.iter().find_map(|check| match &check.kind {
                    CheckKind::Start(block) => Some(block.as_str()),
                    _ => None,
                });
                self.start_if_needed(start).await;
                self.state_checks(section)
            }
            Speaker::Me => {
                self.start_if_needed(None).await;
                if let Some(error) = self.pending_error() {
                    return Err(format!(
                        "the conversation hit an error before this #me that no #bot expects: {error}"
                    ));
                }
                self.pending.clear();
                let click = section.checks.iter().find_map(|check| match &check.kind {
                    CheckKind::Click(title) => Some(title.clone()),
                    _ => None,
                });
                let turn = match click {
                    Some(title) => self.conversation.click(&title).await,
                    None => self.conversation.say(&section.text.join("\n")).await,
                };
                self.pending.extend(said(turn));
                Ok(())
            }
            Speaker::Bot => {
                self.start_if_needed(None).await;
                let reads_message = !section.text.is_empty()
                    || section.checks.iter().any(|check| {
                        matches!(
                            check.kind,
                            CheckKind::Buttons(_)
                                | CheckKind::Media(_)
                                | CheckKind::Cards(_)
                                | CheckKind::Error(_)
                        )
                    });
                if reads_message {
                    let entry = self.pending.pop_front().ok_or_else(|| {
                        "expected a bot message, but the bot said nothing more".to_owned()
                    })?;
                    check_said(section, &entry)?;
                }
                self.state_checks(section)
            }
            Speaker::End => {
                self.start_if_needed(None).await;
                self.state_checks(section)
            }
        }
    }

    /// The extensions that read the conversation's state: the block and the session.
    fn state_checks(&self, section: &Section) -> Result<(), String> {
        for check in &section.checks {
            match &check.kind {
                CheckKind::Block(expected) => {
                    let actual = self.conversation.current_block().unwrap_or("(none)");
                    let block_name = self
                        .conversation
                        .bot()
                        .block(expected)
                        .map(|block| block.name().to_owned());
                    let same = actual == expected
                        || block_name.is_none()
                            && self
                                .conversation
                                .bot()
                                .block(actual)
                                .is_some_and(|block| block.name() == expected);
                    if same == check.negated {
                        return Err(diff(
                            check.line,
                            Subject::one("the block", check.negated),
                            expected,
                            actual,
                        ));
                    }
                }
                CheckKind::Session(path, expected) => {
                    let actual = self.conversation.variable(path);
                    let holds = match (expected, actual) {
                        (None, actual) => actual.is_some(),
                        (Some(expected), Some(actual)) => same_value(actual, expected),
                        (Some(_), None) => false,
                    };
                    if holds == check.negated {
                        let expected_text = match expected {
                            Some(value) => format!("{path} = {value}"),
                            None => format!("{path} set"),
                        };
                        let actual_text = match actual {
                            Some(value) => format!("{path} = {value}"),
                            None => format!("{path} not set"),
                        };
                        return Err(diff(
                            check.line,
                            Subject::one("the session", check.negated),
                            &expected_text,
                            &actual_text,
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The messages and errors of a turn, in order.
fn said(turn: &[Entry]) -> Vec<Entry> {
    turn.iter()
        .filter(|entry| matches!(entry, Entry::Bot { .. } | Entry::Error { .. }))
        .cloned()
        .collect()
}

/// Checks one bot message (or error) against a `#bot` section.
fn check_said(section: &Section, entry: &Entry) -> Result<(), String> {
    let expects_error = section.checks.iter().find_map(|check| match &check.kind {
        CheckKind::Error(text) => Some((check, text)),
        _ => None,
    });
    let message = match (entry, expects_error) {
        (Entry::Error { message, code, .. }, Some((check, expected))) => {
            let found = code.as_deref() == Some(expected.as_str())
                || message.to_lowercase().contains(&expected.to_lowercase());
            return if found {
                Ok(())
            } else {
                Err(diff(
                    check.line,
                    Subject::one("the error", false),
                    expected,
                    message,
                ))
            };
        }
        (Entry::Error { message, hint, .. }, None) => {
            return Err(format!(
                "expected a bot message, got an error: {message}{}",
                hint.as_deref()
                    .map(|hint| format!(" (hint: {hint})"))
                    .unwrap_or_default()
            ));
        }
        (Entry::Bot { message, .. }, Some((check, expected))) => {
            return Err(diff(
                check.line,
                Subject::one("the error", false),
                expected,
                &format!("a message: {}", Entry::message_summary(message)),
            ));
        }
        (Entry::Bot { message, .. }, None) => message,
        _ => unreachable!("said() keeps messages and errors"),
    };
    if !section.text.is_empty() {
        let expected = section.text.join("\n");
        let mut candidates = messages::texts(message);
        if candidates.is_empty() {
            candidates.push(Entry::message_summary(message));
        }
        let found = candidates
            .iter()
            .any(|text| wildcard_contains(text, &expected));
        if found == section.negated_text {
            return Err(diff(
                section.line + 1,
                Subject::one("the text", section.negated_text),
                &expected,
                &candidates.join("\n          | "),
            ));
        }
    }
    for check in &section.checks {
        let (what, expected, actual) = match &check.kind {
            CheckKind::Buttons(expected) => (
                "buttons",
                expected,
                messages::choices(message)
                    .into_iter()
                    .map(|choice| choice.title)
                    .collect(),
            ),
            CheckKind::Media(expected) => ("media", expected, messages::media_urls(message)),
            CheckKind::Cards(expected) => ("cards", expected, messages::card_titles(message)),
            _ => continue,
        };
        let missing: Vec<&String> = expected
            .iter()
            .filter(|wanted| !actual.iter().any(|have| wildcard_contains(have, wanted)))
            .collect();
        let present = if expected.is_empty() {
            !actual.is_empty()
        } else {
            missing.is_empty()
        };
        if present == check.negated {
            let mut problem = diff(
                check.line,
                Subject::many(what, check.negated),
                &expected.join(" | "),
                &if actual.is_empty() {
                    "(none)".to_owned()
                } else {
                    actual.join(" | ")
                },
            );
            if !check.negated && !missing.is_empty() {
                problem.push_str(&format!(
                    "\n    missing:  {}",
                    shown(
                        &missing
                            .iter()
                            .map(|item| item.as_str())
                            .collect::<Vec<_>>()
                            .join(" | ")
                    )
                ));
            }
            return Err(problem);
        }
    }
    Ok(())
}

/// What a failed check is about: `the text`, `the buttons`; and whether the script said
/// it must not be what it is.
struct Subject<'a> {
    what: &'a str,
    plural: bool,
    negated: bool,
}

impl<'a> Subject<'a> {
    fn one(what: &'a str, negated: bool) -> Self {
        Subject {
            what,
            plural: false,
            negated,
        }
    }

    /// `the buttons`, `the quick replies`: `what` without its article.
    fn many(what: &'a str, negated: bool) -> Self {
        Subject {
            what,
            plural: true,
            negated,
        }
    }
}

fn diff(line: usize, subject: Subject<'_>, expected: &str, actual: &str) -> String {
    let Subject {
        what,
        plural,
        negated,
    } = subject;
    let what = if plural {
        format!("the {what}")
    } else {
        what.to_owned()
    };
    if negated {
        format!(
            "line {line}: {what} {} what the script rules out\n    not:      {}\n    actual:   {}",
            if plural { "are" } else { "is" },
            shown(expected),
            shown(actual)
        )
    } else {
        format!(
            "line {line}: {what} {}\n    expected: {}\n    actual:   {}",
            if plural { "differ" } else { "differs" },
            shown(expected),
            shown(actual)
        )
    }
}

/// Botium's default matching: `pattern` is found in `text`, ignoring case, where `*` in the
/// pattern stands for any text.
pub(crate) fn wildcard_contains(text: &str, pattern: &str) -> bool {
    let text = text.to_lowercase();
    let pattern = pattern.to_lowercase();
    let mut parts = pattern.split('*').filter(|part| !part.is_empty());
    let mut position = 0;
    parts.all(|part| match text[position..].find(part) {
        Some(found) => {
            position += found + part.len();
            true
        }
        None => false,
    })
}

/// Where and why a script failed.
#[derive(Clone, Debug)]
pub struct ScriptFailure {
    /// The script's file.
    pub source: String,
    /// The line of the section that failed.
    pub line: usize,
    /// The section's number, counting from 1.
    pub turn: usize,
    /// What was expected and what happened.
    pub problem: String,
}

impl fmt::Display for ScriptFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: turn {}: {}",
            self.source, self.line, self.turn, self.problem
        )
    }
}

/// How a script ran: its transcript, and its failure if any.
#[derive(Clone, Debug)]
pub struct ScriptReport {
    /// The script's title.
    pub title: String,
    /// The script's file.
    pub source: String,
    /// The conversation, as text.
    pub transcript: String,
    /// The first unmet expectation.
    pub failure: Option<ScriptFailure>,
}

impl ScriptReport {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// The script files at `paths`: each file, and every `*.convo.txt` in each folder (sorted).
pub(crate) fn script_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))?
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|file| file.to_string_lossy().ends_with(".convo.txt"))
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(format!("{} holds no *.convo.txt file", path.display()));
            }
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Runs every script at `paths` (files, or folders of `*.convo.txt`) against `bot` through
/// `backend`, one fresh conversation each.
pub async fn run_scripts(
    bot: &BotFile,
    backend: &Backend,
    paths: &[PathBuf],
) -> Result<Vec<ScriptReport>, String> {
    let mut reports = Vec::new();
    for file in script_files(paths)? {
        let script = Script::load(&file)?;
        reports.push(script.run(bot, backend).await);
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_inside_the_text_ignoring_case() {
        assert!(wildcard_contains(
            "You ordered 2 x Red sneakers.",
            "you ordered * sneakers"
        ));
        assert!(wildcard_contains("Hello there", "hello"));
        assert!(!wildcard_contains("Hello", "bye"));
        assert!(wildcard_contains("anything", "*"));
    }

    #[test]
    fn an_unmodelled_asserter_is_refused_with_its_line() {
        let error = Script::parse("a.convo.txt", "T\n\n#bot\nINTENT greeting\n").unwrap_err();
        assert!(
            error.starts_with("a.convo.txt:4: `INTENT` needs"),
            "{error}"
        );
    }
}
