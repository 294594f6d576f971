/**
 * Comparisons that hold on a shared machine: two runs compared once can differ by 2x with the
 * load of the moment, so each comparison is run in `rounds` rounds, each round both runs back to
 * back (the first of them alternating), and judged on the median of the per-round ratios.
 */
export type Row = Record<string, string | number | null>;

export interface Metric {
  key: string;
  label: string;
  /** Whether a larger figure is the better one (throughput) or the worse (latency, memory, CPU). */
  higherIsBetter: boolean;
}

/** Runs `base` and `other` `rounds` times, alternating which goes first; the rows of each, by round. */
export function alternate(
  rounds: number,
  base: (round: number) => Row,
  other: (round: number) => Row,
): { base: Row[]; other: Row[] } {
  const out = { base: [] as Row[], other: [] as Row[] };
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      out.base.push(base(round));
      out.other.push(other(round));
    } else {
      out.other.push(other(round));
      out.base.push(base(round));
    }
  }
  return out;
}

/** other / base of `key` in each round (null where a run failed or has no such figure). */
export function roundRatios(base: Row[], other: Row[], key: string): Array<number | null> {
  return base.map((b, i) => {
    const x = b[key],
      y = other[i]?.[key];
    return typeof x === 'number' && typeof y === 'number' && x > 0 ? y / x : null;
  });
}

/** The median of the numbers among `xs` (the mean of the middle two for an even count); null if none. */
export function median(xs: Array<number | null>): number | null {
  const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (!v.length) {
    return null;
  }
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Whether a ratio other / base meets `goal`: at least it when more is better, else at most. */
export function meets(ratio: number, m: Metric, goal: number): boolean {
  return m.higherIsBetter ? ratio >= goal : ratio <= goal;
}

/** The goal of "no more than `fraction` worse" (0.1: 10 %; 0: no worse) for the metric. */
export function flatGoal(m: Metric, fraction: number): number {
  return m.higherIsBetter ? 1 - fraction : 1 + fraction;
}
