//! The messages a step can send, in Chatlayer's API-step format: `{"type": ..., "config": ...}`.
//!
//! [`Reply`](crate::Reply)'s `add_*` methods build most of them; the types here are for
//! building a message apart, or reading one back in a test.

use serde::de::{self, Deserializer};
use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::BlockId;

/// One message the bot shows the user, before it jumps to the next block.
///
/// Each variant is one of the message types Chatlayer documents for API-step replies; `Raw`
/// carries any other JSON message as is (for types with no documented shape, such as
/// `list`). Build them with the constructors, or with the `Reply::add_*` methods.
///
/// ```
/// use chatlayer_runtime::message::{Media, Message};
/// use serde_json::json;
///
/// let message = Message::text("Your order is on its way.");
/// assert_eq!(
///     serde_json::to_value(&message).unwrap(),
///     json!({"type": "text", "config": {"textMessages": [{"text": "Your order is on its way."}]}})
/// );
/// let image = Message::from(Media::image("https://example.com/box.jpg"));
/// assert_eq!(image.type_name(), "media");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Message {
    /// `text`: one text balloon, or several variants of it.
    Text(Text),
    /// `buttons`: text with up to three buttons.
    Buttons(ButtonGroup),
    /// `quickReplies`: text with quick-reply chips.
    QuickReplies(QuickReplies),
    /// `carousel`: a row of cards.
    Carousel(Carousel),
    /// `media`: an image, a video or an audio file.
    Media(Media),
    /// Any JSON message, sent exactly as given (it must be a JSON object).
    Raw(Value),
}

impl Message {
    /// A `text` message with one text.
    pub fn text(text: impl Into<String>) -> Self {
        Message::Text(Text::new(text))
    }

    /// The message's `type` on the wire (`text`, `buttons`, ...; a raw message's own `type`).
    pub fn type_name(&self) -> &str {
        match self {
            Message::Text(_) => "text",
            Message::Buttons(_) => "buttons",
            Message::QuickReplies(_) => "quickReplies",
            Message::Carousel(_) => "carousel",
            Message::Media(_) => "media",
            Message::Raw(value) => value.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// The largest number of buttons on one balloon or card of this message.
    pub(crate) fn most_buttons(&self) -> usize {
        match self {
            Message::Buttons(group) => group.buttons.len(),
            Message::Carousel(carousel) => carousel
                .elements
                .iter()
                .map(|card| card.buttons.len())
                .max()
                .unwrap_or(0),
            _ => 0,
        }
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Message::text(text)
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Message::text(text)
    }
}

impl From<Text> for Message {
    fn from(text: Text) -> Self {
        Message::Text(text)
    }
}

impl From<ButtonGroup> for Message {
    fn from(group: ButtonGroup) -> Self {
        Message::Buttons(group)
    }
}

impl From<QuickReplies> for Message {
    fn from(replies: QuickReplies) -> Self {
        Message::QuickReplies(replies)
    }
}

impl From<Carousel> for Message {
    fn from(carousel: Carousel) -> Self {
        Message::Carousel(carousel)
    }
}

impl From<Media> for Message {
    fn from(media: Media) -> Self {
        Message::Media(media)
    }
}

/// A `text` message. With several texts, they are the variants of one balloon.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "TextConfig")]
#[non_exhaustive]
pub struct Text {
    /// The texts, as `config.textMessages[].text`.
    #[serde(rename = "textMessages", with = "text_messages")]
    #[schemars(with = "Vec<text_messages::TextItem<String>>")]
    pub texts: Vec<String>,
}

impl Text {
    /// One text.
    pub fn new(text: impl Into<String>) -> Self {
        Text {
            texts: vec![text.into()],
        }
    }

    /// Several texts in one message (Chatlayer's `textMessages` list).
    pub fn variants<I: IntoIterator<Item = S>, S: Into<String>>(texts: I) -> Self {
        Text {
            texts: texts.into_iter().map(Into::into).collect(),
        }
    }
}

/// A `buttons` message: text above a group of buttons.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "ButtonsConfig")]
#[non_exhaustive]
pub struct ButtonGroup {
    /// The text shown above the buttons.
    #[serde(rename = "textMessages", with = "text_messages")]
    #[schemars(with = "Vec<text_messages::TextItem<String>>")]
    pub texts: Vec<String>,
    /// The buttons; channels such as Facebook show at most three.
    pub buttons: Vec<Button>,
}

impl ButtonGroup {
    /// Text with buttons under it.
    pub fn new(text: impl Into<String>, buttons: impl IntoIterator<Item = Button>) -> Self {
        ButtonGroup {
            texts: vec![text.into()],
            buttons: buttons.into_iter().collect(),
        }
    }
}

/// A button, on a `buttons` message or on a carousel card.
///
/// ```
/// use chatlayer_runtime::BlockId;
/// use chatlayer_runtime::message::{Button, Postback};
///
/// let buttons = [
///     Button::postback("Track my order", BlockId::new("track-block-id")),
///     Button::postback("Pick up", Postback::new("pickup-block-id").param("delivery", "pickup")),
///     Button::web_url("Terms", "https://example.com/terms"),
///     Button::phone_number("Call us", "+3212345678"),
/// ];
/// assert_eq!(buttons.len(), 4);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum Button {
    /// Goes to a block when clicked, optionally setting session values first.
    #[serde(rename = "postback")]
    #[schemars(title = "PostbackButton")]
    Postback {
        /// The caption.
        title: String,
        /// Where to go, and what to set.
        payload: Postback,
    },
    /// Opens a web page.
    #[serde(rename = "web_url")]
    #[schemars(title = "WebUrlButton")]
    WebUrl {
        /// The caption.
        title: String,
        /// The page to open.
        url: String,
    },
    /// Starts a phone call.
    #[serde(rename = "phone_number")]
    #[schemars(title = "PhoneNumberButton")]
    PhoneNumber {
        /// The caption.
        title: String,
        /// The number to call.
        payload: String,
    },
}

impl Button {
    /// A button that goes to a block: pass a [`BlockId`] or a [`Postback`] with session values.
    pub fn postback(title: impl Into<String>, target: impl Into<Postback>) -> Self {
        Button::Postback {
            title: title.into(),
            payload: target.into(),
        }
    }

    /// A button that opens `url`.
    pub fn web_url(title: impl Into<String>, url: impl Into<String>) -> Self {
        Button::WebUrl {
            title: title.into(),
            url: url.into(),
        }
    }

    /// A button that calls `number`.
    pub fn phone_number(title: impl Into<String>, number: impl Into<String>) -> Self {
        Button::PhoneNumber {
            title: title.into(),
            payload: number.into(),
        }
    }
}

/// Where a postback button or quick reply goes, and the session values it sets on the way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Postback {
    /// The block to go to.
    #[serde(rename = "nextDialogstateId")]
    pub next_block: BlockId,
    /// Session values written when the user clicks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<SessionParam>,
}

impl Postback {
    /// Goes to `block` and sets nothing.
    pub fn new(block: impl Into<BlockId>) -> Self {
        Postback {
            next_block: block.into(),
            params: Vec::new(),
        }
    }

    /// Also writes session value `key` when clicked.
    pub fn param(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.params.push(SessionParam {
            key: key.into(),
            value: value.into(),
        });
        self
    }
}

impl From<BlockId> for Postback {
    fn from(block: BlockId) -> Self {
        Postback::new(block)
    }
}

impl From<&BlockId> for Postback {
    fn from(block: &BlockId) -> Self {
        Postback::new(block.clone())
    }
}

impl From<&str> for Postback {
    fn from(block: &str) -> Self {
        Postback::new(block)
    }
}

/// A session value a postback sets: `{"key": ..., "value": ...}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct SessionParam {
    /// The session variable.
    pub key: String,
    /// Its new value.
    pub value: Value,
}

/// A `quickReplies` message: text with reply chips under it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// Named after its place in the message: `QuickReplies` beside its field `quickReplies`
// made openapi-python-client's code overwrite one with the other.
#[schemars(rename = "QuickRepliesConfig")]
#[non_exhaustive]
pub struct QuickReplies {
    /// The text shown above the chips.
    #[serde(rename = "textMessages", with = "text_messages")]
    #[schemars(with = "Vec<text_messages::TextItem<String>>")]
    pub texts: Vec<String>,
    /// The chips.
    #[serde(rename = "quickReplies")]
    pub replies: Vec<QuickReply>,
}

impl QuickReplies {
    /// Text with quick replies under it.
    pub fn new(text: impl Into<String>, replies: impl IntoIterator<Item = QuickReply>) -> Self {
        QuickReplies {
            texts: vec![text.into()],
            replies: replies.into_iter().collect(),
        }
    }
}

/// One quick-reply chip.
///
/// ```
/// use chatlayer_runtime::BlockId;
/// use chatlayer_runtime::message::QuickReply;
///
/// let yes = QuickReply::postback("Yes", BlockId::new("confirm-block-id"))
///     .image_url("https://example.com/yes.png");
/// let here = QuickReply::location("Send my location");
/// # let _ = (yes, here);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct QuickReply {
    /// `postback` or `location`.
    #[serde(rename = "type")]
    pub kind: QuickReplyKind,
    /// The caption.
    pub title: String,
    /// An icon shown in the chip.
    #[serde(rename = "imageUrl", default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// Where a postback chip goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Postback>,
}

impl QuickReply {
    /// A chip that goes to a block: pass a [`BlockId`] or a [`Postback`].
    pub fn postback(title: impl Into<String>, target: impl Into<Postback>) -> Self {
        QuickReply {
            kind: QuickReplyKind::Postback,
            title: title.into(),
            image_url: None,
            payload: Some(target.into()),
        }
    }

    /// A chip that asks for the user's location.
    pub fn location(title: impl Into<String>) -> Self {
        QuickReply {
            kind: QuickReplyKind::Location,
            title: title.into(),
            image_url: None,
            payload: None,
        }
    }

    /// Shows an icon in the chip.
    pub fn image_url(mut self, url: impl Into<String>) -> Self {
        self.image_url = Some(url.into());
        self
    }
}

/// What a quick reply does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub enum QuickReplyKind {
    /// Goes to a block.
    #[serde(rename = "postback")]
    Postback,
    /// Asks for the user's location.
    #[serde(rename = "location")]
    Location,
}

/// A `carousel` message: a row of cards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "CarouselConfig")]
#[non_exhaustive]
pub struct Carousel {
    /// The cards, in order.
    pub elements: Vec<Card>,
}

impl Carousel {
    /// A carousel of `cards`.
    pub fn new(cards: impl IntoIterator<Item = Card>) -> Self {
        Carousel {
            elements: cards.into_iter().collect(),
        }
    }
}

/// One card of a carousel.
///
/// ```
/// use chatlayer_runtime::message::{Button, Card};
///
/// let card = Card::new("Red shoes")
///     .sub_title("EUR 59")
///     .image_url("https://example.com/red.jpg")
///     .web_url("https://example.com/red")
///     .button(Button::web_url("Details", "https://example.com/red"));
/// assert_eq!(card.buttons.len(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Card {
    /// The card's title.
    pub title: String,
    /// The line under the title.
    #[serde(rename = "subTitle", default, skip_serializing_if = "Option::is_none")]
    pub sub_title: Option<String>,
    /// The picture.
    #[serde(rename = "imageUrl", default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// The page opened when the card is tapped.
    #[serde(rename = "webUrl", default, skip_serializing_if = "Option::is_none")]
    pub web_url: Option<String>,
    /// Buttons on the card; channels such as Facebook show at most three.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
}

impl Card {
    /// A card with a title.
    pub fn new(title: impl Into<String>) -> Self {
        Card {
            title: title.into(),
            sub_title: None,
            image_url: None,
            web_url: None,
            buttons: Vec::new(),
        }
    }

    /// Sets the line under the title (`subTitle`).
    pub fn sub_title(mut self, text: impl Into<String>) -> Self {
        self.sub_title = Some(text.into());
        self
    }

    /// Sets the picture.
    pub fn image_url(mut self, url: impl Into<String>) -> Self {
        self.image_url = Some(url.into());
        self
    }

    /// Sets the page opened when the card is tapped.
    pub fn web_url(mut self, url: impl Into<String>) -> Self {
        self.web_url = Some(url.into());
        self
    }

    /// Adds a button.
    pub fn button(mut self, button: Button) -> Self {
        self.buttons.push(button);
        self
    }
}

/// A `media` message: an image, a video, an audio file or a file to download, by URL.
///
/// ```
/// use chatlayer_runtime::message::Media;
///
/// let video = Media::video("https://example.com/unboxing.mp4").cache(true);
/// assert_eq!(video.is_cache, Some(true));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Media {
    /// `image`, `video`, `audio` or `attachment` (a file).
    #[serde(rename = "type")]
    pub kind: MediaKind,
    /// Where the file is.
    pub url: String,
    /// Whether Chatlayer may cache the file.
    #[serde(rename = "isCache", default, skip_serializing_if = "Option::is_none")]
    pub is_cache: Option<bool>,
}

impl Media {
    /// An image.
    pub fn image(url: impl Into<String>) -> Self {
        Media::new(MediaKind::Image, url)
    }

    /// A video (Chatlayer documents mp4, ogv and webm).
    pub fn video(url: impl Into<String>) -> Self {
        Media::new(MediaKind::Video, url)
    }

    /// An audio file (Chatlayer documents MP3).
    pub fn audio(url: impl Into<String>) -> Self {
        Media::new(MediaKind::Audio, url)
    }

    /// A file to download (Chatlayer documents PDF, on Facebook Messenger; its media sample
    /// names the `attachment` kind).
    ///
    /// ```
    /// use chatlayer_runtime::prelude::*;
    /// use chatlayer_runtime::message::Media;
    ///
    /// let reply = Reply::new().add_message(Media::attachment("https://example.com/label.pdf"));
    /// assert_eq!(
    ///     reply.to_json(None).unwrap()["messages"][0],
    ///     serde_json::json!({ "type": "media", "config": { "media": {
    ///         "type": "attachment", "url": "https://example.com/label.pdf" } } })
    /// );
    /// ```
    pub fn attachment(url: impl Into<String>) -> Self {
        Media::new(MediaKind::Attachment, url)
    }

    fn new(kind: MediaKind, url: impl Into<String>) -> Self {
        Media {
            kind,
            url: url.into(),
            is_cache: None,
        }
    }

    /// Lets Chatlayer cache the file (`isCache`).
    pub fn cache(mut self, cache: bool) -> Self {
        self.is_cache = Some(cache);
        self
    }
}

/// The kind of a [`Media`] message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum MediaKind {
    /// `image`
    Image,
    /// `video`
    Video,
    /// `audio`
    Audio,
    /// `attachment`: a file
    Attachment,
}

/// The typed messages, as `{"type", "config"}` on the wire.
#[derive(Serialize)]
#[serde(tag = "type", content = "config")]
enum TaggedRef<'a> {
    #[serde(rename = "text")]
    Text(&'a Text),
    #[serde(rename = "buttons")]
    Buttons(&'a ButtonGroup),
    #[serde(rename = "quickReplies")]
    QuickReplies(&'a QuickReplies),
    #[serde(rename = "carousel")]
    Carousel(&'a Carousel),
    #[serde(rename = "media")]
    Media(MediaConfig<&'a Media>),
}

#[derive(Deserialize)]
#[serde(tag = "type", content = "config")]
enum Tagged {
    #[serde(rename = "text")]
    Text(Text),
    #[serde(rename = "buttons")]
    Buttons(ButtonGroup),
    #[serde(rename = "quickReplies")]
    QuickReplies(QuickReplies),
    #[serde(rename = "carousel")]
    Carousel(Carousel),
    #[serde(rename = "media")]
    Media(MediaConfig<Media>),
}

const TYPED: [&str; 5] = ["text", "buttons", "quickReplies", "carousel", "media"];

/// `config` of a media message: `{"media": {...}}`.
#[derive(Serialize, Deserialize)]
struct MediaConfig<M> {
    media: M,
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Message::Text(text) => TaggedRef::Text(text).serialize(serializer),
            Message::Buttons(group) => TaggedRef::Buttons(group).serialize(serializer),
            Message::QuickReplies(replies) => {
                TaggedRef::QuickReplies(replies).serialize(serializer)
            }
            Message::Carousel(carousel) => TaggedRef::Carousel(carousel).serialize(serializer),
            Message::Media(media) => TaggedRef::Media(MediaConfig { media }).serialize(serializer),
            Message::Raw(value) => value.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let typed = value
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|kind| TYPED.contains(&kind));
        if !typed {
            return Ok(Message::Raw(value));
        }
        Ok(
            match Tagged::deserialize(value).map_err(de::Error::custom)? {
                Tagged::Text(text) => Message::Text(text),
                Tagged::Buttons(group) => Message::Buttons(group),
                Tagged::QuickReplies(replies) => Message::QuickReplies(replies),
                Tagged::Carousel(carousel) => Message::Carousel(carousel),
                Tagged::Media(config) => Message::Media(config.media),
            },
        )
    }
}

/// The message types Chatlayer names but the typed builder does not model (their `config`
/// is undocumented): the document describes them as `OtherMessage`, with any `config`.
/// A raw message of another type is still sent as is, but is outside the document.
pub(crate) const OTHER_DOCUMENTED: [&str; 1] = ["list"];

/// The wire shape: `oneOf` the typed messages and the other documented types (`list`), each
/// a component of its own (`TextMessage`, ..., `OtherMessage`), told apart by `type`. Generated clients
/// name each branch after its component, and narrow on `type`: so no branch may take a
/// `type` another one has (a catch-all `string` would stop TypeScript's narrowing).
impl JsonSchema for Message {
    fn schema_name() -> Cow<'static, str> {
        "Message".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let branches = [
            ("text", generator.subschema_for::<branch::TextMessage>()),
            (
                "buttons",
                generator.subschema_for::<branch::ButtonsMessage>(),
            ),
            (
                "quickReplies",
                generator.subschema_for::<branch::QuickRepliesMessage>(),
            ),
            (
                "carousel",
                generator.subschema_for::<branch::CarouselMessage>(),
            ),
            ("media", generator.subschema_for::<branch::MediaMessage>()),
        ];
        let other = generator.subschema_for::<branch::OtherMessage>();
        let mut mapping = serde_json::Map::new();
        for (kind, schema) in &branches {
            mapping.insert((*kind).to_owned(), schema.get("$ref").cloned().into());
        }
        for kind in OTHER_DOCUMENTED {
            mapping.insert(kind.to_owned(), other.get("$ref").cloned().into());
        }
        let one_of: Vec<Schema> = branches
            .into_iter()
            .map(|(_, schema)| schema)
            .chain([other])
            .collect();
        json_schema!({
            "description": "One message the bot shows the user.",
            "oneOf": one_of,
            "discriminator": { "propertyName": "type", "mapping": mapping },
        })
    }
}

/// The branches of [`Message`]'s schema, each a component of its own.
mod branch {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

    use super::{ButtonGroup, Carousel, Media, OTHER_DOCUMENTED, QuickReplies, Text};

    /// `{"type": kind, "config": config}`, both required.
    fn typed(kind: &str, config: Schema, description: &str) -> Schema {
        json_schema!({
            "description": description,
            "type": "object",
            "properties": { "type": { "type": "string", "const": kind }, "config": config },
            "required": ["type", "config"],
        })
    }

    macro_rules! branch {
        ($name:ident, $kind:literal, $config:ty, $description:literal) => {
            pub(super) struct $name;

            impl JsonSchema for $name {
                fn schema_name() -> Cow<'static, str> {
                    stringify!($name).into()
                }

                fn json_schema(generator: &mut SchemaGenerator) -> Schema {
                    typed($kind, generator.subschema_for::<$config>(), $description)
                }
            }
        };
    }

    branch!(TextMessage, "text", Text, "A `text` message.");
    branch!(
        ButtonsMessage,
        "buttons",
        ButtonGroup,
        "A `buttons` message."
    );
    branch!(
        QuickRepliesMessage,
        "quickReplies",
        QuickReplies,
        "A `quickReplies` message."
    );
    branch!(
        CarouselMessage,
        "carousel",
        Carousel,
        "A `carousel` message."
    );
    branch!(
        MediaMessage,
        "media",
        MediaConfigSchema,
        "A `media` message: an image, a video, an audio file or an attachment."
    );

    /// `config` of a `media` message: `{"media": {...}}`.
    pub(super) struct MediaConfigSchema;

    impl JsonSchema for MediaConfigSchema {
        fn schema_name() -> Cow<'static, str> {
            "MediaConfig".into()
        }

        fn json_schema(generator: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "type": "object",
                "properties": { "media": generator.subschema_for::<Media>() },
                "required": ["media"],
            })
        }
    }

    /// A message type Chatlayer names without documenting its `config`.
    pub(super) struct OtherMessage;

    impl JsonSchema for OtherMessage {
        fn schema_name() -> Cow<'static, str> {
            "OtherMessage".into()
        }

        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "description": "A message type Chatlayer names without documenting its shape \
                                (`list`), sent exactly as the step built it.",
                "type": "object",
                "properties": {
                    "type": { "type": "string", "enum": OTHER_DOCUMENTED },
                    "config": { "type": "object", "additionalProperties": true },
                },
                "required": ["type"],
                "additionalProperties": true,
            })
        }
    }
}

/// `["a", "b"]` <-> `[{"text": "a"}, {"text": "b"}]`.
mod text_messages {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// One variant of the text.
    #[derive(Serialize, Deserialize, schemars::JsonSchema)]
    #[schemars(rename = "TextItem")]
    pub(super) struct TextItem<T> {
        pub(super) text: T,
    }

    pub(super) fn serialize<S: Serializer>(
        texts: &[String],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(texts.iter().map(|text| TextItem { text }))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<String>, D::Error> {
        let items = Vec::<TextItem<String>>::deserialize(deserializer)?;
        Ok(items.into_iter().map(|item| item.text).collect())
    }
}
