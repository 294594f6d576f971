/**
 * Enqueue inside the caller's own database transaction (issue 22; README, "Transactional
 * enqueue"): `task.call(args, { tx })`, `parallelize(list, { tx })`, `app.emit(code, payload,
 * { tx })`. The invocation, its history entry and its queue entry (or the event) are written through
 * the caller's connection, so they commit or roll back with the caller's own rows, and runners see
 * them only after the COMMIT. Served by a backend that holds broker, state and orchestrator alike
 * in a database the caller can reach (postgres, sqlite); a redis or mixed setup has none and offers
 * the outbox instead (runtime/outbox.ts).
 */
import type { ConcurrencyControl, NewInvocation } from '../core/records.js';
import type { StoredEvent } from './trigger-store.js';

/** What the caller passes as `tx`: a driver connection (pg client, better-sqlite3 Database). */
export type TxHandle = object;

export interface TxEnqueued {
  /** The invocation's id: its own, or the one its registration key or given id matched. */
  id: string;
  /** Nothing was written: an invocation with this id or registration key was there already. */
  reused: boolean;
}

export interface TxEnqueue {
  /**
   * Writes the invocations through `tx` (REGISTERED, history, queue entry with `notBefore`), in
   * request order. Throws TransactionError (TX_NOT_OPEN, TX_UNSUPPORTED) before writing anything
   * when `tx` is not a connection of this backend's database inside an open transaction.
   */
  enqueue(
    tx: TxHandle,
    invs: NewInvocation[],
    now: number,
    notBefore: number | undefined,
  ): Promise<TxEnqueued[]>;
  /** Stores an event for event triggers through `tx` (same checks). */
  addEvent(tx: TxHandle, event: StoredEvent): Promise<void>;
  /**
   * Records what a SQL caller cannot compute for these tasks (a backend whose SQL offers a call
   * function: postgres). Called by every runner at start, for the tasks it knows.
   */
  declareTasks?(tasks: SqlTaskDeclaration[], now: number): Promise<void>;
}

/** A task as SQL callers get it: its priority, and its argument-independent concurrency. */
export interface SqlTaskDeclaration {
  taskId: string;
  priority: number;
  registrationKey: string | null;
  concurrency: ConcurrencyControl | null;
  /** Why SQL may not call it (its keys depend on its arguments); null: it may. */
  refused: string | null;
}
