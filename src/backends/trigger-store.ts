/**
 * What triggers need to fire exactly once across runners: stored conditions, a compare-and-set on
 * each cron's last fire time, stored events, and run claims keyed by a deterministic run id.
 */
export interface StoredEvent {
  id: string;
  code: string;
  payload: string;
  at: number;
}

export interface TriggerStore {
  saveCondition(id: string, spec: string): Promise<void>;
  conditions(): Promise<Array<{ id: string; spec: string }>>;
  lastFire(triggerId: string): Promise<number | null>;
  /** Sets last fire to `next` only if it is still `expected` (null: never fired). True if it did. */
  casLastFire(triggerId: string, expected: number | null, next: number): Promise<boolean>;
  addEvent(event: StoredEvent): Promise<void>;
  /** Events at or after `since`, oldest first. */
  events(since: number, limit: number): Promise<StoredEvent[]>;
  /** Deletes events older than `before`; returns how many. */
  purgeEvents(before: number): Promise<number>;
  /** Claims a run id once: true for the first caller only. */
  claimRun(runId: string, now: number): Promise<boolean>;
  /** Pauses or resumes a trigger by id (`taskapp trigger pause|resume`); kept across restarts. */
  setPaused(triggerId: string, paused: boolean): Promise<void>;
  /** Ids of paused triggers. */
  pausedTriggers(): Promise<string[]>;
}
