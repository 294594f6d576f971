/** The one duration grammar (src/core/duration.ts): what it accepts, and how it says what is wrong. */
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/core/duration.js';

const ms = (text: string) => {
  const r = parseDuration(text);
  if (!r.ok) {
    throw new Error(`"${text}": ${r.problem}`);
  }
  return r.ms;
};
const problem = (text: string) => {
  const r = parseDuration(text);
  return r.ok ? `accepted as ${r.ms} ms` : r.problem;
};

describe('parseDuration', () => {
  it('reads every unit', () => {
    expect(ms('250ms')).toBe(250);
    expect(ms('90s')).toBe(90_000);
    expect(ms('90sec')).toBe(90_000);
    expect(ms('10m')).toBe(600_000);
    expect(ms('10min')).toBe(600_000);
    expect(ms('24h')).toBe(86_400_000);
    expect(ms('7d')).toBe(604_800_000);
    expect(ms('2w')).toBe(1_209_600_000);
  });

  it('reads decimals, combinations, spaces and a bare unit', () => {
    expect(ms('1.5d')).toBe(129_600_000);
    expect(ms('.5s')).toBe(500);
    expect(ms('1h30m')).toBe(5_400_000);
    expect(ms('1h 30m')).toBe(5_400_000);
    expect(ms(' 1 h ')).toBe(3_600_000);
    expect(ms('h')).toBe(3_600_000);
    expect(ms('0s')).toBe(0);
  });

  it('says what is wrong with anything else', () => {
    expect(problem('')).toBe('it is empty');
    expect(problem('   ')).toBe('it is empty');
    expect(problem('10')).toBe('10 has no unit');
    expect(problem('1h30')).toBe('30 has no unit');
    expect(problem('10M')).toBe('unknown unit "M"');
    expect(problem('ten minutes')).toBe('unknown unit "ten"');
    expect(problem('10m garbage')).toBe('unknown unit "garbage"');
    expect(problem('-5m')).toBe('unexpected "-5m"');
    expect(problem('1.2.3s')).toBe('unexpected "1.2.3s"');
    expect(problem('1h m')).toBe('"m" has no number');
    expect(problem('m1h')).toBe('"m" has no number');
  });
});
