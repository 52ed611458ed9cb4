/* Staff page: start a re-index in place and follow its progress (the form works without this script). */
(() => {
  'use strict';
  const form = document.getElementById('reindex-form');
  const box = document.querySelector('#reindex .reindex-status');
  if (!form || !box) return;
  const api = form.dataset.api;
  const meta = document.querySelector('meta[name="csrf-token"]');
  const button = form.querySelector('button');

  const say = (text, cls) => {
    box.replaceChildren();
    const p = document.createElement('p');
    if (cls) p.className = cls;
    p.textContent = text;
    box.append(p);
  };

  const show = (status) => {
    box.dataset.state = status.state;
    button.disabled = status.state === 'running';
    if (status.state === 'running') {
      const { done, total } = status.progress;
      say(total ? `Rebuilding: ${done} / ${total} texts embedded…` : 'Rebuilding: no new text to embed…');
    } else if (status.state === 'succeeded') {
      say(`Rebuilt at ${status.finished_at}: ${status.message}`, 'reindex-ok');
    } else if (status.state === 'failed') {
      say(`The rebuild failed: ${status.message} The previous index is still serving.`, 'reindex-failed');
      box.firstChild.setAttribute('role', 'alert');
    }
  };

  const errorText = async (response) => {
    try { return (await response.json()).error.message; } catch (_) { return `HTTP ${response.status}`; }
  };

  const poll = async () => {
    try {
      const response = await fetch(api, { credentials: 'same-origin' });
      if (!response.ok) { say(await errorText(response), 'reindex-failed'); return; }
      const status = await response.json();
      show(status);
      if (status.state === 'running') setTimeout(poll, 1000);
      else if (status.state === 'succeeded') setTimeout(() => window.location.reload(), 1500);
    } catch (_) {
      setTimeout(poll, 2000); // the server may be busy; keep following
    }
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    say('Starting the rebuild…');
    try {
      const response = await fetch(api, {
        method: 'POST', credentials: 'same-origin',
        headers: { 'X-CSRF-Token': meta ? meta.content : '' },
      });
      if (!response.ok && response.status !== 409) {
        say(await errorText(response), 'reindex-failed');
        button.disabled = false;
        return;
      }
    } catch (_) {
      say("Couldn't reach the server to start the rebuild.", 'reindex-failed');
      button.disabled = false;
      return;
    }
    poll();
  });

  if (box.dataset.state === 'running') poll();
})();
