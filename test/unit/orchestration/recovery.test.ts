/** recoverOnce on the memory backend: dead runners' work and stale PENDING go back to the queue. */
import { afterEach, describe, expect, it } from 'vitest';
import { taskapp, type App } from '../../../src/index.js';
import { recoverOnce } from '../../../src/orchestration/recovery.js';

const T0 = 1_000_000;

async function setup(): Promise<App> {
  const app = taskapp({ appId: 'rec', backend: 'memory', configFile: false, runner: { runnerDeadAfterSeconds: 3, maxPendingSeconds: 60 } });
  app.task('t', async () => 1);
  return app;
}

async function seed(app: App, ids: string[]): Promise<void> {
  const { state, broker } = await app.backends();
  await state.insert(ids.map((id) => ({ id, taskId: 't', args: '{}', priority: 5, parentId: null, workflowId: null })), T0);
  await broker.route(ids.map((id) => ({ id, priority: 5 })));
  await broker.claim(ids.length, 0);
}

describe('recoverOnce', () => {
  let app: App | undefined;
  afterEach(async () => { await app?.close(); app = undefined; });

  it('moves a dead runner\'s RUNNING and PAUSED work, and its PENDING, through recovery to the queue', async () => {
    app = await setup();
    const { state, orchestrator, broker } = await app.backends();
    await seed(app, ['run', 'paused', 'pend', 'live']);
    const now = T0 + 10_000;
    await state.heartbeat({ id: 'dead', kind: 'thread', hostname: 'h', pid: 1, startedAt: T0, heartbeatAt: T0 });
    await state.heartbeat({ id: 'alive', kind: 'thread', hostname: 'h', pid: 2, startedAt: T0, heartbeatAt: now - 1000 });
    await orchestrator.acquire(['run', 'paused', 'pend'], 'dead', T0);
    await orchestrator.acquire(['live'], 'alive', T0 + 9_000);
    await orchestrator.transition({ id: 'run', to: 'RUNNING', runnerId: 'dead' }, T0);
    await orchestrator.transition({ id: 'paused', to: 'RUNNING', runnerId: 'dead' }, T0);
    await orchestrator.transition({ id: 'paused', to: 'PAUSED', runnerId: 'dead' }, T0);
    await orchestrator.transition({ id: 'live', to: 'RUNNING', runnerId: 'alive' }, T0 + 9_000);

    const report = await recoverOnce(app, { now, runnerId: 'recoverer' });
    expect(report.deadRunners).toEqual(['dead']);
    expect(report.runningRecovered.sort()).toEqual(['paused', 'run']);
    expect(report.pendingRecovered).toEqual(['pend']);
    for (const id of ['run', 'paused']) {
      expect((await state.history(id)).slice(-2).map((h) => [h.status, h.runnerId])).toEqual([['RUNNING_RECOVERY', 'recoverer'], ['REROUTED', 'recoverer']]);
    }
    expect((await state.history('pend')).slice(-2).map((h) => h.status)).toEqual(['PENDING_RECOVERY', 'REROUTED']);
    expect((await state.get('live'))!.status).toBe('RUNNING');
    expect((await broker.claim(10, 0)).sort()).toEqual(['paused', 'pend', 'run']);
    expect((await state.runners()).map((r) => r.id)).toEqual(['alive']);

    expect(await recoverOnce(app, { now, runnerId: 'recoverer' })).toEqual({ deadRunners: [], runningRecovered: [], pendingRecovered: [] });
  });

  it('moves PENDING older than max_pending_seconds even when its runner is alive', async () => {
    app = await setup();
    const { state, orchestrator } = await app.backends();
    await seed(app, ['old', 'young']);
    const now = T0 + 120_000;
    await state.heartbeat({ id: 'alive', kind: 'thread', hostname: 'h', pid: 2, startedAt: T0, heartbeatAt: now });
    await orchestrator.acquire(['old'], 'alive', T0);
    await orchestrator.acquire(['young'], 'alive', now - 1000);
    const report = await recoverOnce(app, { now });
    expect(report).toMatchObject({ deadRunners: [], runningRecovered: [], pendingRecovered: ['old'] });
    expect((await state.get('young'))!.status).toBe('PENDING');
    expect((await state.get('old'))!.status).toBe('REROUTED');
  });
});
