//! A recording told as conversations: what the bot's real users went through, rebuilt from
//! the exchanges a chatlayer-rs recording kept, for the emulator's page
//! (`emulate --recording DIR`) and for tests.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::recorded::{Payload, RecordedExchange as Recorded};
use super::session::value_text;
use super::story::{Applied, Story};
use super::transcript::{Entry, Exchange, SentRequest, shown_texts};

/// The parameter Chatlayer sends a session's id in, by which exchanges are grouped.
const SESSION_ID: &str = "sessionId";

/// The recorded exchanges of one session (grouped by the `sessionId` parameter the bot
/// sends), in the order they were recorded, told as the emulator tells a live
/// conversation: each call with its request and answer, the session its replies built, the
/// messages they showed, and the block each one sent the conversation to.
///
/// A recording holds API calls only: what the user typed between them is not in it, and
/// neither are the bot's own message blocks.
///
/// ```
/// use chatlayer_emulator::{RecordedConversation, RecordedExchange};
///
/// let recorded: RecordedExchange = serde_json::from_str(r#"{
///   "recorded_at": "2026-11-21T10:49:03.123456Z",
///   "step": "order",
///   "method": "POST",
///   "path": "/order",
///   "headers": { "content-type": "application/json" },
///   "body": { "json": { "sessionId": "s-1", "sku": "A1" } },
///   "reply": { "status": 200, "body": { "json": {
///     "session": { "namespace": "order", "data": { "sku": "A1" } },
///     "messages": [{ "type": "text", "config": { "textMessages": [{ "text": "Ordered {order.sku}." }] } }],
///     "action": { "nextDialogstate": "thanks" }
///   } } },
///   "latency_ms": 0.4
/// }"#).unwrap();
///
/// let conversations = RecordedConversation::tell(vec![recorded]);
/// let conversation = &conversations[0];
/// assert_eq!(conversation.session_id(), Some("s-1"));
/// assert_eq!(conversation.texts(), ["Ordered A1."]);
/// assert_eq!(conversation.session()["order"]["sku"], "A1");
/// assert_eq!(conversation.current_block(), Some("thanks"));
/// ```
#[derive(Clone, Debug)]
pub struct RecordedConversation {
    session_id: Option<String>,
    first_recorded_at: String,
    calls: usize,
    story: Story,
    block: Option<String>,
}

impl RecordedConversation {
    /// Reads the recording in `dir` (the files chatlayer-runtime's recorder writes, see
    /// [`RecordedExchange`](crate::RecordedExchange)) and tells it, one conversation per session.
    pub fn read(dir: &Path) -> Result<Vec<RecordedConversation>, String> {
        let exchanges = Recorded::read_dir(dir)?;
        if exchanges.is_empty() {
            return Err(format!(
                "{} holds no recorded exchange (*.json): record with CHATLAYER_RECORD={0}",
                dir.display()
            ));
        }
        Ok(Self::tell(
            exchanges.into_iter().map(|(_, exchange)| exchange),
        ))
    }

    /// Tells `exchanges`, given in the order they were recorded: one conversation per
    /// session id, in the order each session first appears; exchanges without a session id
    /// make one conversation of their own.
    pub fn tell(exchanges: impl IntoIterator<Item = Recorded>) -> Vec<RecordedConversation> {
        let mut conversations: Vec<RecordedConversation> = Vec::new();
        let mut by_session: HashMap<Option<String>, usize> = HashMap::new();
        for exchange in exchanges {
            let session_id = session_id_of(&exchange);
            let index = *by_session.entry(session_id.clone()).or_insert_with(|| {
                conversations.push(RecordedConversation {
                    session_id,
                    first_recorded_at: exchange.recorded_at.clone(),
                    calls: 0,
                    story: Story::default(),
                    block: None,
                });
                conversations.len() - 1
            });
            conversations[index].tell_one(exchange);
        }
        conversations
    }

    /// The session's id, as the bot sent it; `None` for the exchanges that carried none.
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// A line that names the conversation: its session, its number of calls, and when it
    /// began.
    pub fn title(&self) -> String {
        let who = match &self.session_id {
            Some(id) => format!("session {id}"),
            None => "calls without a sessionId".to_owned(),
        };
        let when = self
            .first_recorded_at
            .get(..19)
            .unwrap_or(&self.first_recorded_at)
            .replace('T', " ");
        format!(
            "{who} · {} call{} · {when}",
            self.calls,
            if self.calls == 1 { "" } else { "s" }
        )
    }

    /// Every entry: for each call, when it was recorded, the exchange, the session changes,
    /// the messages, and where the reply sent the conversation (or the error it answered).
    pub fn transcript(&self) -> &[Entry] {
        &self.story.transcript
    }

    /// The session the replies built, starting from an empty one (the session Chatlayer
    /// held before the first recorded call is not in the recording).
    pub fn session(&self) -> Value {
        self.story.session.to_value()
    }

    /// The block the last reply that named one sent the conversation to.
    pub fn current_block(&self) -> Option<&str> {
        self.block.as_deref()
    }

    /// The texts the replies showed, in order (the first variant of each message).
    pub fn texts(&self) -> Vec<String> {
        shown_texts(&self.story.transcript)
    }

    fn tell_one(&mut self, recorded: Recorded) {
        self.calls += 1;
        let block = recorded.step.unwrap_or_else(|| recorded.path.clone());
        self.story.note(format!(
            "recorded at {}: a call to the step `{block}`",
            recorded.recorded_at
        ));
        let url = match &recorded.query {
            Some(query) => format!("{}?{query}", recorded.path),
            None => recorded.path,
        };
        let reply_cut = match &recorded.reply.body {
            Payload::Truncated { length, .. } => Some(*length),
            _ => None,
        };
        let response = payload_value(recorded.reply.body);
        self.story
            .transcript
            .push(Entry::Exchange(Box::new(Exchange {
                block: block.clone(),
                request: SentRequest {
                    method: recorded.method,
                    url,
                    headers: recorded.headers.into_iter().collect(),
                    body: payload_value(recorded.body),
                },
                status: Some(recorded.reply.status),
                latency_ms: recorded.latency_ms,
                response: response.clone(),
            })));
        if let Some(length) = reply_cut {
            self.story.note(format!(
                "the reply was {length} bytes, more than a recording keeps: its start is in \
                 the exchange, its messages and session data cannot be shown"
            ));
            return;
        }
        if let Applied::Jump(Some(id)) =
            self.story.answered(&block, recorded.reply.status, response)
        {
            self.story.note(format!(
                "the reply sends the conversation to the block `{id}`"
            ));
            self.block = Some(id);
        }
    }
}

/// A recorded body as the emulator shows one: JSON as it is, text as a JSON string, a
/// truncated body's start.
fn payload_value(payload: Payload) -> Option<Value> {
    match payload {
        Payload::Empty => None,
        Payload::Json(value) => Some(value),
        Payload::Text(text) => Some(Value::String(text)),
        Payload::Truncated { head, .. } => Some(Value::String(head)),
    }
}

/// The `sessionId` the request carried: in a JSON body, a form body, or the query.
fn session_id_of(exchange: &Recorded) -> Option<String> {
    let from_pairs = |text: &str| {
        form_urlencoded::parse(text.as_bytes())
            .find(|(key, _)| key == SESSION_ID)
            .map(|(_, value)| value.into_owned())
    };
    let from_body = match &exchange.body {
        Payload::Json(Value::Object(fields)) => fields
            .get(SESSION_ID)
            .filter(|value| !value.is_null())
            .map(value_text),
        Payload::Text(text)
            if exchange
                .headers
                .get("content-type")
                .is_some_and(|kind| kind.starts_with("application/x-www-form-urlencoded")) =>
        {
            from_pairs(text)
        }
        _ => None,
    };
    from_body
        .or_else(|| exchange.query.as_deref().and_then(from_pairs))
        .filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn exchange(at: &str, path: &str, body: Value, status: u16, reply: Value) -> Recorded {
        serde_json::from_value(json!({
            "recorded_at": at,
            "step": path.trim_start_matches('/'),
            "method": "POST",
            "path": path,
            "headers": { "content-type": "application/json", "authorization": "[redacted]" },
            "body": { "json": body },
            "reply": { "status": status, "body": { "json": reply } },
            "latency_ms": 1.5
        }))
        .unwrap()
    }

    fn text(text: &str) -> Value {
        json!({ "type": "text", "config": { "textMessages": [{ "text": text }] } })
    }

    #[test]
    fn exchanges_are_grouped_by_session_in_the_order_sessions_first_appear() {
        let told = RecordedConversation::tell([
            exchange(
                "2026-11-21T10:00:00.000001Z",
                "/a",
                json!({ "sessionId": "s-2" }),
                200,
                json!({ "messages": [text("one")] }),
            ),
            exchange(
                "2026-11-21T10:00:01.000001Z",
                "/b",
                json!({ "sessionId": "s-1" }),
                200,
                json!({ "messages": [text("two")] }),
            ),
            exchange(
                "2026-11-21T10:00:02.000001Z",
                "/c",
                json!({ "sessionId": "s-2" }),
                200,
                json!({ "messages": [text("three")] }),
            ),
            exchange(
                "2026-11-21T10:00:03.000001Z",
                "/d",
                json!({ "sku": "A1" }),
                200,
                json!({}),
            ),
        ]);
        let ids: Vec<Option<&str>> = told.iter().map(RecordedConversation::session_id).collect();
        assert_eq!(ids, [Some("s-2"), Some("s-1"), None]);
        assert_eq!(told[0].texts(), ["one", "three"]);
        assert_eq!(
            told[0].title(),
            "session s-2 · 2 calls · 2026-11-21 10:00:00"
        );
        assert_eq!(
            told[2].title(),
            "calls without a sessionId · 1 call · 2026-11-21 10:00:03"
        );
    }

    #[test]
    fn a_session_id_is_found_in_the_query_and_in_a_form_body() {
        let mut in_query = exchange("t", "/a", json!(null), 200, json!({}));
        in_query.body = Payload::Empty;
        in_query.query = Some("orderId=1&sessionId=s%2D9".to_owned());
        let mut in_form = exchange("t", "/a", json!(null), 200, json!({}));
        in_form.body = Payload::Text("sku=A1&sessionId=s-7".to_owned());
        in_form.headers.insert(
            "content-type".to_owned(),
            "application/x-www-form-urlencoded".to_owned(),
        );
        let numeric = exchange("t", "/a", json!({ "sessionId": 42 }), 200, json!({}));
        assert_eq!(session_id_of(&in_query).as_deref(), Some("s-9"));
        assert_eq!(session_id_of(&in_form).as_deref(), Some("s-7"));
        assert_eq!(session_id_of(&numeric).as_deref(), Some("42"));
    }

    #[test]
    fn replies_build_the_session_show_messages_and_name_the_next_block() {
        let told = RecordedConversation::tell([
            exchange(
                "t1",
                "/order",
                json!({ "sessionId": "s" }),
                200,
                json!({
                    "session": { "namespace": "order", "data": { "total": 59 } },
                    "messages": [text("Total: {order.total} EUR")],
                    "action": { "nextDialogstate": "thanks" }
                }),
            ),
            exchange(
                "t2",
                "/status",
                json!({ "sessionId": "s" }),
                400,
                json!({ "error": { "code": "invalid_parameter", "message": "orderId is missing", "hint": "map it" } }),
            ),
        ]);
        let conversation = &told[0];
        assert_eq!(conversation.texts(), ["Total: 59 EUR"]);
        assert_eq!(conversation.session(), json!({ "order": { "total": 59 } }));
        assert_eq!(conversation.current_block(), Some("thanks"));
        let error = conversation
            .transcript()
            .iter()
            .find_map(|entry| match entry {
                Entry::Error {
                    block,
                    message,
                    code,
                    hint,
                } => Some((block, message, code, hint)),
                _ => None,
            })
            .expect("the 400 is told as an error");
        assert_eq!(error.0, "status");
        assert_eq!(error.1, "HTTP 400: orderId is missing");
        assert_eq!(error.2.as_deref(), Some("invalid_parameter"));
        assert_eq!(error.3.as_deref(), Some("map it"));
        let rendered = super::super::transcript::render(conversation.transcript());
        assert!(
            rendered.contains("POST /order -> 200 in 1.5 ms"),
            "{rendered}"
        );
        assert!(
            rendered.contains("note: recorded at t1: a call to the step `order`"),
            "{rendered}"
        );
        assert!(
            rendered.contains("note: the reply sends the conversation to the block `thanks`"),
            "{rendered}"
        );
    }

    #[test]
    fn a_truncated_reply_is_shown_as_cut_not_as_a_broken_reply() {
        let mut cut = exchange("t", "/big", json!({ "sessionId": "s" }), 200, json!({}));
        cut.reply.body = Payload::Truncated {
            head: "{\"messages\":[".to_owned(),
            length: 2_000_000,
        };
        let told = RecordedConversation::tell([cut]);
        let transcript = told[0].transcript();
        assert!(
            !transcript
                .iter()
                .any(|entry| matches!(entry, Entry::Error { .. })),
            "{transcript:?}"
        );
        assert!(transcript.iter().any(|entry| matches!(
            entry,
            Entry::Note { text } if text.contains("2000000 bytes, more than a recording keeps")
        )));
    }

    #[test]
    fn an_empty_folder_says_how_to_record() {
        let dir =
            std::env::temp_dir().join(format!("chatlayer-empty-recording-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let problem = RecordedConversation::read(&dir).unwrap_err();
        assert!(problem.contains("holds no recorded exchange"), "{problem}");
        assert!(problem.contains("CHATLAYER_RECORD="), "{problem}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
