import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backends } from '../../backends/registry.js';
import { openBackends, type BackendHarness } from '../harness.js';

export function triggerStoreSuite(h: BackendHarness): void {
  describe(`${h.name}: trigger store`, () => {
    let b: Backends;
    let cfg: ReturnType<BackendHarness['freshConfig']>;
    beforeEach(async () => {
      cfg = h.freshConfig();
      b = await openBackends(cfg);
    });
    afterEach(async () => {
      await b.close();
    });

    it('saves and replaces conditions', async () => {
      await b.triggers.saveCondition('c1', '{"a":1}');
      await b.triggers.saveCondition('c2', '{"b":2}');
      await b.triggers.saveCondition('c1', '{"a":3}');
      expect(await b.triggers.conditions()).toEqual([
        { id: 'c1', spec: '{"a":3}' },
        { id: 'c2', spec: '{"b":2}' },
      ]);
    });

    it('compare-and-sets the last fire time', async () => {
      expect(await b.triggers.lastFire('cron')).toBeNull();
      expect(await b.triggers.casLastFire('cron', null, 100)).toBe(true);
      expect(await b.triggers.casLastFire('cron', null, 100)).toBe(false);
      expect(await b.triggers.casLastFire('cron', 50, 200)).toBe(false);
      expect(await b.triggers.casLastFire('cron', 100, 200)).toBe(true);
      expect(await b.triggers.lastFire('cron')).toBe(200);
    });

    it('lets exactly one of many racing claimers fire a slot', async () => {
      const peers = h.shared ? await Promise.all([openBackends(cfg), openBackends(cfg)]) : [];
      const racers = [b, b, b, ...peers];
      const cas = await Promise.all(racers.map((x) => x.triggers.casLastFire('slot', null, 1)));
      const runs = await Promise.all(racers.map((x) => x.triggers.claimRun('trigger:1', 5)));
      await Promise.all(peers.map((p) => p.close()));
      expect(cas.filter(Boolean).length).toBe(1);
      expect(runs.filter(Boolean).length).toBe(1);
    });

    it('stores events in time order and purges old ones', async () => {
      await b.triggers.addEvent({ id: 'e2', code: 'user.signup', payload: '{"p":2}', at: 20 });
      await b.triggers.addEvent({ id: 'e1', code: 'user.signup', payload: '{"p":1}', at: 10 });
      await b.triggers.addEvent({ id: 'e3', code: 'other', payload: '{}', at: 30 });
      expect((await b.triggers.events(0, 10)).map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
      expect((await b.triggers.events(15, 1)).map((e) => e.id)).toEqual(['e2']);
      expect(await b.triggers.events(0, 10)).toContainEqual({
        id: 'e1',
        code: 'user.signup',
        payload: '{"p":1}',
        at: 10,
      });
      expect(await b.triggers.purgeEvents(25)).toBe(2);
      expect((await b.triggers.events(0, 10)).map((e) => e.id)).toEqual(['e3']);
    });

    it('pauses and resumes triggers, idempotently, visible to every handle', async () => {
      expect(await b.triggers.pausedTriggers()).toEqual([]);
      await b.triggers.setPaused('report:cron', true);
      await b.triggers.setPaused('report:cron', true);
      await b.triggers.setPaused('alert:0', true);
      expect(await b.triggers.pausedTriggers()).toEqual(['alert:0', 'report:cron']);
      if (h.shared) {
        const peer = await openBackends(cfg);
        expect(await peer.triggers.pausedTriggers()).toEqual(['alert:0', 'report:cron']);
        await peer.close();
      }
      await b.triggers.setPaused('report:cron', false);
      await b.triggers.setPaused('never-paused', false);
      expect(await b.triggers.pausedTriggers()).toEqual(['alert:0']);
    });
  });
}

export function dataStoreSuite(h: BackendHarness): void {
  describe(`${h.name}: data store`, () => {
    let b: Backends;
    beforeEach(async () => {
      b = await openBackends(h.freshConfig());
    });
    afterEach(async () => {
      await b.close();
    });

    it('stores content-addressed blobs once, reads, counts and deletes them', async () => {
      const data = Buffer.alloc(4096, 7);
      const key = createHash('sha256').update(data).digest('hex');
      expect(await b.data.has(key)).toBe(false);
      await b.data.put(key, data);
      await b.data.put(key, data);
      expect(await b.data.has(key)).toBe(true);
      expect(Buffer.compare((await b.data.get(key))!, data)).toBe(0);
      expect(await b.data.stats()).toEqual({ count: 1, bytes: 4096 });
      expect(await b.data.delete([key, 'missing'])).toBe(1);
      expect(await b.data.get(key)).toBeNull();
      expect(await b.data.stats()).toEqual({ count: 0, bytes: 0 });
    });
  });
}
