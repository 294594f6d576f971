import { describe, expect, it } from 'vitest';
import { parseDurationFlag } from '../../../src/cli/duration.js';

describe('parseDurationFlag', () => {
  it('reads the duration grammar', () => {
    expect(parseDurationFlag('90s', 'since')).toBe(90_000);
    expect(parseDurationFlag('1h30m', 'since')).toBe(5_400_000);
    expect(parseDurationFlag('10min', 'since')).toBe(600_000);
  });

  it('rejects anything else as a usage error (exit 2) that names the flag and the problem', () => {
    for (const bad of ['', '10', 'ten minutes', '10m garbage', '-5m']) {
      expect(() => parseDurationFlag(bad, 'since')).toThrow(
        expect.objectContaining({ code: 'USAGE', exitCode: 2 }),
      );
    }
    expect(() => parseDurationFlag('10', 'since')).toThrow(
      expect.objectContaining({
        message: '--since "10" is not a duration: 10 has no unit',
        fix: expect.stringMatching(/^write a number and a unit/),
      }),
    );
  });
});
