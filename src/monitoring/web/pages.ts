/** Server-rendered pages: pure functions from the monitor's data model to HTML. */
import { FINAL_STATUSES, STATUSES, type Status } from '../../core/status.js';
import type {
  InvocationDetail,
  InvocationPage,
  InvocationRow,
  Overview,
  RunnerView,
  TaskView,
  Throughput,
  Timeline,
} from '../snapshot.js';
import { formatAge } from '../snapshot.js';
import { STATUS_COLORS } from './assets.js';
import { html, raw, toJson, type Html } from './html.js';

export interface PageContext {
  appId: string;
  now: number;
  allowActions: boolean;
  /** Sent with actions; only present when actions are allowed. */
  token?: string;
}

const NAV = [
  ['/', 'Overview'],
  ['/invocations', 'Invocations'],
  ['/timeline', 'Timeline'],
  ['/tasks', 'Tasks'],
  ['/runners', 'Runners'],
] as const;

function layout(ctx: PageContext, active: string, title: string, body: Html, live = ''): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · taskapp</title>
${ctx.allowActions && ctx.token ? html`<meta name="taskapp-token" content="${ctx.token}">` : ''}
<link rel="stylesheet" href="/static/app.css"></head>
<body data-live="${live}">
<header><b>taskapp</b><nav>${NAV.map(([href, label]) => html`<a href="${href}" class="${active === href ? 'on' : ''}">${label}</a>`)}<a href="/metrics">Metrics</a></nav>
<span class="app">app <b>${ctx.appId}</b> · ${ctx.allowActions ? 'actions enabled' : 'read-only'}</span></header>
<main>${body}</main>
<script src="/static/app.js"></script>
</body></html>`.toString();
}

export const badge = (s: Status): Html => html`<span class="badge bg-${s}">${s}</span>`;
const time = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
const ago = (now: number, ms: number) =>
  html`<span title="${time(ms)}">${formatAge(now - ms)} ago</span>`;
const invLink = (id: string) =>
  html`<a class="mono" href="/invocations/${encodeURIComponent(id)}">${id}</a>`;

function invocationTable(rows: InvocationRow[], now: number): Html {
  if (!rows.length) {
    return html`<p class="muted">No invocations.</p>`;
  }
  return html`<table class="invocations"><thead><tr><th>Invocation</th><th>Task</th><th>Status</th><th>Attempt</th><th>Runner</th><th>Created</th><th>Updated</th></tr></thead><tbody>
${rows.map((r) => html`<tr data-id="${r.id}"><td>${invLink(r.id)}</td><td>${r.taskId}</td><td>${badge(r.status)}</td><td>${r.attempt}</td><td class="mono">${r.runner ?? ''}</td><td>${ago(now, r.createdAt)}</td><td>${ago(now, r.updatedAt)}</td></tr>`)}
</tbody></table>`;
}

function runnerTable(runners: RunnerView[], now: number): Html {
  if (!runners.length) {
    return html`<p class="muted">No runners have reported a heartbeat. Start one with <code>taskapp run</code>.</p>`;
  }
  return html`<table class="runners"><thead><tr><th>Runner</th><th>Kind</th><th>Host / pid</th><th>Started</th><th>Heartbeat</th><th>State</th><th>Runs now</th></tr></thead><tbody>
${runners.map(
  (
    r,
  ) => html`<tr><td class="mono">${r.id}</td><td>${r.kind}</td><td>${r.hostname} / ${r.pid}</td><td>${ago(now, r.startedAt)}</td><td>${formatAge(r.heartbeatAgeMs)} ago</td>
<td class="${r.alive ? 'ok' : 'bad'}">${r.alive ? 'alive' : 'silent'}</td>
<td>${r.owns.length ? r.owns.slice(0, 10).map((o) => html`<div>${invLink(o.id)} ${o.taskId} ${badge(o.status)}</div>`) : html`<span class="muted">idle</span>`}${r.owns.length > 10 ? html`<div class="muted">+${r.owns.length - 10} more</div>` : ''}</td></tr>`,
)}
</tbody></table>`;
}

function throughputChart(t: Throughput): Html {
  const w = 900,
    h = 140,
    n = t.created.length,
    bw = w / n;
  const max = Math.max(1, ...t.created, ...t.finished);
  const y = (v: number) => (v / max) * (h - 20);
  const bars = t.created.map((c, i) => {
    const f = t.finished[i]!,
      x = i * bw,
      label = `${new Date(t.from + i * t.bucketMs).toISOString().slice(11, 16)}: ${c} created, ${f} finished (${t.failed[i]} failed)`;
    return html`<g><title>${label}</title><rect x="${x + 1}" y="${h - y(c)}" width="${bw / 2 - 1}" height="${y(c)}" fill="#93c5fd"/><rect x="${x + bw / 2}" y="${h - y(f)}" width="${bw / 2 - 1}" height="${y(f)}" fill="#2e7d32"/><rect x="${x + bw / 2}" y="${h - y(t.failed[i]!)}" width="${bw / 2 - 1}" height="${y(t.failed[i]!)}" fill="#c62828"/></g>`;
  });
  return html`<svg class="throughput" viewBox="0 0 ${w} ${h + 16}" width="${w}" height="${h + 16}" role="img" aria-label="throughput over the last hour">
<line x1="0" y1="${h}" x2="${w}" y2="${h}" stroke="#cbd5e1"/>${bars}
<text x="0" y="${h + 13}">${new Date(t.from).toISOString().slice(11, 16)}</text><text x="${w}" y="${h + 13}" text-anchor="end">now</text><text x="4" y="12">max ${max}/min</text></svg>
<div class="legend"><span><i class="bg-created"></i>created</span><span><i class="bg-finished"></i>finished</span><span><i class="bg-failed"></i>failed</span></div>`;
}

export function overviewPage(ctx: PageContext, o: Overview, t: Throughput): string {
  const total = t.finished.reduce((a, b) => a + b, 0);
  return layout(
    ctx,
    '/',
    'Overview',
    html`<h1>Overview</h1>
<div class="cards">
<div class="card"><div class="n" data-stat="total">${o.total}</div><div class="l">invocations</div></div>
<div class="card"><div class="n" data-stat="queueDepth">${o.queueDepth}</div><div class="l">queued in broker</div></div>
<div class="card"><div class="n" data-stat="runnersAlive">${o.runnersAlive}</div><div class="l">runners alive</div></div>
${
  o.outbox
    ? html`<div class="card"><div class="n" data-stat="outboxPending">${o.outbox.pending}</div><div class="l">in the outbox</div></div>
<div class="card"><div class="n" data-stat="outboxLag">${o.outbox.lagSeconds.toFixed(1)} s</div><div class="l">outbox lag</div></div>`
    : ''
}
</div>
<h2>By status</h2>
<div class="cards status-counts">${STATUSES.map((s) => html`<a class="card status-card bl-${s} ${o.counts[s] ? '' : 'zero'}" href="/invocations?status=${s}"><div class="n" data-count="${s}">${o.counts[s]}</div><div class="l">${s}</div></a>`)}</div>
<h2>Throughput, last hour <span class="muted">(${total} finished)</span></h2>
${throughputChart(t)}
<h2>Runners</h2>${runnerTable(o.runners, o.at)}
<h2>Latest invocations</h2>${invocationTable(o.latest, o.at)}
${ctx.allowActions ? html`<h2>Maintenance</h2><p>Purge finished invocations older than <input id="purge-hours" type="number" min="0" value="24"> h <button id="purge">Purge</button><span id="msg"></span></p>` : ''}`,
    'overview',
  );
}

interface InvocationsQueryView {
  task?: string;
  status?: string;
  from?: string;
  to?: string;
}

export function invocationsPage(
  ctx: PageContext,
  p: InvocationPage,
  q: InvocationsQueryView,
  taskIds: string[],
): string {
  const qs = (page: number) => {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) {
      if (v) {
        u.set(k, v);
      }
    }
    u.set('page', String(page));
    return `/invocations?${u}`;
  };
  return layout(
    ctx,
    '/invocations',
    'Invocations',
    html`<h1>Invocations</h1>
<form class="filters" method="get" action="/invocations">
<label>Task<input name="task" list="tasks" value="${q.task ?? ''}" placeholder="any"></label>
<datalist id="tasks">${taskIds.map((t) => html`<option value="${t}">`)}</datalist>
<label>Status<select name="status"><option value="">any</option>${STATUSES.map((s) => html`<option ${q.status === s ? raw('selected') : ''}>${s}</option>`)}</select></label>
<label>Created from<input type="datetime-local" name="from" value="${q.from ?? ''}"></label>
<label>Created before<input type="datetime-local" name="to" value="${q.to ?? ''}"></label>
<button type="submit">Filter</button> <a href="/invocations">clear</a>
</form>
${invocationTable(p.rows, ctx.now)}
<div class="pager">${p.page > 1 ? html`<a href="${qs(p.page - 1)}" rel="prev">← newer</a>` : ''}<span class="muted">page ${p.page}</span>${p.hasNext ? html`<a href="${qs(p.page + 1)}" rel="next">older →</a>` : ''}</div>`,
  );
}

function historyTimeline(d: InvocationDetail, now: number): Html {
  const h = d.history;
  if (!h.length) {
    return html`<p class="muted">No history.</p>`;
  }
  const start = h[0]!.at,
    end = Math.max(h[h.length - 1]!.at, start + 1);
  const w = 900,
    x = (t: number) => ((t - start) / (end - start)) * (w - 120);
  const segs = h.map((e, i) => {
    const next = h[i + 1]?.at ?? e.at;
    return html`<g><title>${e.status} at ${time(e.at)}${e.runnerId ? ` on ${e.runnerId}` : ''}</title><rect x="${x(e.at)}" y="4" width="${Math.max(3, x(next) - x(e.at))}" height="18" fill="${STATUS_COLORS[e.status]}"/></g>`;
  });
  return html`<svg viewBox="0 0 ${w} 28" width="100%" height="28">${segs}<text x="${w - 115}" y="17">${end - start < 10_000 ? `${end - start} ms` : formatAge(end - start)} total</text></svg>
<table class="history"><thead><tr><th>#</th><th>Status</th><th>At</th><th>+</th><th>Runner</th></tr></thead><tbody>
${h.map((e, i) => html`<tr><td>${i + 1}</td><td>${badge(e.status)}</td><td class="mono">${time(e.at)}</td><td class="mono">+${e.at - start} ms</td><td class="mono">${e.runnerId ?? ''}</td></tr>`)}
</tbody></table><p class="muted">last change ${formatAge(now - h[h.length - 1]!.at)} ago</p>`;
}

/** "Name: message" then the stack, without repeating the first line when the stack starts with it. */
function errorText(e: NonNullable<InvocationDetail['error']>): string {
  const head = `${e.name}: ${e.message}`;
  if (!e.stack) {
    return head;
  }
  return e.stack.startsWith(head) ? e.stack : `${head}\n\n${e.stack}`;
}

/** The invocation's workflow: type, status, steps (child invocations recorded by executeTask) and data. */
function workflowSection(d: InvocationDetail): Html | string {
  const w = d.workflow;
  if (!w) {
    return '';
  }
  return html`<h2>Workflow <span class="mono muted">${w.id}</span></h2>
<p>type ${w.type ?? '?'} · status ${w.status ? badge(w.status as Status) : '?'}${w.parentWorkflowId ? html` · parent ${invLink(w.parentWorkflowId)}` : ''} · ${w.recordedValues} value(s) recorded for replay</p>
${
  w.steps.length
    ? html`<table class="steps"><thead><tr><th>Step</th><th>Task</th><th>Invocation</th><th>Status</th></tr></thead><tbody>
${w.steps.map((st) => html`<tr><td class="mono">${st.step.split(':').pop()}</td><td>${st.taskId ?? '?'}</td><td>${invLink(st.invocationId)}</td><td>${st.status ? badge(st.status as Status) : '—'}</td></tr>`)}</tbody></table>`
    : html`<p class="muted">No steps recorded.</p>`
}
${Object.keys(w.data).length ? html`<pre class="wfdata">${toJson(w.data, 2)}</pre>` : html`<p class="muted">No workflow data.</p>`}`;
}

export function detailPage(ctx: PageContext, d: InvocationDetail): string {
  const rerun = ctx.allowActions
    ? html`<button id="rerun" data-id="${d.id}">Rerun</button><span id="msg"></span>`
    : html`<button id="rerun" disabled title="start taskapp web with --allow-actions">Rerun</button> <span class="muted">read-only: start with --allow-actions to rerun</span>`;
  const cancelBtn =
    ctx.allowActions && !FINAL_STATUSES.has(d.status)
      ? html`<button id="cancel" data-id="${d.id}">Cancel</button> <label><input id="cancel-children" type="checkbox"> with children</label> `
      : '';
  return layout(
    ctx,
    '/invocations',
    `Invocation ${d.id}`,
    html`<h1>${d.taskId} ${badge(d.status)} <span class="mono muted">${d.id}</span></h1>
<p>${cancelBtn}${rerun}</p>
<table class="facts"><tbody>
<tr><th>Task</th><td><a href="/invocations?task=${encodeURIComponent(d.taskId)}">${d.taskId}</a></td><th>Attempt</th><td>${d.attempt}</td></tr>
<tr><th>Created</th><td>${time(d.createdAt)}</td><th>Updated</th><td>${time(d.updatedAt)}</td></tr>
<tr><th>Runner</th><td class="mono">${d.runner ?? '—'}</td><th>Priority</th><td>${d.priority}</td></tr>
<tr><th>Parent</th><td>${d.parent ? html`${invLink(d.parent.id)} ${d.parent.taskId} ${badge(d.parent.status)}` : '—'}</td><th>Workflow</th><td class="mono">${d.workflowId ?? '—'}</td></tr>
<tr><th>Progress</th><td>${d.progress ? html`<progress max="1" value="${String(d.progress.value)}"></progress> ${String(Math.round(d.progress.value * 100))}% ${d.progress.message ?? ''} <span class="muted">${time(d.progress.at)}</span>` : '—'}</td><th>Rerun of</th><td>${d.rerunOf ? invLink(d.rerunOf) : '—'}</td></tr>
</tbody></table>
<div class="grid2"><div><h2>Arguments</h2><pre class="args">${toJson(d.args, 2)}</pre></div>
<div>${d.error ? html`<h2>Error</h2><pre class="err">${errorText(d.error)}</pre>` : d.hasResult ? html`<h2>Result</h2><pre class="result">${toJson(d.result, 2)}</pre>` : html`<h2>Result</h2><p class="muted">none yet</p>`}</div></div>
<h2>History</h2>${historyTimeline(d, ctx.now)}
<h2>Children (${d.children.length})</h2>${invocationTable(d.children, ctx.now)}
${workflowSection(d)}
<h2>Logs (${d.logs.length})</h2>${
      d.logs.length
        ? html`<table class="logs"><thead><tr><th>At</th><th>Level</th><th>Message</th><th>Fields</th></tr></thead><tbody>
${d.logs.map((l) => html`<tr><td class="mono">${time(l.at)}</td><td>${l.level}</td><td>${l.message}</td><td class="mono">${toJson(l.fields)}</td></tr>`)}</tbody></table>`
        : html`<p class="muted">No stored lines. Task log lines are kept when <code>[monitor] keep_logs = true</code>.</p>`
    }`,
  );
}

export function timelinePage(ctx: PageContext, t: Timeline, minutes: number): string {
  const laneH = 26,
    left = 190,
    w = 1100,
    span = Math.max(1, t.to - t.from);
  const x = (ms: number) =>
    left + ((Math.min(Math.max(ms, t.from), t.to) - t.from) / span) * (w - left - 10);
  const height = Math.max(1, t.lanes.length) * laneH + 24;
  const ticks = Array.from({ length: 7 }, (_, i) => t.from + (span * i) / 6);
  const tickLabel = (ms: number) =>
    span < 60_000
      ? `${new Date(ms).toISOString().slice(11, 23)}`
      : new Date(ms).toISOString().slice(11, 19);
  const lanes = t.lanes.map(
    (
      lane,
      i,
    ) => html`<g class="lane"><text x="4" y="${i * laneH + 17}">${lane.runnerId.length > 28 ? `${lane.runnerId.slice(0, 27)}…` : lane.runnerId}</text>
<line x1="${left}" x2="${w - 10}" y1="${i * laneH + laneH}" y2="${i * laneH + laneH}" stroke="#eef0f3"/>
${lane.spans.map((s) => html`<a href="/invocations/${encodeURIComponent(s.invocationId)}"><rect class="span" data-status="${s.status}" x="${x(s.start)}" y="${i * laneH + 4}" width="${Math.max(2, x(s.end) - x(s.start))}" height="${laneH - 8}" rx="2" fill="${STATUS_COLORS[s.status]}"><title>${s.taskId} ${s.invocationId}: ${s.status}, ${s.end - s.start} ms</title></rect></a>`)}</g>`,
  );
  const options = [0, 5, 15, 60, 360, 1440];
  return layout(
    ctx,
    '/timeline',
    'Timeline',
    html`<h1>Timeline</h1>
<form class="filters" method="get" action="/timeline"><label>Window<select name="minutes" data-autosubmit>${options.map((m) => html`<option value="${m}" ${m === minutes ? raw('selected') : ''}>${m === 0 ? 'fit the last hour' : `last ${m >= 60 ? `${m / 60} h` : `${m} min`}`}</option>`)}</select></label></form>
<div class="legend">${(['RUNNING', 'SUCCESS', 'FAILED', 'RETRY', 'PAUSED', 'KILLED', 'RUNNING_RECOVERY'] as Status[]).map((s) => html`<span><i class="bg-${s}"></i>${s}</span>`)}</div>
${
  t.lanes.length
    ? html`<svg class="timeline" viewBox="0 0 ${w} ${height}" width="100%" height="${height}">${lanes}
${ticks.map((tk) => html`<text x="${x(tk)}" y="${height - 6}" text-anchor="middle">${tickLabel(tk)}</text>`)}</svg>`
    : html`<p class="muted">Nothing ran in this window.</p>`
}
<p class="muted">One lane per runner; each bar is one attempt (RUNNING until the status that ended it), coloured by that status. ${t.waiting} invocation(s) created in the window have not started.${t.truncated ? ' Only the newest invocations of the window are shown.' : ''}</p>`,
  );
}

export function tasksPage(ctx: PageContext, tasks: TaskView[]): string {
  return layout(
    ctx,
    '/tasks',
    'Tasks',
    html`<h1>Tasks</h1>
${
  tasks.length
    ? html`<table class="tasks"><thead><tr><th>Task</th><th>Effective options <span class="muted">(value · where it came from, when not the default)</span></th><th>Next cron fire</th><th></th></tr></thead><tbody>
${tasks.map(
  (
    t,
  ) => html`<tr><td><b>${t.id}</b>${t.paused ? html`<div class="paused">paused · ${t.paused.parked} waiting</div>` : ''}</td><td class="mono">${Object.entries(t.options).map(([k, v]) => html`<div>${k} = ${toJson(v)}${t.sources[k] && t.sources[k] !== 'default' ? html` <span class="muted">· ${t.sources[k]}</span>` : ''}</div>`)}</td>
<td>${t.nextFire ? time(t.nextFire) : html`<span class="muted">—</span>`}</td><td><a href="/invocations?task=${encodeURIComponent(t.id)}">invocations</a></td></tr>`,
)}
</tbody></table>`
    : html`<p class="muted">No tasks registered in this process: list your task modules in the <code>tasks</code> config field.</p>`
}`,
  );
}

export function runnersPage(ctx: PageContext, runners: RunnerView[]): string {
  return layout(
    ctx,
    '/runners',
    'Runners',
    html`<h1>Runners</h1>${runnerTable(runners, ctx.now)}
${runners.map((r) => (r.meta ? html`<h2 class="mono">${r.id}</h2><pre>${toJson(r.meta, 2)}</pre>` : ''))}`,
  );
}

export function errorPage(ctx: PageContext, status: number, message: string, fix?: string): string {
  return layout(
    ctx,
    '',
    `Error ${status}`,
    html`<h1>${status === 404 ? 'Not found' : 'Error'}</h1><pre class="err">${message}</pre>${fix ? html`<p class="fix">fix: ${fix}</p>` : ''}<p><a href="/">back to the overview</a></p>`,
  );
}
