/** rate_limit "COUNT/PERIOD": PERIOD is read by the same duration grammar as the CLI's flags. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.js';
import { parseRateLimit } from '../../../src/orchestration/concurrency.js';

describe('parseRateLimit', () => {
  it('reads COUNT/PERIOD with any duration as PERIOD', () => {
    expect(parseRateLimit('t', '100/1m')).toEqual({ count: 100, windowMs: 60_000 });
    expect(parseRateLimit('t', '5/500ms')).toEqual({ count: 5, windowMs: 500 });
    expect(parseRateLimit('t', '1000/h')).toEqual({ count: 1000, windowMs: 3_600_000 });
    expect(parseRateLimit('t', ' 10 / 1 sec ')).toEqual({ count: 10, windowMs: 1000 });
    // Forms the CLI's flags always took, which rate_limit refused before the grammars were one.
    expect(parseRateLimit('t', '10/1h30m')).toEqual({ count: 10, windowMs: 5_400_000 });
    expect(parseRateLimit('t', '7/1w')).toEqual({ count: 7, windowMs: 604_800_000 });
  });

  it('fails with a ConfigError that names the task, the part and the problem', () => {
    const cases: Array<[string, RegExp]> = [
      ['100', /needs one "\/"/],
      ['1/2/3s', /needs one "\/"/],
      ['0/1m', /COUNT "0" is not a whole number above 0/],
      ['1.5/1m', /COUNT "1.5"/],
      ['10/1', /PERIOD "1" is not a duration: 1 has no unit/],
      ['10/1y', /PERIOD "1y" is not a duration: unknown unit "y"/],
      ['10/0s', /PERIOD must be longer than 0/],
    ];
    for (const [spec, why] of cases) {
      const err = (() => {
        try {
          parseRateLimit('send', spec);
        } catch (e) {
          return e;
        }
      })();
      expect(err, spec).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message, spec).toMatch(/^task "send": rate_limit/);
      expect((err as ConfigError).message, spec).toMatch(why);
      expect((err as ConfigError).fix, spec).toMatch(/COUNT\/PERIOD/);
    }
  });
});
