import type { StoredEvent, TriggerStore } from '../trigger-store.js';
import { enc } from './codec.js';
import type { RedisConn } from './connection.js';

export class RedisTriggerStore implements TriggerStore {
  constructor(private readonly conn: RedisConn) {}

  async saveCondition(id: string, spec: string): Promise<void> {
    await this.conn.retrying(() => this.conn.main.hset(this.conn.keys.conditions, id, spec));
  }

  async conditions(): Promise<Array<{ id: string; spec: string }>> {
    const all = await this.conn.retrying(() => this.conn.main.hgetall(this.conn.keys.conditions));
    return Object.keys(all)
      .sort()
      .map((id) => ({ id, spec: all[id]! }));
  }

  async lastFire(triggerId: string): Promise<number | null> {
    const v = await this.conn.retrying(() =>
      this.conn.main.hget(this.conn.keys.lastFire, triggerId),
    );
    return v === null ? null : Number(v);
  }

  async casLastFire(triggerId: string, expected: number | null, next: number): Promise<boolean> {
    return (
      String(
        await this.conn.guarded('cas_last_fire', [
          triggerId,
          enc(expected?.toString()),
          String(next),
        ]),
      ) === '1'
    );
  }

  async setPaused(triggerId: string, paused: boolean): Promise<void> {
    const key = this.conn.keys.pausedTriggers;
    await this.conn.retrying(() =>
      paused ? this.conn.main.sadd(key, triggerId) : this.conn.main.srem(key, triggerId),
    );
  }

  async pausedTriggers(): Promise<string[]> {
    return (
      await this.conn.retrying(() => this.conn.main.smembers(this.conn.keys.pausedTriggers))
    ).sort();
  }

  async addEvent(e: StoredEvent): Promise<void> {
    await this.conn.script('add_event', [
      e.id,
      String(e.at),
      JSON.stringify({ code: e.code, payload: e.payload }),
    ]);
  }

  async events(since: number, limit: number): Promise<StoredEvent[]> {
    const flat = await this.conn.retrying(() =>
      this.conn.main.zrangebyscore(
        this.conn.keys.events,
        since,
        '+inf',
        'WITHSCORES',
        'LIMIT',
        0,
        limit,
      ),
    );
    if (!flat.length) {
      return [];
    }
    const ids = flat.filter((_, i) => i % 2 === 0);
    const data = await this.conn.retrying(() =>
      this.conn.main.hmget(this.conn.keys.eventData, ...ids),
    );
    const out: StoredEvent[] = [];
    ids.forEach((id, i) => {
      const d = data[i];
      if (d) {
        out.push({
          id,
          ...(JSON.parse(d) as { code: string; payload: string }),
          at: Number(flat[i * 2 + 1]),
        });
      }
    });
    return out;
  }

  async purgeEvents(before: number): Promise<number> {
    return Number(await this.conn.script('purge_events', [String(before)]));
  }

  async claimRun(runId: string, now: number): Promise<boolean> {
    return String(await this.conn.guarded('claim_run', [runId, String(now)])) === '1';
  }
}
