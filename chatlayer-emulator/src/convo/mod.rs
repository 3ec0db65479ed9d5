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
use super::coverage::Reached;
use super::engine::Conversation;
use super::messages;
use super::session::same_value;
use super::transcript::{Entry, render, shown};

mod botium;
mod config;
#[cfg(test)]
mod conformance;
mod features;
mod lower;
mod memory;
mod regexp;
pub(crate) mod write;

use botium::Sender as Speaker;
use lower::{Library, Partials, Utterances};

/// A conversation script: a title and its sections, in order.
#[derive(Clone, Debug)]
pub struct Script {
    title: String,
    source: String,
    sections: Vec<Section>,
    /// What a scripting-memory variable's value may hold.
    value_chars: memory::ValueChars,
}

#[derive(Clone, Debug)]
struct Section {
    speaker: Speaker,
    /// The line of its `#` header, 1-based.
    line: usize,
    /// `None`: the section has no text line at all.
    text: Option<String>,
    /// The line the text starts on.
    text_line: usize,
    negated_text: bool,
    /// `?`: a bot answer that may be missing; when it does not match, the message is left
    /// for the next section.
    optional: bool,
    /// The text names an utterance: in `#me`, the script runs once per variant; in `#bot`,
    /// any variant matches.
    variants: Option<Vec<String>>,
    /// How its text is compared (botium.json's `SCRIPTING_MATCHING_MODE`).
    matching: config::Matching,
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
    /// `BUTTONS_COUNT`, `MEDIA_COUNT`, `CARDS_COUNT` and their `_REC` forms.
    Count {
        what: Counted,
        recursive: bool,
        arg: Option<String>,
    },
    /// The `TEXT_*` asserters.
    Text(TextMatch),
    /// `JSON_PATH path[|value]`: over the reply of the step that sent the message, the
    /// path finds a value (that matches `value` as texts are compared).
    JsonPath {
        path: String,
        compiled: serde_json_path::JsonPath,
        expected: Option<String>,
    },
    /// `JSON_PATH_COUNT path[|count]`: the length of the first value the path finds.
    JsonPathCount {
        path: String,
        compiled: serde_json_path::JsonPath,
        arg: Option<String>,
    },
    /// `BOT_CONSUMED`: no bot message is left unread.
    Consumed,
    /// `BOT_UNCONSUMED_COUNT`: how many bot messages are left unread.
    Unconsumed(Option<String>),
    /// `SKIP_BOT_UNCONSUMED`: forget the bot messages left unread.
    SkipUnconsumed,
    /// `SET_SCRIPTING_MEMORY name|value`.
    SetMemory(String, String),
    /// `CLEAR_SCRIPTING_MEMORY name`.
    ClearMemory(String),
    /// `ASSIGN_SCRIPTING_MEMORY name|path`: the first value the JSONPath finds in the bot
    /// message, as Botium shapes it ([`botium_message`]).
    AssignMemory {
        name: String,
        path: String,
        compiled: serde_json_path::JsonPath,
    },
    /// `#me BUTTON <payload>[|<text>]`: click.
    Click {
        payload: String,
        text: Option<String>,
    },
    /// Extension: the block the conversation is at.
    Block(String),
    /// Extension: a variable is set, or set to a value.
    Session(String, Option<Value>),
    /// Extension: the conversation hit an error whose code or message contains this.
    Error(String),
    /// Extension, `#begin` only: the block to start at.
    Start(String),
}

/// What a count asserter counts.
#[derive(Clone, Copy, Debug)]
enum Counted {
    Buttons,
    Media,
    Cards,
}

/// A `TEXT_*` asserter: how each argument is compared with the message's text, and whether
/// any or all must match.
#[derive(Clone, Debug)]
struct TextMatch {
    how: TextHow,
    all: bool,
    ignore_case: bool,
    args: Vec<String>,
}

#[derive(Clone, Copy, Debug)]
enum TextHow {
    Equals,
    Contains,
    Wildcard,
    WildcardExact,
    /// A JavaScript regular expression, searched in the text (`regexp.rs`).
    Regexp,
}

impl Script {
    /// Reads a script from its text as Botium reads it; `source` names it in reports (e.g.
    /// its path). Every line is understood or refused with its line and the reason: see
    /// docs/emulator.md for what runs. An `#include` or `INCLUDE` needs the partial convos:
    /// [`Script::load`] finds them beside the file.
    pub fn parse(source: &str, text: &str) -> Result<Self, String> {
        Self::parse_with(source, text, &Library::default())
    }

    fn parse_with(source: &str, text: &str, library: &Library) -> Result<Self, String> {
        let compiled = botium::compile(text, &classifier(&library.config))
            .map_err(|(line, problem)| format!("{source}:{line}: {problem}"))?;
        let sections = lower::sections(source, &compiled, library)?;
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
        let title = compiled.title.unwrap_or_else(|| {
            Path::new(source).file_name().map_or_else(
                || source.to_owned(),
                |name| name.to_string_lossy().into_owned(),
            )
        });
        Ok(Script {
            title,
            source: source.to_owned(),
            sections,
            value_chars: library.config.value_chars,
        })
    }

    /// Reads the script at `path`, with the partial convos (`*.pconvo.txt`) beside it.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let folder = path.parent().unwrap_or(Path::new("."));
        let config = config::BotiumConfig::find(folder)?;
        let library = Library {
            partials: partials_in(folder, &config)?,
            utterances: utterances_in(folder)?,
            config,
            memory_files: files_ending(folder, ".scriptingmemory.txt")
                .iter()
                .map(|file| file.display().to_string())
                .collect(),
        };
        Self::parse_with(&path.display().to_string(), &text, &library)
    }

    /// The script's title (its first line).
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Runs the script: a fresh conversation with `bot` through `backend`, section by
    /// section, stopping at the first unmet expectation.
    ///
    /// A `#me` that names an utterance runs the script once per variant (with several, once
    /// per combination), as Botium expands it; the report holds every run's transcript, and
    /// the first failure.
    pub async fn run(&self, bot: &BotFile, backend: &Backend) -> ScriptReport {
        let mut transcript = String::new();
        let mut failure = None;
        let mut reached = Reached::default();
        let expansions = self.expansions();
        let several = expansions.len() > 1;
        for choice in &expansions {
            let (text, failed, run_reached) = self.run_once(bot, backend, choice).await;
            reached.merge(&run_reached);
            if several {
                let said: Vec<&str> = choice.iter().flatten().map(String::as_str).collect();
                transcript.push_str(&format!("-- with {}\n", said.join(" / ")));
            }
            transcript.push_str(&text);
            if failed.is_some() {
                failure = failed;
                break;
            }
        }
        ScriptReport {
            title: self.title.clone(),
            source: self.source.clone(),
            transcript,
            failure,
            reached,
        }
    }

    /// What each `#me` says in each run: `None` for its own text, else one utterance variant.
    fn expansions(&self) -> Vec<Vec<Option<String>>> {
        let mut runs: Vec<Vec<Option<String>>> = vec![Vec::new()];
        for section in &self.sections {
            let variants = match (&section.variants, section.speaker) {
                (Some(variants), Speaker::Me) => variants.clone(),
                _ => {
                    runs.iter_mut().for_each(|run| run.push(None));
                    continue;
                }
            };
            runs = runs
                .into_iter()
                .flat_map(|run| {
                    variants.iter().map(move |variant| {
                        let mut run = run.clone();
                        run.push(Some(variant.clone()));
                        run
                    })
                })
                .collect();
        }
        runs
    }

    async fn run_once(
        &self,
        bot: &BotFile,
        backend: &Backend,
        choice: &[Option<String>],
    ) -> (String, Option<ScriptFailure>, Reached) {
        let mut conversation = Conversation::new(bot.clone(), backend.clone());
        let mut runner = Runner {
            conversation: &mut conversation,
            pending: VecDeque::new(),
            started: false,
            memory: memory::Memory::new(),
            value_chars: self.value_chars,
        };
        let mut failure = None;
        for (turn, (section, said)) in self.sections.iter().zip(choice).enumerate() {
            if let Err(problem) = runner.section(section, said.as_deref()).await {
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
        let reached = conversation.reached().clone();
        (render(conversation.transcript()), failure, reached)
    }
}

/// How a line's first word is classified: the hooks `config` registers, then Botium's own
/// and this emulator's.
fn classifier(
    config: &config::BotiumConfig,
) -> impl Fn(Speaker, &str) -> Option<botium::HookKind> + '_ {
    move |sender, name| {
        config
            .custom(name)
            .filter(|kind| match kind {
                botium::HookKind::Asserter => sender != Speaker::Me,
                botium::HookKind::UserInput => sender == Speaker::Me,
                botium::HookKind::LogicHook => true,
            })
            .or_else(|| features::classify(sender, name))
    }
}

/// The utterances in `folder` (`*.utterances.txt`: the name on the first line, then one
/// variant per line; empty lines are none).
fn utterances_in(folder: &Path) -> Result<Utterances, String> {
    let mut utterances = Utterances::new();
    for file in files_ending(folder, ".utterances.txt") {
        let source = file.display().to_string();
        let text = std::fs::read_to_string(&file)
            .map_err(|error| format!("cannot read {source}: {error}"))?;
        let lines = botium::lines(&text);
        let Some(name) = lines
            .first()
            .map(|(_, line)| line.trim())
            .filter(|name| !name.is_empty())
        else {
            return Err(format!(
                "{source}:1: an utterances file's first line is its name"
            ));
        };
        let variants: Vec<String> = lines[1..]
            .iter()
            .map(|(_, line)| line.trim_end_matches(['\n', '\t', '\r']).to_owned())
            .filter(|line| !line.trim().is_empty())
            .collect();
        if variants.is_empty() {
            return Err(format!("{source}: the utterance `{name}` has no variant"));
        }
        if utterances.insert(name.to_owned(), variants).is_some() {
            return Err(format!(
                "{source}:1: the utterance `{name}` is defined twice"
            ));
        }
    }
    Ok(utterances)
}

/// The files in `folder` whose names end with `suffix`, sorted.
fn files_ending(folder: &Path, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|file| file.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    files
}

/// The partial convos in `folder`, by name (their first line).
fn partials_in(folder: &Path, config: &config::BotiumConfig) -> Result<Partials, String> {
    let mut partials = Partials::new();
    let files = files_ending(folder, ".pconvo.txt");
    for file in files {
        let source = file.display().to_string();
        let text = std::fs::read_to_string(&file)
            .map_err(|error| format!("cannot read {source}: {error}"))?;
        let compiled = botium::compile(&text, &classifier(config))
            .map_err(|(line, problem)| format!("{source}:{line}: {problem}"))?;
        let Some(name) = compiled.title.clone() else {
            return Err(format!(
                "{source}:1: a partial convo's first line is its name, and this one has none"
            ));
        };
        if let Some((other, _)) = partials.get(&name) {
            return Err(format!(
                "{source}:1: two partial convos are named `{name}` (the other is {other})"
            ));
        }
        partials.insert(name, (source, compiled));
    }
    Ok(partials)
}

/// Runs sections against one conversation.
struct Runner<'a> {
    conversation: &'a mut Conversation,
    /// What the bot said (or the errors it hit) that no `#bot` has read yet.
    pending: VecDeque<Said>,
    started: bool,
    /// Botium's scripting memory: `$name` values.
    memory: memory::Memory,
    value_chars: memory::ValueChars,
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
        self.pending.iter().find_map(|said| match &said.entry {
            Entry::Error { message, .. } => Some(message.clone()),
            _ => None,
        })
    }

    /// Runs `section`; a `#me` says `variant` when given (an utterance's variant).
    async fn section(&mut self, section: &Section, variant: Option<&str>) -> Result<(), String> {
        match section.speaker {
            Speaker::Begin => {
                let start = section.checks.iter().find_map(|check| match &check.kind {
                    CheckKind::Start(block) => Some(block.as_str()),
                    _ => None,
                });
                self.start_if_needed(start).await;
                self.memory_hooks(section);
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
                    CheckKind::Click { payload, text } => Some(text.as_ref().unwrap_or(payload)),
                    _ => None,
                });
                let turn = match click {
                    Some(title) => self.conversation.click(title).await,
                    None => {
                        let text = variant.or(section.text.as_deref()).unwrap_or_default();
                        let text = memory::apply(&self.memory, text);
                        if let Some(unset) = memory::names(&text).first() {
                            return Err(format!(
                                "`{unset}` has no value yet: no bot answer before this #me set \
                                 it, and no SET_SCRIPTING_MEMORY"
                            ));
                        }
                        self.conversation.say(&text).await
                    }
                };
                self.pending.extend(said(turn));
                self.memory_hooks(section);
                Ok(())
            }
            Speaker::Bot => {
                self.start_if_needed(None).await;
                // Every #bot reads the next message, as in Botium (an empty one too, leaving
                // it unchecked), except one made only of this emulator's state checks.
                let state_only = section.text.as_deref().is_none_or(str::is_empty)
                    && !section.checks.is_empty()
                    && section.checks.iter().all(|check| {
                        matches!(check.kind, CheckKind::Block(_) | CheckKind::Session(..))
                    });
                if !state_only {
                    let said = self.pending.pop_front().ok_or_else(|| {
                        "expected a bot message, but the bot said nothing more".to_owned()
                    })?;
                    if let Err(problem) =
                        check_said(section, &said, &mut self.memory, self.value_chars)
                    {
                        if section.optional {
                            // An optional answer that is not there: the message is for the
                            // next section.
                            self.pending.push_front(said);
                            return Ok(());
                        }
                        return Err(problem);
                    }
                    self.assign_memory(section, &said)?;
                }
                self.queue_checks(section)?;
                self.memory_hooks(section);
                self.state_checks(section)
            }
            Speaker::End => {
                self.start_if_needed(None).await;
                self.queue_checks(section)?;
                self.memory_hooks(section);
                self.state_checks(section)
            }
            Speaker::Include => unreachable!("partial convos are expanded when read"),
        }
    }

    /// `SET_SCRIPTING_MEMORY` and `CLEAR_SCRIPTING_MEMORY`, when the section has run (as
    /// Botium runs them at the end of a step).
    fn memory_hooks(&mut self, section: &Section) {
        for check in &section.checks {
            match &check.kind {
                CheckKind::SetMemory(name, value) => {
                    self.memory.insert(name.clone(), value.clone());
                }
                CheckKind::ClearMemory(name) => {
                    self.memory.remove(name);
                }
                _ => {}
            }
        }
    }

    /// `ASSIGN_SCRIPTING_MEMORY`, when the section's message has been checked (Botium runs
    /// it at the end of the bot's step).
    fn assign_memory(&mut self, section: &Section, said: &Said) -> Result<(), String> {
        // Shaped once, when the first ASSIGN_SCRIPTING_MEMORY of the section needs it.
        let mut shaped = None;
        for check in &section.checks {
            let CheckKind::AssignMemory {
                name,
                path,
                compiled,
            } = &check.kind
            else {
                continue;
            };
            let message = shaped.get_or_insert_with(|| botium_message(said));
            let Some(value) = compiled.query(message).all().first().copied() else {
                return Err(format!(
                    "line {}: ASSIGN_SCRIPTING_MEMORY found nothing at `{path}` in the bot \
                     message (as Botium shapes it: {})",
                    check.line,
                    shown(&message.to_string())
                ));
            };
            self.memory.insert(name.clone(), value_text(value));
        }
        Ok(())
    }

    /// The checks on the bot messages no section has read: `BOT_CONSUMED`,
    /// `BOT_UNCONSUMED_COUNT`, and `SKIP_BOT_UNCONSUMED`, which forgets them.
    fn queue_checks(&mut self, section: &Section) -> Result<(), String> {
        for check in &section.checks {
            let unread = self
                .pending
                .iter()
                .filter(|said| matches!(said.entry, Entry::Bot { .. }))
                .count();
            let (holds, expected) = match &check.kind {
                CheckKind::Consumed => (unread == 0, "no bot message left unread".to_owned()),
                CheckKind::Unconsumed(arg) => (
                    lower::count_holds(unread, arg.as_deref()),
                    format!("unread bot messages: {}", arg.as_deref().unwrap_or(">0")),
                ),
                CheckKind::SkipUnconsumed => {
                    self.pending.clear();
                    continue;
                }
                _ => continue,
            };
            if holds == check.negated {
                return Err(diff(
                    check.line,
                    Subject::many("unread messages", check.negated),
                    &expected,
                    &format!("{unread} unread"),
                ));
            }
        }
        Ok(())
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

/// A message or error of the bot, with the reply of the step that sent it.
#[derive(Debug)]
struct Said {
    entry: Entry,
    /// For a message a step's reply held: that reply, as the backend answered it.
    reply: Option<Value>,
}

/// The messages and errors of a turn, in order, each message with the reply of the call its
/// block made just before it in the turn (none for a message block's own messages).
fn said(turn: &[Entry]) -> Vec<Said> {
    let mut last_reply: Option<(&str, &Value)> = None;
    let mut said = Vec::new();
    for entry in turn {
        match entry {
            Entry::Exchange(exchange) => {
                last_reply = exchange
                    .response
                    .as_ref()
                    .map(|response| (exchange.block.as_str(), response));
            }
            Entry::Block { .. } => last_reply = None,
            Entry::Bot { block, .. } => said.push(Said {
                entry: entry.clone(),
                reply: last_reply
                    .filter(|(from, _)| from == block)
                    .map(|(_, reply)| reply.clone()),
            }),
            Entry::Error { .. } => said.push(Said {
                entry: entry.clone(),
                reply: None,
            }),
            _ => {}
        }
    }
    said
}

/// Checks one bot message (or error) against a `#bot` section.
fn check_said(
    section: &Section,
    said: &Said,
    memory: &mut memory::Memory,
    value_chars: memory::ValueChars,
) -> Result<(), String> {
    let entry = &said.entry;
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
    let mut candidates = messages::texts(message);
    if candidates.is_empty() {
        candidates.push(Entry::message_summary(message));
    }
    if let Some(expected) = section.text.as_deref().filter(|text| !text.is_empty()) {
        // An utterance's name stands for its variants: any one matches.
        let alternatives = section
            .variants
            .clone()
            .unwrap_or_else(|| vec![expected.to_owned()]);
        // Scripting memory: the variables take their values from this message (those set
        // before win for the comparison, as in Botium), then the text is compared with them.
        let mut update = memory::Memory::new();
        for alternative in &alternatives {
            for candidate in &candidates {
                if let Some(values) = memory::fill(alternative, candidate, value_chars) {
                    update.extend(values);
                }
            }
        }
        let mut known = update.clone();
        known.extend(
            memory
                .iter()
                .map(|(name, value)| (name.clone(), value.clone())),
        );
        let compare = TextMatch {
            how: section.matching.how,
            all: false,
            ignore_case: section.matching.ignore_case,
            args: alternatives
                .iter()
                .map(|alternative| memory::apply(&known, alternative))
                .collect(),
        };
        let found = candidates.iter().any(|text| compare.matches(text));
        if found && !section.negated_text {
            memory.extend(update);
        }
        if found == section.negated_text {
            return Err(diff(
                section.text_line,
                Subject::one("the text", section.negated_text),
                expected,
                &candidates.join("\n          | "),
            ));
        }
    }
    for check in &section.checks {
        match &check.kind {
            CheckKind::Text(text_match) => {
                let text_match = TextMatch {
                    args: text_match
                        .args
                        .iter()
                        .map(|arg| memory::apply(memory, arg))
                        .collect(),
                    ..text_match.clone()
                };
                let holds = candidates.iter().any(|text| text_match.matches(text));
                if holds == check.negated {
                    return Err(diff(
                        check.line,
                        Subject::one("the text", check.negated),
                        &text_match.args.join(" | "),
                        &candidates.join("\n          | "),
                    ));
                }
            }
            CheckKind::JsonPath {
                path,
                compiled,
                expected,
            } => {
                let values = reply_values(said, path, compiled)?;
                let compare = |expected: &str| TextMatch {
                    how: section.matching.how,
                    all: false,
                    ignore_case: section.matching.ignore_case,
                    args: vec![memory::apply(memory, expected)],
                };
                let (holds, wanted) = match expected {
                    None => (!values.is_empty(), format!("a value at {path}")),
                    Some(expected) => {
                        let compare = compare(expected);
                        (
                            values.iter().any(|value| compare.matches_value(value)),
                            format!("{} at {path}", compare.args[0]),
                        )
                    }
                };
                if holds == check.negated {
                    return Err(diff(
                        check.line,
                        Subject::one("the step's reply", check.negated),
                        &wanted,
                        &found_values(&values),
                    ));
                }
            }
            CheckKind::JsonPathCount {
                path,
                compiled,
                arg,
            } => {
                let values = reply_values(said, path, compiled)?;
                // Botium counts the length of the first value found: an array's items, a
                // text's characters (UTF-16 units, as JavaScript counts); anything else has
                // no length, and no count holds for it.
                let length = match values.first() {
                    None => Some(0),
                    Some(Value::Array(items)) => Some(items.len()),
                    Some(Value::String(text)) => Some(text.encode_utf16().count()),
                    Some(_) => None,
                };
                let holds = length.is_some_and(|length| lower::count_holds(length, arg.as_deref()));
                if holds == check.negated {
                    return Err(diff(
                        check.line,
                        Subject::one(&format!("the length at {path}"), check.negated),
                        arg.as_deref().unwrap_or(">0"),
                        &length.map_or_else(|| "(no length)".to_owned(), |n| n.to_string()),
                    ));
                }
            }
            CheckKind::Count {
                what,
                recursive,
                arg,
            } => {
                let (name, count) = what.count(message, *recursive);
                if lower::count_holds(count, arg.as_deref()) == check.negated {
                    return Err(diff(
                        check.line,
                        Subject::one(&format!("the number of {name}"), check.negated),
                        arg.as_deref().unwrap_or(">0"),
                        &count.to_string(),
                    ));
                }
            }
            _ => {}
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
        let expected: &Vec<String> = &expected
            .iter()
            .map(|item| memory::apply(memory, item))
            .collect();
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

/// A bot message as Botium's connectors shape it for its JSONPath logic hooks:
/// `messageText` (the text shown), `buttons` (`text`, `payload`), `media` (`mediaUri`),
/// `cards` (`text`, `image`), and `sourceData`, the raw answer: here the reply of the step
/// that sent it (absent for a message block's own messages).
fn botium_message(said: &Said) -> Value {
    let Entry::Bot { message, .. } = &said.entry else {
        return Value::Null;
    };
    let buttons: Vec<Value> = messages::buttons(message)
        .map(|button| {
            serde_json::json!({
                "text": button["title"],
                "payload": button.get("payload").cloned().unwrap_or(Value::Null),
            })
        })
        .collect();
    let media: Vec<Value> = messages::media_urls(message)
        .into_iter()
        .map(|url| serde_json::json!({ "mediaUri": url }))
        .collect();
    let cards: Vec<Value> = message["config"]["elements"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|card| serde_json::json!({ "text": card["title"], "image": card["imageUrl"] }))
        .collect();
    let mut shaped = serde_json::json!({
        "sender": "bot",
        "messageText": messages::texts(message).first().cloned().unwrap_or_default(),
        "buttons": buttons,
        "media": media,
        "cards": cards,
    });
    if let Some(reply) = &said.reply {
        shaped["sourceData"] = reply.clone();
    }
    shaped
}

/// A JSON value as Botium reads it into text: a text as it is, null as the empty text, a
/// list as its items joined by `,`, anything else as its JSON.
fn value_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// The values `path` finds in the reply of the step that sent the message; an error when a
/// message block sent it (Botium's JSONPath asserters read a bot's raw answer, which only a
/// step's reply is here).
fn reply_values(
    said: &Said,
    path: &str,
    compiled: &serde_json_path::JsonPath,
) -> Result<Vec<Value>, String> {
    let Some(reply) = &said.reply else {
        let block = match &said.entry {
            Entry::Bot { block, .. } => block.as_str(),
            _ => "",
        };
        return Err(format!(
            "`{path}` reads the reply of the step that sent the message, but this message \
             comes from the block `{block}` itself, not from a step's reply: check it with \
             the text, BUTTONS, CARDS or MEDIA"
        ));
    };
    Ok(compiled.query(reply).all().into_iter().cloned().collect())
}

/// The values a JSONPath found, as a failure shows them.
fn found_values(values: &[Value]) -> String {
    if values.is_empty() {
        return "(nothing at that path)".to_owned();
    }
    values
        .iter()
        .map(|value| match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

impl TextMatch {
    /// Whether a JSON value passes, read into text as Botium reads it ([`value_text`]).
    fn matches_value(&self, value: &Value) -> bool {
        self.matches(&value_text(value))
    }

    /// Whether `text` passes: any argument (or all, for `_ALL`) matches it as Botium's
    /// asserter compares. With no argument, any non-empty text passes.
    fn matches(&self, text: &str) -> bool {
        if self.args.is_empty() {
            return !text.is_empty();
        }
        let fold = |value: &str| {
            if self.ignore_case {
                value.to_lowercase()
            } else {
                value.to_owned()
            }
        };
        let folded = fold(text);
        let one = |arg: &String| {
            if let TextHow::Regexp = self.how {
                // Checked when the script was read; a pattern that only a scripting-memory
                // value made invalid matches nothing.
                return regexp::compile(arg, self.ignore_case)
                    .is_ok_and(|pattern| pattern.is_match(text));
            }
            let arg = fold(arg);
            match self.how {
                TextHow::Equals => folded == arg,
                TextHow::Contains => folded.contains(&arg),
                TextHow::Wildcard => wildcard_match(&folded, &arg, false),
                TextHow::WildcardExact => wildcard_match(&folded, &arg, true),
                TextHow::Regexp => unreachable!("matched above"),
            }
        };
        if self.all {
            self.args.iter().all(one)
        } else {
            self.args.iter().any(one)
        }
    }
}

impl Counted {
    /// What is counted, in words, and how many `message` has: buttons and quick replies
    /// (with the cards' buttons when `recursive`), media (with the cards' pictures), cards.
    fn count(self, message: &Value, recursive: bool) -> (&'static str, usize) {
        let list = |value: &Value| value.as_array().map_or(0, Vec::len);
        let config = &message["config"];
        match self {
            Counted::Buttons if recursive => ("buttons", messages::buttons(message).count()),
            Counted::Buttons => (
                "buttons",
                list(&config["buttons"]) + list(&config["quickReplies"]),
            ),
            Counted::Media if recursive => ("media", messages::media_urls(message).len()),
            Counted::Media => ("media", usize::from(config["media"]["url"].is_string())),
            Counted::Cards => ("cards", list(&config["elements"])),
        }
    }
}

/// `pattern` with `*` standing for any text, found in `text` (or, `exact`, equal to it).
fn wildcard_match(text: &str, pattern: &str, exact: bool) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut position = 0;
    for (index, part) in parts.iter().enumerate() {
        let first = index == 0;
        let last = index == parts.len() - 1;
        if first && exact {
            if !text.starts_with(part) {
                return false;
            }
            position = part.len();
            if last {
                return text.len() == part.len();
            }
            continue;
        }
        if last && exact {
            return text.len() >= position + part.len() && text[position..].ends_with(part);
        }
        match text[position..].find(part) {
            Some(found) => position += found + part.len(),
            None => return false,
        }
    }
    true
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
    wildcard_match(&text.to_lowercase(), &pattern.to_lowercase(), false)
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
    /// What its runs reached, for [`Coverage`](crate::Coverage).
    pub reached: Reached,
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

    #[tokio::test]
    async fn a_bot_section_of_state_checks_alone_reads_no_message() {
        let bot = BotFile::parse(
            r#"
blocks:
  - id: menu
    type: message
    messages:
      - type: button
        config:
          textMessages: [{ text: "Read our terms?" }]
          buttons: [{ type: web_url, title: Terms, url: "https://example.com/terms" }]
"#,
        )
        .unwrap();
        // Clicking a URL button shows nothing: the #bot after it checks the block only.
        let script = Script::parse(
            "a.convo.txt",
            "T\n\n#bot\nRead our terms?\n\n#me\nTerms\n\n#bot\nCHATLAYER_BLOCK menu\n",
        )
        .unwrap();
        let report = script.run(&bot, &Backend::url("http://127.0.0.1:9")).await;
        assert!(
            report.passed(),
            "{:?}\n{}",
            report.failure,
            report.transcript
        );
    }

    #[test]
    fn an_unmodelled_asserter_is_refused_with_its_line() {
        let error = Script::parse("a.convo.txt", "T\n\n#bot\nINTENT greeting\n").unwrap_err();
        assert!(
            error.starts_with(
                "a.convo.txt:4: `INTENT greeting`: the asserter INTENT cannot run here: it \
                 checks what an NLP engine understood"
            ),
            "{error}"
        );
    }
}
