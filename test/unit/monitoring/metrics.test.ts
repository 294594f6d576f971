/** A runner's /metrics ([monitor] metrics_port) counts that process's work by task. */
import { afterEach, describe, expect, it } from 'vitest';
import { taskapp, type App } from '../../../src/index.js';
import { TaskMetrics } from '../../../src/monitoring/metrics.js';
import { runtimeOf } from '../../../src/runtime/runtime.js';

const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

describe('runner metrics endpoint', () => {
  it('starts with the first runner when metrics_port is set, and closes with the app', async () => {
    const app = taskapp({
      backend: 'memory',
      configFile: false,
      monitor: { metricsPort: 0 },
      loggingLevel: 'error',
    });
    apps.push(app);
    const ok = app.task('ok', async () => 1);
    const bad = app.task('bad', async () => {
      throw new Error('no');
    });
    const flaky = app.task(
      'flaky',
      async () => {
        throw new Error('later');
      },
      {
        maxRetries: 1,
        retryFor: ['*'],
        retryBackoff: { kind: 'fixed', baseSeconds: 0, jitter: false },
      },
    );
    expect(await app.metricsPort()).toBeUndefined();
    const runner = await app.startRunner({ runner: 'thread', concurrency: 2 });
    const port = await app.metricsPort();
    expect(port).toBeGreaterThan(0);
    await ok.run({});
    await expect(bad.run({})).rejects.toThrow('no');
    await expect(flaky.run({})).rejects.toThrow('later');
    await runner.stop();
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toContain('taskapp_tasks_submitted_total{task="ok"} 1');
    expect(text).toContain('taskapp_tasks_succeeded_total{task="ok"} 1');
    expect(text).toContain('taskapp_tasks_failed_total{task="bad"} 1');
    expect(text).toContain('taskapp_tasks_retried_total{task="flaky"} 1');
    expect(text).toContain('taskapp_tasks_failed_total{task="flaky"} 1');
    expect(text).toContain('taskapp_tasks_started_total{task="flaky"} 2');
    expect(text).toContain('taskapp_invocations{status="FAILED"} 2');
    expect(text).toContain('taskapp_queue_depth 0');
    await app.close();
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});

describe('retention metrics', () => {
  it('count the invocations and blobs a retention pass of this process deleted', async () => {
    const app = taskapp({ backend: 'memory', configFile: false, loggingLevel: 'error' });
    apps.push(app);
    const rt = runtimeOf(app);
    const metrics = new TaskMetrics(rt);
    rt.events.emit({ type: 'retention', purged: 500, blobsDeleted: 2 });
    rt.events.emit({ type: 'retention', purged: 7, blobsDeleted: 0 });
    const text = await metrics.text();
    metrics.close();
    expect(text).toMatch(/^taskapp_retention_purged_total 507$/m);
    expect(text).toMatch(/^taskapp_retention_blobs_deleted_total 2$/m);
  });
});
