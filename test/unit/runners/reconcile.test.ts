/**
 * OwnershipReconciler: work the backend records as held by a live runner that the runner does not
 * hold goes through recovery; what it holds, what it just claimed and what it let go of while the
 * pass read are left alone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openBackends } from '../../compliance/harness.js';
import type { Backends } from '../../../src/backends/registry.js';
import { createLogger } from '../../../src/core/logger.js';
import type { InvocationRecord } from '../../../src/core/records.js';
import { OwnershipReconciler } from '../../../src/runners/reconcile.js';
import { loadConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/core/errors.js';

const INTERVAL = 1000;
const mk = (id: string) => ({
  id,
  taskId: 't',
  args: '{}',
  priority: 5,
  parentId: null,
  workflowId: null,
});

describe('OwnershipReconciler', () => {
  let b: Backends;
  afterEach(async () => {
    await b?.close();
  });

  const reconciler = (held: string[], failed: InvocationRecord[] = [], max = 3) =>
    new OwnershipReconciler({
      backends: b,
      runnerId: 'me',
      intervalMs: INTERVAL,
      holds: (id) => held.includes(id),
      cap: { max, serializeError: (e) => JSON.stringify({ name: e.name, message: e.message }) },
      logger: createLogger('error'),
      onFailed: (recs) => failed.push(...recs),
    });

  it('reroutes its own RUNNING and PENDING work it does not hold; leaves held, recent and others’ work', async () => {
    b = await openBackends({ backend: 'memory' });
    const now = Date.now();
    const old = now - 10 * INTERVAL;
    await b.state.insert(['lost', 'lost-pending', 'held', 'fresh', 'theirs'].map(mk), old);
    await b.orchestrator.acquire(['lost', 'lost-pending', 'held'], 'me', old);
    await b.orchestrator.transitionMany(
      ['lost', 'held'].map((id) => ({ id, to: 'RUNNING' as const, runnerId: 'me' })),
      old,
    );
    // Claimed a moment ago: its answer may not have reached the runner yet.
    await b.orchestrator.acquire(['fresh'], 'me', now);
    await b.orchestrator.acquire(['theirs'], 'other', old);
    const res = await reconciler(['held']).reconcileOnce(now);
    expect(res.rerouted.map((r) => r.id).sort()).toEqual(['lost', 'lost-pending']);
    expect(res.failed).toEqual([]);
    expect((await b.state.get('lost'))!.status).toBe('REROUTED');
    expect((await b.state.history('lost')).map((h) => h.status)).toContain('RUNNING_RECOVERY');
    expect((await b.state.history('lost-pending')).map((h) => h.status)).toContain(
      'PENDING_RECOVERY',
    );
    expect((await b.state.get('held'))!.status).toBe('RUNNING');
    expect((await b.state.get('fresh'))!.status).toBe('PENDING');
    expect((await b.state.get('theirs'))!.status).toBe('PENDING');
  });

  it('leaves alone an invocation let go of while the pass read (its outcome being written)', async () => {
    b = await openBackends({ backend: 'memory' });
    const now = Date.now();
    const old = now - 10 * INTERVAL;
    await b.state.insert([mk('finishing')], old);
    await b.orchestrator.acquire(['finishing'], 'me', old);
    await b.orchestrator.transition({ id: 'finishing', to: 'RUNNING', runnerId: 'me' }, old);
    const r = reconciler([]);
    // The runner lets go of it (outcome written) while the read is under way.
    const ownedBy = b.orchestrator.ownedBy.bind(b.orchestrator);
    b.orchestrator.ownedBy = async (...args) => {
      const recs = await ownedBy(...args);
      r.letGo('finishing');
      return recs;
    };
    expect(await r.reconcileOnce(now)).toEqual({ rerouted: [], failed: [] });
    expect((await b.state.get('finishing'))!.status).toBe('RUNNING');
  });

  it('ends FAILED an invocation recovered max_recoveries times already (the same cap as dead runners’ work)', async () => {
    b = await openBackends({ backend: 'memory' });
    const now = Date.now();
    const old = now - 10 * INTERVAL;
    await b.state.insert([mk('looping')], old);
    await b.orchestrator.acquire(['looping'], 'me', old);
    await b.orchestrator.transition({ id: 'looping', to: 'RUNNING', runnerId: 'me' }, old);
    const failed: InvocationRecord[] = [];
    const res = await reconciler([], failed, 0).reconcileOnce(now);
    expect(res.rerouted).toEqual([]);
    expect(failed.map((f) => [f.id, f.status])).toEqual([['looping', 'FAILED']]);
  });
});

describe('[runner] reconcile_interval_seconds', () => {
  const load = (v: string) =>
    loadConfig({
      configFile: false,
      env: { TASKAPP__RUNNER__RECONCILE_INTERVAL_SECONDS: v },
      code: {},
    });

  it('takes 1 to 3600 seconds (default 10)', () => {
    expect(loadConfig({ configFile: false, env: {}, code: {} }).config.runner).toMatchObject({
      reconcile_interval_seconds: 10,
    });
    expect(load('30').config.runner.reconcile_interval_seconds).toBe(30);
  });

  it('refuses a value out of range, naming the field, the value and the range', () => {
    for (const bad of ['0', '0.5', '3601']) {
      expect(() => load(bad)).toThrow(ConfigError);
      expect(() => load(bad)).toThrow(/reconcile_interval_seconds[\s\S]*from 1 to 3600/);
    }
  });
});
