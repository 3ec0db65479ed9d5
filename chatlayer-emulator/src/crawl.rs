//! The crawler: explores a bot breadth-first from a block, clicking every button and quick
//! reply (and typing the answers it is given at input blocks), and writes each path that
//! reaches something new as a conversation script with the bot's answers as expectations.
//!
//! It assumes the backend answers the same request the same way (as a test backend does):
//! every script it writes is run once more before it is kept, and one that does not pass
//! again is reported, not written.

use std::collections::{BTreeMap, HashSet};

use super::backend::Backend;
use super::bot::BotFile;
use super::convo::Script;
use super::convo::write::{UserAction, Written, convo_text};
use super::coverage::Reached;
use super::engine::{Conversation, Waiting};
use super::transcript::Entry;

/// How far and where the crawler explores.
///
/// ```
/// use chatlayer_emulator::{Backend, BotFile, Crawler};
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
/// let crawl = Crawler::new().crawl(&bot, &Backend::url("http://localhost:3000")).await.unwrap();
/// assert_eq!(crawl.scripts.len(), 2); // one per quick reply
/// assert_eq!(crawl.scripts[0].file_name, "crawl-01-small.convo.txt");
/// assert!(crawl.scripts[0].text.contains("#me\nSmall\n\n#bot\nSmall it is.\nCHATLAYER_BLOCK small"));
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Crawler {
    start: Option<String>,
    depth: usize,
    answers: BTreeMap<String, Vec<String>>,
}

impl Default for Crawler {
    fn default() -> Self {
        Self::new()
    }
}

/// A script the crawler wrote.
#[derive(Clone, Debug)]
pub struct CrawledScript {
    /// A file name for it (`crawl-01-order-a-product.convo.txt`).
    pub file_name: String,
    /// The convo file.
    pub text: String,
    /// What it reaches.
    pub reached: Reached,
}

/// What a crawl found.
#[derive(Clone, Debug, Default)]
pub struct CrawlReport {
    /// The scripts, in the order found (shortest paths first).
    pub scripts: Vec<CrawledScript>,
    /// Paths not written, each with the reason (a script that did not pass again, an
    /// answer the format cannot carry).
    pub skipped: Vec<String>,
    /// Input blocks the crawl stopped at for want of an answer ([`Crawler::answer`]).
    pub unanswered: Vec<String>,
}

impl Crawler {
    /// From the bot file's start, 8 user actions deep, with no answers for input blocks.
    pub fn new() -> Self {
        Crawler {
            start: None,
            depth: 8,
            answers: BTreeMap::new(),
        }
    }

    /// Starts at the block `id` instead of the bot file's start.
    pub fn start_at(mut self, id: impl Into<String>) -> Self {
        self.start = Some(id.into());
        self
    }

    /// Explores paths of at most `actions` user actions.
    pub fn depth(mut self, actions: usize) -> Self {
        self.depth = actions;
        self
    }

    /// Types `text` when the bot waits at the input block `block`; several answers for one
    /// block are each explored.
    pub fn answer(mut self, block: impl Into<String>, text: impl Into<String>) -> Self {
        self.answers
            .entry(block.into())
            .or_default()
            .push(text.into());
        self
    }

    /// Explores `bot` through `backend`, breadth-first.
    ///
    /// A path ends where the conversation comes back to a state already explored (the same
    /// block offering the same choices; an input block is explored again on each path, as
    /// earlier answers may change where its answer leads), stops at an error, offers nothing
    /// to do, or is `depth` actions long; it is written when it reached a block, a step outcome or a
    /// choice that no earlier script reached. Errors only for a start block the bot file
    /// does not have.
    pub async fn crawl(&self, bot: &BotFile, backend: &Backend) -> Result<CrawlReport, String> {
        if let Some(start) = self
            .start
            .as_deref()
            .filter(|start| bot.block(start).is_none())
        {
            return Err(format!(
                "the crawl starts at `{start}`, which the bot file does not have; its blocks \
                 are: {}",
                bot.block_ids().join(", ")
            ));
        }
        let mut crawl = CrawlReport::default();
        let mut explored: HashSet<(Option<String>, Vec<String>)> = HashSet::new();
        let mut covered = Reached::default();
        let mut queue: std::collections::VecDeque<Vec<UserAction>> = [Vec::new()].into();
        while let Some(path) = queue.pop_front() {
            let walked = self.walk(bot, backend, &path).await;
            let state = (
                walked.conversation.current_block().map(str::to_owned),
                walked.conversation.choice_titles(),
            );
            let next = self.next_actions(&walked.conversation, &mut crawl.unanswered);
            // An input block is explored again on every path to it: the answers typed
            // before it (a product code that does not exist) decide where its own answer
            // leads. Every other state is explored once.
            let waiting = walked.conversation.waiting();
            let goes_on = waiting != Waiting::Stopped
                && path.len() < self.depth
                && !next.is_empty()
                && (waiting == Waiting::Input || explored.insert(state));
            if goes_on {
                for action in next {
                    let mut longer = path.clone();
                    longer.push(action);
                    queue.push_back(longer);
                }
                continue;
            }
            if path.is_empty() || !adds_to(&covered, walked.conversation.reached()) {
                continue;
            }
            match self
                .written(bot, backend, &walked, crawl.scripts.len() + 1)
                .await
            {
                Ok(script) => {
                    covered.merge(&script.reached);
                    crawl.scripts.push(script);
                }
                Err(problem) => crawl.skipped.push(problem),
            }
        }
        Ok(crawl)
    }

    /// A fresh conversation through `path`, with each turn's entries.
    async fn walk(&self, bot: &BotFile, backend: &Backend, path: &[UserAction]) -> Walked {
        let mut conversation = Conversation::new(bot.clone(), backend.clone());
        let opening = match &self.start {
            Some(block) => conversation.start_at(block).await.to_vec(),
            None => conversation.start().await.to_vec(),
        };
        let mut turns = Vec::new();
        for action in path {
            let entries = match action {
                UserAction::Say(text) => conversation.say(text).await,
                UserAction::Click(title) => conversation.click(title).await,
            };
            turns.push((action.clone(), entries.to_vec()));
        }
        Walked {
            conversation,
            opening,
            turns,
        }
    }

    /// What the user can do next: click each choice on screen, and at an input block type
    /// each answer given for it.
    fn next_actions(
        &self,
        conversation: &Conversation,
        unanswered: &mut Vec<String>,
    ) -> Vec<UserAction> {
        if conversation.waiting() == Waiting::Stopped {
            return Vec::new();
        }
        let mut next: Vec<UserAction> = conversation
            .choice_titles()
            .into_iter()
            .map(UserAction::Click)
            .collect();
        if conversation.waiting() == Waiting::Input {
            let block = conversation.current_block().unwrap_or_default();
            match self.answers.get(block) {
                Some(answers) => next.extend(answers.iter().cloned().map(UserAction::Say)),
                None if !unanswered.iter().any(|known| known == block) => {
                    unanswered.push(block.to_owned());
                }
                None => {}
            }
        }
        next
    }

    /// The script of a walk, checked by running it again.
    async fn written(
        &self,
        bot: &BotFile,
        backend: &Backend,
        walked: &Walked,
        number: usize,
    ) -> Result<CrawledScript, String> {
        let said: Vec<&str> = walked
            .turns
            .iter()
            .map(|(action, _)| action.text())
            .collect();
        let title = format!("Crawled: {}", said.join(" > "));
        let description = format!(
            "Written by the emulator's crawler from {}: every bot answer as it came. Edit the \
             expectations to what the bot must say.",
            self.start
                .as_deref()
                .map_or("the bot's start".to_owned(), |block| format!(
                    "the block `{block}`"
                ))
        );
        let text = convo_text(&Written {
            title: &title,
            description: &description,
            start: self.start.as_deref(),
            opening: &walked.opening,
            turns: &walked.turns,
            ends_at: walked.conversation.current_block(),
        })
        .map_err(|problem| format!("{title}: {problem}"))?;
        let file_name = format!("crawl-{number:02}-{}.convo.txt", slug(&said.join(" ")));
        let script = Script::parse(&file_name, &text).map_err(|problem| {
            format!("{title}: the script written does not read back: {problem}")
        })?;
        let report = script.run(bot, backend).await;
        if let Some(failure) = report.failure {
            return Err(format!(
                "{title}: the same actions gave other answers when run again, so no script \
                 could check them: {failure}"
            ));
        }
        Ok(CrawledScript {
            file_name,
            text,
            reached: report.reached,
        })
    }
}

/// A conversation walked along a path.
struct Walked {
    conversation: Conversation,
    opening: Vec<Entry>,
    turns: Vec<(UserAction, Vec<Entry>)>,
}

/// Whether `new` reached anything `covered` did not.
fn adds_to(covered: &Reached, new: &Reached) -> bool {
    !covered.covers(new)
}

/// A file-name part: lower-case words joined by `-`, at most 40 characters.
fn slug(title: &str) -> String {
    let mut slug = String::new();
    for word in title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
    {
        if slug.len() + word.len() > 40 {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word.to_lowercase());
    }
    if slug.is_empty() {
        slug.push_str("start");
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slug_is_short_lower_case_words() {
        assert_eq!(slug("Order a product > A1 > 2"), "order-a-product-a1-2");
        assert_eq!(slug("?!"), "start");
        assert!(slug(&"word ".repeat(30)).len() <= 40);
    }
}
