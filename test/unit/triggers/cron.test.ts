import { describe, expect, it } from 'vitest';
import { CronSchedule, cronProblem } from '../../../src/config/cron.js';
import { on } from '../../../src/triggers/conditions.js';
import { loadConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/core/errors.js';

const iso = (ms: number[]) => ms.map((t) => new Date(t).toISOString());
const at = (s: string) => Date.parse(s);

describe('cron slot computation', () => {
  it('Europe/Madrid spring forward: 02:30 does not exist on 31 March, fires once at 03:30 CEST', () => {
    const s = CronSchedule.parse('30 2 * * *', 'Europe/Madrid');
    expect(iso(s.between(at('2024-03-29T12:00:00Z'), at('2024-04-01T12:00:00Z')))).toEqual([
      '2024-03-30T01:30:00.000Z', // 02:30 CET
      '2024-03-31T01:30:00.000Z', // 03:30 CEST: the shifted slot, once
      '2024-04-01T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it('Europe/Madrid fall back: 02:30 happens twice on 27 October, fires once', () => {
    const s = CronSchedule.parse('30 2 * * *', 'Europe/Madrid');
    expect(iso(s.between(at('2024-10-26T12:00:00Z'), at('2024-10-28T12:00:00Z')))).toEqual([
      '2024-10-27T00:30:00.000Z',
      '2024-10-28T01:30:00.000Z',
    ]);
  });

  it('Europe/Madrid fall back: an hourly cron fires on every real hour (the repeated 02:00 too)', () => {
    const s = CronSchedule.parse('0 * * * *', 'Europe/Madrid');
    const slots = s.between(at('2024-10-26T23:30:00Z'), at('2024-10-27T03:30:00Z'));
    expect(iso(slots)).toEqual([
      '2024-10-27T00:00:00.000Z',
      '2024-10-27T01:00:00.000Z',
      '2024-10-27T02:00:00.000Z',
      '2024-10-27T03:00:00.000Z',
    ]);
    expect(new Set(slots.map((t, i) => (i ? t - slots[i - 1]! : 3_600_000)))).toEqual(
      new Set([3_600_000]),
    );
  });

  it('month ends: the 31st skips shorter months; L is the last day, 29 February in a leap year', () => {
    const d31 = CronSchedule.parse('0 0 31 * *', 'UTC');
    expect(iso(d31.between(at('2024-01-01T00:00:00Z'), at('2024-08-01T00:00:00Z')))).toEqual([
      '2024-01-31T00:00:00.000Z',
      '2024-03-31T00:00:00.000Z',
      '2024-05-31T00:00:00.000Z',
      '2024-07-31T00:00:00.000Z',
    ]);
    const last = CronSchedule.parse('0 12 L * *', 'UTC');
    expect(iso(last.between(at('2024-01-15T00:00:00Z'), at('2024-04-15T00:00:00Z')))).toEqual([
      '2024-01-31T12:00:00.000Z',
      '2024-02-29T12:00:00.000Z',
      '2024-03-31T12:00:00.000Z',
    ]);
    expect(iso(last.between(at('2023-02-01T00:00:00Z'), at('2023-03-01T00:00:00Z')))).toEqual([
      '2023-02-28T12:00:00.000Z',
    ]);
  });

  it('*/7 restarts at each hour: 0,7,...,56 then 0 (a 4-minute gap)', () => {
    const s = CronSchedule.parse('*/7 * * * *', 'UTC');
    const slots = s.between(at('2024-05-01T09:59:00Z'), at('2024-05-01T11:00:00Z'));
    expect(slots.map((t) => new Date(t).getUTCMinutes())).toEqual([
      0, 7, 14, 21, 28, 35, 42, 49, 56, 0,
    ]);
    expect(slots[9]! - slots[8]!).toBe(4 * 60_000);
  });

  it('6 fields: seconds first; next() is strictly after; latestBetween keeps the newest', () => {
    const s = CronSchedule.parse('*/15 * * * * *', 'UTC');
    expect(s.next(at('2024-01-01T00:00:15Z'))).toBe(at('2024-01-01T00:00:30Z'));
    expect(iso(s.latestBetween(at('2024-01-01T00:00:00Z'), at('2024-01-01T00:01:00Z'), 2))).toEqual(
      ['2024-01-01T00:00:45.000Z', '2024-01-01T00:01:00.000Z'],
    );
    expect(s.latestBetween(at('2024-01-01T00:01:00Z'), at('2024-01-01T00:01:00Z'), 2)).toEqual([]);
  });
});

describe('cron validation', () => {
  it('names the field, its column and a valid example', () => {
    expect(cronProblem('0 25 * * *')).toMatch(
      /field 2 \(hour\) "25" at column 3: .*expected range 0-23.*a valid example: "0 3 \* \* \*"/,
    );
    expect(cronProblem('*/10 61 * * * *')).toMatch(/field 2 \(minute\) "61" at column 6/);
    expect(cronProblem('0 3 * * mon-xyz')).toMatch(
      /field 5 \(day of week\) "mon-xyz" at column 9.*"0 9 \* \* 1-5"/,
    );
    expect(cronProblem('* * * *')).toMatch(/has 4 fields, cron takes 5 .* or 6/);
    expect(cronProblem('0 0 30 2 *')).toMatch(/do not combine/);
    expect(cronProblem('0 3 * * *')).toBeNull();
    expect(cronProblem('@daily')).toBeNull();
  });

  it('on.cron() fails at registration with a ConfigError; so does an unknown time zone', () => {
    expect(() => on.cron('0 3 * *')).toThrow(ConfigError);
    expect(() => on.cron('0 3 * * *', { timezone: 'Europe/Nowhere' })).toThrow(
      /unknown time zone "Europe\/Nowhere".*"Europe\/Madrid"/,
    );
    expect(on.cron('0 3 * * *', { timezone: 'Europe/Madrid' }).describe()).toBe(
      'cron 0 3 * * * (Europe/Madrid)',
    );
  });

  it('fails at config load for [tasks.<name>] cron and timezone, naming the field and its source', () => {
    const load = (report: Record<string, unknown>) =>
      loadConfig({ configFile: false, env: {}, code: { tasks: { modules: [], report } } });
    expect(() => load({ cron: '0 3 * * *', timezone: 'Europe/Madrid' })).not.toThrow();
    expect(() => load({ cron: '0 3 * * 8' })).toThrow(
      /tasks\.report\.cron.*field 5 \(day of week\) "8" at column 9/s,
    );
    // cron-parser takes a step wider than the field's range and fires hourly: refused here.
    expect(() => load({ cron: '*/61 * * * *' })).toThrow(
      /tasks\.report\.cron.*field 1 \(minute\) "\*\/61" at column 1: step 61 is wider than the minute range 0-59/s,
    );
    expect(cronProblem('0 0/30 * * *')).toMatch(/step 30 is wider than the hour range 0-23/);
    expect(cronProblem('*/59 * * * *')).toBeNull();
    expect(() => load({ timezone: 'Mars/Olympus' })).toThrow(
      /tasks\.report\.timezone.*unknown time zone/s,
    );
  });
});
