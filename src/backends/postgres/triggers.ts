import type { StoredEvent, TriggerStore } from '../trigger-store.js';
import type { PgDb } from './db.js';

export class PgTriggerStore implements TriggerStore {
  constructor(private readonly db: PgDb) {}

  async saveCondition(id: string, spec: string): Promise<void> {
    await this.db.query(
      'INSERT INTO trigger_conditions (id, spec) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET spec = excluded.spec',
      [id, spec],
    );
  }
  async conditions(): Promise<Array<{ id: string; spec: string }>> {
    return this.db.rows('SELECT id, spec FROM trigger_conditions ORDER BY id COLLATE "C"');
  }
  async lastFire(triggerId: string): Promise<number | null> {
    const [row] = await this.db.rows<{ last_fire: number }>(
      'SELECT last_fire FROM trigger_last_fire WHERE trigger_id = $1',
      [triggerId],
    );
    return row?.last_fire ?? null;
  }
  // A retry after a lost connection finds its own committed write: that is a success, not a lost race.
  async casLastFire(triggerId: string, expected: number | null, next: number): Promise<boolean> {
    return this.db.retry('casLastFire', async (attempt) => {
      const res =
        expected === null
          ? await this.db.once(
              'INSERT INTO trigger_last_fire (trigger_id, last_fire) VALUES ($1, $2) ON CONFLICT (trigger_id) DO NOTHING',
              [triggerId, next],
            )
          : await this.db.once(
              'UPDATE trigger_last_fire SET last_fire = $1 WHERE trigger_id = $2 AND last_fire = $3',
              [next, triggerId, expected],
            );
      if ((res.rowCount ?? 0) > 0) {
        return true;
      }
      return attempt > 0 && (await this.lastFire(triggerId)) === next;
    });
  }
  async addEvent(e: StoredEvent): Promise<void> {
    await this.db.query('INSERT INTO events (id, code, payload, at) VALUES ($1, $2, $3, $4)', [
      e.id,
      e.code,
      e.payload,
      e.at,
    ]);
  }
  async events(since: number, limit: number): Promise<StoredEvent[]> {
    return this.db.rows(
      'SELECT id, code, payload, at FROM events WHERE at >= $1 ORDER BY at, id COLLATE "C" LIMIT $2',
      [since, limit],
    );
  }
  async purgeEvents(before: number): Promise<number> {
    return (await this.db.query('DELETE FROM events WHERE at < $1', [before])).rowCount ?? 0;
  }
  async claimRun(runId: string, now: number): Promise<boolean> {
    return this.db.retry('claimRun', async (attempt) => {
      if (
        ((
          await this.db.once(
            'INSERT INTO trigger_runs (run_id, at) VALUES ($1, $2) ON CONFLICT (run_id) DO NOTHING',
            [runId, now],
          )
        ).rowCount ?? 0) > 0
      ) {
        return true;
      }
      return (
        attempt > 0 &&
        (
          await this.db.once<{ at: number }>('SELECT at FROM trigger_runs WHERE run_id = $1', [
            runId,
          ])
        ).rows[0]?.at === now
      );
    });
  }
  async setPaused(triggerId: string, paused: boolean): Promise<void> {
    if (paused) {
      await this.db.query(
        'INSERT INTO trigger_paused (trigger_id, at) VALUES ($1, $2) ON CONFLICT (trigger_id) DO NOTHING',
        [triggerId, Date.now()],
      );
    } else {
      await this.db.query('DELETE FROM trigger_paused WHERE trigger_id = $1', [triggerId]);
    }
  }
  async pausedTriggers(): Promise<string[]> {
    return (
      await this.db.rows<{ trigger_id: string }>(
        'SELECT trigger_id FROM trigger_paused ORDER BY trigger_id COLLATE "C"',
      )
    ).map((r) => r.trigger_id);
  }
}
