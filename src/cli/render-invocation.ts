/** Text rendering of one invocation (taskapp status) and of a list of them (taskapp list). */
import { ago, humanDuration, oneLine, table } from './format.js';
import { statusStyle, type Styler } from './style.js';
import type { InvocationView } from './invocations.js';
import { progressBar } from '../monitoring/progress-bar.js';

const label = (s: Styler, name: string) => s('gray', name.padEnd(10));

function renderHeader(v: InvocationView, s: Styler, now = Date.now()): string[] {
  const created = Date.parse(v.createdAt);
  const updated = Date.parse(v.updatedAt);
  const lines = [
    `${s('bold', 'Invocation')} ${v.id}`,
    `  ${label(s, 'task')} ${v.task}`,
    `  ${label(s, 'status')} ${s(statusStyle(v.status), v.status)}${v.final ? '' : s('gray', ' (not final)')}`,
    `  ${label(s, 'args')} ${oneLine(v.args)}`,
    `  ${label(s, 'runner')} ${v.runner ?? s('gray', '(none yet)')}${v.owner ? '' : v.runner ? s('gray', ' (last)') : ''}`,
    `  ${label(s, 'attempts')} ${v.attempts}`,
    `  ${label(s, 'priority')} ${v.priority}`,
    `  ${label(s, 'created')} ${v.createdAt} ${s('gray', `(${ago(created, now)})`)}`,
    `  ${label(s, 'updated')} ${v.updatedAt} ${s('gray', `(${ago(updated, now)}; ${humanDuration(updated - created)} after creation)`)}`,
  ];
  if (v.parentId) {
    lines.push(`  ${label(s, 'parent')} ${v.parentId}`);
  }
  if (v.workflowId && v.workflowId !== v.id) {
    lines.push(`  ${label(s, 'workflow')} ${v.workflowId}`);
  }
  if (v.rerunOf) {
    lines.push(`  ${label(s, 'rerun of')} ${v.rerunOf}`);
  }
  if (v.progress) {
    const pct = `${Math.round(v.progress.value * 100)}%`;
    const msg = v.progress.message ? ` ${v.progress.message}` : '';
    lines.push(
      `  ${label(s, 'progress')} ${progressBar(v.progress.value)} ${pct}${msg} ${s('gray', `(${ago(Date.parse(v.progress.at), now)})`)}`,
    );
  }
  return lines;
}

export function renderOutcome(v: InvocationView, s: Styler): string[] {
  const lines: string[] = [];
  if (v.status === 'SUCCESS') {
    lines.push(`  ${label(s, 'result')} ${s('green', oneLine(v.result))}`);
  }
  if (v.error) {
    const title =
      v.status === 'FAILED' ? 'error' : v.status === 'CANCELLED' ? 'cancelled' : 'last error';
    lines.push(`  ${label(s, title)} ${s('red', `${v.error.name}: ${v.error.message}`)}`);
    if (Object.keys(v.error.fields).length) {
      lines.push(`  ${label(s, 'fields')} ${oneLine(v.error.fields)}`);
    }
    if (v.error.stack) {
      const frames = v.error.stack.split('\n').filter((l) => l.trimStart().startsWith('at '));
      for (const f of frames) {
        lines.push(`             ${s('gray', f.trim())}`);
      }
    }
  }
  return lines;
}

export function renderTimelineEntry(h: InvocationView['history'][number], s: Styler): string {
  const offset = `+${humanDuration(h.sinceStartMs)}`.padStart(9);
  return `  ${s('gray', offset)}  ${s(statusStyle(h.status), h.status.padEnd(28))} ${h.runner ? s('gray', h.runner) : ''}`.trimEnd();
}

export function renderInvocation(v: InvocationView, s: Styler, now = Date.now()): string {
  const waiting = v.waitingOn
    ? [
        `${s('bold', 'waits for')} ${v.waitingOn.reason} ${v.waitingOn.invocations.length ? '' : '(none right now)'}`,
        ...v.waitingOn.invocations.map(
          (w) =>
            `  ${w.id}  ${w.task}  ${s(statusStyle(w.status as InvocationView['status']), w.status)}`,
        ),
      ]
    : [];
  return [
    ...renderHeader(v, s, now),
    ...waiting,
    ...renderOutcome(v, s),
    s('bold', 'History'),
    ...v.history.map((h) => renderTimelineEntry(h, s)),
  ].join('\n');
}

export function renderList(views: InvocationView[], s: Styler, now = Date.now()): string {
  const rows = views.map((v) => [
    v.id,
    v.task,
    s(statusStyle(v.status), v.status),
    String(v.attempts),
    ago(Date.parse(v.createdAt), now),
    humanDuration(Date.parse(v.updatedAt) - Date.parse(v.createdAt)),
    truncate(oneLine(v.args), 40),
  ]);
  return table(['ID', 'TASK', 'STATUS', 'ATTEMPTS', 'CREATED', 'DURATION', 'ARGS'], rows, (h) =>
    s('bold', h),
  );
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
