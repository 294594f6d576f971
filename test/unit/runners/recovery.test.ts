/** recoverOnce: a dead runner's held and PENDING work, and PENDING left too long, go back to the broker. */
import { describe, expect, it } from 'vitest';
import { openBackends } from '../../compliance/harness.js';
import { recoverOnce, RecoveryService } from '../../../src/runtime/recovery.js';
import { createLogger } from '../../../src/core/logger.js';

const cfg = { runner_dead_after_seconds: 3, max_pending_seconds: 60 };

describe('recoverOnce', () => {
  it("reroutes a dead runner's RUNNING, PAUSED and PENDING work and stale PENDING; removes dead runners", async () => {
    const b = await openBackends({ backend: 'memory' });
    const now = Date.now();
    const mk = (id: string) => ({
      id,
      taskId: 't',
      args: '{}',
      priority: 5,
      parentId: null,
      workflowId: null,
    });
    await b.state.insert(['r1', 'p1', 'q1', 'live-stale', 'live-ok'].map(mk), now - 120_000);
    await b.state.heartbeat({
      id: 'dead',
      kind: 'thread',
      hostname: 'h',
      pid: 1,
      startedAt: now - 10_000,
      heartbeatAt: now - 5_000,
    });
    await b.state.heartbeat({
      id: 'live',
      kind: 'thread',
      hostname: 'h',
      pid: 2,
      startedAt: now,
      heartbeatAt: now,
    });
    await b.orchestrator.acquire(['r1', 'p1', 'q1'], 'dead', now - 10_000);
    await b.orchestrator.transitionMany(
      [
        { id: 'r1', to: 'RUNNING', runnerId: 'dead' },
        { id: 'p1', to: 'RUNNING', runnerId: 'dead' },
      ],
      now - 10_000,
    );
    await b.orchestrator.transition({ id: 'p1', to: 'PAUSED', runnerId: 'dead' }, now - 10_000);
    await b.orchestrator.acquire(['live-stale'], 'live', now - 61_000);
    await b.orchestrator.acquire(['live-ok'], 'live', now);
    const report = await recoverOnce(b, cfg, 'me', now);
    expect(report.deadRunners).toEqual(['dead']);
    expect(report.running.sort()).toEqual(['p1', 'r1']);
    expect(report.pending.sort()).toEqual(['live-stale', 'q1']);
    const recs = await b.state.getMany(['r1', 'p1', 'q1', 'live-stale', 'live-ok']);
    expect(Object.fromEntries(recs.map((r) => [r.id, r.status]))).toEqual({
      r1: 'REROUTED',
      p1: 'REROUTED',
      q1: 'REROUTED',
      'live-stale': 'REROUTED',
      'live-ok': 'PENDING',
    });
    expect((await b.state.history('p1')).map((h) => h.status).slice(-3)).toEqual([
      'PAUSED',
      'RUNNING_RECOVERY',
      'REROUTED',
    ]);
    expect((await b.state.history('q1')).map((h) => h.status).slice(-2)).toEqual([
      'PENDING_RECOVERY',
      'REROUTED',
    ]);
    expect(await b.broker.count()).toBe(4);
    expect((await b.state.runners()).map((r) => r.id)).toEqual(['live']);
    expect(await recoverOnce(b, cfg, 'me', now)).toEqual({
      deadRunners: [],
      running: [],
      pending: [],
      stranded: [],
      failed: [],
    });
    await b.close();
  });

  it('never declares the runner that performs the pass dead, nor takes its work', async () => {
    const b = await openBackends({ backend: 'memory' });
    const now = Date.now();
    await b.state.insert(
      [{ id: 'mine', taskId: 't', args: '{}', priority: 5, parentId: null, workflowId: null }],
      now - 60_000,
    );
    // Its own row as stale as after a long outage or a blocked event loop.
    await b.state.heartbeat({
      id: 'me',
      kind: 'thread',
      hostname: 'h',
      pid: 1,
      startedAt: now - 60_000,
      heartbeatAt: now - 40_000,
    });
    await b.orchestrator.acquire(['mine'], 'me', now - 1_000);
    await b.orchestrator.transition({ id: 'mine', to: 'RUNNING', runnerId: 'me' }, now - 1_000);
    const report = await recoverOnce(b, cfg, 'me', now);
    expect(report.deadRunners).toEqual([]);
    expect(report.running).toEqual([]);
    expect((await b.state.get('mine'))!.status).toBe('RUNNING');
    expect((await b.state.runners()).map((r) => r.id)).toEqual(['me']);
    await b.close();
  });

  it('RecoveryService declares no one dead until this runner has been in contact for a dead-after period', async () => {
    const b = await openBackends({ backend: 'memory' });
    const now = Date.now();
    await b.state.insert(
      [{ id: 'theirs', taskId: 't', args: '{}', priority: 5, parentId: null, workflowId: null }],
      now,
    );
    const other = (heartbeatAt: number) =>
      b.state.heartbeat({
        id: 'other',
        kind: 'thread',
        hostname: 'h',
        pid: 2,
        startedAt: now - 60_000,
        heartbeatAt,
      });
    // After an outage: every heartbeat is old, the other runner's as well.
    await other(now - 40_000);
    await b.orchestrator.acquire(['theirs'], 'other', now);
    await b.orchestrator.transition({ id: 'theirs', to: 'RUNNING', runnerId: 'other' }, now);
    let contactMs = 1_000;
    const svc = new RecoveryService(
      b,
      { ...cfg, recovery_check_interval_seconds: 0.02 },
      'me',
      createLogger('error'),
      { contactMs: () => contactMs },
    );
    svc.start();
    await new Promise((r) => setTimeout(r, 200));
    expect((await b.state.get('theirs'))!.status).toBe('RUNNING');
    expect((await b.state.runners()).map((r) => r.id)).toEqual(['other']);
    // The other runner is back too and beats within the wait: it stays alive.
    await other(Date.now());
    contactMs = 3_000;
    await new Promise((r) => setTimeout(r, 200));
    expect((await b.state.get('theirs'))!.status).toBe('RUNNING');
    // It really is dead: once in steady contact, its silence counts.
    await other(Date.now() - 10_000);
    const deadline = Date.now() + 5_000;
    while ((await b.state.get('theirs'))!.status === 'RUNNING' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await b.state.get('theirs'))!.status).toBe('REROUTED');
    await svc.stop();
    await b.close();
  });
});
