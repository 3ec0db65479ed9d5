//! The conversation engine: walks a bot file's blocks, calls API steps, and applies their
//! replies with Chatlayer's semantics (session first, then messages, then the jump).

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::backend::{Answer, Backend, CallFailure, body_value};
use super::bot::{ApiStep, Block, BlockKind, BotFile, Rule, Test};
use super::coverage::{Outcome, Reached};
use super::keeping::{Keeping, TURN_LIMIT};
use super::messages::{self, Choice, ChoiceAction};
use super::request;
use super::session::{Session, same_value, value_number, value_text};
use super::story::{Applied, Story};
use super::transcript::{Entry, Exchange, shown_texts};

/// How many blocks one user action may pass through before the emulator calls it a loop.
const MAX_BLOCKS_PER_TURN: usize = 100;

/// A conversation with a bot: a session, the block it is at, and everything said and done.
///
/// Each user action (`start`, `say`, `click`) runs blocks until the bot waits for the
/// user, and returns what it added to the transcript.
///
/// ```
/// use chatlayer_emulator::{Backend, BotFile, Conversation};
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
///             - { type: postback, title: Small, payload: { nextDialogstateId: thanks, params: [{ key: size, value: S }] } }
///   - id: thanks
///     type: message
///     messages: ["Size {size} it is."]
/// "#).unwrap();
///
/// let mut conversation = Conversation::new(bot, Backend::url("http://localhost:3000"));
/// conversation.start().await;
/// conversation.say("small").await;
/// assert_eq!(conversation.current_block(), Some("thanks"));
/// assert_eq!(conversation.last_texts(), ["Size S it is."]);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Conversation {
    bot: Arc<BotFile>,
    backend: Backend,
    story: Story,
    current: Option<String>,
    stopped: bool,
    /// Where the latest user action's entries begin.
    turn_start: usize,
    /// What the transcript keeps, and how much it forgot.
    keeping: Keeping,
    /// What the conversation reached, kept whole when the transcript forgets.
    reached: Reached,
}

/// What the bot waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Waiting {
    /// An answer to an input block (or a click).
    Input,
    /// A click, or a trigger phrase.
    Choice,
    /// Nothing: the conversation stopped at an error. Restart it.
    Stopped,
}

impl Conversation {
    /// A conversation with `bot`, whose API steps `backend` answers. It begins with the
    /// bot file's session and `internal` values; call [`start`](Self::start).
    pub fn new(bot: BotFile, backend: Backend) -> Self {
        Self::shared(Arc::new(bot), backend)
    }

    pub(crate) fn shared(bot: Arc<BotFile>, backend: Backend) -> Self {
        let session = Session::new(bot.internal.clone(), bot.session.clone());
        Conversation {
            bot,
            backend,
            story: Story::new(session),
            current: None,
            stopped: false,
            turn_start: 0,
            keeping: Keeping::default(),
            reached: Reached::default(),
        }
    }

    /// Starts at the bot file's `start` block.
    pub async fn start(&mut self) -> &[Entry] {
        let start = self.bot.start.clone();
        self.start_at(&start).await
    }

    /// Starts (or goes on) at the block `id`, as a trigger or Chatlayer's "start at" would.
    pub async fn start_at(&mut self, id: &str) -> &[Entry] {
        self.begin_turn();
        self.stopped = false;
        self.story.session.record_user_message("", "intro");
        self.run_from(Some(id.to_owned())).await;
        self.last_turn()
    }

    /// The user types `text`: it clicks the button or quick reply with that title in the
    /// bot's last messages, or answers the input block the bot waits at, or leads to the
    /// block that lists it among its `triggers`. Anything else is an error in the
    /// transcript: the emulator has no NLP.
    pub async fn say(&mut self, text: &str) -> &[Entry] {
        self.begin_turn();
        if self.refuse_when_stopped() {
            return self.last_turn();
        }
        if let Some((block, choice)) = self.find_choice(text) {
            self.apply_choice(&block, choice).await;
            return self.last_turn();
        }
        self.story.transcript.push(Entry::User {
            text: text.to_owned(),
            clicked: false,
        });
        self.story.session.record_user_message(text, "text");
        if let Some(Block {
            kind: BlockKind::Input { variable, .. },
            goto,
            ..
        }) = self.current_block_definition()
        {
            let (variable, goto) = (variable.clone(), goto.clone());
            self.story
                .write(|session| session.set(&variable, Value::from(text)));
            self.run_from(goto).await;
        } else if let Some(block) = self.bot.triggered_by(text) {
            let id = block.id.clone();
            self.run_from(Some(id)).await;
        } else {
            let offered = self.offered_titles();
            self.fail_here(format!(
                "nothing here understands `{text}`: the emulator has no NLP, so type the \
                 title of a button or quick reply{}, answer an input block, or add the \
                 phrase to a block's `triggers`",
                if offered.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", offered.join(", "))
                }
            ));
        }
        self.last_turn()
    }

    /// The user clicks the button or quick reply titled `title` (ignoring case) in the bot's
    /// last messages. An error in the transcript when there is none.
    pub async fn click(&mut self, title: &str) -> &[Entry] {
        self.begin_turn();
        if self.refuse_when_stopped() {
            return self.last_turn();
        }
        match self.find_choice(title) {
            Some((block, choice)) => self.apply_choice(&block, choice).await,
            None => {
                let offered = self.offered_titles();
                self.fail_here(format!(
                    "there is no button or quick reply titled `{title}` in the last messages; {}",
                    if offered.is_empty() {
                        "they offer none".to_owned()
                    } else {
                        format!("they offer: {}", offered.join(", "))
                    }
                ));
            }
        }
        self.last_turn()
    }

    /// The user clicks choice `choice` of the transcript's entry `entry` (a bot message),
    /// as the page does.
    pub(crate) async fn click_at(&mut self, entry: usize, choice: usize) -> &[Entry] {
        let kept = entry.checked_sub(self.keeping.forgotten());
        let found = match kept.and_then(|entry| self.story.transcript.get(entry)) {
            Some(Entry::Bot { message, block }) => messages::choices(message)
                .into_iter()
                .nth(choice)
                .map(|choice| (block.clone(), choice)),
            _ => None,
        };
        self.begin_turn();
        if self.refuse_when_stopped() {
            return self.last_turn();
        }
        match found {
            Some((block, choice)) => self.apply_choice(&block, choice).await,
            None => self.fail_here("that button is no longer in the conversation".to_owned()),
        }
        self.last_turn()
    }

    /// Every entry kept so far, oldest first.
    ///
    /// A conversation keeps about 64 MiB of entries (measured as JSON): before a user action,
    /// the oldest entries beyond that are forgotten, and [`forgotten`](Self::forgotten)
    /// counts them. One action that adds more than 40 MiB stops the conversation with an
    /// error, as a go-to loop does.
    pub fn transcript(&self) -> &[Entry] {
        &self.story.transcript
    }

    /// How many of the oldest entries the conversation no longer keeps (see
    /// [`transcript`](Self::transcript)); the entry at `transcript()[i]` is the conversation's
    /// entry number `forgotten() + i`.
    pub fn forgotten(&self) -> usize {
        self.keeping.forgotten()
    }

    /// The bytes the transcript keeps, measured as JSON.
    pub(crate) fn kept_bytes(&self) -> usize {
        self.keeping.kept()
    }

    /// The API calls so far, oldest first.
    pub fn exchanges(&self) -> impl Iterator<Item = &Exchange> {
        self.story
            .transcript
            .iter()
            .filter_map(|entry| match entry {
                Entry::Exchange(exchange) => Some(&**exchange),
                _ => None,
            })
    }

    /// The entries the latest user action added.
    pub fn last_turn(&self) -> &[Entry] {
        &self.story.transcript[self.turn_start..]
    }

    /// The texts the bot showed in the latest turn (the first variant of each message, as
    /// shown).
    pub fn last_texts(&self) -> Vec<String> {
        shown_texts(self.last_turn())
    }

    /// The error of the latest turn, if any.
    pub fn last_error(&self) -> Option<&Entry> {
        self.last_turn()
            .iter()
            .find(|entry| matches!(entry, Entry::Error { .. }))
    }

    /// The block the conversation is at.
    pub fn current_block(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// The value of a session variable (`order.total`, `internal.channel`), when set.
    pub fn variable(&self, path: &str) -> Option<&Value> {
        self.story.session.get(path)
    }

    /// The whole session.
    pub fn session(&self) -> Value {
        self.story.session.to_value()
    }

    /// What the bot waits for.
    pub fn waiting(&self) -> Waiting {
        if self.stopped {
            Waiting::Stopped
        } else if matches!(
            self.current_block_definition(),
            Some(Block {
                kind: BlockKind::Input { .. },
                ..
            })
        ) {
            Waiting::Input
        } else {
            Waiting::Choice
        }
    }

    /// What the conversation reached so far: the blocks it entered, its step calls and
    /// their outcomes, the choices shown and clicked. [`Coverage`](crate::Coverage) adds
    /// up those of many conversations.
    pub fn reached(&self) -> &Reached {
        &self.reached
    }

    /// The bot file.
    pub fn bot(&self) -> &BotFile {
        &self.bot
    }

    fn begin_turn(&mut self) {
        self.keeping.make_room(&mut self.story.transcript);
        self.turn_start = self.story.transcript.len();
    }

    fn refuse_when_stopped(&mut self) -> bool {
        if self.stopped {
            self.fail_here("the conversation stopped at an error: restart it".to_owned());
        }
        self.stopped
    }

    fn current_block_definition(&self) -> Option<&Block> {
        self.current.as_deref().and_then(|id| self.bot.block(id))
    }

    /// The latest messages the bot showed, newest first: those since the user's last
    /// action, or, when that action showed nothing (a URL button, an unknown text), the
    /// ones before it, which are still on screen.
    /// Each with the block that showed it.
    fn latest_bot_messages(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.story
            .transcript
            .iter()
            .rev()
            .skip_while(|entry| !matches!(entry, Entry::Bot { .. }))
            .take_while(|entry| !matches!(entry, Entry::User { .. }))
            .filter_map(|entry| match entry {
                Entry::Bot { message, block } => Some((block.as_str(), message)),
                _ => None,
            })
    }

    /// The choice titled `title` in the latest messages, with the block that showed it.
    fn find_choice(&self, title: &str) -> Option<(String, Choice)> {
        let title = title.trim();
        self.latest_bot_messages().find_map(|(block, message)| {
            messages::choices(message)
                .into_iter()
                .find(|choice| choice.title.trim().eq_ignore_ascii_case(title))
                .map(|choice| (block.to_owned(), choice))
        })
    }

    /// The titles of the buttons and quick replies on screen, in the order shown.
    pub(crate) fn choice_titles(&self) -> Vec<String> {
        let mut messages: Vec<&Value> = self
            .latest_bot_messages()
            .map(|(_, message)| message)
            .collect();
        messages.reverse();
        let mut titles: Vec<String> = Vec::new();
        for choice in messages.into_iter().flat_map(messages::choices) {
            if !titles.contains(&choice.title) {
                titles.push(choice.title);
            }
        }
        titles
    }

    fn offered_titles(&self) -> Vec<String> {
        let mut titles: Vec<String> = self
            .latest_bot_messages()
            .flat_map(|(_, message)| messages::choices(message))
            .map(|choice| format!("`{}`", choice.title))
            .collect();
        titles.reverse();
        titles
    }

    /// Clicks `choice`, shown by the block `shown_by`.
    async fn apply_choice(&mut self, shown_by: &str, choice: Choice) {
        self.reached.clicked(shown_by, &choice.title);
        self.story.transcript.push(Entry::User {
            text: choice.title.clone(),
            clicked: true,
        });
        self.story
            .session
            .record_user_message(&choice.title, "postback");
        match choice.action {
            ChoiceAction::Postback { block, params } => {
                self.story.write(|session| {
                    params
                        .into_iter()
                        .try_for_each(|(key, value)| session.set(&key, value))
                });
                match block {
                    Some(block) => self.run_from(Some(block)).await,
                    None => self.story.note(format!(
                        "`{}` names no block (`nextDialogstateId`): the conversation stays here",
                        choice.title
                    )),
                }
            }
            ChoiceAction::OpenUrl(url) => self.story.note(format!("opens {url}")),
            ChoiceAction::Call(number) => self.story.note(format!("calls {number}")),
            ChoiceAction::Location => self
                .story
                .note("shares the user's location: the emulator has none to share".to_owned()),
        }
    }

    /// Records an error at the block the conversation is at.
    fn fail_here(&mut self, message: String) {
        let block = self.current.clone().unwrap_or_default();
        self.story.fail(&block, message);
    }

    /// Runs blocks from `next` until one waits for the user.
    async fn run_from(&mut self, mut next: Option<String>) {
        let mut passed = 0;
        while let Some(id) = next.take() {
            self.keeping.measure(&self.story.transcript);
            let added = self.keeping.since(self.turn_start);
            if added > TURN_LIMIT {
                self.story.fail(
                    &id,
                    format!(
                        "this turn added {} MiB to the transcript before reaching this block, \
                         over the {} MiB one turn may add: does a reply jump back to its own \
                         block, or answer with megabytes?",
                        added / (1024 * 1024),
                        TURN_LIMIT / (1024 * 1024)
                    ),
                );
                self.stopped = true;
                return;
            }
            passed += 1;
            if passed > MAX_BLOCKS_PER_TURN {
                self.story.fail(
                    &id,
                    format!(
                        "the flow went through {MAX_BLOCKS_PER_TURN} blocks without waiting for \
                         the user: is there a go-to loop?"
                    ),
                );
                self.stopped = true;
                return;
            }
            // The bot file is behind an `Arc`: the block is borrowed from a second handle on
            // it, not cloned, while the conversation changes.
            let bot = Arc::clone(&self.bot);
            let Some(block) = bot.block(&id) else {
                self.fail_here(format!(
                    "the conversation was sent to the block `{id}`, which the bot file does \
                     not have; its blocks are: {}",
                    self.bot.block_ids().join(", ")
                ));
                self.stopped = true;
                return;
            };
            self.story
                .session
                .enter_block(&block.id, block.name(), block.kind());
            self.story.transcript.push(Entry::Block {
                id: block.id.clone(),
                name: block.name().to_owned(),
                block_type: block.kind(),
            });
            self.current = Some(block.id.clone());
            self.reached.entered(&block.id);
            let shown_from = self.story.transcript.len();
            next = match &block.kind {
                BlockKind::Message { messages } => {
                    self.story.show(
                        &block.id,
                        messages.iter().map(|message| message.to_message()),
                    );
                    block.goto.clone()
                }
                BlockKind::Input { messages, .. } => {
                    self.story.show(
                        &block.id,
                        messages.iter().map(|message| message.to_message()),
                    );
                    None
                }
                BlockKind::Condition { rules } => self.route(rules).or_else(|| block.goto.clone()),
                BlockKind::Action { api, on_error } => match self.call(&block.id, api).await {
                    Applied::Jump(jump) => jump.or_else(|| block.goto.clone()),
                    Applied::Failed => match on_error {
                        Some(on_error) => Some(on_error.clone()),
                        None => {
                            self.stopped = true;
                            None
                        }
                    },
                },
            };
            self.reached
                .shown(&self.story.transcript[shown_from.min(self.story.transcript.len())..]);
        }
    }

    fn route(&self, rules: &[Rule]) -> Option<String> {
        rules
            .iter()
            .find(|rule| holds(&rule.test, self.story.session.get(&rule.variable)))
            .map(|rule| rule.goto.clone())
    }

    /// Calls an API step and applies its reply.
    async fn call(&mut self, block: &str, api: &ApiStep) -> Applied {
        let mut notes = Vec::new();
        let built = request::build(api, &self.story.session, &self.bot.values, &mut notes)
            .and_then(|mut outgoing| match &self.bot.signature {
                Some(signature) => {
                    outgoing.sign_with(signature, &self.bot.values)?;
                    Ok(outgoing)
                }
                None => Ok(outgoing),
            });
        let outgoing = match built {
            Ok(outgoing) => outgoing,
            Err(problem) => {
                self.story
                    .fail(block, format!("cannot build the request: {problem}"));
                return Applied::Failed;
            }
        };
        for note in notes {
            self.story.note(note);
        }
        let Answer {
            sent,
            latency,
            outcome,
        } = self.backend.send(outgoing).await;
        let (status, body, fallback) = match &outcome {
            Ok(answered) => (
                Some(answered.status),
                body_value(&answered.body),
                answered
                    .fallback
                    .clone()
                    .map(|code| (code, answered.cause.clone())),
            ),
            Err(_) => (None, None, None),
        };
        self.story
            .transcript
            .push(Entry::Exchange(Box::new(Exchange {
                block: block.to_owned(),
                request: sent,
                status,
                latency_ms: latency.as_secs_f64() * 1000.0,
                response: body.clone(),
            })));
        let fallback_code = fallback.as_ref().map(|(code, _)| code.clone());
        let error_code = body
            .as_ref()
            .and_then(|body| body["error"]["code"].as_str())
            .map(str::to_owned);
        let timed_out = matches!(outcome, Err(CallFailure::Timeout(_)));
        match fallback {
            Some((code, Some(cause))) => self.story.note(format!(
                "the step failed with `{code}` and answered with its fallback block: {cause}"
            )),
            Some((code, None)) => self.story.note(format!(
                "the step failed with `{code}` and answered with its fallback block (the \
                 backend's log says why)"
            )),
            None => {}
        }
        let applied = match outcome {
            Err(CallFailure::Timeout(timeout)) => {
                self.story.fail(
                    block,
                    format!(
                        "no answer within {} s: Chatlayer gives up on a step after 20 s",
                        timeout.as_secs_f64()
                    ),
                );
                Applied::Failed
            }
            Err(CallFailure::Transport(problem)) => {
                self.story.fail(block, problem);
                Applied::Failed
            }
            Ok(answered) => self.story.answered(block, answered.status, body),
        };
        let reached = match (&fallback_code, status) {
            (Some(code), _) => Outcome::Fallback(code.clone()),
            (None, None) if timed_out => Outcome::Timeout,
            (None, None) => Outcome::Unreachable,
            (None, Some(status)) if !(200..300).contains(&status) => {
                Outcome::Error(error_code.unwrap_or_else(|| format!("HTTP {status}")))
            }
            (None, Some(_)) => match applied {
                Applied::Jump(_) => Outcome::Answered,
                Applied::Failed => Outcome::InvalidReply,
            },
        };
        self.reached.called(block, reached);
        applied
    }
}

/// Whether a rule's test holds for the variable's value.
fn holds(test: &Test, value: Option<&Value>) -> bool {
    let same = |expected: &Value| match value {
        // Numeric text too: `"5.0"` equals 5, as the bot file's rules document.
        Some(value) => {
            same_value(value, expected)
                || matches!((value_number(value), value_number(expected)), (Some(a), Some(b)) if a == b)
        }
        None => expected.is_null(),
    };
    match test {
        Test::Equals(expected) => same(expected),
        Test::NotEquals(expected) => !same(expected),
        Test::Exists(expected) => value.is_some() == *expected,
        Test::GreaterThan(limit) => value.and_then(value_number).is_some_and(|n| n > *limit),
        Test::LessThan(limit) => value.and_then(value_number).is_some_and(|n| n < *limit),
        Test::Contains(needle) => match value {
            Some(Value::Array(items)) => items.iter().any(|item| item == needle),
            Some(Value::String(text)) => text.contains(&value_text(needle)),
            _ => false,
        },
    }
}
