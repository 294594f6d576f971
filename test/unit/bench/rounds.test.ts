import { describe, expect, it } from 'vitest';
import {
  alternate,
  flatGoal,
  median,
  meets,
  roundRatios,
  type Row,
} from '../../../bench/rounds.js';

describe('bench rounds', () => {
  it('runs both sides each round, alternating which goes first', () => {
    const order: string[] = [];
    const out = alternate(
      4,
      (r) => (order.push(`base${r}`), { r }),
      (r) => (order.push(`other${r}`), { r }),
    );
    expect(order).toEqual([
      'base0',
      'other0',
      'other1',
      'base1',
      'base2',
      'other2',
      'other3',
      'base3',
    ]);
    expect(out.base.map((x) => x.r)).toEqual([0, 1, 2, 3]);
    expect(out.other.map((x) => x.r)).toEqual([0, 1, 2, 3]);
  });

  it('takes the ratio per round and the median, leaving out failed runs', () => {
    const base: Row[] = [{ t: 100 }, { t: 200 }, { error: 'exit 1' }, { t: 50 }];
    const other = [{ t: 90 }, { t: 240 }, { t: 10 }, { t: 60 }];
    const ratios = roundRatios(base, other, 't');
    expect(ratios).toEqual([0.9, 1.2, null, 1.2]);
    expect(median(ratios)).toBeCloseTo(1.2);
    expect(median([1, 3])).toBe(2);
    expect(median([null])).toBeNull();
  });

  it('judges a median ratio by whether more is better', () => {
    const total = { key: 'total_per_s', label: 'total/s', higherIsBetter: true };
    const cpu = { key: 'server_cpu_us_per_inv', label: 'cpu', higherIsBetter: false };
    expect(meets(0.92, total, flatGoal(total, 0.1))).toBe(true);
    expect(meets(0.88, total, flatGoal(total, 0.1))).toBe(false);
    expect(meets(1.08, cpu, flatGoal(cpu, 0.1))).toBe(true);
    expect(meets(1.12, cpu, flatGoal(cpu, 0.1))).toBe(false);
    expect(meets(1.0, total, flatGoal(total, 0))).toBe(true);
    expect(meets(0.99, total, flatGoal(total, 0))).toBe(false);
    expect(meets(1.4, total, 1.5)).toBe(false);
    expect(meets(0.45, cpu, 0.5)).toBe(true);
  });
});
