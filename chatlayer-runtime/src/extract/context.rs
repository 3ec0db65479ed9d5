//! [`Context`]: the conventional context parameters.

use schemars::{Schema, SchemaGenerator, json_schema};

use super::{ArgSpec, FromStepRequest, ParamInfo, StepInputs, StepRequest, read_param};
use crate::error::StepError;

/// Who is talking, where, in which language: the context parameters a bot builder maps by
/// convention. Chatlayer adds no such fields on its own, so each one is present only when the
/// API step has a Body or Query row for it, mapped to the session variable below. All are
/// optional; a step never fails because one is missing.
///
/// | parameter | map it to the variable | field |
/// |---|---|---|
/// | `sessionId` | `internal.sessionId` | [`session_id`](Self::session_id) |
/// | `botId` | `internal.botId` | [`bot_id`](Self::bot_id) |
/// | `channel` | `internal.channel` | [`channel`](Self::channel) |
/// | `language` | `internal.preferredLanguage` | [`language`](Self::language) |
/// | `locale` | `internal.locale` | [`locale`](Self::locale) |
/// | `version` | `internal.version` (`DRAFT` or `LIVE`) | [`version`](Self::version) |
///
/// ```
/// use chatlayer_runtime::prelude::*;
///
/// #[api_step("/greet")]
/// async fn greet(context: Context) -> Reply {
///     let greeting = match context.language.as_deref() {
///         Some("nl") => "Hallo!",
///         Some("fr") => "Bonjour !",
///         _ => "Hello!",
///     };
///     Reply::new().add_message(greeting)
/// }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Context {
    /// The conversation's session id (`sessionId`).
    pub session_id: Option<String>,
    /// The bot's id (`botId`).
    pub bot_id: Option<String>,
    /// The channel, e.g. `web` (`channel`).
    pub channel: Option<String>,
    /// The user's preferred language, e.g. `en` (`language`).
    pub language: Option<String>,
    /// The user's locale, e.g. `en-us` (`locale`).
    pub locale: Option<String>,
    /// `DRAFT` or `LIVE` (`version`).
    pub version: Option<String>,
}

impl Context {
    /// The parameter names, in the order of the fields.
    pub const PARAMETERS: [&'static str; 6] = [
        "sessionId",
        "botId",
        "channel",
        "language",
        "locale",
        "version",
    ];
}

/// What each of [`Context::PARAMETERS`] is, in the document: the variable to map it to.
const DESCRIPTIONS: [&str; 6] = [
    "The conversation's session id: map it to the variable `internal.sessionId`.",
    "The bot's id: map it to the variable `internal.botId`.",
    "The channel, e.g. `web`: map it to the variable `internal.channel`.",
    "The user's preferred language, e.g. `en`: map it to the variable \
     `internal.preferredLanguage`.",
    "The user's locale, e.g. `en-us`: map it to the variable `internal.locale`.",
    "`DRAFT` or `LIVE`: map it to the variable `internal.version`.",
];

fn text_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string" })
}

/// The parameters the framework itself reads on every step, whatever its arguments: the
/// [`Context`] ones (the access line shows `sessionId`). No step reports them as unknown.
pub(crate) const READ_BY_THE_FRAMEWORK: [&str; 6] = Context::PARAMETERS;

impl FromStepRequest for Context {
    fn from_step_request(request: &StepRequest, _arg: &ArgSpec) -> Result<Self, StepError> {
        let params = request.sent();
        let [session_id, bot_id, channel, language, locale, version] =
            Context::PARAMETERS.map(|name| read_param::<Option<String>>(params, name));
        Ok(Context {
            session_id: session_id?,
            bot_id: bot_id?,
            channel: channel?,
            language: language?,
            locale: locale?,
            version: version?,
        })
    }

    /// Reads its six parameters, each optional text: the document lists them, so that a
    /// client generated from it can send what the step reads.
    fn describe(_arg: &ArgSpec, inputs: &mut StepInputs) {
        for (name, description) in Context::PARAMETERS.into_iter().zip(DESCRIPTIONS) {
            inputs.add_param(ParamInfo {
                name,
                required: false,
                block_id: false,
                type_name: "Option<String>",
                schema: Some(text_schema),
                all_fields: false,
                default_source: None,
                description: Some(description),
            });
        }
    }
}
