//! The bot file: the part of a Chatlayer bot that matters to its backend, written in YAML.
//!
//! YAML because a bot builder reads it (comments, no quotes around most text) and because
//! JSON is YAML: a message copied from Chatlayer's pages or from a step's reply pastes in
//! as it is. It is read with `serde-saphyr`, a maintained YAML reader that never panics on
//! malformed input and reports errors with the line and an excerpt.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::signing::SignatureSpec;
use super::unclosed::unclosed_bracket;

/// The values a bot file's `${NAME}` take before the process environment's
/// ([`BotFile::with_value`]).
pub(crate) type Values = BTreeMap<String, String>;

/// A bot, as far as its backend is concerned: blocks with messages, inputs, API steps and
/// conditions, the `internal.*` values a session starts with, and where to start.
///
/// ```
/// use chatlayer_emulator::BotFile;
///
/// let bot = BotFile::parse(r#"
/// start: welcome
/// blocks:
///   - id: welcome
///     type: message
///     messages: ["Hello {user.name}!"]
/// session:
///   user: { name: Ada }
/// "#).unwrap();
/// assert_eq!(bot.block("welcome").unwrap().name(), "welcome");
/// ```
#[derive(Clone, Debug)]
pub struct BotFile {
    pub(crate) name: String,
    pub(crate) start: String,
    pub(crate) internal: serde_json::Map<String, Value>,
    pub(crate) session: serde_json::Map<String, Value>,
    pub(crate) backend: Option<String>,
    /// How requests are signed, when the backend verifies signatures.
    pub(crate) signature: Option<SignatureSpec>,
    /// Values for `${NAME}`, before the environment's.
    pub(crate) values: Values,
    pub(crate) blocks: Vec<Block>,
    index: HashMap<String, usize>,
}

/// One block of the bot: its id, its name and what it does.
#[derive(Clone, Debug)]
pub struct Block {
    pub(crate) id: String,
    pub(crate) name: Option<String>,
    pub(crate) kind: BlockKind,
    /// Phrases that lead here when the user types them (the emulator has no NLP).
    pub(crate) triggers: Vec<String>,
    /// Where the conversation goes when the block is done and nothing else says where.
    pub(crate) goto: Option<String>,
}

/// A block as written: every key any type of block may have, so that a misspelt key is
/// refused with its line. [`RawBlock::into_block`] checks which keys the type allows.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBlock {
    id: String,
    #[serde(rename = "type")]
    kind: BlockType,
    name: Option<String>,
    #[serde(default)]
    triggers: Vec<String>,
    goto: Option<String>,
    messages: Option<Vec<MessageSource>>,
    variable: Option<String>,
    api: Option<ApiStep>,
    on_error: Option<String>,
    rules: Option<Vec<RawRule>>,
}

#[derive(Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum BlockType {
    Message,
    Input,
    Action,
    Condition,
}

impl RawBlock {
    fn into_block(self) -> Result<Block, BotFileError> {
        let id = self.id;
        let problem = |text: String| BotFileError::new(format!("block `{id}`: {text}"));
        let type_name = match self.kind {
            BlockType::Message => "message",
            BlockType::Input => "input",
            BlockType::Action => "action",
            BlockType::Condition => "condition",
        };
        let allowed: &[&str] = match self.kind {
            BlockType::Message => &["messages"],
            BlockType::Input => &["messages", "variable"],
            BlockType::Action => &["api", "on_error"],
            BlockType::Condition => &["rules"],
        };
        let present = [
            ("messages", self.messages.is_some()),
            ("variable", self.variable.is_some()),
            ("api", self.api.is_some()),
            ("on_error", self.on_error.is_some()),
            ("rules", self.rules.is_some()),
        ];
        if let Some((key, _)) = present
            .iter()
            .find(|(key, present)| *present && !allowed.contains(key))
        {
            return Err(problem(format!(
                "`{key}` does not apply to a {type_name} block (it takes {})",
                allowed
                    .iter()
                    .map(|key| format!("`{key}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let required = |key: &str| problem(format!("a {type_name} block needs `{key}`"));
        let kind = match self.kind {
            BlockType::Message => BlockKind::Message {
                messages: self.messages.ok_or_else(|| required("messages"))?,
            },
            BlockType::Input => BlockKind::Input {
                messages: self.messages.unwrap_or_default(),
                variable: self.variable.ok_or_else(|| required("variable"))?,
            },
            BlockType::Action => BlockKind::Action {
                api: self.api.ok_or_else(|| required("api"))?,
                on_error: self.on_error,
            },
            BlockType::Condition => BlockKind::Condition {
                rules: self
                    .rules
                    .ok_or_else(|| required("rules"))?
                    .into_iter()
                    .map(RawRule::into_rule)
                    .collect::<Result<_, String>>()
                    .map_err(problem)?,
            },
        };
        Ok(Block {
            id,
            name: self.name,
            kind,
            triggers: self.triggers,
            goto: self.goto,
        })
    }
}

impl Block {
    /// The block's id: what `nextDialogstate` and postbacks name.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The block's name, or its id when it has none.
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }

    /// `message`, `input`, `action` or `condition`.
    pub fn kind(&self) -> &'static str {
        match self.kind {
            BlockKind::Message { .. } => "message",
            BlockKind::Input { .. } => "input",
            BlockKind::Action { .. } => "action",
            BlockKind::Condition { .. } => "condition",
        }
    }
}

/// What a block does.
#[derive(Clone, Debug)]
pub(crate) enum BlockKind {
    /// Shows messages.
    Message { messages: Vec<MessageSource> },
    /// Asks a question and stores the answer in a session variable.
    Input {
        messages: Vec<MessageSource>,
        variable: String,
    },
    /// Calls an API step.
    Action {
        api: ApiStep,
        /// Where a failed call goes; without it the conversation stops at the error.
        on_error: Option<String>,
    },
    /// Goes to the block of the first rule that holds (else the block's `goto`).
    Condition { rules: Vec<Rule> },
}

/// A message as the bot file writes it: a plain text, or a message in Chatlayer's
/// `{ "type", "config" }` format.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum MessageSource {
    Text(String),
    Message(Value),
}

impl MessageSource {
    /// The message in Chatlayer's format.
    pub(crate) fn to_message(&self) -> Value {
        match self {
            MessageSource::Text(text) => {
                serde_json::json!({ "type": "text", "config": { "textMessages": [{ "text": text }] } })
            }
            MessageSource::Message(message) => message.clone(),
        }
    }
}

/// An API step, configured as in Chatlayer's API step editor.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApiStep {
    #[serde(default = "default_method")]
    pub(crate) method: String,
    /// Relative to the backend (`/order`) or absolute (`https://...`).
    pub(crate) url: String,
    #[serde(default)]
    pub(crate) query: Vec<Row>,
    #[serde(default)]
    pub(crate) body: Vec<Row>,
    #[serde(default)]
    pub(crate) headers: Vec<Row>,
    #[serde(default)]
    pub(crate) auth: Option<Authorization>,
}

fn default_method() -> String {
    "POST".to_owned()
}

/// One row of the Query, Body or Headers tab: a key, a type and a value.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Row {
    pub(crate) key: String,
    #[serde(rename = "type")]
    pub(crate) kind: RowType,
    pub(crate) value: String,
}

/// Where a row's value comes from.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RowType {
    /// The text typed in the row.
    Text,
    /// A session variable (`order.sku`, `items[0]`, `internal.sessionId`).
    Variable,
    /// A block's id.
    Dialogstate,
}

/// The Authorization tab. Values may name environment variables as `${NAME}`, so secrets
/// stay out of the file.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub(crate) enum Authorization {
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token.
        token: String,
    },
}

/// One rule of a condition block: a test on a session variable, and where it leads.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub(crate) variable: String,
    pub(crate) test: Test,
    pub(crate) goto: String,
}

/// How a rule compares the variable.
#[derive(Clone, Debug)]
pub(crate) enum Test {
    /// Equal to the value (a number equals its text: `5` and `"5"`).
    Equals(Value),
    /// Not equal to the value.
    NotEquals(Value),
    /// Set (`true`) or not set (`false`).
    Exists(bool),
    /// A number above the value.
    GreaterThan(f64),
    /// A number below the value.
    LessThan(f64),
    /// A text containing the value, or a list holding it.
    Contains(Value),
}

/// A rule as written: one of the tests, a variable and a block.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    variable: String,
    goto: String,
    equals: Option<Value>,
    not_equals: Option<Value>,
    exists: Option<bool>,
    greater_than: Option<f64>,
    less_than: Option<f64>,
    contains: Option<Value>,
}

impl RawRule {
    fn into_rule(self) -> Result<Rule, String> {
        let tests: Vec<Test> = [
            self.equals.map(Test::Equals),
            self.not_equals.map(Test::NotEquals),
            self.exists.map(Test::Exists),
            self.greater_than.map(Test::GreaterThan),
            self.less_than.map(Test::LessThan),
            self.contains.map(Test::Contains),
        ]
        .into_iter()
        .flatten()
        .collect();
        let [test] = <[Test; 1]>::try_from(tests).map_err(|tests| {
            format!(
                "the rule on `{}` needs exactly one test of equals, not_equals, exists,                  greater_than, less_than or contains (it has {})",
                self.variable,
                tests.len()
            )
        })?;
        Ok(Rule {
            variable: self.variable,
            test,
            goto: self.goto,
        })
    }
}

/// The file as written, before its references are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBotFile {
    #[serde(default)]
    bot: Option<String>,
    start: Option<String>,
    #[serde(default)]
    internal: BTreeMap<String, Value>,
    #[serde(default)]
    session: serde_json::Map<String, Value>,
    #[serde(default)]
    backend: Option<String>,
    #[serde(default)]
    signature: Option<SignatureSpec>,
    blocks: Vec<RawBlock>,
}

/// Why a bot file cannot be used: where, and what to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotFileError {
    message: String,
}

impl fmt::Display for BotFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BotFileError {}

impl BotFileError {
    fn new(message: impl Into<String>) -> Self {
        BotFileError {
            message: message.into(),
        }
    }
}

/// The line a YAML error names (`line 5 column 3: ...`).
fn error_line(message: &str) -> Option<usize> {
    let rest = &message[message.find("line ")? + 5..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The `internal.*` values a session starts with when the bot file sets none.
const INTERNAL_DEFAULTS: [(&str, &str); 5] = [
    ("sessionId", "emulator-00000000-0000-4000-8000-000000000000"),
    ("botId", "emulator"),
    ("version", "DRAFT"),
    ("channel", "web"),
    ("preferredLanguage", "en"),
];

impl BotFile {
    /// Reads a bot file from YAML text, checking that every block it names exists.
    pub fn parse(yaml: &str) -> Result<Self, BotFileError> {
        let raw: RawBotFile = serde_saphyr::from_str(yaml).map_err(|error| {
            let text = error.to_string();
            let hint = error_line(&text)
                .and_then(|line| unclosed_bracket(yaml, line))
                .map(|hint| format!("\nhint: {hint}"))
                .unwrap_or_default();
            BotFileError::new(format!("the bot file is not valid: {text}{hint}"))
        })?;
        Self::from_raw(raw)
    }

    /// Reads the bot file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, BotFileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|error| {
            BotFileError::new(format!(
                "cannot read the bot file {}: {error}",
                path.display()
            ))
        })?;
        Self::parse(&text)
            .map_err(|error| BotFileError::new(format!("{}: {}", path.display(), error.message)))
    }

    fn from_raw(raw: RawBotFile) -> Result<Self, BotFileError> {
        let blocks: Vec<Block> = raw
            .blocks
            .into_iter()
            .map(RawBlock::into_block)
            .collect::<Result<_, _>>()?;
        let mut index = HashMap::new();
        for (position, block) in blocks.iter().enumerate() {
            if block.id.trim().is_empty() {
                return Err(BotFileError::new(format!(
                    "block {} has an empty id",
                    position + 1
                )));
            }
            if index.insert(block.id.clone(), position).is_some() {
                return Err(BotFileError::new(format!(
                    "two blocks have the id `{}`: ids must be unique",
                    block.id
                )));
            }
        }
        let start = match raw.start {
            Some(start) => start,
            None => blocks
                .first()
                .map(|block| block.id.clone())
                .ok_or_else(|| BotFileError::new("the bot file has no blocks"))?,
        };
        let mut internal: serde_json::Map<String, Value> = INTERNAL_DEFAULTS
            .iter()
            .map(|(key, value)| ((*key).to_owned(), Value::from(*value)))
            .collect();
        internal.extend(raw.internal);
        if raw.session.contains_key("internal") {
            return Err(BotFileError::new(
                "`session` cannot set `internal`: Chatlayer's own values go under `internal:` \
                 at the top of the file",
            ));
        }
        let bot = BotFile {
            name: raw.bot.unwrap_or_else(|| "Bot".to_owned()),
            start,
            internal,
            session: raw.session,
            backend: raw.backend,
            signature: raw.signature,
            values: Values::new(),
            blocks,
            index,
        };
        bot.check_references()?;
        Ok(bot)
    }

    /// Every block a block, a rule, a row or a message names must exist.
    fn check_references(&self) -> Result<(), BotFileError> {
        let exists = |id: &str, what: String| {
            if self.index.contains_key(id) {
                Ok(())
            } else {
                Err(BotFileError::new(format!(
                    "{what} names the block `{id}`, which the file does not have; the blocks are: {}",
                    self.block_ids().join(", ")
                )))
            }
        };
        exists(&self.start, "`start`".to_owned())?;
        for block in &self.blocks {
            let at = |what: &str| format!("block `{}`: {what}", block.id);
            if let Some(goto) = &block.goto {
                exists(goto, at("`goto`"))?;
            }
            match &block.kind {
                BlockKind::Message { messages } | BlockKind::Input { messages, .. } => {
                    for message in messages {
                        for target in postback_targets(&message.to_message()) {
                            exists(&target, at("a button or quick reply"))?;
                        }
                    }
                }
                BlockKind::Action { api, on_error } => {
                    if let Some(on_error) = on_error {
                        exists(on_error, at("`on_error`"))?;
                    }
                    for row in api.query.iter().chain(&api.body).chain(&api.headers) {
                        if row.kind == RowType::Dialogstate {
                            exists(&row.value, at(&format!("the row `{}`", row.key)))?;
                        }
                    }
                    if !matches!(
                        api.method.to_ascii_uppercase().as_str(),
                        "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
                    ) {
                        return Err(BotFileError::new(at(&format!(
                            "the method `{}` is not one an API step offers: GET, POST, PUT, PATCH or DELETE",
                            api.method
                        ))));
                    }
                }
                BlockKind::Condition { rules } => {
                    for rule in rules {
                        exists(&rule.goto, at("a rule"))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The bot's name, shown on the emulator page.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The block a conversation starts at.
    pub fn start(&self) -> &str {
        &self.start
    }

    /// The block with this id.
    pub fn block(&self, id: &str) -> Option<&Block> {
        self.index.get(id).map(|&position| &self.blocks[position])
    }

    /// The blocks, in the file's order.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Gives `${name}` in the file the value `value`, before the process environment: a
    /// test hands the file its secrets and settings without changing the environment that
    /// tests running beside it share.
    ///
    /// ```
    /// use chatlayer_emulator::BotFile;
    ///
    /// let bot = BotFile::parse(r#"
    /// blocks:
    ///   - id: order
    ///     type: action
    ///     api:
    ///       url: /order
    ///       auth: { type: bearer, token: "${ORDER_TOKEN}" }
    /// "#).unwrap()
    /// .with_value("ORDER_TOKEN", "test-token");
    /// # let _ = bot;
    /// ```
    pub fn with_value(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.values.insert(name.into(), value.into());
        self
    }

    /// The backend URL the file names (`backend:`), for relative step URLs over HTTP.
    pub fn backend(&self) -> Option<&str> {
        self.backend.as_deref()
    }

    pub(crate) fn block_ids(&self) -> Vec<&str> {
        self.blocks.iter().map(|block| block.id.as_str()).collect()
    }

    /// The block whose trigger phrases include `text` (ignoring case and surrounding space).
    pub(crate) fn triggered_by(&self, text: &str) -> Option<&Block> {
        let text = text.trim();
        self.blocks.iter().find(|block| {
            block
                .triggers
                .iter()
                .any(|phrase| phrase.trim().eq_ignore_ascii_case(text))
        })
    }
}

/// The blocks that the postbacks of a Chatlayer message go to.
pub(crate) fn postback_targets(message: &Value) -> Vec<String> {
    super::messages::buttons(message)
        .filter_map(|button| button["payload"]["nextDialogstateId"].as_str())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_to_a_missing_block_names_it_and_lists_the_blocks() {
        let error = BotFile::parse(
            "blocks:\n  - id: a\n    type: message\n    messages: [hi]\n    goto: b\n",
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "block `a`: `goto` names the block `b`, which the file does not have; the blocks are: a"
        );
    }

    #[test]
    fn a_typo_in_a_key_is_refused_with_its_line() {
        let error = BotFile::parse(
            "blocks:\n  - id: a\n    type: message\n    messages: [hi]\n    go_to: b\n",
        )
        .unwrap_err();
        assert!(error.to_string().contains("go_to"), "{error}");
    }
}
