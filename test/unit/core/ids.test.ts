import { expect, it } from 'vitest';
import { newInvocationId, placementOf } from '../../../src/core/ids.js';

it('makes invocation ids that are version-7 UUIDs, unique, and ordered by creation time', async () => {
  const first = Array.from({ length: 5000 }, newInvocationId);
  await new Promise((r) => setTimeout(r, 5));
  const later = Array.from({ length: 5000 }, newInvocationId);
  const all = [...first, ...later];
  for (const id of all) {
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
  expect(new Set(all).size).toBe(all.length);
  // Indexes keyed by id take new invocations at their recent end.
  const lastOfFirst = first.slice().sort().at(-1)!;
  expect(later.every((id) => id > lastOfFirst)).toBe(true);
  const stamp = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
  expect(Math.abs(stamp(later[0]!) - Date.now())).toBeLessThan(60_000);
});

it('puts a placement in the last four hex digits, the version and variant bits intact', () => {
  const ids = Array.from({ length: 600 }, () => newInvocationId(0xbeef));
  for (const id of ids) {
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{8}beef$/);
    expect(placementOf(id)).toBe(0xbeef);
  }
  expect(new Set(ids).size).toBe(ids.length);
});
