/**
 * The two steps every invocation takes, as single operations a backend may fuse into one round trip
 * (docs/architecture.md, section 4): enqueue (store + route) and claim-and-start (claim + PENDING + RUNNING).
 * The composed versions below work for any mix of backends; a backend serving broker, state and
 * orchestrator alike may provide a fused one (one transaction / Lua script / SQL statement).
 */
import type { InvocationRecord, NewInvocation, TransitionRequest } from '../core/records.js';
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
   * Claims up to `max` queued invocations (waiting up to `waitMs` for the first), acquires them for
   * `runnerId` (PENDING) and starts them (RUNNING). Returns the RUNNING records; ids no longer
   * waiting (duplicate delivery) are dropped.
   */
  claimAndStart(max: number, waitMs: number, runnerId: string): Promise<InvocationRecord[]>;
  /**
   * Writes `done` (outcomes of this runner's invocations: the same as transitionMany), then claims
   * and starts up to `max` without waiting: one round trip where fused, so a busy runner pays one
   * transaction per batch for both its results and its next work. `done` results are in request
   * order; finals among them are published like transitionMany's.
   */
  finishAndClaim(done: TransitionRequest[], max: number, runnerId: string): Promise<FinishAndClaim>;
}

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
      const written = await orchestrator.transitionMany(done, Date.now());
      return { done: written, started: max > 0 ? await this.claimAndStart(max, 0, runnerId) : [] };
    },
  };
}
