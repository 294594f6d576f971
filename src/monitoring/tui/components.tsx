/** The terminal view's panels: pure components of the monitor's data model (tested frame by frame). */
import { Box, Text } from 'ink';
import { STATUSES, type Status } from '../../core/status.js';
import {
  formatAge,
  sparkline,
  type InvocationDetail,
  type InvocationRow,
  type RunnerView,
} from '../snapshot.js';
import { toJson } from '../web/html.js';
import { progressBar } from '../progress-bar.js';

const STATUS_COLOR: Record<Status, string> = {
  REGISTERED: 'gray',
  CONCURRENCY_CONTROLLED: 'yellow',
  CONCURRENCY_CONTROLLED_FINAL: 'yellow',
  REROUTED: 'magenta',
  PENDING: 'cyan',
  PENDING_RECOVERY: 'magenta',
  RUNNING: 'blue',
  RUNNING_RECOVERY: 'magenta',
  PAUSED: 'magenta',
  RESUMED: 'blue',
  KILLED: 'gray',
  SUCCESS: 'green',
  FAILED: 'red',
  RETRY: 'yellow',
  CANCELLED: 'gray',
};

const short = (id: string, n = 8) => (id.length > n ? id.slice(0, n) : id);
const pad = (s: string, n: number) => (s.length >= n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));

export function Counts({
  counts,
  rates,
  queueDepth,
}: {
  counts: Record<Status, number>;
  rates: number[];
  queueDepth: number;
}) {
  const shown = STATUSES.filter((s) => counts[s] > 0);
  const last = rates.length ? rates[rates.length - 1]! : 0;
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} minWidth={34}>
      <Text bold>Status</Text>
      {shown.length === 0 ? (
        <Text dimColor>no invocations</Text>
      ) : (
        shown.map((s) => (
          <Text key={s}>
            <Text color={STATUS_COLOR[s]}>{pad(s, 22)}</Text>
            {String(counts[s]).padStart(7)}
          </Text>
        ))
      )}
      <Text>
        {pad('queued in broker', 22)}
        {String(queueDepth).padStart(7)}
      </Text>
      <Text>
        finished/s <Text color="green">{sparkline(rates.length ? rates.slice(-20) : [0])}</Text>{' '}
        {last.toFixed(1)}
      </Text>
    </Box>
  );
}

export function Runners({ runners }: { runners: RunnerView[] }) {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} flexGrow={1}>
      <Text bold>Runners ({runners.filter((r) => r.alive).length} alive)</Text>
      {runners.length === 0 ? (
        <Text dimColor>no runner heartbeats</Text>
      ) : (
        runners.map((r) => (
          <Box key={r.id} flexDirection="column">
            <Text>
              <Text color={r.alive ? 'green' : 'red'}>{r.alive ? '●' : '○'}</Text> {r.id}{' '}
              <Text dimColor>
                {r.kind} hb {formatAge(r.heartbeatAgeMs)}
              </Text>
            </Text>
            <Text dimColor>
              {'  '}
              {r.owns.length
                ? r.owns
                    .slice(0, 4)
                    .map((o) => `${o.taskId} ${o.status}`)
                    .join(', ') + (r.owns.length > 4 ? ` +${r.owns.length - 4}` : '')
                : 'idle'}
            </Text>
          </Box>
        ))
      )}
    </Box>
  );
}

export function InvocationList({
  rows,
  selected,
  now,
  filter,
  height,
}: {
  rows: InvocationRow[];
  selected: number;
  now: number;
  filter: string;
  height: number;
}) {
  // Keep the selection in view: scroll the window of rows.
  const start = Math.max(0, Math.min(selected - Math.floor(height / 2), rows.length - height));
  const visible = rows.slice(start, start + height);
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>
        Latest invocations{filter ? <Text color="cyan"> (filter: {filter})</Text> : null}
      </Text>
      <Text dimColor>
        {'  '}
        {pad('id', 10)}
        {pad('task', 16)}
        {pad('status', 14)}
        {pad('age', 8)}runner
      </Text>
      {rows.length === 0 ? (
        <Text dimColor>
          {'  no invocations'}
          {filter ? ' match the filter' : ''}
        </Text>
      ) : (
        visible.map((r, i) => {
          const sel = start + i === selected;
          return (
            <Text key={r.id} inverse={sel}>
              {sel ? '> ' : '  '}
              {pad(short(r.id), 10)}
              {pad(r.taskId, 16)}
              <Text color={STATUS_COLOR[r.status]}>{pad(r.status, 14)}</Text>
              {pad(formatAge(now - r.createdAt), 8)}
              {r.runner ?? ''}
            </Text>
          );
        })
      )}
    </Box>
  );
}

function oneLine(v: unknown, max = 200): string {
  const s = toJson(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function Detail({ d, expanded }: { d: InvocationDetail | null; expanded: boolean }) {
  if (!d) {
    return (
      <Box borderStyle="round" paddingX={1}>
        <Text dimColor>select an invocation (↑↓), enter for detail</Text>
      </Box>
    );
  }
  const start = d.history[0]?.at ?? d.createdAt;
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>
        {d.taskId} <Text color={STATUS_COLOR[d.status]}>{d.status}</Text>{' '}
        <Text dimColor>
          {d.id} attempt {d.attempt}
        </Text>
      </Text>
      <Text>
        {'args   '}
        {oneLine(d.args)}
      </Text>
      {d.progress ? (
        <Text>
          {'progress '}
          {progressBar(d.progress.value)} {Math.round(d.progress.value * 100)}%
          {d.progress.message ? ` ${d.progress.message}` : ''}
        </Text>
      ) : null}
      {d.rerunOf ? <Text dimColor>rerun of {d.rerunOf}</Text> : null}
      {d.error ? (
        <Text color="red">
          {'error  '}
          {d.error.name}: {d.error.message}
        </Text>
      ) : d.hasResult ? (
        <Text>result {oneLine(d.result)}</Text>
      ) : null}
      {expanded && d.error?.stack ? (
        <Text dimColor>{d.error.stack.split('\n').slice(1, 6).join('\n')}</Text>
      ) : null}
      {d.parent ? (
        <Text>
          parent {d.parent.taskId} {short(d.parent.id)} {d.parent.status}
        </Text>
      ) : null}
      {d.children.length ? (
        <Text>
          children {d.children.length}:{' '}
          {d.children
            .slice(0, 6)
            .map((c) => `${c.taskId} ${c.status}`)
            .join(', ')}
        </Text>
      ) : null}
      <Text dimColor>history</Text>
      {(expanded ? d.history : d.history.slice(-4)).map((h, i) => (
        <Text key={i}>
          {'  '}
          <Text color={STATUS_COLOR[h.status]}>{pad(h.status, 18)}</Text>+
          {String(h.at - start).padStart(6)}
          {' ms  '}
          {h.runnerId ?? ''}
        </Text>
      ))}
      {expanded && d.logs.length ? <Text dimColor>logs</Text> : null}
      {expanded
        ? d.logs.slice(-8).map((l, i) => (
            <Text key={`l${i}`}>
              {'  '}
              {l.level.padEnd(5)} {l.message}
            </Text>
          ))
        : null}
    </Box>
  );
}
