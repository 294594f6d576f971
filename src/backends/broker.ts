import type { QueueItem } from '../core/records.js';

/**
 * Routes invocation ids to a queue and hands them to runners. Delivery is at-least-once: the
 * orchestrator's status check (`acquire`) drops ids that are no longer waiting.
 */
export interface Broker {
  /** Adds ids to the queue (bulk: one round trip where the backend allows). */
  route(items: QueueItem[]): Promise<void>;
  /**
   * Takes up to `max` ready ids, highest priority first, then oldest. Waits up to `waitMs` for the
   * first one (a wake-up, not a polling loop, where the backend can).
   */
  claim(max: number, waitMs: number): Promise<string[]>;
  /**
   * Which of `ids` have a queue entry (ready, delayed, or claimed and not yet acquired): recovery's
   * check for invocations stranded in a queued status. Absent where the broker cannot tell
   * (RabbitMQ): recovery then goes by age alone (composeHotPath).
   */
  queued?(ids: string[]): Promise<Set<string>>;
  /** Ids waiting (ready or delayed). */
  count(): Promise<number>;
  /** Drops every queued id. */
  purge(): Promise<void>;
  /** Ends a pending `claim` wait early (shutdown). */
  interrupt(): void;
  close(): Promise<void>;
}
