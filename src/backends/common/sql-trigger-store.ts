/**
 * The trigger store of the SQL backends (sqlite, postgres): the statements and the logic once; a
 * backend gives how it runs a statement and its dialect.
 */
import type { StoredEvent, TriggerStore } from '../trigger-store.js';
import { inDialect, type SqlDialect } from './sql-dialect.js';

/** How a backend runs one statement; `once`: a single try, for use inside `retry`. */
export interface SqlExec {
  rows<R>(sql: string, params: unknown[], once?: boolean): Promise<R[]>;
  /** Rows a write changed. */
  changes(sql: string, params: unknown[], once?: boolean): Promise<number>;
  /**
   * Runs `fn` again after a lost connection, with `attempt` > 0: the earlier try may have
   * committed (sqlite runs it once).
   */
  retry<T>(what: string, fn: (attempt: number) => Promise<T>): Promise<T>;
}

/** The statements in `dialect`: each `?` becomes the dialect's parameter, `{order}` its text order. */
function statements(d: SqlDialect) {
  const sql = (text: string) => inDialect(d, text);
  return {
    saveCondition: sql(
      'INSERT INTO trigger_conditions (id, spec) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET spec = excluded.spec',
    ),
    conditions: sql('SELECT id, spec FROM trigger_conditions ORDER BY id{order}'),
    lastFire: sql('SELECT last_fire FROM trigger_last_fire WHERE trigger_id = ?'),
    firstFire: sql(
      'INSERT INTO trigger_last_fire (trigger_id, last_fire) VALUES (?, ?) ON CONFLICT (trigger_id) DO NOTHING',
    ),
    nextFire: sql(
      'UPDATE trigger_last_fire SET last_fire = ? WHERE trigger_id = ? AND last_fire = ?',
    ),
    addEvent: sql('INSERT INTO events (id, code, payload, at) VALUES (?, ?, ?, ?)'),
    events: sql(
      'SELECT id, code, payload, at FROM events WHERE at >= ? ORDER BY at, id{order} LIMIT ?',
    ),
    purgeEvents: sql('DELETE FROM events WHERE at < ?'),
    claimRun: sql(
      'INSERT INTO trigger_runs (run_id, at) VALUES (?, ?) ON CONFLICT (run_id) DO NOTHING',
    ),
    runAt: sql('SELECT at FROM trigger_runs WHERE run_id = ?'),
    pause: sql(
      'INSERT INTO trigger_paused (trigger_id, at) VALUES (?, ?) ON CONFLICT (trigger_id) DO NOTHING',
    ),
    resume: sql('DELETE FROM trigger_paused WHERE trigger_id = ?'),
    paused: sql('SELECT trigger_id FROM trigger_paused ORDER BY trigger_id{order}'),
  };
}

export class SqlTriggerStore implements TriggerStore {
  private readonly sql: ReturnType<typeof statements>;

  constructor(
    private readonly exec: SqlExec,
    dialect: SqlDialect,
  ) {
    this.sql = statements(dialect);
  }

  async saveCondition(id: string, spec: string): Promise<void> {
    await this.exec.changes(this.sql.saveCondition, [id, spec]);
  }
  conditions(): Promise<Array<{ id: string; spec: string }>> {
    return this.exec.rows(this.sql.conditions, []);
  }
  async lastFire(triggerId: string): Promise<number | null> {
    const [row] = await this.exec.rows<{ last_fire: number }>(this.sql.lastFire, [triggerId]);
    return row?.last_fire ?? null;
  }
  // A retry after a lost connection finds its own committed write: that is a success, not a lost race.
  casLastFire(triggerId: string, expected: number | null, next: number): Promise<boolean> {
    return this.exec.retry('casLastFire', async (attempt) => {
      const changed =
        expected === null
          ? await this.exec.changes(this.sql.firstFire, [triggerId, next], true)
          : await this.exec.changes(this.sql.nextFire, [next, triggerId, expected], true);
      if (changed > 0) {
        return true;
      }
      return attempt > 0 && (await this.lastFire(triggerId)) === next;
    });
  }
  async addEvent(e: StoredEvent): Promise<void> {
    await this.exec.changes(this.sql.addEvent, [e.id, e.code, e.payload, e.at]);
  }
  events(since: number, limit: number): Promise<StoredEvent[]> {
    return this.exec.rows(this.sql.events, [since, limit]);
  }
  purgeEvents(before: number): Promise<number> {
    return this.exec.changes(this.sql.purgeEvents, [before]);
  }
  claimRun(runId: string, now: number): Promise<boolean> {
    return this.exec.retry('claimRun', async (attempt) => {
      if ((await this.exec.changes(this.sql.claimRun, [runId, now], true)) > 0) {
        return true;
      }
      if (attempt === 0) {
        return false;
      }
      const [row] = await this.exec.rows<{ at: number }>(this.sql.runAt, [runId], true);
      return row?.at === now;
    });
  }
  async setPaused(triggerId: string, paused: boolean): Promise<void> {
    await (paused
      ? this.exec.changes(this.sql.pause, [triggerId, Date.now()])
      : this.exec.changes(this.sql.resume, [triggerId]));
  }
  async pausedTriggers(): Promise<string[]> {
    const rows = await this.exec.rows<{ trigger_id: string }>(this.sql.paused, []);
    return rows.map((r) => r.trigger_id);
  }
}
