/** decide(): a rate-blocked call reserves the next free slot, so a backlog drains one delay each. */
import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/orchestration/concurrency.js';
import type { ConcurrencyControl } from '../../../src/core/records.js';

const cc: ConcurrencyControl = {
  key: 't',
  maxRunning: 0,
  rateCount: 2,
  rateWindowMs: 100,
  reroute: false,
};

describe('rate-limit reservations', () => {
  it('a backlog gets successive slots, none of which puts 3 starts in 100 ms', () => {
    const points = [1000, 1000];
    const slots: number[] = [];
    for (let i = 0; i < 6; i++) {
      const d = decide(
        cc,
        'REGISTERED',
        0,
        [...points].sort((a, b) => a - b),
        1000,
      );
      expect(d).toMatchObject({ kind: 'requeue', reserve: true });
      const slot = (d as { notBefore: number }).notBefore;
      slots.push(slot);
      points.push(slot);
    }
    expect(slots).toEqual([1101, 1101, 1202, 1202, 1303, 1303]);
    const all = [1000, 1000, ...slots];
    for (let i = 2; i < all.length; i++) {
      expect(all[i]! - all[i - 2]!).toBeGreaterThan(100);
    }
  });

  it('the holder runs at its slot, waits unchanged before it or while late starts fill the window', () => {
    expect(decide(cc, 'REROUTED', 0, [1000, 1000], 1050, 1101)).toEqual({
      kind: 'wait',
      notBefore: 1101,
    });
    expect(decide(cc, 'REROUTED', 0, [1010, 1040], 1101, 1101)).toEqual({
      kind: 'wait',
      notBefore: 1111,
    });
    expect(decide(cc, 'REROUTED', 0, [1040, 1202], 1111, 1101)).toEqual({
      kind: 'run',
      startAt: 1111,
    });
  });
});
