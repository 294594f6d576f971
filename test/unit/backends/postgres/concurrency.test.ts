/**
 * The postgres backend's concurrency control under real races: separate handles (separate pools,
 * as separate hosts would have) on one schema, racing inserts on a registration key and racing
 * acquires for a running slot. The advisory locks must let exactly one win each time.
 */
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import type { Backends } from '../../../../src/backends/registry.js';
import { waitForFinal } from '../../../../src/backends/state-backend.js';
import type { ConcurrencyControl } from '../../../../src/core/records.js';
import { openBackends } from '../../../compliance/harness.js';
import { newInv } from '../../../../src/testing/suites/state.js';
import { describeWithService } from '../../../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL, pgScope } from '../../../helpers/postgres.js';

const scope = pgScope('cc');

await describeWithService('postgres', PG_HOST, PG_PORT, 'postgres concurrency control', () => {
  let hs: Backends[];
  beforeEach(async () => {
    const schema = scope.next();
    hs = [];
    // One after the other: the first creates and migrates the schema.
    for (let i = 0; i < 3; i++) {
      hs.push(
        await openBackends({ backend: 'postgres', postgres: { url: PG_URL, schema, poolSize: 4 } }),
      );
    }
  });
  afterEach(async () => {
    await Promise.all(hs.map((h) => h.close()));
  });
  afterAll(() => scope.cleanup());

  const statuses = async (id: string) => (await hs[0]!.state.history(id)).map((e) => e.status);

  it('racing inserts with one registration key store one invocation; every caller gets its id', async () => {
    const ids = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        hs[i % 3]!.state.insert(
          [
            newInv(`r${i}`, 't', { registrationKey: 'K' }),
            newInv(`s${i}`, 't', { registrationKey: `K${i % 2}` }),
          ],
          1,
        ),
      ),
    );
    expect(new Set(ids.map((pair) => pair[0])).size).toBe(1);
    expect(new Set(ids.map((pair) => pair[1])).size).toBe(2);
    expect((await hs[0]!.state.list({})).length).toBe(3);
    // Once it leaves REGISTERED, the key is free again.
    const [winner] = ids[0]!;
    await hs[0]!.orchestrator.acquire([winner!], 'r', 2);
    expect(await hs[1]!.state.insert([newInv('later', 't', { registrationKey: 'K' })], 3)).toEqual([
      'later',
    ]);
  });

  it('racing acquires never both take the last slot; the losers are requeued with their history', async () => {
    const cc: ConcurrencyControl = { key: 'slot', maxRunning: 2, reroute: true };
    const ids = Array.from({ length: 24 }, (_, i) => `a${i}`);
    await hs[0]!.state.insert(
      ids.map((id) => newInv(id, 't', { concurrency: cc })),
      1,
    );
    const results = await Promise.all(
      ids.map((id, i) => hs[i % 3]!.orchestrator.acquire([id], `runner${i % 3}`, 10)),
    );
    expect(results.flatMap((r) => r.acquired).length).toBe(2);
    const requeued = results.flatMap((r) => r.requeue.map((q) => q.id));
    expect(requeued.length).toBe(22);
    expect(await statuses(requeued[0]!)).toEqual([
      'REGISTERED',
      'CONCURRENCY_CONTROLLED',
      'REROUTED',
    ]);
    // A slot frees when its holder ends; then exactly one more gets in.
    const holder = results.flatMap((r) => r.acquired)[0]!;
    await hs[0]!.orchestrator.transition(
      { id: holder.id, to: 'RUNNING', runnerId: holder.owner! },
      11,
    );
    await hs[0]!.orchestrator.transition(
      { id: holder.id, to: 'SUCCESS', runnerId: holder.owner!, result: '1' },
      12,
    );
    const again = await Promise.all(
      requeued.map((id, i) => hs[i % 3]!.orchestrator.acquire([id], 'r', 13)),
    );
    expect(again.flatMap((r) => r.acquired).length).toBe(1);
  });

  it('rate limit counts starts across handles and drops the ones out of the window', async () => {
    const cc: ConcurrencyControl = {
      key: 'rate',
      maxRunning: 0,
      rateCount: 3,
      rateWindowMs: 1000,
      reroute: true,
    };
    const ids = Array.from({ length: 9 }, (_, i) => `q${i}`);
    await hs[0]!.state.insert(
      ids.map((id) => newInv(id, 't', { concurrency: cc })),
      1,
    );
    const first = await Promise.all(
      ids.map((id, i) => hs[i % 3]!.orchestrator.acquire([id], 'r', 100)),
    );
    expect(first.flatMap((r) => r.acquired).length).toBe(3);
    // Each blocked call reserves its own slot: three as soon as the window frees, three a window later.
    const slots = first
      .flatMap((r) => r.requeue.map((q) => q.notBefore ?? 0))
      .sort((x, y) => x - y);
    expect(slots.slice(0, 3)).toEqual([1101, 1101, 1101]);
    expect(slots.slice(3).every((t) => t > 1101)).toBe(true);
    const later = first.flatMap((r) => r.requeue.map((q) => q.id));
    const second = await hs[1]!.orchestrator.acquire(later, 'r', 1101);
    expect(second.acquired.length).toBe(3);
  });

  it('CONCURRENCY_CONTROLLED_FINAL wakes a result waiter in another process', async () => {
    const cc: ConcurrencyControl = { key: 'once', maxRunning: 1, reroute: false };
    await hs[0]!.state.insert(
      [newInv('f1', 't', { concurrency: cc }), newInv('f2', 't', { concurrency: cc })],
      1,
    );
    const waiting = waitForFinal(hs[2]!.state, ['f2'], 10_000);
    const res = await hs[1]!.orchestrator.acquire(['f1', 'f2'], 'r', 2);
    expect(res.acquired.map((r) => r.id)).toEqual(['f1']);
    expect((await waiting).map((r) => [r.id, r.status])).toEqual([
      ['f2', 'CONCURRENCY_CONTROLLED_FINAL'],
    ]);
  });
});
