/**
 * The dashboard's stylesheet and script: small, served as files (no build step). Pages carry no
 * inline script, style attribute or event handler, so the Content-Security-Policy can forbid them.
 */
import type { Status } from '../../core/status.js';

export const STATUS_COLORS: Record<Status, string> = {
  REGISTERED: '#78909c',
  CONCURRENCY_CONTROLLED: '#8d6e63',
  CONCURRENCY_CONTROLLED_FINAL: '#5d4037',
  REROUTED: '#7e57c2',
  PENDING: '#90a4ae',
  PENDING_RECOVERY: '#ad1457',
  RUNNING: '#1e88e5',
  RUNNING_RECOVERY: '#d81b60',
  PAUSED: '#8e24aa',
  RESUMED: '#3949ab',
  KILLED: '#424242',
  SUCCESS: '#2e7d32',
  FAILED: '#c62828',
  RETRY: '#ef6c00',
  CANCELLED: '#616161',
};

export const CSS = `
:root { --fg:#1d2330; --muted:#6b7280; --line:#e5e7eb; --bg:#f7f8fa; --card:#fff; --accent:#2563eb; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; align-items:center; gap:24px; padding:10px 24px; background:#111827; color:#fff; }
header b { font-size:16px; letter-spacing:.5px; }
header nav a { color:#cbd5e1; text-decoration:none; margin-right:16px; }
header nav a.on, header nav a:hover { color:#fff; }
header .app { margin-left:auto; color:#9ca3af; font-size:12px; }
main { padding:20px 24px; max-width:1400px; }
h1 { font-size:20px; margin:0 0 16px; } h2 { font-size:15px; margin:24px 0 8px; color:#374151; }
.cards { display:flex; flex-wrap:wrap; gap:10px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px 14px; min-width:120px; }
.card .n { font-size:22px; font-weight:600; } .card .l { color:var(--muted); font-size:12px; }
.card.zero { opacity:.45; }
table { border-collapse:collapse; width:100%; background:var(--card); border:1px solid var(--line); border-radius:8px; overflow:hidden; }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#f3f4f6; font-weight:600; font-size:12px; color:#374151; }
td.mono, .mono { font-family:ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size:12px; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; color:#fff; font-size:11px; font-weight:600; }
pre { background:#0f172a; color:#e2e8f0; padding:10px 12px; border-radius:6px; overflow:auto; font-size:12px; max-height:420px; }
pre.err { background:#2a0f12; color:#fecaca; }
form.filters { display:flex; gap:8px; align-items:end; flex-wrap:wrap; margin-bottom:12px; }
form.filters label { display:flex; flex-direction:column; font-size:12px; color:var(--muted); }
input, select, button { font:inherit; padding:4px 8px; border:1px solid #cbd5e1; border-radius:6px; background:#fff; }
button { background:var(--accent); color:#fff; border-color:var(--accent); cursor:pointer; }
button:disabled { background:#9ca3af; border-color:#9ca3af; cursor:not-allowed; }
.pager { margin-top:10px; display:flex; gap:12px; align-items:center; }
.muted { color:var(--muted); } .ok { color:#2e7d32; } .bad { color:#c62828; } .paused { color:#b26a00; }
.grid2 { display:grid; grid-template-columns: 1fr 1fr; gap:20px; }
svg text { font: 11px system-ui, sans-serif; fill:#374151; }
.legend span { margin-right:12px; font-size:12px; }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; vertical-align:middle; }
#msg { margin-left:12px; }
a { color:var(--accent); }
a.status-card { text-decoration:none; color:inherit; }
#purge-hours { width:70px; }
.bg-created { background:#93c5fd; } .bg-finished { background:#2e7d32; } .bg-failed { background:#c62828; }
${Object.entries(STATUS_COLORS)
  .map(([s, c]) => `.bg-${s} { background:${c}; } .bl-${s} { border-left:4px solid ${c}; }`)
  .join('\n')}
`;

/** Live counts on the overview, the rerun, cancel and purge buttons. Actions send the page's token in a header. */
export const JS = `
(function () {
  // On loopback the page carries the token; off loopback it is the secret given to taskapp web.
  var token = (document.querySelector('meta[name="taskapp-token"]') || {}).content;
  function secret() {
    if (token) return token;
    var t = sessionStorage.getItem('taskapp-token') || prompt('Action token (the secret given to taskapp web by TASKAPP_WEB_TOKEN or --token)') || '';
    sessionStorage.setItem('taskapp-token', t);
    return t;
  }
  function post(url, body) {
    return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-taskapp-token': secret() }, body: JSON.stringify(body || {}) })
      .then(function (r) { return r.json().then(function (j) { if (r.status === 403 && !token) sessionStorage.removeItem('taskapp-token'); if (!r.ok) throw new Error((j.error || r.statusText) + (j.fix ? ' (fix: ' + j.fix + ')' : '')); return j; }); });
  }
  function say(text, bad) { var m = document.getElementById('msg'); if (m) { m.textContent = text; m.className = bad ? 'bad' : 'ok'; } }
  var rerunBtn = document.getElementById('rerun');
  if (rerunBtn) rerunBtn.addEventListener('click', function () {
    rerunBtn.disabled = true;
    post('/api/invocations/' + encodeURIComponent(rerunBtn.dataset.id) + '/rerun').then(function (j) {
      say('new invocation ' + j.id); location.href = '/invocations/' + encodeURIComponent(j.id);
    }, function (e) { say(e.message, true); rerunBtn.disabled = false; });
  });
  var cancelBtn = document.getElementById('cancel');
  if (cancelBtn) cancelBtn.addEventListener('click', function () {
    var children = document.getElementById('cancel-children').checked;
    if (!confirm('Cancel this invocation' + (children ? ' and what it waits on' : '') + '?')) return;
    cancelBtn.disabled = true;
    post('/api/invocations/' + encodeURIComponent(cancelBtn.dataset.id) + '/cancel', { children: children }).then(function (j) {
      say(j.map(function (r) { return r.id.slice(0, 8) + ' ' + r.outcome; }).join(', '));
      setTimeout(function () { location.reload(); }, 1000);
    }, function (e) { say(e.message, true); cancelBtn.disabled = false; });
  });
  var purgeBtn = document.getElementById('purge');
  if (purgeBtn) purgeBtn.addEventListener('click', function () {
    var hours = Number(document.getElementById('purge-hours').value || '0');
    if (!confirm('Delete finished invocations older than ' + hours + ' h?')) return;
    post('/api/purge', { olderThanSeconds: hours * 3600 }).then(function (j) { say('purged ' + j.purged); }, function (e) { say(e.message, true); });
  });
  document.querySelectorAll('select[data-autosubmit]').forEach(function (el) {
    el.addEventListener('change', function () { el.form.submit(); });
  });
  if (document.body.dataset.live === 'overview') {
    setInterval(function () {
      fetch('/api/overview').then(function (r) { return r.json(); }).then(function (o) {
        Object.keys(o.counts).forEach(function (s) {
          var el = document.querySelector('[data-count="' + s + '"]');
          if (el) { el.textContent = o.counts[s]; el.parentElement.classList.toggle('zero', o.counts[s] === 0); }
        });
        var set = function (k, v) { var el = document.querySelector('[data-stat="' + k + '"]'); if (el) el.textContent = v; };
        set('total', o.total); set('queueDepth', o.queueDepth); set('runnersAlive', o.runnersAlive);
        if (o.outbox) { set('outboxPending', o.outbox.pending); set('outboxLag', o.outbox.lagSeconds.toFixed(1) + ' s'); }
      }).catch(function () {});
    }, 2000);
  }
})();
`;
