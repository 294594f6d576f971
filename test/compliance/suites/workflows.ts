/** Workflow state (StateBackend wf*) and blob references (DataStore refs), on every backend. */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backends } from '../../../src/backends/registry.js';
import { openBackends, type BackendHarness } from '../harness.js';

export function workflowStoreSuite(h: BackendHarness): void {
  describe(`${h.name}: workflow state and blob references`, () => {
    let b: Backends;
    let cfg: ReturnType<BackendHarness['freshConfig']>;
    beforeEach(async () => { cfg = h.freshConfig(); b = await openBackends(cfg); });
    afterEach(async () => { await b.close(); });

    it('gets, sets and lists workflow keys, per workflow', async () => {
      expect(await b.state.wfGet('w1', 'k')).toBeNull();
      expect(await b.state.wfList('w1')).toEqual({});
      await b.state.wfSet('w1', 'k', 'v1');
      await b.state.wfSet('w1', 'k', 'v2');
      await b.state.wfSet('w1', 'other', 'x');
      await b.state.wfSet('w2', 'k', 'y');
      expect(await b.state.wfGet('w1', 'k')).toBe('v2');
      expect(await b.state.wfList('w1')).toEqual({ k: 'v2', other: 'x' });
      expect(await b.state.wfList('w2')).toEqual({ k: 'y' });
      expect(await b.state.wfIds(10)).toEqual(['w1', 'w2']);
      expect(await b.state.wfIds(1)).toEqual(['w1']);
    });

    it('set-if-absent keeps the first value, even when many writers race', async () => {
      expect(await b.state.wfSetIfAbsent('w', 'seq:1', 'first')).toBe('first');
      expect(await b.state.wfSetIfAbsent('w', 'seq:1', 'second')).toBe('first');
      const peers = h.shared ? await Promise.all([openBackends(cfg), openBackends(cfg)]) : [];
      const racers = [b, b, b, ...peers];
      const got = await Promise.all(racers.map((x, i) => x.state.wfSetIfAbsent('w', 'race', `v${i}`)));
      await Promise.all(peers.map((p) => p.close()));
      expect(new Set(got).size).toBe(1);
      expect(await b.state.wfGet('w', 'race')).toBe(got[0]);
    });

    it('deletes a blob with the last invocation referring to it', async () => {
      const data = Buffer.alloc(2048, 3);
      const key = createHash('sha256').update(data).digest('hex');
      const other = Buffer.alloc(100, 4);
      const otherKey = createHash('sha256').update(other).digest('hex');
      await b.data.put(key, data);
      await b.data.put(otherKey, other);
      await b.data.addRefs(key, ['i1', 'i2']);
      await b.data.addRefs(key, ['i2', 'i3']);
      await b.data.addRefs(otherKey, ['i3']);
      expect((await b.data.referrers()).sort()).toEqual(['i1', 'i2', 'i3']);
      expect(await b.data.release(['i1', 'i2'])).toBe(0);
      expect(await b.data.has(key)).toBe(true);
      expect(await b.data.release(['i3', 'unknown'])).toBe(2);
      expect(await b.data.has(key)).toBe(false);
      expect(await b.data.has(otherKey)).toBe(false);
      expect(await b.data.stats()).toEqual({ count: 0, bytes: 0 });
      expect(await b.data.referrers()).toEqual([]);
      expect(await b.data.release(['i3'])).toBe(0);
    });
  });
}
