//! The emulator page: a chat like Chatlayer's web widget, beside the session and an
//! inspector of every API call. Its assets are compiled in, so it works with no network.
//!
//! Served under `/emulator` by the `emulate` command; an app that wants it elsewhere (say,
//! only in a development build) mounts [`router`]:
//!
//! ```
//! use chatlayer_emulator::{page, Backend, BotFile};
//!
//! let bot = BotFile::parse("blocks: [{ id: hi, type: message, messages: [Hello!] }]").unwrap();
//! let dev_routes: axum::Router = page::router(bot, Backend::url("http://localhost:3000"));
//! # let _ = dev_routes;
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::backend::Backend;
use super::bot::BotFile;
use super::coverage::{Coverage, Reached};
use super::engine::Conversation;
use super::recording::RecordedConversation;
use super::transcript::Entry;

/// Where the page is served.
pub const PATH: &str = "/emulator";

/// How many conversations the page keeps; the oldest is dropped past it.
const MAX_CONVERSATIONS: usize = 64;

/// How many bytes of transcripts (measured as JSON) the page keeps over all its
/// conversations; the oldest conversations are dropped past it, the one in use never.
const KEPT_LIMIT: usize = 256 * 1024 * 1024;

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const STYLE_CSS: &str = include_str!("assets/style.css");

type Shared = Arc<tokio::sync::Mutex<Conversation>>;

struct PageState {
    bot: Arc<BotFile>,
    backend: Backend,
    next_id: AtomicU64,
    conversations: Mutex<BTreeMap<u64, Shared>>,
    /// What the page's conversations reached, for its coverage tab.
    reached: Mutex<PageReached>,
}

/// What every conversation of the page reached: those it still keeps by id (replaced after
/// each of their turns), and those it dropped, added up.
#[derive(Default)]
struct PageReached {
    kept: BTreeMap<u64, Reached>,
    dropped: Reached,
}

impl PageReached {
    /// Records what conversation `id` reached so far, and folds in those no longer kept.
    fn record(&mut self, id: u64, reached: &Reached, kept: &BTreeMap<u64, Shared>) {
        self.kept.insert(id, reached.clone());
        let gone: Vec<u64> = self
            .kept
            .keys()
            .filter(|id| !kept.contains_key(id))
            .copied()
            .collect();
        for id in gone {
            if let Some(reached) = self.kept.remove(&id) {
                self.dropped.merge(&reached);
            }
        }
    }
}

/// The page and its JSON API under [`PATH`], for `bot` with its steps answered by
/// `backend`.
pub fn router(bot: BotFile, backend: Backend) -> Router {
    let state = Arc::new(PageState {
        bot: Arc::new(bot),
        backend,
        next_id: AtomicU64::new(1),
        conversations: Mutex::new(BTreeMap::new()),
        reached: Mutex::new(PageReached::default()),
    });
    guarded(
        assets()
            .route(&format!("{PATH}/api/bot"), get(describe_bot))
            .route(&format!("{PATH}/api/coverage"), get(coverage))
            .route(&format!("{PATH}/api/conversations"), post(start))
            .route(&format!("{PATH}/api/conversations/{{id}}"), get(show))
            .route(&format!("{PATH}/api/conversations/{{id}}/say"), post(say))
            .route(
                &format!("{PATH}/api/conversations/{{id}}/click"),
                post(click),
            )
            .with_state(state),
    )
}

/// The page showing a recording (the files chatlayer-runtime's recorder writes)
/// under [`PATH`], each recorded session as a conversation; `source` says where it was read
/// from. Read only: nothing is sent to any backend.
///
/// ```no_run
/// use chatlayer_emulator::{page, RecordedConversation};
///
/// let recorded = RecordedConversation::read("recordings".as_ref()).unwrap();
/// let dev_routes: axum::Router = page::recording_router(recorded, "recordings/");
/// # let _ = dev_routes;
/// ```
pub fn recording_router(conversations: Vec<RecordedConversation>, source: &str) -> Router {
    let state = Arc::new(RecordingState {
        source: source.to_owned(),
        conversations,
    });
    guarded(
        assets()
            .route(&format!("{PATH}/api/bot"), get(describe_recording))
            .route(&format!("{PATH}/api/recordings/{{id}}"), get(show_recorded))
            .with_state(state),
    )
}

/// The page is for the person at this machine. A page on another site must not reach it:
/// through DNS rebinding (its own name pointed at 127.0.0.1, so the browser sends that
/// name as `Host`), or with cross-origin requests that start conversations, each calling
/// the backend with the bot file's credentials. So every request must name a loopback host
/// (or one of `CHATLAYER_EMULATOR_HOSTS`, comma-separated, for a page served elsewhere on
/// purpose); a request that changes anything must come from the page's own origin when the
/// browser says where it comes from; and every answer forbids framing and loading anything
/// from elsewhere but images and media.
fn guarded(router: Router) -> Router {
    let allowed: Arc<Vec<String>> = Arc::new(
        std::env::var("CHATLAYER_EMULATOR_HOSTS")
            .unwrap_or_default()
            .split(',')
            .map(|host| host.trim().to_ascii_lowercase())
            .filter(|host| !host.is_empty())
            .collect(),
    );
    router
        .route("/favicon.ico", get(icon))
        .route(&format!("{PATH}/icon.svg"), get(icon))
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let allowed = Arc::clone(&allowed);
                async move {
                    if let Err(refusal) = admit(&request, &allowed) {
                        return with_page_headers(problem(StatusCode::FORBIDDEN, refusal));
                    }
                    with_page_headers(next.run(request).await)
                }
            },
        ))
}

/// Why `request` is refused, if it is.
fn admit(request: &axum::extract::Request, allowed: &[String]) -> Result<(), String> {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(|authority| authority.to_string())
        })
        .ok_or("the request names no host")?;
    let name = host_name(&host).to_ascii_lowercase();
    if !is_loopback_name(&name) && !allowed.contains(&name) {
        return Err(format!(
            "the emulator page answers at localhost, not at {host:?}: a page on another site \
             pointing its name here is refused (to serve it under another name on purpose, \
             list it in CHATLAYER_EMULATOR_HOSTS)"
        ));
    }
    let changes = !matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    if changes {
        let origin = request
            .headers()
            .get(header::ORIGIN)
            .and_then(|value| value.to_str().ok());
        if let Some(origin) = origin {
            let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            if !origin_host.eq_ignore_ascii_case(&host) {
                return Err(format!(
                    "a request from {origin:?} may not use the emulator page's API: only the \
                     page itself may"
                ));
            }
        }
        let site = request
            .headers()
            .get("sec-fetch-site")
            .and_then(|value| value.to_str().ok());
        if site.is_some_and(|site| site != "same-origin" && site != "none") {
            return Err("only the page itself may use the emulator page's API".to_owned());
        }
    }
    Ok(())
}

/// Warns when the page listens at `address` beyond this machine (`0.0.0.0`, a LAN address):
/// anyone who reaches it can run conversations with the bot file's credentials.
pub fn warn_if_exposed(address: &str) {
    let exposed = address
        .parse::<std::net::SocketAddr>()
        .is_ok_and(|address| !address.ip().is_loopback());
    if exposed {
        tracing::warn!(
            "the emulator page listens on {address}, beyond this machine: anyone who reaches \
             it can run conversations that call the backend with the bot file's credentials; \
             listen on 127.0.0.1 (CHATLAYER_ADDR=127.0.0.1:8080) unless that is intended"
        );
    }
}

/// `localhost:8080` as `localhost`, `[::1]:8080` as `[::1]`.
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map_or(host, |(name, _)| &host[..=name.len()]);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

fn is_loopback_name(name: &str) -> bool {
    name == "localhost"
        || name.ends_with(".localhost")
        || name == "[::1]"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|address| address.is_loopback())
}

/// The headers every answer of the page carries.
fn with_page_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        axum::http::HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; \
             img-src 'self' data: https: http:; media-src 'self' https: http:; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
        ),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        axum::http::HeaderValue::from_static("DENY"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        axum::http::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        axum::http::HeaderValue::from_static("no-referrer"),
    );
    response
}

/// The page's icon (also at `/favicon.ico`, where browsers ask first).
async fn icon() -> Response {
    asset("image/svg+xml", ICON_SVG)
}

const ICON_SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">\
<path d=\"M8 1 15 8 8 15 1 8z\" fill=\"#4f46e5\"/></svg>";

/// The page and its script and style, the same for a live bot and a recording.
fn assets<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(PATH, get(index))
        .route(&format!("{PATH}/app.js"), get(script))
        .route(&format!("{PATH}/style.css"), get(style))
}

async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE_CSS)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn describe_bot(State(state): State<Arc<PageState>>) -> Json<Value> {
    let blocks: Vec<Value> = state
        .bot
        .blocks()
        .iter()
        .map(|block| json!({ "id": block.id(), "name": block.name(), "type": block.kind() }))
        .collect();
    Json(json!({
        "name": state.bot.name(),
        "start": state.bot.start(),
        "backend": state.backend.describe(),
        "blocks": blocks,
    }))
}

#[derive(Deserialize)]
struct StartRequest {
    #[serde(default)]
    start: Option<String>,
}

async fn start(State(state): State<Arc<PageState>>, body: Option<Json<StartRequest>>) -> Response {
    let block = body
        .and_then(|Json(request)| request.start)
        .unwrap_or_else(|| state.bot.start().to_owned());
    if state.bot.block(&block).is_none() {
        return problem(
            StatusCode::BAD_REQUEST,
            format!("the bot file has no block `{block}`"),
        );
    }
    let id = state.next_id.fetch_add(1, Ordering::Relaxed);
    let conversation = Arc::new(tokio::sync::Mutex::new(Conversation::shared(
        state.bot.clone(),
        state.backend.clone(),
    )));
    {
        let mut conversations = state.conversations.lock().expect("not poisoned");
        conversations.insert(id, conversation.clone());
        while conversations.len() > MAX_CONVERSATIONS {
            conversations.pop_first();
        }
    }
    let mut conversation = conversation.lock().await;
    conversation.start_at(&block).await;
    forget_old_conversations(&state, id, conversation.kept_bytes());
    record_reached(&state, id, &conversation);
    (StatusCode::CREATED, Json(snapshot(id, &conversation, 0))).into_response()
}

fn record_reached(state: &PageState, id: u64, conversation: &Conversation) {
    let kept = state.conversations.lock().expect("not poisoned");
    state
        .reached
        .lock()
        .expect("not poisoned")
        .record(id, conversation.reached(), &kept);
}

/// What the page's conversations reached of the bot file, since the page started.
async fn coverage(State(state): State<Arc<PageState>>) -> Json<Value> {
    let mut coverage = Coverage::new(&state.bot);
    let reached = state.reached.lock().expect("not poisoned");
    coverage.add(&reached.dropped);
    reached
        .kept
        .values()
        .for_each(|conversation| coverage.add(conversation));
    Json(coverage.to_json())
}

/// Drops the oldest conversations but `current` while all of them keep more than
/// [`KEPT_LIMIT`]. A conversation busy with a turn counts as its whole allowance.
fn forget_old_conversations(state: &PageState, current: u64, current_bytes: usize) {
    let mut conversations = state.conversations.lock().expect("not poisoned");
    let mut sizes: Vec<(u64, usize)> = conversations
        .iter()
        .filter(|(id, _)| **id != current)
        .map(|(id, conversation)| {
            let bytes = conversation
                .try_lock()
                .map_or(crate::keeping::KEPT_LIMIT, |conversation| {
                    conversation.kept_bytes()
                });
            (*id, bytes)
        })
        .collect();
    let mut total = current_bytes + sizes.iter().map(|(_, bytes)| bytes).sum::<usize>();
    sizes.reverse(); // newest last, so `pop` takes the oldest
    while total > KEPT_LIMIT {
        let Some((id, bytes)) = sizes.pop() else {
            break;
        };
        conversations.remove(&id);
        total -= bytes;
    }
}

fn find(state: &PageState, id: u64) -> Option<Shared> {
    state
        .conversations
        .lock()
        .expect("not poisoned")
        .get(&id)
        .cloned()
}

fn unknown_conversation(id: u64) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        format!("there is no conversation {id}: restart"),
    )
}

/// Applies `action` to conversation `id`, and answers with what the page shows of it from
/// entry `since` on.
async fn act(
    state: &PageState,
    id: u64,
    since: usize,
    action: impl AsyncFnOnce(&mut Conversation),
) -> Response {
    let Some(conversation) = find(state, id) else {
        return unknown_conversation(id);
    };
    let mut conversation = conversation.lock().await;
    action(&mut conversation).await;
    forget_old_conversations(state, id, conversation.kept_bytes());
    record_reached(state, id, &conversation);
    Json(snapshot(id, &conversation, since)).into_response()
}

/// The entries the page already has: it is sent the ones after them.
#[derive(Deserialize, Default)]
struct Since {
    #[serde(default)]
    since: usize,
}

async fn show(
    State(state): State<Arc<PageState>>,
    Path(id): Path<u64>,
    Query(Since { since }): Query<Since>,
) -> Response {
    act(&state, id, since, async |_| {}).await
}

#[derive(Deserialize)]
struct SayRequest {
    text: String,
    #[serde(default)]
    since: usize,
}

async fn say(
    State(state): State<Arc<PageState>>,
    Path(id): Path<u64>,
    Json(request): Json<SayRequest>,
) -> Response {
    act(&state, id, request.since, async |conversation| {
        conversation.say(&request.text).await;
    })
    .await
}

#[derive(Deserialize)]
struct ClickRequest {
    /// The transcript entry of the message (counted from the conversation's first entry).
    entry: usize,
    /// The button's position among the message's choices.
    choice: usize,
    #[serde(default)]
    since: usize,
}

async fn click(
    State(state): State<Arc<PageState>>,
    Path(id): Path<u64>,
    Json(request): Json<ClickRequest>,
) -> Response {
    act(&state, id, request.since, async |conversation| {
        conversation.click_at(request.entry, request.choice).await;
    })
    .await
}

/// What the page shows of a conversation, with the entries from `since` on.
fn snapshot(id: u64, conversation: &Conversation, since: usize) -> Value {
    let kept = conversation.transcript();
    let turn_start = kept.len() - conversation.last_turn().len();
    shown(
        id,
        Entries {
            kept,
            first: conversation.forgotten(),
            since,
        },
        turn_start + conversation.forgotten(),
        conversation.session(),
        conversation.current_block(),
        json!(conversation.waiting()),
    )
}

/// A transcript as the page is sent it: entries are numbered from the conversation's
/// first, `first` is the number of the oldest still kept, and only those from `since` on
/// are sent (the page has the others).
struct Entries<'a> {
    kept: &'a [Entry],
    first: usize,
    since: usize,
}

/// What the page's script renders, for a live conversation and a recorded one alike:
/// `turn_start` is where the latest turn's entries begin (numbered as the transcript's),
/// `waiting` what the bot waits for. The page keeps the entries it has from `first` on,
/// and adds `transcript`, which begins at entry `from`.
fn shown(
    id: impl Into<Value>,
    entries: Entries<'_>,
    turn_start: usize,
    session: Value,
    block: Option<&str>,
    waiting: Value,
) -> Value {
    let Entries { kept, first, since } = entries;
    let from = since.clamp(first, first + kept.len());
    json!({
        "id": id.into(),
        "first": first,
        "from": from,
        "transcript": &kept[from - first..],
        "turn_start": turn_start,
        "session": session,
        "block": block,
        "waiting": waiting,
    })
}

struct RecordingState {
    source: String,
    conversations: Vec<RecordedConversation>,
}

async fn describe_recording(State(state): State<Arc<RecordingState>>) -> Json<Value> {
    let conversations: Vec<Value> = state
        .conversations
        .iter()
        .enumerate()
        .map(|(index, conversation)| json!({ "id": index + 1, "title": conversation.title() }))
        .collect();
    Json(json!({
        "name": "Recording",
        "backend": format!("recorded in {}", state.source),
        "recording": conversations,
    }))
}

/// Recorded conversation `id` (from 1, in the order `/api/bot` lists them), as the page
/// shows a live one.
async fn show_recorded(
    State(state): State<Arc<RecordingState>>,
    Path(id): Path<usize>,
) -> Response {
    let Some(conversation) = id
        .checked_sub(1)
        .and_then(|index| state.conversations.get(index))
    else {
        return problem(
            StatusCode::NOT_FOUND,
            format!(
                "there is no recorded conversation {id}: the recording holds {}",
                state.conversations.len()
            ),
        );
    };
    // Read only: the whole recorded conversation is one turn, as recorded.
    Json(shown(
        id,
        Entries {
            kept: conversation.transcript(),
            first: 0,
            since: 0,
        },
        0,
        conversation.session(),
        conversation.current_block(),
        json!("recording"),
    ))
    .into_response()
}

fn problem(status: StatusCode, message: String) -> Response {
    (
        status,
        Json(json!({ "error": { "code": "emulator", "message": message } })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    async fn call(router: &Router, method: &str, path: &str, body: Value) -> Value {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "127.0.0.1")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    /// The page keeps 64 conversations: what a dropped one reached still counts.
    #[tokio::test]
    async fn coverage_keeps_what_dropped_conversations_reached() {
        let bot = BotFile::parse(
            "blocks:\n  - { id: a, type: message, messages: [A] }\n  - { id: b, type: message, messages: [B] }\n",
        )
        .unwrap();
        let router = router(bot, Backend::url("http://127.0.0.1:9"));
        let post = |start: &str| json!({ "start": start });
        call(&router, "POST", "/emulator/api/conversations", post("a")).await;
        for _ in 0..MAX_CONVERSATIONS + 2 {
            call(&router, "POST", "/emulator/api/conversations", post("b")).await;
        }
        let coverage = call(&router, "GET", "/emulator/api/coverage", Value::Null).await;
        assert_eq!(coverage["percent"], 100.0, "{coverage}");
        assert_eq!(coverage["blocks"][0]["reached"], true, "{coverage}");
    }
}
