// Koordinator sandbox page: pick a persona, then chat with the bot through the emulator.
//
// The bot writes Telegram HTML. renderTelegramHtml() builds DOM nodes itself: only the
// tags Telegram allows become elements and every piece of text becomes a text node, so
// nothing the bot (or a participant's name inside it) contains is ever parsed as HTML.
"use strict";

const ALLOWED_TAGS = new Set(["b", "i", "u", "s", "code", "pre", "a", "blockquote"]);
const LINK_PROTOCOLS = new Set(["http:", "https:", "tg:", "mailto:"]);
const ROLE_LABELS = {
  admin: "Administratör · Admin",
  lead: "Projektledare · Project lead",
  coordinator: "Koordinator · Coordinator",
  participant: "Deltagare · Participant",
  stranger: "Utomstående · Not in the project",
};
// What each persona is told when its chat opens (the page's own words, not the bot's).
const GREETINGS = {
  admin: "Du är administratör: personal, radering och allt en projektledare ser. · You are the admin.",
  lead: "Du är projektledare: statistik, rapporter och teamet. · You lead the project: figures, reports, the team.",
  coordinator: "Du är koordinator: registrera, logga avstämningar, boka uppföljningar. Tryck på ett meddelande för att svara på det. · You are a coordinator; tap a message to reply to it.",
  participant: "Du är deltagare: skriv till din koordinator, skicka en bild eller ett röstmeddelande, svara med knapparna. · You are a participant: write to your coordinator or answer with the buttons.",
  stranger: "Du är inte med i projektet: se vad boten säger till utomstående. · You are not in the project.",
};
const UPLOAD_MAX_BYTES = 360 * 1024;
const RETRY_MAX_MS = 5000;

const state = {
  personas: [],
  persona: null,
  poll: null, // AbortController of the running long poll
  version: null,
  replyTo: null, // the bot message being answered, {id, text}
};

const $ = (id) => document.getElementById(id);

// ---- small DOM helpers ------------------------------------------------------------------
function el(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined) node.setAttribute(name, String(value));
  }
  for (const child of children) {
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0]).join("").toUpperCase();
}

// ---- Telegram HTML → DOM ------------------------------------------------------------------
const ENTITY = /&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-f]{1,6});/gi;
const NAMED = { lt: "<", gt: ">", amp: "&", quot: '"' };

function decodeEntities(text) {
  return text.replace(ENTITY, (whole, name) => {
    const lower = name.toLowerCase();
    if (lower in NAMED) return NAMED[lower];
    const code = lower.startsWith("#x") ? parseInt(lower.slice(2), 16) : parseInt(lower.slice(1), 10);
    try {
      return String.fromCodePoint(code);
    } catch {
      return whole; // not a code point: show it as written
    }
  });
}

function safeHref(attributes) {
  const match = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')/i.exec(attributes);
  if (!match) return null;
  const raw = decodeEntities(match[1] ?? match[2] ?? "").trim();
  try {
    const url = new URL(raw);
    return LINK_PROTOCOLS.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

function renderTelegramHtml(source) {
  const root = document.createDocumentFragment();
  const open = [{ tag: null, node: root }]; // the elements not yet closed, outermost first
  const addText = (text) => {
    if (text) open[open.length - 1].node.append(document.createTextNode(text));
  };
  const tagPattern = /<(\/?)([a-zA-Z][\w-]*)([^<>]*)>/g;
  let last = 0;
  for (const match of source.matchAll(tagPattern)) {
    addText(decodeEntities(source.slice(last, match.index)));
    last = match.index + match[0].length;
    const [raw, slash, name, attributes] = match;
    const tag = name.toLowerCase();
    if (!ALLOWED_TAGS.has(tag)) {
      addText(raw); // not Telegram markup: shown exactly as written
      continue;
    }
    if (slash) {
      const at = open.map((o) => o.tag).lastIndexOf(tag);
      if (at <= 0) addText(raw);
      else open.length = at; // closes it and anything left open inside it
      continue;
    }
    const node = document.createElement(tag);
    if (tag === "a") {
      const href = safeHref(attributes);
      if (href) {
        node.setAttribute("href", href);
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer");
      }
    }
    open[open.length - 1].node.append(node);
    open.push({ tag, node });
  }
  addText(decodeEntities(source.slice(last)));
  return root;
}

// ---- the API ----------------------------------------------------------------------------
async function api(path, options = {}) {
  const response = await fetch(path, options);
  let body = {};
  try {
    body = await response.json();
  } catch {
    // not JSON (e.g. the sandbox is stopping): the status says enough
  }
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

function post(path, payload) {
  return api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload),
  });
}

// ---- persona picker ---------------------------------------------------------------------
async function loadPersonas() {
  const list = $("persona-list");
  try {
    const body = await api("/api/personas");
    state.personas = body.personas;
  } catch (error) {
    showError("picker-error", `Kunde inte hämta personer / Could not load personas: ${error.message}`);
    return;
  }
  list.replaceChildren(...state.personas.map(personaCard));
  list.removeAttribute("aria-busy");
  openFromHash();
}

function personaCard(persona) {
  const details = [ROLE_LABELS[persona.role] || persona.role, persona.language_name];
  if (persona.municipality) details.push(persona.municipality);
  const button = el("button", {
    type: "button", class: `persona role-${persona.role}`,
    "data-testid": `persona-${persona.id}`, "data-persona-id": persona.id,
  }, [
    el("span", { class: "avatar", "aria-hidden": "true" }, [initials(persona.name)]),
    el("span", { class: "persona-text" }, [
      el("span", { class: "persona-name", "data-testid": "persona-name" }, [persona.name]),
      el("span", { class: "persona-details" }, [details.join(" · ")]),
    ]),
  ]);
  button.addEventListener("click", () => { location.hash = String(persona.id); });
  return el("li", {}, [button]);
}

function openFromHash() {
  const id = Number(location.hash.slice(1));
  const persona = state.personas.find((p) => p.id === id);
  if (persona) openChat(persona);
  else showPicker();
}

function showPicker() {
  stopPolling();
  state.persona = null;
  $("chat").hidden = true;
  $("picker").hidden = false;
}

// ---- chat -------------------------------------------------------------------------------
function openChat(persona) {
  stopPolling();
  state.persona = persona;
  state.version = null;
  $("chat-subtitle").textContent = `Som / As: ${persona.name} · ${persona.language_name}`;
  $("chat-subtitle").title = `${persona.name} · ${ROLE_LABELS[persona.role] || persona.role}`;
  $("messages").replaceChildren();
  $("greeting").textContent = GREETINGS[persona.role] || "";
  $("quick").replaceChildren(...(persona.shortcuts || ["/help"]).map((command) => {
    const chip = el("button", {
      type: "button", class: "chip", "data-command": command,
      "data-testid": `quick-${command.slice(1)}`,
    }, [command]);
    chip.addEventListener("click", () => send(command));
    return chip;
  }));
  setReplyTo(null);
  hideError("chat-error");
  $("picker").hidden = true;
  $("chat").hidden = false;
  $("message-input").focus();
  startPolling(persona);
}

function stopPolling() {
  if (state.poll) state.poll.abort();
  state.poll = null;
}

async function startPolling(persona) {
  const controller = new AbortController();
  state.poll = controller;
  let delay = 500;
  while (!controller.signal.aborted) {
    try {
      const since = state.version === null ? "" : `?since=${state.version}`;
      const body = await api(`/api/chats/${persona.id}/messages${since}`, { signal: controller.signal });
      if (controller.signal.aborted) return;
      setOnline(true);
      delay = 500;
      if (body.version !== state.version) {
        state.version = body.version;
        renderMessages(body.messages);
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      setOnline(false);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }
}

function renderMessages(messages) {
  const list = $("messages");
  // Follow the conversation, but leave someone reading older messages where they are
  // when only an old message changed (an edit).
  const follow = list.scrollHeight - list.scrollTop - list.clientHeight < 80
    || messages.length !== list.children.length;
  const top = list.scrollTop;
  list.replaceChildren(...messages.map(renderMessage));
  list.scrollTop = follow ? list.scrollHeight : top;
}

function renderMessage(message) {
  const from = message.from_bot ? "bot" : "user";
  // dir="auto" takes the direction of the first strong letter, so Arabic and Dari read
  // right to left; nodes inside carry no dir of their own, or auto would skip them.
  const bubble = el("div", { class: "bubble", dir: "auto" });
  if (message.photo) {
    bubble.append(el("img", {
      class: "photo", src: message.photo.url, alt: "Bild / Picture", "data-testid": "message-photo",
    }));
  }
  if (message.document) {
    const icon = { voice: "🎤 ", video: "🎬 " }[message.document.kind] || "📄 ";
    bubble.append(el("a", {
      class: "document", href: message.document.url, download: message.document.name,
      "data-testid": "message-document",
    }, [icon, el("bdi", {}, [message.document.name])]));
  }
  if (message.text) {
    const text = el("div", { class: "text", "data-testid": "message-text" });
    text.append(message.html ? renderTelegramHtml(message.text) : document.createTextNode(message.text));
    bubble.append(text);
  }
  const time = new Date(message.date * 1000).toLocaleTimeString("sv-SE", { hour: "2-digit", minute: "2-digit" });
  bubble.append(el("div", { class: "meta" }, [message.edited ? `redigerad / edited · ${time}` : time]));
  const item = el("li", {
    class: `message from-${from}`, "data-testid": "message", "data-from": from,
    "data-message-id": message.id, "data-edited": message.edited ? "true" : "false",
  }, [bubble]);
  if (message.buttons.length) item.append(renderKeyboard(message));
  if (message.from_bot) {
    // Tapping a message of the bot answers it, as Telegram's "Reply" does.
    bubble.addEventListener("click", (event) => {
      if (event.target.closest("a, button")) return;
      setReplyTo({ id: message.id, text: (message.text || message.document?.name || "").slice(0, 80) });
    });
  }
  return item;
}

function setReplyTo(target) {
  state.replyTo = target;
  $("reply-banner").hidden = target === null;
  $("reply-text").textContent = target ? target.text : "";
}

function renderKeyboard(message) {
  const rows = message.buttons.map((row) => el("div", { class: "keyboard-row" }, row.map((button) => {
    if (button.data === undefined) {
      // A link button opens Telegram or a web site; the sandbox stays offline.
      return el("span", { class: "key key-link", title: button.url || "" }, [button.text]);
    }
    const key = el("button", {
      type: "button", class: "key", "data-testid": "inline-button", "data-data": button.data,
    }, [button.text]);
    key.addEventListener("click", () => press(message.id, button.data, key));
    return key;
  })));
  return el("div", { class: "keyboard", "data-testid": "inline-keyboard" }, rows);
}

async function press(messageId, data, key) {
  const persona = state.persona;
  if (!persona) return;
  key.disabled = true; // until the bot's answer redraws the chat
  try {
    await post(`/api/chats/${persona.id}/press`, { message_id: messageId, data });
    hideError("chat-error");
  } catch (error) {
    key.disabled = false;
    showError("chat-error", error.message);
  }
}

async function send(text) {
  const persona = state.persona;
  text = text.trim();
  if (!persona || !text) return false;
  try {
    const payload = { text };
    if (state.replyTo) payload.reply_to = state.replyTo.id;
    await post(`/api/chats/${persona.id}/send`, payload);
    setReplyTo(null);
    hideError("chat-error");
    return true;
  } catch (error) {
    showError("chat-error", error.message);
    return false;
  }
}

function kindOf(file) {
  if (file.type.startsWith("image/")) return "photo";
  if (file.type.startsWith("audio/")) return "voice";
  if (file.type.startsWith("video/")) return "video";
  return "document";
}

async function upload(file) {
  const persona = state.persona;
  if (!persona || !file) return;
  if (file.size > UPLOAD_MAX_BYTES) {
    showError("chat-error", "Filen är för stor för sandlådan / The file is too large for the sandbox");
    return;
  }
  const data = await new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
  try {
    const payload = { kind: kindOf(file), name: file.name, mime: file.type, data };
    if (state.replyTo) payload.reply_to = state.replyTo.id;
    await post(`/api/chats/${persona.id}/upload`, payload);
    setReplyTo(null);
    hideError("chat-error");
  } catch (error) {
    showError("chat-error", error.message);
  }
}

// ---- status and errors ------------------------------------------------------------------
function setOnline(online) {
  $("connection").hidden = online;
}

function showError(id, text) {
  const node = $(id);
  node.textContent = text;
  node.hidden = false;
}

function hideError(id) {
  $(id).hidden = true;
}

// ---- wiring -----------------------------------------------------------------------------
function init() {
  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("message-input");
    if (await send(input.value)) input.value = "";
    input.focus();
  });
  $("attach").addEventListener("change", async (event) => {
    const [file] = event.target.files;
    await upload(file);
    event.target.value = "";
  });
  $("reply-cancel").addEventListener("click", () => setReplyTo(null));
  $("switch-persona").addEventListener("click", () => { location.hash = ""; });
  window.addEventListener("hashchange", openFromHash);
  loadPersonas();
}

document.addEventListener("DOMContentLoaded", init);
