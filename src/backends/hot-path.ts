/**
 * The two steps every invocation takes, as single operations a backend may fuse into one round trip
 * (DESIGN.md section 4): enqueue (store + route) and claim-and-start (claim + PENDING + RUNNING).
 * The composed versions below work for any mix of backends; a backend serving broker, state and
 * orchestrator alike may provide a fused one (one transaction / Lua script / SQL statement).
 */
import type { InvocationRecord, NewInvocation } from '../core/records.js';
import type { Broker } from './broker.js';
import type { Orchestrator } from './orchestrator.js';
import type { StateBackend } from './state-backend.js';

export interface HotPath {
  /** Stores new invocations as REGISTERED and routes them to the broker. */
  enqueue(invocations: NewInvocation[], now: number): Promise<void>;
  /**
   * Claims up to `max` queued invocations (waiting up to `waitMs` for the first), acquires them for
   * `runnerId` (PENDING) and starts them (RUNNING). Returns the RUNNING records; ids no longer
   * waiting (duplicate delivery) are dropped.
   */
  claimAndStart(max: number, waitMs: number, runnerId: string): Promise<InvocationRecord[]>;
}

export function composeHotPath(broker: Broker, state: StateBackend, orchestrator: Orchestrator): HotPath {
  return {
    async enqueue(invs, now) {
      await state.insert(invs, now);
      await broker.route(invs.map((i) => ({ id: i.id, priority: i.priority })));
    },
    async claimAndStart(max, waitMs, runnerId) {
      const ids = await broker.claim(max, waitMs);
      if (!ids.length) return [];
      const now = Date.now();
      const pending = await orchestrator.acquire(ids, runnerId, now);
      const started = await orchestrator.transitionMany(pending.map((r) => ({ id: r.id, to: 'RUNNING' as const, runnerId })), now);
      return started.filter((r): r is InvocationRecord => !(r instanceof Error));
    },
  };
}
