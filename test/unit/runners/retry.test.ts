import { describe, expect, it } from 'vitest';
import { retryDelayMs, shouldRetry } from '../../../src/runners/retry.js';

class Flaky extends Error {
  constructor() {
    super('f');
    this.name = 'Flaky';
  }
}
class VeryFlaky extends Flaky {}

describe('retry policy', () => {
  it('retries only listed errors (by class, parent class or name) while attempts remain', () => {
    const o = { max_retries: 2, retry_for: ['Flaky'] };
    expect(shouldRetry(o, 1, new Flaky())).toBe(true);
    expect(shouldRetry(o, 2, new VeryFlaky())).toBe(true);
    expect(shouldRetry(o, 3, new Flaky())).toBe(false);
    expect(shouldRetry(o, 1, new TypeError())).toBe(false);
    expect(shouldRetry({ max_retries: 1, retry_for: ['*'] }, 1, 'anything')).toBe(true);
    expect(shouldRetry({ max_retries: 0, retry_for: ['*'] }, 1, new Flaky())).toBe(false);
  });

  it('computes fixed and exponential delays, capped, with jitter in [50%, 150%)', () => {
    const b = { kind: 'exponential' as const, base_seconds: 0.1, max_seconds: 1, jitter: false };
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelayMs(b, a))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(retryDelayMs({ ...b, kind: 'fixed' }, 5)).toBe(100);
    expect(retryDelayMs({ ...b, jitter: true }, 2, () => 0)).toBe(100);
    expect(retryDelayMs({ ...b, jitter: true }, 2, () => 0.999)).toBe(300);
    expect(retryDelayMs({ ...b, jitter: true }, 6, () => 0.999)).toBe(1000);
  });
});
