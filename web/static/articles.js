/*
 * The Articles pages (/staff/articles…), progressive enhancement; every form works without this script.
 *
 * - Publishing: while #publishing says a re-index is running or queued, follow /api/articles/publishing and
 *   show its progress; when it is done, reload the page so the lists show what is published (not the editor's,
 *   where the text being typed must stay).
 * - Upload: refuse too many or too large files before sending them, saying which.
 * - Delete: ask before moving an article to the trash.
 * - Editor: a live passage preview. The fields are posted to /api/articles/preview (debounced) and the
 *   passages re-rendered with the markup of web/templates/_article_passages.html (keep them in step); the
 *   "Preview" button that does the same without JavaScript is hidden.
 * Everything from the server is put in the page as text (createElement/textContent), never as HTML.
 */
(() => {
  'use strict';

  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : '';

  /** An element with a class and children; strings become text nodes. */
  function el(tag, className, ...children) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const sizeText = (bytes) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1).replace(/\.0$/, '')} MB`
    : `${Math.max(1, Math.round(bytes / 1e3))} KB`);

  async function errorText(response) {
    try { return (await response.json()).error.message; } catch (_) { return `HTTP ${response.status}`; }
  }

  // ---------------------------------------------------------------------------------------------------
  // Publishing: the live re-index's progress
  // ---------------------------------------------------------------------------------------------------
  const publishing = document.getElementById('publishing');
  if (publishing && publishing.dataset.busy === 'true' && window.fetch) {
    const box = publishing.querySelector('.publishing-status');
    const editing = Boolean(document.getElementById('article-editor'));
    const say = (text, cls, alert) => {
      const p = el('p', cls, text);
      if (alert) p.setAttribute('role', 'alert');
      box.replaceChildren(p);
    };
    const show = (s) => {
      publishing.dataset.state = s.state;
      // Still "busy" while the page is about to reload: the page after the reload says it is done.
      if (s.busy || editing) publishing.dataset.busy = String(s.busy);
      if (s.state === 'running') {
        const { done, total } = s.progress;
        const more = s.queued ? ' Another rebuild follows at once for the latest changes.' : '';
        say(`Publishing: the index is being rebuilt, ${done} / ${total} texts embedded.${more}`);
      } else if (s.busy) {
        say('Publishing: a rebuild for the latest changes starts in a moment.');
      } else if (s.state === 'succeeded') {
        say(`Published at ${s.finished_at}: ${s.message}`, 'publishing-ok');
      } else if (s.state === 'failed') {
        say(`The rebuild failed: ${s.message} The previous index is still serving.`, 'publishing-failed', true);
      }
    };
    const poll = async () => {
      try {
        const response = await fetch(publishing.dataset.url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
        if (!response.ok) { say(await errorText(response), 'publishing-failed', true); return; }
        const status = await response.json();
        show(status);
        if (status.busy) setTimeout(poll, 1000);
        else if (!editing) setTimeout(() => window.location.reload(), 800);
      } catch (_) {
        setTimeout(poll, 2000); // the server may be busy; keep following
      }
    };
    setTimeout(poll, 500);
  }

  // ---------------------------------------------------------------------------------------------------
  // Upload: too many or too large files are refused before they are sent
  // ---------------------------------------------------------------------------------------------------
  const upload = document.getElementById('article-upload');
  if (upload) {
    const input = upload.querySelector('input[type="file"]');
    const message = document.getElementById('upload-message');
    const maxBytes = Number(upload.dataset.maxBytes) || Infinity;
    const maxFiles = Number(upload.dataset.maxFiles) || Infinity;
    const problem = () => {
      const files = Array.from(input.files || []);
      if (files.length > maxFiles) return `Choose at most ${maxFiles} files at a time (you chose ${files.length}).`;
      const big = files.filter((f) => f.size > maxBytes);
      if (big.length) {
        return `Too large (the limit is ${sizeText(maxBytes)} a file): `
          + big.map((f) => `${f.name} (${sizeText(f.size)})`).join(', ') + '.';
      }
      return '';
    };
    const check = () => {
      const text = problem();
      message.textContent = text;
      message.hidden = !text;
      return !text;
    };
    input.addEventListener('change', check);
    upload.addEventListener('submit', (event) => { if (!check()) event.preventDefault(); });
  }

  // ---------------------------------------------------------------------------------------------------
  // Delete: confirm first
  // ---------------------------------------------------------------------------------------------------
  for (const form of document.querySelectorAll('form.delete-form[data-confirm]')) {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // Editor: live passage preview
  // ---------------------------------------------------------------------------------------------------
  const editor = document.getElementById('article-editor');
  const target = document.getElementById('article-live-preview');
  if (!editor || !target || !window.fetch || !window.URLSearchParams) return;
  const statusLine = document.getElementById('preview-status');
  const previewButton = editor.querySelector('button[value="preview"]');
  if (previewButton) previewButton.hidden = true; // the preview follows the typing instead
  const DEBOUNCE_MS = 400;
  let timer = null;
  let inFlight = null;

  /** The markup of _article_passages.html for a preview from /api/articles/preview. */
  function renderPreview(preview) {
    const passages = Array.isArray(preview.passages) ? preview.passages : [];
    const sections = Number(preview.sections) || 0;
    const wrap = el('div', 'article-preview');
    wrap.dataset.passageCount = String(passages.length);
    const summary = el('p', 'preview-summary muted', el('span', 'preview-title', preview.title || '(no title)'), ' · ',
      el('span', 'preview-counts', `${plural(sections, 'section')}, ${plural(passages.length, 'passage')}`));
    if (preview.date) summary.append(' · ', el('span', 'preview-date', preview.date));
    wrap.append(summary);
    if (!passages.length) {
      wrap.append(el('p', 'no-passages muted', 'No passages: the index would have nothing to quote from this file.'));
      return wrap;
    }
    const list = el('ol', 'article-passages');
    for (const p of passages) {
      const item = el('li', 'article-passage', el('p', 'passage-section', p.section || '(no heading)'),
        el('p', 'passage-text', String(p.text || '')));
      item.dataset.passageId = String(p.passage_id || '');
      list.append(item);
    }
    wrap.append(list);
    return wrap;
  }

  async function refresh() {
    if (inFlight) inFlight.abort();
    const controller = new AbortController();
    inFlight = controller;
    const body = new URLSearchParams();
    for (const name of ['title', 'url', 'date', 'body']) body.set(name, editor.elements[name].value);
    statusLine.textContent = 'Updating the passages…';
    try {
      const response = await fetch(editor.dataset.previewUrl, {
        method: 'POST', credentials: 'same-origin', signal: controller.signal, body,
        headers: { 'X-CSRF-Token': csrf, Accept: 'application/json' },
      });
      if (!response.ok) {
        const reason = await errorText(response);
        target.replaceChildren(el('p', 'preview-error', reason));
        target.firstChild.setAttribute('role', 'alert');
        statusLine.textContent = 'This text cannot be read as an article yet.';
        return;
      }
      target.replaceChildren(renderPreview(await response.json()));
      statusLine.textContent = 'As the index will read it.';
    } catch (error) {
      if (error.name !== 'AbortError') statusLine.textContent = "Couldn't reach the server to preview the passages.";
    } finally {
      if (inFlight === controller) inFlight = null;
    }
  }

  editor.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  });
})();
