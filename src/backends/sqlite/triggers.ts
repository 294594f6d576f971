import type { StoredEvent, TriggerStore } from '../trigger-store.js';
import type { SqliteDb } from './db.js';

export class SqliteTriggerStore implements TriggerStore {
  constructor(private readonly db: SqliteDb) {}
  async saveCondition(id: string, spec: string): Promise<void> {
    this.db.write(() =>
      this.db.db
        .prepare(
          'INSERT INTO trigger_conditions (id, spec) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET spec = excluded.spec',
        )
        .run(id, spec),
    );
  }
  async conditions(): Promise<Array<{ id: string; spec: string }>> {
    return this.db.read(() =>
      this.db.db.prepare('SELECT id, spec FROM trigger_conditions ORDER BY id').all(),
    ) as Array<{ id: string; spec: string }>;
  }
  async lastFire(triggerId: string): Promise<number | null> {
    const row = this.db.read(() =>
      this.db.db
        .prepare('SELECT last_fire FROM trigger_last_fire WHERE trigger_id = ?')
        .get(triggerId),
    ) as { last_fire: number } | undefined;
    return row?.last_fire ?? null;
  }
  async casLastFire(triggerId: string, expected: number | null, next: number): Promise<boolean> {
    return this.db.write(() => {
      const res =
        expected === null
          ? this.db.db
              .prepare(
                'INSERT INTO trigger_last_fire (trigger_id, last_fire) VALUES (?, ?) ON CONFLICT (trigger_id) DO NOTHING',
              )
              .run(triggerId, next)
          : this.db.db
              .prepare(
                'UPDATE trigger_last_fire SET last_fire = ? WHERE trigger_id = ? AND last_fire = ?',
              )
              .run(next, triggerId, expected);
      return res.changes > 0;
    });
  }
  async addEvent(e: StoredEvent): Promise<void> {
    this.db.write(() =>
      this.db.db
        .prepare('INSERT INTO events (id, code, payload, at) VALUES (?, ?, ?, ?)')
        .run(e.id, e.code, e.payload, e.at),
    );
  }
  async events(since: number, limit: number): Promise<StoredEvent[]> {
    return this.db.read(() =>
      this.db.db
        .prepare('SELECT id, code, payload, at FROM events WHERE at >= ? ORDER BY at, id LIMIT ?')
        .all(since, limit),
    ) as StoredEvent[];
  }
  async purgeEvents(before: number): Promise<number> {
    return this.db.write(
      () => this.db.db.prepare('DELETE FROM events WHERE at < ?').run(before).changes,
    );
  }
  async claimRun(runId: string, now: number): Promise<boolean> {
    return this.db.write(
      () =>
        this.db.db
          .prepare(
            'INSERT INTO trigger_runs (run_id, at) VALUES (?, ?) ON CONFLICT (run_id) DO NOTHING',
          )
          .run(runId, now).changes > 0,
    );
  }
  async setPaused(triggerId: string, paused: boolean): Promise<void> {
    this.db.write(() =>
      paused
        ? this.db.db
            .prepare(
              'INSERT INTO trigger_paused (trigger_id, at) VALUES (?, ?) ON CONFLICT (trigger_id) DO NOTHING',
            )
            .run(triggerId, Date.now())
        : this.db.db.prepare('DELETE FROM trigger_paused WHERE trigger_id = ?').run(triggerId),
    );
  }
  async pausedTriggers(): Promise<string[]> {
    return this.db.read(() =>
      this.db.db.prepare('SELECT trigger_id FROM trigger_paused ORDER BY trigger_id').pluck().all(),
    ) as string[];
  }
}
