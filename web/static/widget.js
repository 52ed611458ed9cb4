/*!
 * clinicbot chat widget - embedded on a clinic's own site with one <script> tag:
 *
 *   <script src="https://BOT-HOST/widget.js" data-title="Ask our clinic"
 *           data-greeting="Hi! Ask me about our treatments." data-color="#0b6e4f"
 *           data-position="right" data-starters="Does it hurt?|How many sessions?" defer></script>
 *
 * Plain ES2020, no dependencies, no build step, no third-party requests: the only server it
 * talks to is the bot host (learnt from its own script tag, or data-api).
 *
 * Ground rules, because this runs inside somebody else's page:
 *  - Everything lives in an open Shadow DOM with its own <style>, so neither side's CSS leaks.
 *  - Data never goes through innerHTML: every node is built with createElement/textContent,
 *    and hrefs are only kept for http:, https:, tel: and mailto:.
 *  - Failing is quiet: a broken sessionStorage or widget-config must not break the chat.
 */
(() => {
  'use strict';

  // ---------------------------------------------------------------------------------------
  // Configuration from the script tag. document.currentScript is only set while this file is
  // being evaluated (defer included), so it is read here, synchronously, before anything else.
  // ---------------------------------------------------------------------------------------
  const HOST_ID = 'clinicbot-widget';
  if (document.getElementById(HOST_ID)) return; // included twice: keep the first one

  const script = document.currentScript
    || [...document.querySelectorAll('script[src]')].reverse().find((s) => /\/widget\.js(\?|#|$)/.test(s.src));
  const data = (script && script.dataset) || {};

  // The file is pure ASCII (non-ASCII text as \u escapes): a <script> without charset is decoded
  // with the host page's encoding, which may not be UTF-8.
  const STORAGE_KEY = 'clinicbot:v1';
  const TIMEOUT_MS = 15000;
  const MAX_QUESTION = 1000;
  const HISTORY_TURNS = 10; // turns sent to /api/ask as context
  const MAX_STORED_MESSAGES = 60; // keeps sessionStorage small on long chats
  const STATUSES = ['answered', 'no_answer', 'emergency'];
  const REASONS = ['not_covered', 'medical_advice', 'off_topic']; // why a no_answer reply did not answer
  const NETWORK_ERROR = "Sorry \u2014 I can't reach the clinic's assistant right now.";
  const RATE_LIMITED = "You're asking faster than we can answer \u2014 try again in a minute.";
  const DISCLAIMER = "Answers are quoted from the clinic's articles and are not medical advice.";

  /** The API base: data-api if it is a valid http(s) URL, else the origin this file came from. */
  function apiBase() {
    for (const candidate of [data.api, script && script.src]) {
      if (!candidate) continue;
      try {
        const u = new URL(candidate, document.baseURI);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') continue;
        // data-api may carry a path prefix ("https://host/bot"); the script src only gives an origin.
        return candidate === data.api ? u.origin + u.pathname.replace(/\/+$/, '') : u.origin;
      } catch (_) { /* try the next candidate */ }
    }
    return window.location.origin;
  }

  const text = (v, fallback) => (typeof v === 'string' && v.trim() ? v.trim() : fallback);
  const API = apiBase();
  const TITLE = text(data.title, 'Ask the clinic');
  const GREETING = text(data.greeting, "Hi! Ask me about our treatments, and I'll answer from the clinic's articles.");
  const POSITION = data.position === 'left' ? 'left' : 'right';
  const STARTERS = text(data.starters, 'Does it hurt?|How many sessions will I need?|Does insurance cover it?')
    .split('|').map((s) => s.trim()).filter(Boolean).slice(0, 6);

  // ---------------------------------------------------------------------------------------
  // Colour: the clinic's colour is used for the header and launcher only. The text on it is
  // white when that meets WCAG AA (4.5:1), otherwise dark - computed, not guessed.
  // ---------------------------------------------------------------------------------------
  const DEFAULT_COLOR = '#0b6e4f';

  /** Any CSS colour -> [r, g, b] (a canvas normalises names, rgb(), hsl() ...), or null. */
  function parseColor(value) {
    const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec((value || '').trim());
    if (hex) {
      const h = hex[1].length === 3 ? hex[1].replace(/./g, '$&$&') : hex[1];
      return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
    }
    try {
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.fillStyle = '#010203';
      ctx.fillStyle = value;
      const out = String(ctx.fillStyle);
      if (out === '#010203') return null; // rejected (or literally that colour; either way: default)
      const m = /^#([0-9a-f]{6})$/i.exec(out) || null;
      if (m) return [0, 2, 4].map((i) => parseInt(m[1].slice(i, i + 2), 16));
      const rgba = /rgba?\(([^)]+)\)/.exec(out);
      if (!rgba) return null;
      const [r, g, b, a = 1] = rgba[1].split(',').map(Number);
      return [r, g, b].map((c) => Math.round(c * a + 255 * (1 - a))); // over the white panel
    } catch (_) {
      return null;
    }
  }

  function luminance([r, g, b]) {
    const lin = (c) => { const s = c / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  }
  const contrast = (l1, l2) => (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);

  const rgb = parseColor(data.color) || parseColor(DEFAULT_COLOR);
  const ACCENT = `rgb(${rgb.join(', ')})`;
  const L = luminance(rgb);
  const ON_ACCENT = contrast(L, 1) >= 4.5 ? '#ffffff' : contrast(L, luminance([17, 17, 17])) >= 4.5 ? '#111111' : '#000000';

  // ---------------------------------------------------------------------------------------
  // Styles. px only (rem would follow the host page's <html> font size), explicit fonts and
  // colours everywhere, and `:host { all: initial !important }`: in the cascade, !important
  // declarations from inside a shadow tree beat the page's, even `* { ... !important }`.
  // ---------------------------------------------------------------------------------------
  const CSS = `
:host { all: initial !important; }
[hidden] { display: none !important; }
.root, .root * { box-sizing: border-box; }
.root {
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 15px; line-height: 1.45; color: #1a1a1a; text-align: left; letter-spacing: normal;
  --accent: ${ACCENT}; --on-accent: ${ON_ACCENT}; --focus: #1d4ed8;
}
button, textarea { font: inherit; color: inherit; margin: 0; }
button { cursor: pointer; }
:focus { outline: none; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }

.launcher { position: fixed; bottom: 20px; z-index: 2147483000; width: 60px; height: 60px; padding: 0;
  border: 0; border-radius: 50%; background: var(--accent); color: var(--on-accent);
  display: flex; align-items: center; justify-content: center; box-shadow: 0 4px 14px rgba(0,0,0,.3); }
.launcher svg { width: 28px; height: 28px; fill: currentColor; }
/* The launcher sits on an unknown page colour: a dark ring with a white gap shows on any. */
.launcher:focus-visible { outline: 3px solid #111; outline-offset: 3px; box-shadow: 0 0 0 3px #fff; }
.pos-right .launcher { right: 20px; } .pos-left .launcher { left: 20px; }

.panel { position: fixed; bottom: 92px; z-index: 2147483001; width: 380px; height: 600px;
  max-height: calc(100vh - 112px); max-width: calc(100vw - 40px); display: flex; flex-direction: column;
  background: #fff; color: #1a1a1a; border: 1px solid #c7c7c7; border-radius: 12px; overflow: hidden;
  box-shadow: 0 10px 40px rgba(0,0,0,.25); }
.pos-right .panel { right: 20px; } .pos-left .panel { left: 20px; }
/* Tab order is input -> send -> conversation -> header (launcher -> input -> send -> links);
   flex order puts them back in the usual visual places. */
.header { order: 1; } .log { order: 2; } .starters { order: 3; } .composer { order: 4; } .disclaimer { order: 5; }

.header { display: flex; align-items: center; gap: 6px; padding: 10px 10px 10px 16px;
  background: var(--accent); color: var(--on-accent); }
.title { flex: 1; margin: 0; font-size: 16px; font-weight: 700; line-height: 1.3; color: inherit; }
.header button { background: transparent; color: inherit; border: 1px solid transparent; border-radius: 6px;
  padding: 4px 8px; font-size: 13px; }
.header button:hover { border-color: currentColor; }
.header :focus-visible { outline-color: var(--on-accent); outline-offset: -1px; }
.header .close { font-size: 22px; line-height: 1; padding: 2px 10px; }

.log { flex: 1; overflow-y: auto; padding: 14px; display: flex; flex-direction: column; gap: 10px;
  position: relative; overscroll-behavior: contain; }
.msg { max-width: 88%; padding: 9px 12px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.user { align-self: flex-end; background: #e3ecf7; color: #111; border-bottom-right-radius: 4px; }
.msg.bot { align-self: flex-start; background: #f2f3f5; color: #1a1a1a; border-bottom-left-radius: 4px; }
.msg p { margin: 0; }
.answer-quote { margin: 0; padding: 2px 0 2px 10px; border-left: 4px solid #5b6472; font-style: italic; white-space: pre-line; }
.sources, .contacts, .feedback { margin-top: 8px; white-space: normal; font-size: 13px; }
.sources-label { font-weight: 700; margin: 0; }
.sources ul { margin: 2px 0 0; padding-left: 18px; }
a { color: #0b57d0; text-decoration: underline; }
a:hover { color: #063c91; }
.contacts { display: flex; flex-wrap: wrap; gap: 6px; }
.contacts a { display: inline-block; padding: 4px 10px; border: 1px solid #0b57d0; border-radius: 14px;
  background: #fff; text-decoration: none; }
.msg.emergency { max-width: 100%; background: #fdecea; color: #3b0a07; border: 2px solid #b3261e; }
.emergency-call { display: block; margin-top: 10px; padding: 10px 14px; border-radius: 8px; background: #b3261e;
  color: #fff !important; font-size: 20px; font-weight: 700; text-align: center; text-decoration: none; }
.emergency-call:focus-visible { outline-color: #3b0a07; }
.msg.error { background: #fff4e5; color: #4a2a00; border: 1px solid #b86e00; }
.retry { display: inline-block; margin-top: 6px; padding: 4px 12px; border: 1px solid #4a2a00;
  border-radius: 6px; background: #fff; color: #4a2a00; white-space: normal; }
.feedback { display: flex; align-items: center; flex-wrap: wrap; gap: 4px; color: #3d4450; }
.vote { background: #fff; border: 1px solid #6b7280; border-radius: 6px; padding: 1px 8px; font-size: 15px; }
.vote[aria-pressed="true"] { background: #e3ecf7; border-color: #1d4ed8; }
.vote:disabled { cursor: default; opacity: .75; }
.feedback-status { margin-left: 4px; } .feedback-status.failed { color: #a4130c; }
.typing { align-self: flex-start; padding: 6px 14px; border-radius: 12px; background: #f2f3f5; color: #3d4450;
  font-size: 20px; line-height: 1; letter-spacing: 2px; animation: cb-pulse 1.2s ease-in-out infinite; }
@keyframes cb-pulse { 50% { opacity: .35; } }

.starters { display: flex; flex-wrap: wrap; gap: 6px; padding: 0 14px 10px; }
.starter { background: #fff; color: #1f2937; border: 1px solid #6b7280; border-radius: 16px; padding: 5px 12px;
  font-size: 13px; text-align: left; }
.starter:hover, .vote:hover:enabled, .retry:hover { background: #f2f3f5; }

.composer { display: flex; gap: 8px; align-items: flex-end; padding: 10px 12px 6px; border-top: 1px solid #d9dce1; }
.input { flex: 1; min-height: 40px; max-height: 120px; resize: none; padding: 9px 10px; border: 1px solid #6b7280;
  border-radius: 8px; background: #fff; color: #111; font-size: 15px; line-height: 1.4; }
.input::placeholder { color: #5f6672; }
.send { height: 40px; padding: 0 16px; border: 0; border-radius: 8px; background: #1f2937; color: #fff; font-weight: 600; }
.send[aria-disabled="true"] { opacity: .6; cursor: progress; }
.disclaimer { margin: 0; padding: 0 12px 8px; font-size: 12px; line-height: 1.35; color: #4b5563; }

@media (max-width: 599.98px) {
  .panel { inset: 0; top: 0; left: 0; right: 0; bottom: 0; width: 100vw; max-width: none;
    height: 100vh; height: 100dvh; max-height: none; border: 0; border-radius: 0; }
  .root.open .launcher { display: none; }
  .input { font-size: 16px; } /* below 16px iOS zooms the page on focus */
}
@media (prefers-reduced-motion: reduce) { .typing { animation: none; } }
`;

  // ---------------------------------------------------------------------------------------
  // Small DOM and safety helpers.
  // ---------------------------------------------------------------------------------------
  /** createElement with a few properties (PROPS), attributes (everything else) and children. */
  const PROPS = new Set(['className', 'textContent', 'hidden', 'disabled', 'maxLength', 'rows']);
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (v == null || v === false) continue;
      if (PROPS.has(k)) node[k] = v; else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c != null) node.append(c); // strings become text nodes
    return node;
  }

  /** A safe href or null: http(s) resolved against the page, tel: and mailto: as given. */
  function safeHref(url) {
    if (typeof url !== 'string' || !url.trim()) return null;
    try {
      const u = new URL(url.trim(), document.baseURI);
      return ['http:', 'https:', 'tel:', 'mailto:'].includes(u.protocol) ? u.href : null;
    } catch (_) {
      return null;
    }
  }

  /** A link, or plain text when the URL is not allowed. External http(s) links open a new tab. */
  function link(url, label, className) {
    const href = safeHref(url);
    if (!href) return el('span', { className }, label);
    const external = /^https?:/.test(href);
    return el('a', { href, className, target: external ? '_blank' : null, rel: external ? 'noopener' : null }, label);
  }

  /** Same rule as the server's index/passage.py slugify, so section anchors match. */
  const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'top';
  const telHref = (number) => { const d = String(number || '').replace(/[^0-9+]/g, ''); return d ? `tel:${d}` : null; };
  const str = (v) => (typeof v === 'string' ? v : '');

  // ---------------------------------------------------------------------------------------
  // State, kept in sessionStorage so a conversation survives navigating within the site.
  // Stored data is re-validated on load: it is rendered as text anyway, but a stale or
  // hand-edited value must not break the widget. Storage can throw (privacy modes): ignore.
  // ---------------------------------------------------------------------------------------
  const cleanSource = (s) => ({
    article_id: str(s && s.article_id), title: str(s && s.title), url: str(s && s.url),
    section: str(s && s.section), passage: str(s && s.passage), score: Number(s && s.score) || 0,
  });
  function cleanMessage(m) {
    if (!m || typeof m !== 'object') return null;
    if (m.role === 'user' && typeof m.text === 'string') return { role: 'user', text: m.text };
    if (m.role === 'bot' && STATUSES.includes(m.status) && typeof m.answer === 'string') {
      return {
        role: 'bot', id: str(m.id), status: m.status, answer: m.answer,
        reason: REASONS.includes(m.reason) ? m.reason : null,
        sources: Array.isArray(m.sources) ? m.sources.map(cleanSource) : [],
        vote: typeof m.vote === 'boolean' ? m.vote : null,
      };
    }
    return null;
  }
  const cleanTurn = (t) => (t && typeof t.question === 'string' && typeof t.answer === 'string'
    ? { question: t.question, answer: t.answer } : null);

  // A random id groups one chat's questions in the clinic's log; a cleared chat starts a new one.
  const newConversation = () => (window.crypto && window.crypto.randomUUID
    ? window.crypto.randomUUID() : String(Date.now()) + '-' + String(Math.random()).slice(2));
  const cleanConversation = (c) => (typeof c === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(c) ? c : newConversation());

  function loadState() {
    const fresh = { open: false, messages: [], history: [], conversation: newConversation() };
    try {
      const s = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || 'null');
      if (!s || typeof s !== 'object') return fresh;
      return {
        open: s.open === true,
        messages: (Array.isArray(s.messages) ? s.messages : []).map(cleanMessage).filter(Boolean).slice(-MAX_STORED_MESSAGES),
        history: (Array.isArray(s.history) ? s.history : []).map(cleanTurn).filter(Boolean).slice(-HISTORY_TURNS),
        conversation: cleanConversation(s.conversation),
      };
    } catch (_) {
      return fresh;
    }
  }
  function saveState() {
    state.messages = state.messages.slice(-MAX_STORED_MESSAGES);
    state.history = state.history.slice(-HISTORY_TURNS);
    try { window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state)); } catch (_) { /* full or disabled */ }
  }
  const state = loadState();

  let config = null; // /api/widget-config, once loaded
  let configRequested = false;
  const waitingForConfig = []; // callbacks that fill contact / emergency links once config arrives
  let busy = false;
  let generation = 0; // bumped by "Clear conversation": replies to an older conversation are dropped
  let inflight = null; // AbortController of the pending /api/ask

  // ---------------------------------------------------------------------------------------
  // Network. One helper with a 15 s timeout; it resolves {ok, status, data} for any HTTP
  // answer and throws only for network failures, timeouts and aborts.
  // ---------------------------------------------------------------------------------------
  async function request(path, body, controller = new AbortController()) {
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    try {
      const res = await fetch(API + path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        mode: 'cors', credentials: 'omit', signal: controller.signal,
      });
      let json = null;
      try { json = await res.json(); } catch (_) { /* not JSON: handled by the caller */ }
      return { ok: res.ok, status: res.status, data: json };
    } finally {
      clearTimeout(timer);
    }
  }

  function loadConfig() {
    if (config || configRequested) return;
    configRequested = true;
    request('/api/widget-config').then((r) => {
      if (!r.ok || !r.data || typeof r.data !== 'object') throw new Error('no config');
      config = {};
      for (const k of ['clinic_name', 'phone', 'email', 'booking_url', 'emergency_number']) config[k] = str(r.data[k]).trim();
    }).catch(() => {
      configRequested = false; // tolerated: try again on the next open
    }).finally(() => {
      while (waitingForConfig.length) waitingForConfig.shift()();
    });
  }

  // ---------------------------------------------------------------------------------------
  // The DOM. Source order is the tab order; CSS `order` restores the visual layout.
  // ---------------------------------------------------------------------------------------
  const host = el('div', { id: HOST_ID, 'data-state': 'closed', 'data-position': POSITION, 'data-busy': 'false' });
  const shadow = host.attachShadow({ mode: 'open' });

  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z');
  svg.append(path);

  const launcher = el('button', { type: 'button', className: 'launcher', 'aria-label': 'Open chat', 'aria-expanded': 'false', 'aria-controls': 'cb-panel' }, svg);
  const input = el('textarea', {
    className: 'input', id: 'cb-input', rows: 1, maxLength: MAX_QUESTION, placeholder: 'Type your question\u2026',
    'aria-label': 'Your question', 'aria-describedby': 'cb-disclaimer', autocomplete: 'off',
  });
  const sendButton = el('button', { type: 'submit', className: 'send', 'aria-disabled': 'false' }, 'Send');
  const form = el('form', { className: 'composer', novalidate: true }, input, sendButton);
  const disclaimer = el('p', { className: 'disclaimer', id: 'cb-disclaimer' }, DISCLAIMER);
  const log = el('div', { className: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation' });
  const starters = el('div', { className: 'starters', role: 'group', 'aria-label': 'Suggested questions' },
    ...STARTERS.map((q) => el('button', { type: 'button', className: 'starter' }, q)));
  const clearButton = el('button', { type: 'button', className: 'clear' }, 'Clear conversation');
  const closeButton = el('button', { type: 'button', className: 'close', 'aria-label': 'Close chat' }, '\u00d7');
  const header = el('div', { className: 'header' }, el('h2', { className: 'title' }, TITLE), clearButton, closeButton);
  const panel = el('div', { className: 'panel', id: 'cb-panel', role: 'dialog', 'aria-label': TITLE, 'aria-modal': 'false', hidden: true },
    form, disclaimer, log, starters, header);
  const root = el('div', { className: `root pos-${POSITION}` }, launcher, panel);
  shadow.append(el('style', { textContent: CSS }), root);

  // ---------------------------------------------------------------------------------------
  // Rendering messages. Each function returns a node built from text only.
  // ---------------------------------------------------------------------------------------
  function renderUser(m) {
    return el('div', { className: 'msg user' }, m.text);
  }

  function renderSources(sources) {
    const seen = new Set();
    const items = [];
    for (const s of sources) {
      const label = (s.title || s.article_id || 'Article') + (s.section ? ` \u2014 ${s.section}` : '');
      // The article's own page when it has one; otherwise the bot host's copy, at the section.
      const url = s.url || (s.article_id
        ? `${API}/articles/${encodeURIComponent(s.article_id)}${s.section ? `#${slug(s.section)}` : ''}` : '');
      const key = `${url}|${label}`;
      if (seen.has(key)) continue;
      seen.add(key);
      items.push(el('li', {}, link(url, label, 'source')));
    }
    if (!items.length) return null;
    return el('div', { className: 'sources' }, el('p', { className: 'sources-label' }, 'Sources:'), el('ul', {}, ...items));
  }

  /**
   * Run `fill` once widget-config is known (or known to be unavailable). Pending fills run when
   * the fetch settles; a closed panel fetches on open; an open one whose fetch failed retries now.
   */
  function withConfig(fill) {
    if (config) { fill(); return; }
    waitingForConfig.push(fill);
    if (!panel.hidden) loadConfig();
  }

  /** Contact links from widget-config (none when it is unavailable: the answer text names them). */
  function renderContacts() {
    const box = el('div', { className: 'contacts', hidden: true });
    const fill = () => {
      if (!config) return;
      const phone = telHref(config.phone);
      if (phone) box.append(link(phone, `Call ${config.phone}`, 'contact contact-phone'));
      if (/^[^\s@<>"]+@[^\s@<>"]+$/.test(config.email)) box.append(link(`mailto:${config.email}`, `Email ${config.email}`, 'contact contact-email'));
      if (/^https?:/i.test(config.booking_url)) box.append(link(config.booking_url, 'Book or contact us', 'contact contact-booking'));
      box.hidden = box.childElementCount === 0;
    };
    withConfig(fill);
    return box;
  }

  /** The emergency number as a big tel: link. Without config: the number the server's text names, else 911 (its default). */
  function renderEmergencyCall(answer) {
    const box = el('div', { className: 'emergency-actions' });
    const fill = () => {
      let number = config ? config.emergency_number : '';
      if (!config) number = (/\bcall ([0-9+][0-9 ()+-]{0,18}[0-9])\b/i.exec(answer) || [])[1] || '911';
      const href = telHref(number);
      if (href) box.append(el('a', { href, className: 'emergency-call' }, `Call ${number}`));
    };
    withConfig(fill);
    return box;
  }

  function renderFeedback(m) {
    // No role=status: the text lands inside the role=log region, which already announces it.
    const status = el('span', { className: 'feedback-status' });
    const up = el('button', { type: 'button', className: 'vote vote-up', 'aria-pressed': 'false' }, 'Yes');
    const down = el('button', { type: 'button', className: 'vote vote-down', 'aria-pressed': 'false' }, 'No');
    const done = (helpful) => {
      up.disabled = down.disabled = true;
      (helpful ? up : down).setAttribute('aria-pressed', 'true');
      status.className = 'feedback-status';
      status.textContent = 'Thanks for your feedback.';
    };
    const vote = async (helpful) => {
      up.disabled = down.disabled = true; // no double votes while the request runs
      let ok = false;
      let limited = false;
      try {
        const r = await request('/api/feedback', { id: m.id, helpful });
        ok = r.ok;
        limited = r.status === 429;
      } catch (_) { ok = false; }
      if (ok) {
        m.vote = helpful;
        saveState();
        done(helpful);
      } else {
        up.disabled = down.disabled = false; // let the visitor try again
        status.className = 'feedback-status failed';
        status.textContent = limited ? RATE_LIMITED : "Couldn't send your feedback. Please try again.";
      }
    };
    up.addEventListener('click', () => vote(true));
    down.addEventListener('click', () => vote(false));
    if (m.vote !== null) done(m.vote);
    return el('div', { className: 'feedback', role: 'group', 'aria-label': 'Was this helpful?' },
      el('span', { className: 'feedback-label' }, 'Was this helpful?'), up, down, status);
  }

  function renderBot(m) {
    const node = el('div', { className: `msg bot ${m.status}`, 'data-id': m.id || null, 'data-reason': m.reason || null });
    if (m.status === 'answered') {
      node.append(el('blockquote', { className: 'answer answer-quote' }, m.answer), renderSources(m.sources));
    } else if (m.status === 'emergency') {
      node.setAttribute('role', 'alert');
      node.append(el('p', { className: 'answer' }, m.answer), renderEmergencyCall(m.answer));
    } else {
      node.append(el('p', { className: 'answer' }, m.answer), renderContacts());
    }
    if (m.status !== 'emergency' && m.id) node.append(renderFeedback(m));
    return node;
  }

  function renderError(message, retry) {
    const node = el('div', { className: 'msg bot error' }, el('p', { className: 'error-text' }, message));
    if (retry) {
      const button = el('button', { type: 'button', className: 'retry' }, 'Retry');
      button.addEventListener('click', () => {
        if (busy) return;
        node.remove();
        input.focus(); // the button is gone: keep keyboard focus in the widget
        retry();
      });
      node.append(button);
    }
    return node;
  }

  /** Append to the log and scroll so the new message's top is in view (long answers stay readable). */
  function append(node) {
    log.append(node);
    log.scrollTop = node.offsetTop - 8;
    return node;
  }

  function renderAll() {
    log.replaceChildren(el('div', { className: 'msg bot greeting' }, GREETING));
    for (const m of state.messages) log.append(m.role === 'user' ? renderUser(m) : renderBot(m));
    starters.hidden = state.messages.length > 0;
    log.scrollTop = log.scrollHeight;
  }

  // ---------------------------------------------------------------------------------------
  // Asking. The visitor's message is shown (and stored) at once, then a typing indicator,
  // then the reply; only answered turns go into the history sent with follow-ups.
  // ---------------------------------------------------------------------------------------
  function setBusy(value) {
    busy = value;
    host.setAttribute('data-busy', String(value));
    sendButton.setAttribute('aria-disabled', String(value)); // not `disabled`: focus must not be lost
    for (const b of starters.querySelectorAll('button')) b.disabled = value;
  }

  async function ask(rawQuestion, isRetry = false) {
    const question = String(rawQuestion || '').trim();
    if (busy || !question) return false;
    if (!isRetry) {
      state.messages.push({ role: 'user', text: question });
      saveState();
      starters.hidden = true;
      append(renderUser({ text: question }));
    }
    const gen = generation;
    const typing = append(el('div', { className: 'typing' }, el('span', { 'aria-hidden': 'true' }, '\u2026'),
      el('span', { className: 'sr-only' }, 'The assistant is typing')));
    setBusy(true);
    inflight = new AbortController();
    let reply = null;
    let failure = null; // [message, retryable]
    try {
      const r = await request('/api/ask', {
        question, history: state.history.slice(-HISTORY_TURNS), conversation_id: state.conversation,
      }, inflight);
      const d = r.data;
      if (r.ok && d && STATUSES.includes(d.status) && typeof d.answer === 'string') {
        reply = cleanMessage({ role: 'bot', id: d.id, status: d.status, answer: d.answer, reason: d.reason,
                               sources: d.sources });
      } else if (r.status === 429) {
        failure = [RATE_LIMITED, true]; // the server's Retry-After is about a minute for questions
      } else if (!r.ok) {
        const msg = d && d.error && typeof d.error.message === 'string' && d.error.message.trim();
        failure = [msg || `Sorry \u2014 something went wrong (error ${r.status}).`, r.status >= 500 || r.status === 429 || r.status === 408];
      } else {
        failure = ['Sorry \u2014 the assistant sent a reply I could not read.', true];
      }
    } catch (_) {
      failure = [NETWORK_ERROR, true]; // offline, CORS, DNS, or our 15 s timeout
    }
    if (gen !== generation) return false; // the conversation was cleared meanwhile
    inflight = null;
    typing.remove();
    setBusy(false);
    if (reply) {
      state.messages.push(reply);
      state.history.push({ question, answer: reply.answer });
      saveState();
      append(renderBot(reply));
    } else {
      append(renderError(failure[0], failure[1] ? () => ask(question, true) : null));
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // Opening, closing, clearing.
  // ---------------------------------------------------------------------------------------
  function open(moveFocus = true) {
    panel.hidden = false;
    root.classList.add('open');
    host.setAttribute('data-state', 'open');
    launcher.setAttribute('aria-expanded', 'true');
    state.open = true;
    saveState();
    loadConfig();
    fitToViewport();
    log.scrollTop = log.scrollHeight;
    if (moveFocus) input.focus();
  }

  function close(returnFocus = true) {
    panel.hidden = true;
    root.classList.remove('open');
    host.setAttribute('data-state', 'closed');
    launcher.setAttribute('aria-expanded', 'false');
    state.open = false;
    saveState();
    if (returnFocus) launcher.focus();
  }

  function clearConversation() {
    generation += 1;
    if (inflight) inflight.abort();
    inflight = null;
    setBusy(false);
    state.messages = [];
    state.history = [];
    state.conversation = newConversation();
    saveState();
    renderAll();
    input.focus();
  }

  /**
   * Mobile: the panel is full screen. When the on-screen keyboard opens, the visual viewport
   * shrinks (and may scroll) while `position: fixed` stays on the layout viewport; following
   * window.visualViewport keeps the input row above the keyboard. Elsewhere: plain CSS.
   */
  const mobile = window.matchMedia('(max-width: 599.98px)');
  function fitToViewport() {
    const vv = window.visualViewport;
    if (!vv || !mobile.matches || panel.hidden) {
      panel.style.removeProperty('height');
      panel.style.removeProperty('top');
      return;
    }
    panel.style.height = `${Math.round(vv.height)}px`;
    panel.style.top = `${Math.round(vv.offsetTop)}px`;
  }

  // ---------------------------------------------------------------------------------------
  // Events.
  // ---------------------------------------------------------------------------------------
  launcher.addEventListener('click', () => (panel.hidden ? open() : close()));
  closeButton.addEventListener('click', () => close());
  clearButton.addEventListener('click', clearConversation);
  starters.addEventListener('click', (e) => {
    const b = e.target.closest('button.starter');
    if (!b) return;
    ask(b.textContent);
    input.focus(); // the starters hide once asked: keep keyboard focus in the widget
  });

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (busy || !input.value.trim()) return;
    const question = input.value;
    input.value = '';
    autosize();
    ask(question);
  });

  // Enter sends, Shift+Enter is a newline; never while an IME is composing (Japanese, Chinese ...).
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });
  function autosize() {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight + 2, 120)}px`;
  }
  input.addEventListener('input', autosize);

  // Escape anywhere in the widget closes the panel and returns focus to the launcher.
  root.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !panel.hidden) {
      e.preventDefault();
      e.stopPropagation();
      close();
    }
  });

  if (window.visualViewport) {
    window.visualViewport.addEventListener('resize', fitToViewport);
    window.visualViewport.addEventListener('scroll', fitToViewport);
  }
  if (mobile.addEventListener) mobile.addEventListener('change', fitToViewport);

  // ---------------------------------------------------------------------------------------
  // Start: restore the conversation (and the open state, without stealing focus from the
  // page the visitor just navigated to).
  // ---------------------------------------------------------------------------------------
  function mount() {
    if (document.getElementById(HOST_ID)) return;
    document.body.append(host);
    renderAll();
    if (state.open) open(false);
  }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount, { once: true });
})();
