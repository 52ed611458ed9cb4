/*
 * Staff page, progressive enhancement: search without reloading the page.
 *
 * Without this script the form is a plain GET to /staff and the server renders the results.
 * With it, a submit asks /api/ask and /api/search and re-renders #staff-results in place with the
 * same markup and classes as web/templates/_answer_card.html and _passage.html (keep them in step).
 * All data is put in the page as text (createElement/textContent), never as HTML.
 */
(() => {
  'use strict';

  const form = document.getElementById('staff-search');
  const results = document.getElementById('staff-results');
  const statusLine = document.getElementById('staff-status');
  if (!form || !results || !statusLine || !window.fetch || !window.URLSearchParams) return;

  const input = form.querySelector('[name="q"]');
  const kSelect = form.querySelector('[name="k"]');
  const ASK_URL = form.getAttribute('data-ask-url') || '/api/ask';
  const SEARCH_URL = form.getAttribute('data-search-url') || '/api/search';
  const ARTICLE_URL = form.getAttribute('data-article-url') || '/articles/ARTICLE_ID';
  const LABELS = { answered: 'Answered', no_answer: 'No answer', emergency: 'Emergency' };
  const MARK_MARGIN = 0.05; // same rule as service/staff.py `marked`
  const MARK_FLOOR = 0.3;
  const NO_SECTION = '(no heading)';
  let current = null; // the AbortController of the search in flight

  // ---------------------------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------------------------
  /** An element with attributes and children; strings become text nodes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'className') node.className = value;
      else node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  const str = (v) => (typeof v === 'string' ? v : '');
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  /** Same rule as index/passage.py slugify, so section anchors match. */
  const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'top';
  /** Two decimals, rounded half up: the same arithmetic as service/staff.py score_text. */
  const scoreText = (score) => (Math.floor(score * 100 + 0.5) / 100).toFixed(2);

  /** An http(s) URL, else '' (as service/staff.py safe_url). */
  function safeUrl(url) {
    const text = str(url).trim();
    if (!text) return '';
    try {
      const parsed = new URL(text);
      return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? text : '';
    } catch (_) {
      return '';
    }
  }

  function articleHref(articleId, anchor) {
    const href = ARTICLE_URL.replace('ARTICLE_ID', encodeURIComponent(articleId));
    return anchor ? `${href}#${anchor}` : href;
  }

  /** Indices of the sentences to highlight: the best one and any within MARK_MARGIN, if >= MARK_FLOOR. */
  function marked(scores) {
    const chosen = new Set();
    if (!scores.length) return chosen;
    const best = Math.max(...scores);
    scores.forEach((s, i) => { if (s >= MARK_FLOOR && s >= best - MARK_MARGIN - 1e-9) chosen.add(i); });
    return chosen;
  }

  /** The lead-in sentences and the list items' sentences: an item starts after a "\n- " in the text. */
  function passageUnits(hit) {
    const sentences = Array.isArray(hit.sentences) ? hit.sentences.map(str) : [];
    const scores = Array.isArray(hit.sentence_scores) ? hit.sentence_scores.map(num) : [];
    const text = str(hit.passage);
    const chosen = marked(scores);
    const lead = [];
    const items = [];
    let pos = 0;
    sentences.forEach((sentence, i) => {
      const found = text.indexOf(sentence, pos);
      if (found >= 0) {
        if (text.slice(pos, found).includes('\n- ')) items.push([]);
        pos = found + sentence.length;
      }
      const entry = { text: sentence, score: i < scores.length ? scores[i] : 0, marked: chosen.has(i) };
      (items.length ? items[items.length - 1] : lead).push(entry);
    });
    return { lead, items };
  }

  // ---------------------------------------------------------------------------------------
  // Rendering: the same markup as the server's templates.
  // ---------------------------------------------------------------------------------------
  function renderError(message) {
    return el('div', { className: 'staff-error', role: 'alert' },
      el('h2', {}, "Can't search"), el('p', { className: 'error-message' }, message));
  }

  function renderCard(reply, hits) {
    const status = Object.prototype.hasOwnProperty.call(LABELS, reply.status) ? reply.status : 'no_answer';
    const anchors = new Map();
    for (const h of hits) anchors.set(`${str(h.article_id)}\u0000${str(h.section)}`, str(h.anchor));
    const card = el('section', { className: 'answer-card', 'data-status': status, 'aria-labelledby': 'answer-heading' },
      el('h2', { id: 'answer-heading' }, 'Answer a visitor gets'),
      el('p', { className: 'badge-line' }, el('span', { className: `badge badge-${status}` }, LABELS[status])),
      el(status === 'answered' ? 'blockquote' : 'p', { className: 'answer' }, str(reply.answer)));
    const sources = Array.isArray(reply.sources) ? reply.sources : [];
    if (sources.length) {
      const list = el('ul', {});
      for (const s of sources) {
        const articleId = str(s.article_id);
        const section = str(s.section);
        const anchor = anchors.get(`${articleId}\u0000${section}`) || (section ? slug(section) : 'top');
        const title = str(s.title) || articleId || 'Article';
        const href = safeUrl(s.url) || articleHref(articleId, anchor);
        list.append(el('li', {}, el('a', { className: 'source', href }, section ? `${title} \u2014 ${section}` : title)));
      }
      card.append(el('div', { className: 'sources' }, el('h3', { className: 'sources-label' }, 'Sources'), list));
    }
    return card;
  }

  function renderSentences(parent, sentences) {
    sentences.forEach((s, i) => {
      if (i > 0) parent.append(document.createTextNode(' '));
      parent.append(el(s.marked ? 'mark' : 'span', { className: 'sentence', 'data-score': String(s.score) }, s.text));
    });
    return parent;
  }

  function renderPassage(hit, rank) {
    const articleId = str(hit.article_id);
    const section = str(hit.section);
    const score = num(hit.score);
    const { lead, items } = passageUnits(hit);
    const body = el('div', { className: 'passage-text' });
    if (lead.length) body.append(renderSentences(el('p', { className: 'lead' }), lead));
    if (items.length) {
      const list = el('ul', { className: 'items' });
      for (const item of items) list.append(renderSentences(el('li', { className: 'item' }), item));
      body.append(list);
    }
    return el('li', { className: 'passage', 'data-passage-id': str(hit.passage_id), 'data-article-id': articleId },
      el('div', { className: 'passage-head' },
        el('span', { className: 'rank' }, `#${rank}`), ' ',
        el('span', { className: 'score-label' }, 'score'), ' ',
        el('span', { className: 'score', 'data-score': String(score) }, scoreText(score)), ' ',
        el('a', { className: 'article', href: articleHref(articleId, str(hit.anchor)) }, str(hit.title) || articleId), ' ',
        el('span', { className: section ? 'section' : 'section muted' }, section || NO_SECTION)),
      body);
  }

  function renderPassages(hits) {
    const section = el('section', { className: 'passages-section', 'aria-labelledby': 'passages-heading' },
      el('h2', { id: 'passages-heading' }, 'Top passages'));
    if (!hits.length) {
      section.append(el('p', { className: 'no-passages muted' }, 'No passages found.'));
    } else {
      const list = el('ol', { className: 'passages' });
      hits.forEach((hit, i) => list.append(renderPassage(hit, i + 1)));
      section.append(list);
    }
    return section;
  }

  // ---------------------------------------------------------------------------------------
  // Fetching
  // ---------------------------------------------------------------------------------------
  /** The JSON body of a successful response; otherwise an Error with the API's readable message. */
  async function getJSON(url, options) {
    let response;
    try {
      response = await fetch(url, options);
    } catch (err) {
      if (err && err.name === 'AbortError') throw err;
      throw new Error("Couldn't reach the server. Check the connection and try again.");
    }
    let body = null;
    try {
      body = await response.json();
    } catch (err) {
      if (err && err.name === 'AbortError') throw err;
      body = null;
    }
    if (!response.ok) {
      const message = body && body.error && typeof body.error.message === 'string' && body.error.message
        ? body.error.message : `The server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`;
      throw new Error(message);
    }
    if (!body || typeof body !== 'object') throw new Error('The server sent an answer this page cannot read.');
    return body;
  }

  function setLoading(loading) {
    form.classList.toggle('is-loading', loading);
    results.classList.toggle('is-loading', loading);
    if (loading) results.setAttribute('aria-busy', 'true');
    else results.removeAttribute('aria-busy');
  }

  // Why the bot answered or refused: the same markup as _why.html, from /api/search's `decision`.
  function renderWhy(decision) {
    const reason = str(decision.reason_text);
    const section = el('section', { className: 'why', 'aria-labelledby': 'why-heading' },
      el('h2', { id: 'why-heading' }, 'Why'),
      el('p', { className: 'why-rule' }, str(decision.rule) + (reason ? ` \u2014 refused because ${reason}` : '')));
    if (decision.safety) section.append(el('p', { className: 'why-safety' }, `Safety check: ${str(decision.safety)}`));
    const signals = Array.isArray(decision.signals) ? decision.signals : [];
    if (signals.length) {
      const body = el('tbody', {});
      for (const s of signals) {
        const weight = typeof s.weight === 'number' ? `${s.weight >= 0 ? '+' : ''}${s.weight.toFixed(2)}` : '';
        const limit = typeof s.limit === 'number' ? `${str(s.limit_name)} ${scoreText(s.limit)}` : '';
        body.append(el('tr', { 'data-signal': str(s.name) },
          el('th', { scope: 'row' }, str(s.label)), el('td', { className: 'value' }, scoreText(s.value)),
          el('td', { className: 'weight' }, weight), el('td', { className: 'limit' }, limit)));
      }
      section.append(el('table', { className: 'why-signals' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Signal'), el('th', { scope: 'col' }, 'Value'),
          el('th', { scope: 'col' }, 'Weight'), el('th', { scope: 'col' }, 'Limit'))), body));
    }
    return section;
  }

  function plural(n, word) {
    return `${n} ${word}${n === 1 ? '' : 's'}`;
  }

  async function run(q, k) {
    if (current) current.abort();
    const controller = new AbortController();
    current = controller;
    setLoading(true);
    statusLine.textContent = 'Searching\u2026';
    const params = new URLSearchParams({ q });
    if (k) params.set('k', k);
    const headers = { Accept: 'application/json' };
    const [ask, search] = await Promise.allSettled([
      getJSON(ASK_URL, {
        method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ question: q }), signal: controller.signal,
      }),
      getJSON(`${SEARCH_URL}?${params}`, { headers, signal: controller.signal }),
    ]);
    if (current !== controller) return; // a newer search replaced this one
    current = null;
    setLoading(false);

    const nodes = [];
    const errors = [];
    for (const outcome of [ask, search]) {
      if (outcome.status === 'rejected') {
        const message = (outcome.reason && outcome.reason.message) || 'Something went wrong.';
        if (!errors.includes(message)) errors.push(message);
      }
    }
    errors.forEach((message) => nodes.push(renderError(message)));
    const hits = search.status === 'fulfilled' && Array.isArray(search.value.results) ? search.value.results : [];
    if (ask.status === 'fulfilled') nodes.push(renderCard(ask.value, hits));
    if (search.status === 'fulfilled' && search.value.decision) nodes.push(renderWhy(search.value.decision));
    if (search.status === 'fulfilled') nodes.push(renderPassages(hits));
    results.textContent = '';
    results.append(...nodes);

    if (ask.status === 'fulfilled' && search.status === 'fulfilled') {
      const label = LABELS[ask.value.status] || LABELS.no_answer;
      statusLine.textContent = `${label}; ${plural(hits.length, 'passage')} for \u201c${q.trim()}\u201d.`;
    } else {
      statusLine.textContent = 'The question could not be searched.';
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = input ? input.value : '';
    const k = kSelect ? kSelect.value : '';
    // Reloading the page (or sharing its address) shows the same search, rendered by the server.
    try {
      const url = new URL(window.location.href);
      url.search = new URLSearchParams(k ? { q, k } : { q }).toString();
      url.hash = '';
      window.history.replaceState(null, '', url.toString());
    } catch (_) { /* history may be unavailable (sandboxed frames): the search still runs */ }
    run(q, k).catch((err) => {
      if (err && err.name === 'AbortError') return;
      setLoading(false);
      results.textContent = '';
      results.append(renderError((err && err.message) || 'Something went wrong.'));
      statusLine.textContent = 'The question could not be searched.';
    });
  });
})();
