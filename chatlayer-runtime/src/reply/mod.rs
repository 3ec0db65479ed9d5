//! [`Reply`]: what a step answers, built the way Chatlayer's Code editor builds it.

#[cfg(debug_assertions)]
pub(crate) mod declared;
pub mod message;
pub(crate) mod output;
mod session;

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::BlockId;
use crate::error::{ErrorCode, StepError};
use message::{Button, ButtonGroup, Card, Carousel, Media, Message, QuickReplies, QuickReply};
use session::SessionData;

/// What a step answers: session data to store, messages to show, and the block to go to.
/// Chatlayer applies them in that order, so messages can already use the new session values.
///
/// The builder mirrors the `ChatlayerResponseBuilder` of Chatlayer's Code editor:
///
/// | Code editor (JavaScript) | `Reply` |
/// |---|---|
/// | `addSessionVariable(namespace, data)` | [`add_session_variable`](Self::add_session_variable) |
/// | *(the step's `namespace = ...`)* | [`add_session_data`](Self::add_session_data) |
/// | `addMessage(text)` | [`add_message`](Self::add_message) (also takes any [`Message`]) |
/// | `addButtonGroup({title, buttons})` | [`add_button_group`](Self::add_button_group) |
/// | `addQuickReplies({title, quickReplies})` | [`add_quick_replies`](Self::add_quick_replies) |
/// | `addCarousel(cards)` | [`add_carousel`](Self::add_carousel) |
/// | `addMediaMessage({type, url})` | [`add_media_message`](Self::add_media_message) |
/// | *(none)* | [`add_raw_message`](Self::add_raw_message) for undocumented types |
/// | `setNextDialogState(id)` | [`set_next_dialog_state`](Self::set_next_dialog_state) |
/// | `send()` | return the `Reply` from the step |
///
/// ```
/// use chatlayer_runtime::{BlockId, Reply};
/// use serde_json::json;
///
/// let reply = Reply::new()
///     .add_session_variable("account", json!({ "limit": 1000, "amount": 500 }))
///     .add_message("Done! 500 is on its way.")
///     .set_next_dialog_state(BlockId::new("successful transaction"));
/// assert_eq!(
///     reply.to_json(None).unwrap(),
///     json!({
///         "session": { "namespace": "account", "data": { "limit": 1000, "amount": 500 } },
///         "messages": [ { "type": "text", "config": { "textMessages": [ { "text": "Done! 500 is on its way." } ] } } ],
///         "action": { "nextDialogstate": "successful transaction" }
///     })
/// );
/// // Nothing set is a valid reply too: `{}` (the Action block's own go-to applies).
/// assert_eq!(Reply::new().to_json(None).unwrap(), json!({}));
/// ```
///
/// # Rules Chatlayer imposes, checked for you
///
/// A reply stores data under **one** session namespace, its `data` is a JSON **object**, and
/// the `internal` namespace is Chatlayer's own (read-only). A builder call that breaks one of
/// these rules does not silently drop anything: the reply records the problem
/// ([`problems`](Self::problems)), and the framework answers it as an `invalid_reply` error
/// (HTTP 500, or the step's fallback block) and logs exactly what was wrong.
///
/// ```
/// use chatlayer_runtime::Reply;
/// use serde_json::json;
///
/// let reply = Reply::new()
///     .add_session_variable("order", json!({ "id": 7 }))
///     .add_session_variable("user", json!({ "name": "Ada" }));
/// assert_eq!(reply.problems().len(), 1);
/// assert!(reply.to_json(None).is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reply {
    session: Option<SessionWrite>,
    messages: Vec<Message>,
    next_block: Option<BlockId>,
    problems: Vec<String>,
}

/// Session data a reply writes. `explicit` is the namespace named in the reply; `uses_default`
/// is set when data was added for the step's own `namespace = ...`.
#[derive(Clone, Debug, PartialEq)]
struct SessionWrite {
    explicit: Option<String>,
    uses_default: bool,
    data: SessionData,
}

impl Reply {
    /// An empty reply: `{}`.
    pub fn new() -> Self {
        Reply::default()
    }

    /// Stores `data` (a JSON object) under session namespace `namespace`, readable in the bot
    /// as `{namespace.key}`. Calling it again with the same namespace adds more keys.
    pub fn add_session_variable(
        mut self,
        namespace: impl Into<String>,
        data: impl Serialize,
    ) -> Self {
        let namespace = namespace.into();
        if let Err(problem) = check_namespace(&namespace) {
            self.problems.push(problem);
            return self;
        }
        let Some(data) = self.object(format_args!("namespace `{namespace}`"), data) else {
            return self;
        };
        if let Some(existing) = self
            .session
            .as_ref()
            .and_then(|write| write.explicit.as_ref())
            && *existing != namespace
        {
            let problem = format!(
                "the reply writes session namespaces `{existing}` and `{namespace}`, but \
                 Chatlayer stores one namespace per reply: nest both under one namespace"
            );
            self.problems.push(problem);
            return self;
        }
        self.write_session(data).explicit = Some(namespace);
        self
    }

    /// Stores `data` (a JSON object) under the namespace the step declares with
    /// `#[api_step(..., namespace = "...")]`.
    pub fn add_session_data(mut self, data: impl Serialize) -> Self {
        let Some(data) = self.object("the step's namespace", data) else {
            return self;
        };
        self.write_session(data).uses_default = true;
        self
    }

    /// Adds `data` to the session write, starting one if there is none yet.
    fn write_session(&mut self, data: SessionData) -> &mut SessionWrite {
        if let Some(write) = &mut self.session {
            write.data.extend(data);
        } else {
            self.session = Some(SessionWrite {
                explicit: None,
                uses_default: false,
                data,
            });
        }
        self.session
            .as_mut()
            .expect("the session write was just made")
    }

    /// Adds a message: a text (`&str`, `String`) or any [`Message`].
    pub fn add_message(mut self, message: impl Into<Message>) -> Self {
        let message = message.into();
        if let Message::Raw(value) = &message
            && !value.is_object()
        {
            self.problems
                .push(format!("a raw message must be a JSON object, got {value}"));
            return self;
        }
        self.messages.push(message);
        self
    }

    /// Adds a `buttons` message: `title` above the buttons.
    pub fn add_button_group(
        self,
        title: impl Into<String>,
        buttons: impl IntoIterator<Item = Button>,
    ) -> Self {
        self.add_message(ButtonGroup::new(title, buttons))
    }

    /// Adds a `quickReplies` message: `title` above the quick replies.
    pub fn add_quick_replies(
        self,
        title: impl Into<String>,
        quick_replies: impl IntoIterator<Item = QuickReply>,
    ) -> Self {
        self.add_message(QuickReplies::new(title, quick_replies))
    }

    /// Adds a `carousel` message.
    pub fn add_carousel(self, cards: impl IntoIterator<Item = Card>) -> Self {
        self.add_message(Carousel::new(cards))
    }

    /// Adds a `media` message: an image, a video or an audio file.
    pub fn add_media_message(self, media: Media) -> Self {
        self.add_message(media)
    }

    /// Adds a message exactly as given, for message types the typed builder does not model.
    /// It must be a JSON object, e.g. `{"type": "list", "config": {...}}`.
    ///
    /// The OpenAPI document describes a raw message of type `list` (the one other type
    /// Chatlayer names) as `OtherMessage`, with any `config`. A raw message of any other
    /// type is sent all the same, but the document does not describe it, so a client
    /// generated from the document may refuse the reply.
    pub fn add_raw_message(self, message: Value) -> Self {
        self.add_message(Message::Raw(message))
    }

    /// Sends the conversation to `block` after the messages.
    pub fn set_next_dialog_state(mut self, block: impl Into<BlockId>) -> Self {
        self.next_block = Some(block.into());
        self
    }

    /// The namespace the reply names explicitly, if any.
    pub fn session_namespace(&self) -> Option<&str> {
        self.session.as_ref()?.explicit.as_deref()
    }

    /// The session data the reply stores, if any.
    pub fn session_data(&self) -> Option<&Map<String, Value>> {
        self.session.as_ref().map(|write| write.data.map())
    }

    /// The messages, in order.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The block the conversation goes to next, if set.
    pub fn next_dialog_state(&self) -> Option<&BlockId> {
        self.next_block.as_ref()
    }

    /// What is wrong with the reply: each entry is a rule of Chatlayer's that a builder call
    /// broke. A reply with problems is answered as an `invalid_reply` error.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// The reply as Chatlayer receives it. `default_namespace` is the step's
    /// `namespace = ...`, used by [`add_session_data`](Self::add_session_data).
    pub fn to_json(&self, default_namespace: Option<&str>) -> Result<Value, StepError> {
        let wire = self.wire(default_namespace)?;
        serde_json::to_value(wire).map_err(|error| invalid_reply(vec![error.to_string()]))
    }

    /// Refuses session data that is not of the step's declared `session = Type` (its
    /// schema from [`declared::declared_schema`]): debug builds only.
    #[cfg(debug_assertions)]
    pub(crate) fn check_declared_session(
        &self,
        type_name: &str,
        schema: &Value,
    ) -> Result<(), StepError> {
        let Some(write) = &self.session else {
            return Ok(());
        };
        let problems = declared::misfits(write.data.map(), schema);
        if problems.is_empty() {
            return Ok(());
        }
        Err(StepError::of(
            ErrorCode::InvalidReply,
            format!(
                "the reply's session data is not the step's declared `session = {type_name}`, \
                 which the OpenAPI document describes: {}",
                problems.join("; ")
            ),
        )
        .with_hint(format!(
            "write a `{type_name}` (`add_session_data(value)`), or declare the type the step \
             writes; this check runs in debug builds only"
        )))
    }

    /// The reply's bytes as sent on the wire.
    pub(crate) fn to_json_bytes(
        &self,
        default_namespace: Option<&str>,
    ) -> Result<Vec<u8>, StepError> {
        let wire = self.wire(default_namespace)?;
        // One allocation, sized for the session data (already text) and the rest: a reply of
        // 1 MB grown by doubling was copied a dozen times through ever larger blocks.
        let session = wire
            .session
            .as_ref()
            .map_or(0, |session| session.data.get().len());
        let mut bytes = Vec::with_capacity(REPLY_CAPACITY + session);
        serde_json::to_writer(&mut bytes, &wire)
            .map_err(|error| invalid_reply(vec![error.to_string()]))?;
        Ok(bytes)
    }

    fn wire<'a>(&'a self, default_namespace: Option<&'a str>) -> Result<WireReply<'a>, StepError> {
        let mut problems = self.problems.clone();
        let session = match &self.session {
            None => None,
            Some(write) => {
                let namespace = match (&write.explicit, write.uses_default, default_namespace) {
                    (Some(explicit), false, _) => Some(explicit.as_str()),
                    (Some(explicit), true, Some(default)) if explicit == default => Some(default),
                    (Some(explicit), true, Some(default)) => {
                        problems.push(format!(
                            "the reply writes session namespaces `{explicit}` and `{default}` \
                             (the step's namespace), but Chatlayer stores one namespace per reply"
                        ));
                        None
                    }
                    (None, _, Some(default)) => Some(default),
                    (_, true, None) => {
                        problems.push(
                            "the reply uses add_session_data, but the step declares no \
                             namespace: add `namespace = \"...\"` to its attribute, or use \
                             add_session_variable(namespace, data)"
                                .to_owned(),
                        );
                        None
                    }
                    (None, false, None) => None,
                };
                namespace.map(|namespace| WireSession {
                    namespace,
                    data: write.data.raw(),
                })
            }
        };
        if !problems.is_empty() {
            return Err(invalid_reply(problems));
        }
        Ok(WireReply {
            session,
            messages: &self.messages,
            action: self.next_block.as_ref().map(|block| WireAction {
                next_dialogstate: block,
            }),
        })
    }

    /// Serializes `data`, recording a problem unless it is a JSON object.
    fn object(
        &mut self,
        whose: impl std::fmt::Display,
        data: impl Serialize,
    ) -> Option<SessionData> {
        SessionData::serialize(data)
            .map_err(|problem| {
                self.problems
                    .push(format!("session data for {whose} {problem}"))
            })
            .ok()
    }

    /// Logs a warning for messages with more buttons than channels show.
    pub(crate) fn warn_about_limits(&self, step: &str) {
        for message in &self.messages {
            let buttons = message.most_buttons();
            if buttons > 3 {
                tracing::warn!(
                    step,
                    buttons,
                    "a `{}` message has {buttons} buttons on one balloon or card; channels such \
                     as Facebook Messenger show at most 3",
                    message.type_name()
                );
            }
        }
    }
}

/// The buffer a reply is written into: enough for a session write, a message and a jump.
const REPLY_CAPACITY: usize = 512;

fn check_namespace(namespace: &str) -> Result<(), String> {
    if namespace.is_empty() {
        Err("a session namespace cannot be empty".to_owned())
    } else if namespace == "internal" || namespace.starts_with("internal.") {
        Err(format!(
            "session namespace `{namespace}` is Chatlayer's own and read-only: Chatlayer restores \
             it after every write, so the data would be lost; use a namespace of your own"
        ))
    } else {
        Ok(())
    }
}

fn invalid_reply(problems: Vec<String>) -> StepError {
    StepError::of(
        ErrorCode::InvalidReply,
        format!(
            "the step's reply breaks Chatlayer's rules: {}",
            problems.join("; ")
        ),
    )
}

#[derive(Serialize)]
struct WireReply<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<WireSession<'a>>,
    #[serde(skip_serializing_if = "<[Message]>::is_empty")]
    messages: &'a [Message],
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<WireAction<'a>>,
}

#[derive(Serialize)]
struct WireSession<'a> {
    namespace: &'a str,
    data: &'a serde_json::value::RawValue,
}

#[derive(Serialize)]
struct WireAction<'a> {
    #[serde(rename = "nextDialogstate")]
    next_dialogstate: &'a BlockId,
}

/// The reply as sent on the wire: `session` (one namespace and its data), `messages`, and
/// `action.nextDialogstate`, each present only when the step set it.
impl JsonSchema for Reply {
    fn schema_name() -> Cow<'static, str> {
        "Reply".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let session = generator.subschema_for::<schema::ReplySession>();
        schema::envelope(
            generator,
            "What Chatlayer does after the API step: store `session.data` under \
             `session.namespace`, show `messages`, and go to the block \
             `action.nextDialogstate`. Absent fields change nothing.",
            Some(session.into()),
        )
    }
}

/// The parts of [`Reply`]'s schema that steps' own replies share, as components.
pub(crate) mod schema {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
    use serde_json::Value;

    use super::Message;
    use crate::BlockId;

    /// A reply object: `messages` and `action`, and `session` when it is given.
    pub(crate) fn envelope(
        generator: &mut SchemaGenerator,
        description: &str,
        session: Option<Value>,
    ) -> Schema {
        let mut properties = serde_json::Map::new();
        if let Some(session) = session {
            properties.insert("session".to_owned(), session);
        }
        properties.insert(
            "messages".to_owned(),
            serde_json::json!({ "type": "array", "items": generator.subschema_for::<Message>() }),
        );
        properties.insert(
            "action".to_owned(),
            generator.subschema_for::<ReplyAction>().into(),
        );
        json_schema!({
            "description": description,
            "type": "object",
            "properties": properties,
            "additionalProperties": false,
        })
    }

    /// `session`: one namespace and the data stored under it, of any shape.
    pub(crate) struct ReplySession;

    impl JsonSchema for ReplySession {
        fn schema_name() -> Cow<'static, str> {
            "ReplySession".into()
        }

        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            session(
                json_schema!({ "type": "string" }).into(),
                json_schema!({ "type": "object", "additionalProperties": true }).into(),
            )
        }
    }

    /// `session` with the given `namespace` and `data` schemas.
    pub(crate) fn session(namespace: Value, data: Value) -> Schema {
        let mut namespace = namespace;
        namespace["description"] = "The session variable the data is stored under.".into();
        let mut data = data;
        if data.get("$ref").is_none() {
            data["description"] = "Stored in the user's session under the namespace.".into();
        }
        json_schema!({
            "type": "object",
            "properties": { "namespace": namespace, "data": data },
            "required": ["namespace", "data"],
            "additionalProperties": false,
        })
    }

    /// `action`: the block to go to.
    pub(crate) struct ReplyAction;

    impl JsonSchema for ReplyAction {
        fn schema_name() -> Cow<'static, str> {
            "ReplyAction".into()
        }

        fn json_schema(generator: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "description": "The block to go to.",
                "type": "object",
                "properties": { "nextDialogstate": generator.subschema_for::<BlockId>() },
                "required": ["nextDialogstate"],
                "additionalProperties": false,
            })
        }
    }

    /// What a `#[next_block]` step answers: messages and the block, never session data.
    pub(crate) struct RoutingReply;

    impl JsonSchema for RoutingReply {
        fn schema_name() -> Cow<'static, str> {
            "RoutingReply".into()
        }

        fn json_schema(generator: &mut SchemaGenerator) -> Schema {
            envelope(
                generator,
                "The reply of a step that only routes: the block to go to, and messages \
                 (when a fallback answers with one). It stores no session data.",
                None,
            )
        }
    }
}

/// Reads a reply as Chatlayer would, for tests and tools. Besides the canonical
/// `action.nextDialogstate`, a top-level `nextDialogstate` (as some of Chatlayer's pages
/// describe it) is accepted too.
impl<'de> Deserialize<'de> for Reply {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Incoming {
            session: Option<IncomingSession>,
            #[serde(default)]
            messages: Vec<Message>,
            action: Option<IncomingAction>,
            #[serde(rename = "nextDialogstate")]
            next_dialogstate: Option<BlockId>,
        }
        #[derive(Deserialize)]
        struct IncomingSession {
            namespace: String,
            data: Map<String, Value>,
        }
        #[derive(Deserialize)]
        struct IncomingAction {
            #[serde(rename = "nextDialogstate")]
            next_dialogstate: Option<BlockId>,
        }

        let incoming = Incoming::deserialize(deserializer)?;
        let action_block = incoming.action.and_then(|action| action.next_dialogstate);
        if action_block.is_some() && incoming.next_dialogstate.is_some() {
            return Err(de::Error::custom(
                "the reply has both `action.nextDialogstate` and a top-level `nextDialogstate`",
            ));
        }
        Ok(Reply {
            session: incoming.session.map(|session| SessionWrite {
                explicit: Some(session.namespace),
                uses_default: false,
                data: SessionData::from_map(session.data),
            }),
            messages: incoming.messages,
            next_block: action_block.or(incoming.next_dialogstate),
            problems: Vec::new(),
        })
    }
}
