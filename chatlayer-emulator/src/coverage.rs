//! Coverage: which of a bot file's blocks, steps and choices conversations reached.
//!
//! A [`Conversation`](super::Conversation) records what it reaches as it goes ([`Reached`]:
//! blocks entered, each API step call's [`Outcome`], the buttons and quick replies offered
//! and clicked); a [`Coverage`] holds those of many conversations against the bot file's
//! inventory, and says what no conversation reached.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use super::bot::{BlockKind, BotFile};
use super::check::path_of;
use super::messages;
use super::transcript::Entry;

/// How an API step call ended.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "outcome", content = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// A 2xx answer whose reply was applied.
    Answered,
    /// The step failed and answered with its fallback block (the error's code, from the
    /// `x-chatlayer-fallback` header).
    Fallback(String),
    /// An error answer: its JSON error code, or `HTTP <status>` without one.
    Error(String),
    /// A 2xx answer that is not a Chatlayer reply.
    InvalidReply,
    /// No answer within the timeout.
    Timeout,
    /// The backend could not be reached.
    Unreachable,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Answered => f.write_str("answered"),
            Outcome::Fallback(code) => write!(f, "fallback `{code}`"),
            Outcome::Error(code) => write!(f, "error `{code}`"),
            Outcome::InvalidReply => f.write_str("invalid reply"),
            Outcome::Timeout => f.write_str("timeout"),
            Outcome::Unreachable => f.write_str("unreachable"),
        }
    }
}

/// A button or quick reply: the block whose message offers it, and its title.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ChoiceAt {
    /// The block that showed the message (a message or input block, or an action block
    /// whose step answered with it).
    pub block: String,
    /// The title the user clicks.
    pub title: String,
}

/// What conversations reached: blocks entered, step calls and their outcomes, choices
/// offered and clicked. [`Conversation::reached`](super::Conversation::reached) gives one
/// conversation's; [`merge`](Self::merge) adds another's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reached {
    blocks: BTreeSet<String>,
    /// Per action block, how many calls ended in each outcome.
    calls: BTreeMap<String, BTreeMap<Outcome, usize>>,
    offered: BTreeSet<ChoiceAt>,
    clicked: BTreeSet<ChoiceAt>,
}

impl Reached {
    pub(crate) fn entered(&mut self, block: &str) {
        if !self.blocks.contains(block) {
            self.blocks.insert(block.to_owned());
        }
    }

    pub(crate) fn called(&mut self, block: &str, outcome: Outcome) {
        *self
            .calls
            .entry(block.to_owned())
            .or_default()
            .entry(outcome)
            .or_default() += 1;
    }

    /// Records the choices of the bot messages among `entries`.
    pub(crate) fn shown(&mut self, entries: &[Entry]) {
        for entry in entries {
            if let Entry::Bot { block, message } = entry {
                for choice in messages::choices(message) {
                    self.offered.insert(ChoiceAt {
                        block: block.clone(),
                        title: choice.title,
                    });
                }
            }
        }
    }

    pub(crate) fn clicked(&mut self, block: &str, title: &str) {
        self.clicked.insert(ChoiceAt {
            block: block.to_owned(),
            title: title.to_owned(),
        });
    }

    /// Adds what `other` reached.
    pub fn merge(&mut self, other: &Reached) {
        self.blocks.extend(other.blocks.iter().cloned());
        for (block, outcomes) in &other.calls {
            let mine = self.calls.entry(block.clone()).or_default();
            for (outcome, count) in outcomes {
                *mine.entry(outcome.clone()).or_default() += count;
            }
        }
        self.offered.extend(other.offered.iter().cloned());
        self.clicked.extend(other.clicked.iter().cloned());
    }

    /// Whether `other` reached nothing this did not: no block, step outcome, or choice
    /// offered or clicked (how often does not count).
    pub fn covers(&self, other: &Reached) -> bool {
        other.blocks.is_subset(&self.blocks)
            && other.calls.iter().all(|(block, outcomes)| {
                self.calls
                    .get(block)
                    .is_some_and(|mine| outcomes.keys().all(|outcome| mine.contains_key(outcome)))
            })
            && other.offered.is_subset(&self.offered)
            && other.clicked.is_subset(&self.clicked)
    }

    /// Whether the block `id` was entered.
    pub fn reached_block(&self, id: &str) -> bool {
        self.blocks.contains(id)
    }

    /// How many calls of the action block `id`'s step ended in each outcome.
    pub fn outcomes(&self, id: &str) -> impl Iterator<Item = (&Outcome, usize)> {
        self.calls
            .get(id)
            .into_iter()
            .flatten()
            .map(|(outcome, count)| (outcome, *count))
    }
}

/// One API step of the bot file: a method and path, and the action blocks that call it.
#[derive(Clone, Debug, Serialize)]
pub struct StepCoverage {
    /// `POST`, `GET`, ...
    pub method: String,
    /// The path the blocks call (the URL's path when absolute).
    pub path: String,
    /// The action blocks calling it, in the bot file's order.
    pub blocks: Vec<String>,
    /// How many calls ended in each outcome, over all its blocks.
    pub outcomes: Vec<(Outcome, usize)>,
}

impl StepCoverage {
    /// Whether any of its blocks called it.
    pub fn called(&self) -> bool {
        !self.outcomes.is_empty()
    }
}

/// A bot file's blocks, steps and choices, and what conversations reached of them.
///
/// The percentage counts the bot file's blocks, its steps (each method and path its action
/// blocks call) and the buttons and quick replies written in it; choices that only step
/// replies offered are listed apart (they depend on the backend's data), as are the
/// outcomes each step produced.
///
/// ```
/// use chatlayer_emulator::{Backend, BotFile, Conversation, Coverage};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let bot = BotFile::parse(r#"
/// blocks:
///   - id: menu
///     type: message
///     messages:
///       - type: quickReplies
///         config:
///           textMessages: [{ text: "Which size?" }]
///           quickReplies:
///             - { type: postback, title: Small, payload: { nextDialogstateId: small } }
///             - { type: postback, title: Large, payload: { nextDialogstateId: large } }
///   - { id: small, type: message, messages: ["Small it is."] }
///   - { id: large, type: message, messages: ["Large it is."] }
/// "#).unwrap();
///
/// let mut conversation = Conversation::new(bot.clone(), Backend::url("http://localhost:3000"));
/// conversation.start().await;
/// conversation.say("Small").await;
///
/// let mut coverage = Coverage::new(&bot);
/// coverage.add(conversation.reached());
/// assert_eq!(coverage.percent(), 60.0); // 2 of 3 blocks, 1 of 2 choices
/// assert_eq!(coverage.blocks_missed(), ["large"]);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Coverage {
    /// Every block id with its type, in the bot file's order.
    blocks: Vec<(String, &'static str)>,
    /// Every step, with the blocks calling it.
    steps: Vec<(String, String, Vec<String>)>,
    /// The choices written in the bot file's message and input blocks.
    written: Vec<ChoiceAt>,
    reached: Reached,
}

impl Coverage {
    /// The inventory of `bot`, with nothing reached yet.
    pub fn new(bot: &BotFile) -> Self {
        let mut steps: Vec<(String, String, Vec<String>)> = Vec::new();
        let mut written = Vec::new();
        for block in bot.blocks() {
            match &block.kind {
                BlockKind::Action { api, .. } => {
                    let method = api.method.to_uppercase();
                    let path = path_of(&api.url).to_owned();
                    match steps
                        .iter_mut()
                        .find(|(m, p, _)| *m == method && *p == path)
                    {
                        Some((_, _, blocks)) => blocks.push(block.id.clone()),
                        None => steps.push((method, path, vec![block.id.clone()])),
                    }
                }
                BlockKind::Message { messages } | BlockKind::Input { messages, .. } => {
                    for message in messages {
                        for choice in messages::choices(&message.to_message()) {
                            let at = ChoiceAt {
                                block: block.id.clone(),
                                title: choice.title,
                            };
                            if !written.contains(&at) {
                                written.push(at);
                            }
                        }
                    }
                }
                BlockKind::Condition { .. } => {}
            }
        }
        Coverage {
            blocks: bot
                .blocks()
                .iter()
                .map(|block| (block.id.clone(), block.kind()))
                .collect(),
            steps,
            written,
            reached: Reached::default(),
        }
    }

    /// Adds what a conversation (or a script's runs) reached.
    pub fn add(&mut self, reached: &Reached) {
        self.reached.merge(reached);
    }

    /// What was reached, over everything added.
    pub fn reached(&self) -> &Reached {
        &self.reached
    }

    /// The blocks no conversation entered, in the bot file's order.
    pub fn blocks_missed(&self) -> Vec<&str> {
        self.blocks
            .iter()
            .filter(|(id, _)| !self.reached.reached_block(id))
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// Every step, with the outcomes its calls produced.
    pub fn steps(&self) -> Vec<StepCoverage> {
        self.steps
            .iter()
            .map(|(method, path, blocks)| {
                let mut outcomes: BTreeMap<Outcome, usize> = BTreeMap::new();
                for block in blocks {
                    for (outcome, count) in self.reached.outcomes(block) {
                        *outcomes.entry(outcome.clone()).or_default() += count;
                    }
                }
                StepCoverage {
                    method: method.clone(),
                    path: path.clone(),
                    blocks: blocks.clone(),
                    outcomes: outcomes.into_iter().collect(),
                }
            })
            .collect()
    }

    /// The buttons and quick replies written in the bot file that no one clicked.
    pub fn choices_missed(&self) -> Vec<&ChoiceAt> {
        self.written
            .iter()
            .filter(|choice| !self.reached.clicked.contains(choice))
            .collect()
    }

    /// The choices step replies offered (not written in the bot file) that no one clicked.
    pub fn offered_choices_missed(&self) -> Vec<&ChoiceAt> {
        self.reached
            .offered
            .iter()
            .filter(|choice| {
                !self.written.contains(choice) && !self.reached.clicked.contains(choice)
            })
            .collect()
    }

    /// Blocks reached, steps called and written choices clicked, as a percentage of all of
    /// them (100 for a bot file with none).
    pub fn percent(&self) -> f64 {
        let (reached, total) = self.tally();
        if total == 0 {
            100.0
        } else {
            (reached as f64 * 1000.0 / total as f64).floor() / 10.0
        }
    }

    /// (reached, total) over blocks, steps and written choices.
    fn tally(&self) -> (usize, usize) {
        let blocks = self.blocks.len() - self.blocks_missed().len();
        let steps = self.steps().iter().filter(|step| step.called()).count();
        let choices = self.written.len() - self.choices_missed().len();
        (
            blocks + steps + choices,
            self.blocks.len() + self.steps.len() + self.written.len(),
        )
    }

    /// The report as JSON, for the emulator page.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "percent": self.percent(),
            "blocks": self.blocks.iter().map(|(id, kind)| serde_json::json!({
                "id": id, "type": kind, "reached": self.reached.reached_block(id),
            })).collect::<Vec<_>>(),
            "steps": self.steps(),
            "choicesMissed": self.choices_missed(),
            "choicesWritten": self.written.len(),
            "offeredChoicesMissed": self.offered_choices_missed(),
        })
    }
}

/// The report as text, for CI logs.
impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let steps = self.steps();
        let blocks_missed = self.blocks_missed();
        let choices_missed = self.choices_missed();
        let called = steps.iter().filter(|step| step.called()).count();
        writeln!(
            f,
            "coverage {}%: blocks {}/{}, steps {}/{}, buttons and quick replies {}/{}",
            self.percent(),
            self.blocks.len() - blocks_missed.len(),
            self.blocks.len(),
            called,
            steps.len(),
            self.written.len() - choices_missed.len(),
            self.written.len(),
        )?;
        if !blocks_missed.is_empty() {
            writeln!(f, "blocks never reached:")?;
            for id in &blocks_missed {
                let kind = self
                    .blocks
                    .iter()
                    .find(|(block, _)| block == id)
                    .map_or("", |(_, kind)| kind);
                writeln!(f, "  {id} ({kind})")?;
            }
        }
        writeln!(f, "steps:")?;
        for step in &steps {
            let outcomes = if step.called() {
                step.outcomes
                    .iter()
                    .map(|(outcome, count)| format!("{outcome} x{count}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                format!("never called (from {})", step.blocks.join(", "))
            };
            writeln!(f, "  {} {}: {outcomes}", step.method, step.path)?;
        }
        if !choices_missed.is_empty() {
            writeln!(f, "buttons and quick replies never clicked:")?;
            for choice in &choices_missed {
                writeln!(f, "  {}: {}", choice.block, choice.title)?;
            }
        }
        let offered = self.offered_choices_missed();
        if !offered.is_empty() {
            writeln!(
                f,
                "offered by step replies, never clicked (not counted in the percentage):"
            )?;
            for choice in &offered {
                writeln!(f, "  {}: {}", choice.block, choice.title)?;
            }
        }
        Ok(())
    }
}
