import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/cli/duration.js';

describe('parseDuration', () => {
  it('reads units and combinations', () => {
    expect(parseDuration('90s', 'since')).toBe(90_000);
    expect(parseDuration('10m', 'since')).toBe(600_000);
    expect(parseDuration('24h', 'since')).toBe(86_400_000);
    expect(parseDuration('1h30m', 'since')).toBe(5_400_000);
    expect(parseDuration('1.5d', 'since')).toBe(129_600_000);
    expect(parseDuration('250ms', 'since')).toBe(250);
  });

  it('rejects anything else as a usage error (exit 2)', () => {
    for (const bad of ['', '10', 'ten minutes', '10m garbage', '-5m']) {
      expect(() => parseDuration(bad, 'since')).toThrow(
        expect.objectContaining({ code: 'USAGE', exitCode: 2 }),
      );
    }
  });
});
