/** A misspelt per-task env option suggests the per-task field, not a task_defaults one. */
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../../src/config/env.js';
import { resolveConfig } from '../../../src/config/resolve.js';
import { resolveTaskOptions } from '../../../src/runtime/task-options.js';

describe('per-task env typo', () => {
  it('TASKAPP__TASKS__ADD__MAX_RETRIS suggests max_retries of task add', () => {
    const env = configFromEnv({ TASKAPP__TASKS__ADD__MAX_RETRIS: '3' });
    const resolved = resolveConfig([], env.taskOptions);
    let message = '';
    try {
      resolveTaskOptions('add', {}, resolved);
    } catch (err) {
      message = `${(err as Error).message} fix: ${(err as { fix?: string }).fix}`;
    }
    expect(message).toContain('did you mean "max_retries"?');
    expect(message).toContain('env TASKAPP__TASKS__ADD__MAX_RETRIS');
    expect(message).not.toContain('task_defaults');
  });
});
