import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backends } from '../../backends/registry.js';
import { openBackends, type BackendHarness } from '../harness.js';

export function brokerSuite(h: BackendHarness): void {
  describe(`${h.name}: broker`, () => {
    let b: Backends;
    let cfg: ReturnType<BackendHarness['freshConfig']>;
    beforeEach(async () => {
      cfg = h.freshConfig();
      b = await openBackends(cfg);
    });
    afterEach(async () => {
      await b.close();
    });

    it('claims highest priority first, then oldest first', async () => {
      await b.broker.route([
        { id: 'a', priority: 5 },
        { id: 'b', priority: 5 },
        { id: 'c', priority: 9 },
        { id: 'd', priority: 0 },
        { id: 'e', priority: 5 },
      ]);
      expect(await b.broker.count()).toBe(5);
      expect(await b.broker.claim(2, 0)).toEqual(['c', 'a']);
      expect(await b.broker.claim(10, 0)).toEqual(['b', 'e', 'd']);
      expect(await b.broker.count()).toBe(0);
    });

    it('returns [] after the wait when empty, and wakes a waiting claim on route', async () => {
      expect(await b.broker.claim(5, 20)).toEqual([]);
      const waiting = b.broker.claim(5, 5000);
      setTimeout(() => void b.broker.route([{ id: 'x', priority: 5 }]), 30);
      expect(await waiting).toEqual(['x']);
    });

    it('holds delayed items until their time', async () => {
      await b.broker.route([
        { id: 'later', priority: 9, notBefore: Date.now() + 150 },
        { id: 'now', priority: 1 },
      ]);
      expect(await b.broker.claim(5, 0)).toEqual(['now']);
      expect(await b.broker.count()).toBe(1);
      expect(await b.broker.claim(5, 3000)).toEqual(['later']);
    });

    it('purges and interrupts', async () => {
      await b.broker.route([
        { id: 'a', priority: 5 },
        { id: 'b', priority: 5 },
      ]);
      await b.broker.purge();
      expect(await b.broker.count()).toBe(0);
      const waiting = b.broker.claim(5, 10_000);
      setTimeout(() => b.broker.interrupt(), 20);
      expect(await waiting).toEqual([]);
    });

    it('never hands one id to two concurrent claimers', async () => {
      const ids = Array.from({ length: 400 }, (_, i) => `id${i}`);
      await b.broker.route(ids.map((id) => ({ id, priority: 5 })));
      const peers = h.shared ? await Promise.all([openBackends(cfg), openBackends(cfg)]) : [];
      const claimers = [b, b, b, b, ...peers].map(async (x) => {
        const got: string[] = [];
        for (;;) {
          const part = await x.broker.claim(7, 0);
          if (!part.length) {
            return got;
          }
          got.push(...part);
        }
      });
      const all = (await Promise.all(claimers)).flat();
      await Promise.all(peers.map((p) => p.close()));
      expect(all.length).toBe(400);
      expect(new Set(all).size).toBe(400);
    });
  });
}
