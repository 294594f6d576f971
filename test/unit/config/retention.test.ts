/** Issue 19 item 7: `[retention]` and the task option `retention` are checked at config load. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';

const load = (env: Record<string, string>) => loadConfig({ configFile: false, env, code: {} });

describe('[retention] at config load', () => {
  it('takes a duration and bounded batch settings', () => {
    const c = load({ TASKAPP__RETENTION__FINISHED: '7d', TASKAPP__RETENTION__BATCH_SIZE: '200' });
    expect(c.config.retention).toMatchObject({ finished: '7d', batch_size: 200 });
    expect(load({}).config.retention.finished).toBeUndefined();
  });

  it('names the field, the value and the fix of a bad one', () => {
    expect(() => load({ TASKAPP__RETENTION__FINISHED: '7 days' })).toThrow(
      /retention\.finished.*"7 days" is not a duration: unknown unit "days".*7d/s,
    );
    expect(() => load({ TASKAPP__RETENTION__FINISHED: '0s' })).toThrow(
      /retention\.finished.*must be from 1s to 10 years/s,
    );
    expect(() => load({ TASKAPP__RETENTION__BATCH_SIZE: '100000' })).toThrow(
      /retention\.batch_size/,
    );
    expect(() => load({ TASKAPP__TASK_DEFAULTS__RETENTION: 'soon' })).toThrow(/retention.*"soon"/s);
  });
});
