/**
 * The two steps every invocation takes, as single operations a backend may fuse into one round trip
 * (docs/architecture.md, section 4): enqueue (store + route) and claim-and-start (claim + PENDING + RUNNING).
 * The composed versions below work for any mix of backends; a backend serving broker, state and
 * orchestrator alike may provide a fused one (one transaction / Lua script / SQL statement).
 */
import type { InvocationRecord, NewInvocation, QueueItem, RouteRequest } from '../core/records.js';
import { QUEUED_STATUSES } from '../core/status.js';
import { routeFor } from '../orchestration/apply-transition.js';
import type { Broker } from './broker.js';
import type { Orchestrator } from './orchestrator.js';
import type { StateBackend } from './state-backend.js';

export interface HotPath {
  /**
   * Stores new invocations as REGISTERED and routes them to the broker. Returns each one's id: its
   * own, or that of the REGISTERED invocation its registration key matched (then nothing is routed).
   */
  enqueue(invocations: NewInvocation[], now: number): Promise<string[]>;
  /**
   * How many enqueue batches of one parallelize() go out at once (default CHUNKS_IN_FLIGHT in
   * app/task.ts): more overlaps the producer's work with the server's, until the batches contend.
   */
  readonly enqueuesInFlight?: number;
  /**
   * Claims up to `max` queued invocations (waiting up to `waitMs` for the first), acquires them for
   * `runnerId` (PENDING) and starts them (RUNNING). Returns the RUNNING records; ids no longer
   * waiting (duplicate delivery) are dropped.
   */
  claimAndStart(max: number, waitMs: number, runnerId: string): Promise<InvocationRecord[]>;
  /**
   * Writes `done` (outcomes of this runner's invocations: the same as transitionMany), then claims
   * and starts up to `max` without waiting: one round trip where fused, so a busy runner pays one
   * transaction per batch for both its results and its next work. `done` results are in request
   * order; finals among them are published like transitionMany's. A change that lands in a queued
   * status (RETRY) is routed in the same step, as by transitionAndRoute.
   */
  finishAndClaim(done: RouteRequest[], max: number, runnerId: string): Promise<FinishAndClaim>;
  /**
   * Status changes (each validated alone, like transitionMany, `via` steps included) where every one
   * that lands in a queued status (RETRY, REROUTED) gets its queue entry in the same atomic step:
   * a process that dies half way leaves both or neither. Results in request order.
   */
  transitionAndRoute(reqs: RouteRequest[], now: number): Promise<Array<InvocationRecord | Error>>;
  /**
   * Recovery: routes up to `limit` invocations in a queued status (QUEUED_STATUSES) unchanged since
   * `before` that have no queue entry (their writer died between its status write and its queue
   * write, or between claim and acquire where those are two steps). Returns them.
   */
  requeueStranded(before: number, now: number, limit: number): Promise<InvocationRecord[]>;
}

/** How much older than the grace period an invocation must be before recovery requeues it blind,
 * through a broker that cannot tell whether it holds it (RabbitMQ): a duplicate entry is harmless
 * (acquire drops it) but costs a delivery, so an old backlog is not duplicated on every pass. */
export const BLIND_REQUEUE_FACTOR = 10;

export interface FinishAndClaim {
  done: Array<InvocationRecord | Error>;
  started: InvocationRecord[];
}

export function composeHotPath(
  broker: Broker,
  state: StateBackend,
  orchestrator: Orchestrator,
): HotPath {
  return {
    async enqueue(invs, now) {
      const ids = await state.insert(invs, now);
      const fresh = invs.filter((inv, k) => ids[k] === inv.id);
      if (fresh.length) {
        await broker.route(fresh.map((i) => ({ id: i.id, priority: i.priority })));
      }
      return ids;
    },
    async claimAndStart(max, waitMs, runnerId) {
      const ids = await broker.claim(max, waitMs);
      if (!ids.length) {
        return [];
      }
      const now = Date.now();
      const { acquired: pending, requeue } = await orchestrator.acquire(ids, runnerId, now);
      // Claim, acquire and this route are separate steps here: a claimer that dies between them
      // leaves ids waiting with no entry, which requeueStranded finds after its grace period.
      if (requeue.length) {
        await broker.route(requeue);
      }
      const started = await orchestrator.transitionMany(
        pending.map((r) => ({ id: r.id, to: 'RUNNING' as const, runnerId })),
        now,
      );
      return started.filter((r): r is InvocationRecord => !(r instanceof Error));
    },
    async finishAndClaim(done, max, runnerId) {
      const written = await this.transitionAndRoute(done, Date.now());
      return { done: written, started: max > 0 ? await this.claimAndStart(max, 0, runnerId) : [] };
    },
    // Two servers cannot share one transaction: a process that dies between the status write and
    // the route leaves the invocation queued-status with no entry. requeueStranded finds it.
    async transitionAndRoute(reqs, now) {
      const written = await orchestrator.transitionMany(reqs, now);
      const items = written.flatMap((r, i) =>
        r instanceof Error ? [] : (routeFor(r, reqs[i]!) ?? []),
      );
      if (items.length) {
        await broker.route(items);
      }
      return written;
    },
    async requeueStranded(before, now, limit) {
      // A broker that cannot tell what it holds: only old ones, requeued blind (see BLIND_REQUEUE_FACTOR).
      const cutoff = broker.queued ? before : now - (now - before) * BLIND_REQUEUE_FACTOR;
      const waiting = (
        await Promise.all([...QUEUED_STATUSES].map((s) => orchestrator.staleIn(s, cutoff)))
      )
        .flat()
        .sort((a, b) => a.updatedAt - b.updatedAt);
      const queued = broker.queued ? await broker.queued(waiting.map((r) => r.id)) : new Set();
      const missing = waiting.filter((r) => !queued.has(r.id)).slice(0, limit);
      if (!missing.length) {
        return [];
      }
      const claimed = await orchestrator.claimStranded(
        missing.map((r) => r.id),
        cutoff,
        now,
      );
      await broker.route(claimed.map((r): QueueItem => ({ id: r.id, priority: r.priority })));
      return claimed;
    },
  };
}
