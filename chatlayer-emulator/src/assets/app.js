// The emulator page: renders a conversation's state as a chat widget, a session panel and
// an inspector, and sends what the user types or clicks to the emulator's API.
"use strict";

const api = (path, body) =>
  fetch("/emulator/api" + path, body === undefined ? {} : {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  }).then(async (response) => {
    const json = await response.json();
    if (!response.ok) throw new Error(json.error ? json.error.message : "HTTP " + response.status);
    return json;
  });

const $ = (id) => document.getElementById(id);
const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

let conversation = null;
let busy = false;
// Set when the page shows a recording: its conversations are read only.
let recording = false;

async function boot() {
  const bot = await api("/bot");
  document.title = bot.name + " · Chatlayer emulator";
  $("bot-name").textContent = bot.name;
  $("widget-title").textContent = bot.name;
  $("backend").textContent = bot.backend;
  const select = $("start-block");
  if (bot.recording) return bootRecording(bot.recording, select);
  for (const block of bot.blocks) {
    const option = el("option", "", block.name === block.id ? block.id : block.name + " (" + block.id + ")");
    option.value = block.id;
    if (block.id === bot.start) option.selected = true;
    select.appendChild(option);
  }
  await restart();
}

async function restart() {
  await act(() => api("/conversations", { start: $("start-block").value }));
}

// A recording: the select lists its conversations, and choosing one shows it.
async function bootRecording(conversations, select) {
  recording = true;
  $("start-label").textContent = "Conversation";
  select.setAttribute("aria-label", "Recorded conversation");
  for (const recorded of conversations) {
    const option = el("option", "", recorded.title);
    option.value = recorded.id;
    select.appendChild(option);
  }
  select.addEventListener("change", showRecorded);
  $("restart").hidden = true;
  $("message").disabled = true;
  $("send").disabled = true;
  await showRecorded();
}

const showRecorded = () => act(() => api("/recordings/" + $("start-block").value));

async function act(call) {
  if (busy) return;
  busy = true;
  document.body.classList.add("busy");
  try {
    conversation = merge(conversation, await call());
    render();
  } catch (error) {
    const chat = $("chat");
    chat.appendChild(errorCard({ message: String(error.message || error) }));
    chat.scrollTop = chat.scrollHeight;
  } finally {
    busy = false;
    document.body.classList.remove("busy");
    $("message").focus();
  }
}

// The server sends the entries the page does not have yet (from `since` on); entries are
// numbered from the conversation's first, and the page keeps those from `first` on.
const since = () => conversation.first + conversation.transcript.length;
const say = (text) => act(() => api("/conversations/" + conversation.id + "/say", { text, since: since() }));
const click = (entry, choice) =>
  act(() => api("/conversations/" + conversation.id + "/click", { entry, choice, since: since() }));

// The conversation as the page shows it: the entries it had that the server still keeps,
// then those it was just sent.
function merge(previous, next) {
  if (next.from === next.first) return next;
  const kept = previous.transcript.slice(next.first - previous.first, next.from - previous.first);
  return { ...next, transcript: kept.concat(next.transcript) };
}

function render() {
  const { transcript, first } = conversation;
  const turn_start = conversation.turn_start - first;
  const lastUser = transcript.map((entry) => entry.kind).lastIndexOf("user");
  const chat = $("chat");
  chat.replaceChildren();
  if (first > 0) chat.appendChild(el("div", "forgotten", first + " earlier entries are no longer kept"));
  transcript.forEach((entry, index) => {
    if (entry.kind === "bot") chat.appendChild(botMessage(entry.message, first + index, index > lastUser));
    else if (entry.kind === "user") {
      const row = el("div", "row user");
      row.appendChild(el("div", "bubble user" + (entry.clicked ? " clicked" : ""), entry.text));
      chat.appendChild(row);
    } else if (entry.kind === "error") chat.appendChild(errorCard(entry));
    else if (entry.kind === "exchange" && recording) chat.appendChild(callRow(entry));
  });
  chat.scrollTop = chat.scrollHeight;

  const block = conversation.block;
  $("current-block").textContent = block
    ? "at block " + block + " · " + describeWaiting(conversation.waiting)
    : recording ? describeWaiting(conversation.waiting) : "—";
  $("composer").classList.toggle("stopped", conversation.waiting === "stopped");
  $("message").placeholder = recording
    ? "A recording holds the calls only, not what the user typed"
    : conversation.waiting === "stopped"
    ? "The conversation stopped at an error: restart"
    : conversation.waiting === "input" ? "Type your answer…" : "Type a message or a button's title…";

  renderSession(transcript.slice(turn_start));
  renderExchanges(transcript);
  renderLog(transcript);
  if (!recording) refreshCoverage();
}

// The coverage tab: fetched after each turn (it adds up every conversation of the page).
async function refreshCoverage() {
  let coverage;
  try {
    coverage = await api("/coverage");
  } catch (error) {
    $("coverage").replaceChildren(el("p", "error", "cannot load the coverage: " + error.message));
    return;
  }
  $("coverage-percent").textContent = coverage.percent + "%";
  const panel = $("coverage");
  panel.replaceChildren();
  const reached = coverage.blocks.filter((block) => block.reached).length;
  const called = coverage.steps.filter((step) => step.outcomes.length > 0).length;
  const clicked = coverage.choicesWritten - coverage.choicesMissed.length;
  panel.appendChild(el("p", "coverage-total", coverage.percent + "% covered: blocks " + reached + "/" + coverage.blocks.length +
    ", steps " + called + "/" + coverage.steps.length + ", buttons and quick replies " + clicked + "/" + coverage.choicesWritten));
  const section = (title, items) => {
    panel.appendChild(el("h3", "", title));
    const list = el("ul", "coverage-list");
    for (const [text, className] of items) list.appendChild(el("li", className, text));
    panel.appendChild(list);
  };
  section("Blocks", coverage.blocks.map((block) =>
    [block.id + " (" + block.type + ")" + (block.reached ? "" : ": never reached"), block.reached ? "reached" : "missed"]));
  section("Steps", coverage.steps.map((step) => [step.method + " " + step.path + ": " + (step.outcomes.length
    ? step.outcomes.map(([outcome, count]) => describeOutcome(outcome) + " ×" + count).join(", ")
    : "never called (from " + step.blocks.join(", ") + ")"), step.outcomes.length ? "reached" : "missed"]));
  if (coverage.choicesMissed.length) {
    section("Buttons and quick replies never clicked", coverage.choicesMissed.map((choice) => [choice.block + ": " + choice.title, "missed"]));
  }
  if (coverage.offeredChoicesMissed.length) {
    section("Offered by step replies, never clicked", coverage.offeredChoicesMissed.map((choice) => [choice.block + ": " + choice.title, "missed"]));
  }
}

function describeOutcome(outcome) {
  return outcome.outcome.replace("_", " ") + (outcome.code ? " " + outcome.code : "");
}

function describeWaiting(waiting) {
  return { input: "waiting for an answer", choice: "waiting for the user", stopped: "stopped", recording: "as recorded" }[waiting] || waiting;
}

function botMessage(message, index, latest) {
  const row = el("div", "row bot");
  const config = message.config || {};
  const texts = config.textMessages || [];
  let choice = 0;
  if (texts.length) row.appendChild(el("div", "bubble bot", texts[0].text));
  switch (message.type) {
    case "text":
      break;
    case "buttons": {
      const list = el("div", "buttons");
      for (const button of config.buttons || []) list.appendChild(choiceButton(button, index, choice++, "button"));
      row.appendChild(list);
      break;
    }
    case "quickReplies": {
      // Choices are numbered as the server lists them: buttons, quick replies, cards.
      const replies = config.quickReplies || [];
      const first = (config.buttons || []).length;
      choice += replies.length;
      if (latest) {
        const list = el("div", "quick-replies");
        replies.forEach((reply, position) => list.appendChild(choiceButton(reply, index, first + position, "quick-reply")));
        row.appendChild(list);
      }
      break;
    }
    case "carousel": {
      const carousel = el("div", "carousel");
      for (const card of config.elements || []) {
        const node = el("div", "card");
        const picture = el("div", "picture");
        if (card.imageUrl) picture.appendChild(image(card.imageUrl));
        node.appendChild(picture);
        const body = el("div", "body");
        body.appendChild(el("div", "title", card.title || ""));
        if (card.subTitle) body.appendChild(el("div", "subtitle", card.subTitle));
        node.appendChild(body);
        for (const button of card.buttons || []) node.appendChild(choiceButton(button, index, choice++, "card-button"));
        carousel.appendChild(node);
      }
      row.appendChild(carousel);
      break;
    }
    case "media": {
      const media = config.media || {};
      const box = el("div", "media");
      if (media.type === "video") {
        const video = el("video");
        video.controls = true;
        video.src = media.url;
        box.appendChild(video);
      } else if (media.type === "audio") {
        const audio = el("audio");
        audio.controls = true;
        audio.src = media.url;
        box.appendChild(audio);
      } else if (media.type === "attachment") {
        const link = el("a", "attachment", "📎 " + media.url.split("/").pop());
        link.href = media.url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        box.appendChild(link);
      } else box.appendChild(image(media.url));
      row.appendChild(box);
      break;
    }
    default:
      if (!texts.length) row.appendChild(el("div", "raw", message.type + " message\n" + JSON.stringify(config, null, 2)));
  }
  return row;
}

// In a recording, each call stands where the user's turn would: the step, what it was
// sent to, and how it answered.
function callRow(exchange) {
  const row = el("div", "row call");
  const ok = exchange.status !== null && exchange.status >= 200 && exchange.status < 300;
  row.appendChild(el("div", "call" + (ok ? "" : " bad"),
    exchange.block + " · " + exchange.request.method + " " + exchange.request.url + " → " + exchange.status));
  return row;
}

function image(url) {
  const img = el("img");
  img.alt = "";
  img.src = url;
  img.onerror = () => img.replaceWith(el("div", "missing-media", "🖼 " + url));
  return img;
}

function choiceButton(button, entry, choice, className) {
  const node = el("button", className);
  node.type = "button";
  if (button.imageUrl) node.appendChild(image(button.imageUrl));
  node.appendChild(document.createTextNode(button.title || "(untitled)"));
  if (button.type === "web_url") node.title = "Opens " + button.url;
  if (button.type === "phone_number") node.title = "Calls " + button.payload;
  node.addEventListener("click", () => click(entry, choice));
  return node;
}

function errorCard(entry) {
  const card = el("div", "error-card");
  const head = el("div");
  head.appendChild(el("strong", "", "Error" + (entry.block ? " at " + entry.block : "") + ": "));
  head.appendChild(document.createTextNode(entry.message));
  if (entry.code) {
    head.appendChild(document.createTextNode(" "));
    head.appendChild(el("span", "code", "[" + entry.code + "]"));
  }
  card.appendChild(head);
  if (entry.hint) card.appendChild(el("div", "hint", "Hint: " + entry.hint));
  return card;
}

function renderSession(turn) {
  const changes = turn.filter((entry) => entry.kind === "session").flatMap((entry) => entry.changes);
  const list = $("changes");
  list.replaceChildren();
  for (const change of changes) {
    const row = el("div", "change");
    row.appendChild(el("span", "path", change.path));
    if (change.before !== null) row.appendChild(el("span", "before", JSON.stringify(change.before)));
    row.appendChild(el("span", "after", "→ " + JSON.stringify(change.after)));
    list.appendChild(row);
  }
  const changed = new Set(changes.map((change) => change.path));
  const pre = $("session");
  pre.replaceChildren(jsonNode(conversation.session, "", 0, changed));
}

// Pretty JSON as DOM nodes; values whose path changed this turn are highlighted.
function jsonNode(value, path, depth, changed) {
  const fragment = document.createDocumentFragment();
  const pad = "  ".repeat(depth);
  if (value !== null && typeof value === "object") {
    const isArray = Array.isArray(value);
    const keys = isArray ? value.map((_, i) => i) : Object.keys(value);
    if (!keys.length) {
      fragment.appendChild(document.createTextNode(isArray ? "[]" : "{}"));
      return fragment;
    }
    fragment.appendChild(document.createTextNode(isArray ? "[\n" : "{\n"));
    keys.forEach((key, i) => {
      const childPath = isArray ? path + "[" + key + "]" : (path ? path + "." + key : key);
      const line = el("span", changed.has(childPath) ? "changed" : "");
      line.appendChild(document.createTextNode(pad + "  "));
      if (!isArray) {
        line.appendChild(el("span", "key", JSON.stringify(key)));
        line.appendChild(document.createTextNode(": "));
      }
      line.appendChild(jsonNode(value[key], childPath, depth + 1, changed));
      fragment.appendChild(line);
      fragment.appendChild(document.createTextNode(i + 1 < keys.length ? ",\n" : "\n"));
    });
    fragment.appendChild(document.createTextNode(pad + (isArray ? "]" : "}")));
    return fragment;
  }
  const type = value === null ? "null" : typeof value;
  fragment.appendChild(el("span", type, JSON.stringify(value)));
  return fragment;
}

function renderExchanges(transcript) {
  const exchanges = transcript.filter((entry) => entry.kind === "exchange");
  $("exchange-count").textContent = exchanges.length;
  const list = $("exchanges");
  list.replaceChildren();
  exchanges.slice().reverse().forEach((exchange, position) => {
    const details = el("details", "exchange");
    details.open = position === 0;
    const summary = el("summary");
    summary.appendChild(el("span", "method", exchange.request.method));
    summary.appendChild(el("span", "url", exchange.request.url));
    const ok = exchange.status !== null && exchange.status >= 200 && exchange.status < 300;
    summary.appendChild(el("span", "status" + (ok ? "" : " bad"), exchange.status === null ? "no answer" : String(exchange.status)));
    summary.appendChild(el("span", "latency", exchange.latency_ms.toFixed(1) + " ms"));
    details.appendChild(summary);
    const body = el("div", "details");
    const error = exchange.response && exchange.response.error;
    if (error && error.message) {
      const box = el("div", "error-hint");
      box.appendChild(el("strong", "", (error.code || "error") + ": "));
      box.appendChild(document.createTextNode(error.message + (error.hint ? " Hint: " + error.hint : "")));
      body.appendChild(box);
    }
    body.appendChild(el("h4", "", "Request headers"));
    body.appendChild(el("pre", "json", exchange.request.headers.map(([name, value]) => name + ": " + value).join("\n") || "(none)"));
    if (exchange.request.body !== null) {
      body.appendChild(el("h4", "", "Request body"));
      body.appendChild(el("pre", "json", JSON.stringify(exchange.request.body, null, 2)));
    }
    body.appendChild(el("h4", "", "Response"));
    body.appendChild(el("pre", "json", exchange.response === null ? "(empty)" : JSON.stringify(exchange.response, null, 2)));
    details.appendChild(body);
    list.appendChild(details);
  });
}

function renderLog(transcript) {
  const log = $("log");
  log.replaceChildren();
  for (const entry of transcript) {
    let item = null;
    if (entry.kind === "block") item = el("li", "", "Block " + entry.name + " (" + entry.block_type + ")");
    else if (entry.kind === "note") item = el("li", "note", entry.text);
    else if (entry.kind === "error") item = el("li", "error", entry.message);
    else if (entry.kind === "user") item = el("li", "", "User: " + entry.text);
    else if (entry.kind === "exchange") item = el("li", "", entry.request.method + " " + entry.request.url + " → " + (entry.status === null ? "no answer" : entry.status));
    if (item) log.appendChild(item);
  }
}

for (const tab of document.querySelectorAll(".tab")) {
  tab.addEventListener("click", () => {
    for (const other of document.querySelectorAll(".tab")) other.classList.toggle("active", other === tab);
    for (const panel of document.querySelectorAll(".panel")) panel.classList.toggle("active", panel.id === tab.dataset.tab);
  });
}
$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("message").value.trim();
  if (!text || !conversation) return;
  $("message").value = "";
  say(text);
});
$("restart").addEventListener("click", restart);
boot().catch((error) => $("chat").appendChild(errorCard({ message: "cannot load the bot: " + error.message })));
