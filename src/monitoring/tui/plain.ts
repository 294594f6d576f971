/** Not a terminal (CI, pipes): one plain-text snapshot, no colours or cursor movement. */
import { STATUSES } from '../../core/status.js';
import { formatAge } from '../snapshot.js';
import type { TuiSnapshot } from './source.js';

export function plainSnapshot(s: TuiSnapshot, appId: string): string {
  const o = s.overview;
  const lines = [
    `taskapp monitor · app ${appId} · ${s.backend} · ${new Date(o.at).toISOString()}`,
    '',
    'status counts:',
  ];
  for (const st of STATUSES) {
    if (o.counts[st]) {
      lines.push(`  ${st.padEnd(28)}${String(o.counts[st]).padStart(8)}`);
    }
  }
  if (!o.total) {
    lines.push('  (no invocations)');
  }
  lines.push(
    `  ${'queued in broker'.padEnd(28)}${String(o.queueDepth).padStart(8)}`,
    '',
    `runners (${o.runnersAlive} alive):`,
  );
  for (const r of o.runners) {
    lines.push(
      `  ${r.alive ? 'alive ' : 'silent'} ${r.id} ${r.kind} heartbeat ${formatAge(r.heartbeatAgeMs)} ago, runs ${r.owns.length ? r.owns.map((x) => `${x.taskId}:${x.status}`).join(' ') : 'nothing'}`,
    );
  }
  if (!o.runners.length) {
    lines.push('  (none)');
  }
  lines.push('', 'latest invocations:');
  for (const r of s.rows) {
    lines.push(
      `  ${r.id}  ${r.taskId.padEnd(16)} ${r.status.padEnd(14)} ${formatAge(o.at - r.createdAt).padStart(6)}  ${r.owner ?? ''}`,
    );
  }
  if (!s.rows.length) {
    lines.push('  (none)');
  }
  return `${lines.join('\n')}\n`;
}
