/**
 * The queue table's dead rows are vacuumed by the process that made them (queue-vacuum.ts): after
 * VACUUM_AFTER rows taken, or VACUUM_AFTER_DRAINED when a claim empties the queue, at most one at a
 * time and once a second; a failure is logged once and claims go on.
 */
import { describe, expect, it } from 'vitest';
import {
  QueueVacuum,
  VACUUM_AFTER,
  VACUUM_AFTER_DRAINED,
} from '../../../../src/backends/postgres/queue-vacuum.js';
import type { Logger } from '../../../../src/core/logger.js';

function harness() {
  let now = 10_000;
  const runs: Array<{ sql: string; end: (err?: Error) => void }> = [];
  const warnings: string[] = [];
  const log = { warn: (msg: string) => warnings.push(msg) } as unknown as Logger;
  const v = new QueueVacuum(
    (sql) =>
      new Promise<void>((resolve, reject) =>
        runs.push({ sql, end: (err) => (err ? reject(err) : resolve()) }),
      ),
    log,
    () => now,
  );
  return { v, runs, warnings, advance: (ms: number) => (now += ms) };
}
const settle = () => new Promise((r) => setImmediate(r));

describe('queue vacuum', () => {
  it('vacuums after VACUUM_AFTER rows taken, not before', () => {
    const { v, runs } = harness();
    v.taken(VACUUM_AFTER - 1, false);
    expect(runs).toHaveLength(0);
    v.taken(1, false);
    expect(runs.map((r) => r.sql)).toEqual(['VACUUM (SKIP_LOCKED) queue']);
  });

  it('vacuums sooner when a claim drains the queue', () => {
    const { v, runs } = harness();
    v.taken(VACUUM_AFTER_DRAINED - 1, true);
    expect(runs).toHaveLength(0);
    v.taken(1, true);
    expect(runs).toHaveLength(1);
  });

  it('runs one at a time and at most once a second', async () => {
    const { v, runs, advance } = harness();
    v.taken(VACUUM_AFTER, false);
    advance(100);
    v.taken(VACUUM_AFTER, false);
    expect(runs).toHaveLength(1);
    runs[0]!.end();
    await settle();
    advance(100);
    v.taken(VACUUM_AFTER, false);
    expect(runs).toHaveLength(1);
    advance(900);
    v.taken(1, false);
    expect(runs).toHaveLength(2);
  });

  it('logs a failure once and keeps going', async () => {
    const { v, runs, warnings, advance } = harness();
    v.taken(VACUUM_AFTER, false);
    runs[0]!.end(new Error('must be owner of table queue'));
    await settle();
    advance(2_000);
    v.taken(VACUUM_AFTER, false);
    runs[1]!.end(new Error('must be owner of table queue'));
    await settle();
    expect(runs).toHaveLength(2);
    expect(warnings).toHaveLength(1);
    // Not stuck as running after a failure: the next one starts.
    advance(2_000);
    v.taken(VACUUM_AFTER, false);
    expect(runs).toHaveLength(3);
  });
});
