/**
 * TaskappOptions is typed from the config schema (camelCase, no index signature): the
 * `@ts-expect-error` lines below are checked by `npm run typecheck`, which fails if any of them
 * compiles (an unused directive is an error).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { taskapp, type App, type TaskappOptions } from '../../../src/index.js';

const apps: App[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
});

describe('TaskappOptions', () => {
  it('takes the config fields in camelCase, nested tables and task options too', () => {
    const options: TaskappOptions = {
      appId: 'typed-options',
      backend: 'memory',
      configFile: false,
      loggingLevel: 'error',
      runner: { concurrency: 3, heartbeatIntervalSeconds: 2 },
      taskDefaults: { maxRetries: 1 },
      tasks: { modules: [], add: { maxRetries: 4, retryBackoff: { baseSeconds: 0.5 } } },
    };
    const app = taskapp(options);
    apps.push(app);
    expect(app.appId).toBe('typed-options');
    expect(app.config.runner.concurrency).toBe(3);
    expect(app.config.runner.heartbeat_interval_seconds).toBe(2);
    expect(app.config.task_defaults.max_retries).toBe(1);
    expect(app.config.tasks.byTask.add?.max_retries).toBe(4);
  });

  it('rejects a misspelt or mistyped field at compile time', () => {
    const typos: TaskappOptions[] = [
      // @ts-expect-error: `backnd` is not a config field
      { backnd: 'memory' },
      // @ts-expect-error: nested fields are checked too (`concurency`)
      { runner: { concurency: 2 } },
      // @ts-expect-error: values are typed from the schema (a backend is a name: built-in or a plugin's)
      { backend: 42 },
      // @ts-expect-error: code takes camelCase; snake_case is for taskapp.toml and env
      { app_id: 'x' },
      // @ts-expect-error: task options are checked (`maxRetires`)
      { taskDefaults: { maxRetires: 1 } },
    ];
    expect(typos).toHaveLength(5);
  });

  it('bounds parallel_batch_size: 10,000 per round trip at most, named with its source', () => {
    const app = taskapp({
      appId: 'batch-bound',
      backend: 'memory',
      configFile: false,
      taskDefaults: { parallelBatchSize: 20_000 },
    });
    apps.push(app);
    expect(() => app.config).toThrow(
      /task_defaults\.parallel_batch_size" = 20000 \(from code\).*<=10000/,
    );
  });
});
