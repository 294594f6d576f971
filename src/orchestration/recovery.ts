/**
 * One recovery pass (DESIGN.md section 3): work held by runners that stopped heartbeating goes
 * RUNNING_RECOVERY -> REROUTED and back to the broker; PENDING work that waited longer than
 * `max_pending_seconds` (or whose owner is dead) goes PENDING_RECOVERY -> REROUTED. Every move is a
 * validated transition, so a pass racing another (a runner's own check) only skips what the other
 * already moved.
 */
import type { App } from '../core/app.js';
import { newRunnerId } from '../core/ids.js';
import type { InvocationRecord, TransitionRequest } from '../core/records.js';
import type { Status } from '../core/status.js';
import type { Backends } from '../backends/registry.js';

export interface RecoveryReport {
  /** Runners whose last heartbeat is older than runner_dead_after_seconds (now removed). */
  deadRunners: string[];
  /** Ids moved RUNNING/PAUSED/RESUMED -> RUNNING_RECOVERY -> REROUTED -> queue. */
  runningRecovered: string[];
  /** Ids moved PENDING -> PENDING_RECOVERY -> REROUTED -> queue. */
  pendingRecovered: string[];
}

const HELD_WHILE_RUNNING: Status[] = ['RUNNING', 'PAUSED', 'RESUMED'];

export async function recoverOnce(app: App, opts: { now?: number; runnerId?: string } = {}): Promise<RecoveryReport> {
  const b = await app.backends();
  const now = opts.now ?? Date.now();
  const by = opts.runnerId ?? newRunnerId('recovery');
  const cfg = app.config.runner;
  const runners = await b.state.runners();
  const deadBefore = now - cfg.runner_dead_after_seconds * 1000;
  const live = runners.filter((r) => r.heartbeatAt >= deadBefore).map((r) => r.id);
  const dead = runners.filter((r) => r.heartbeatAt < deadBefore).map((r) => r.id);

  // Owned by a runner that is not alive: dead, or gone from the table without handing its work back.
  const orphanRunning = await b.orchestrator.ownedByOthers(live, HELD_WHILE_RUNNING);
  const orphanPending = await b.orchestrator.ownedByOthers(live, ['PENDING']);
  const stalePending = await b.orchestrator.staleIn('PENDING', now - cfg.max_pending_seconds * 1000);
  const pending = new Map([...orphanPending, ...stalePending].map((r) => [r.id, r]));

  const runningRecovered = await moveAndRoute(b, orphanRunning, 'RUNNING_RECOVERY', by, now);
  const pendingRecovered = await moveAndRoute(b, [...pending.values()], 'PENDING_RECOVERY', by, now);
  for (const id of dead) await b.state.removeRunner(id);
  return { deadRunners: dead, runningRecovered, pendingRecovered };
}

/** recs -> `via` -> REROUTED -> broker; returns the ids that made it (others moved on meanwhile). */
async function moveAndRoute(b: Backends, recs: InvocationRecord[], via: Status, by: string, now: number): Promise<string[]> {
  if (!recs.length) return [];
  const step = async (ids: string[], to: Status): Promise<InvocationRecord[]> => {
    const reqs: TransitionRequest[] = ids.map((id) => ({ id, to, runnerId: by }));
    return (await b.orchestrator.transitionMany(reqs, now)).filter((r): r is InvocationRecord => !(r instanceof Error));
  };
  const recovering = await step(recs.map((r) => r.id), via);
  const rerouted = await step(recovering.map((r) => r.id), 'REROUTED');
  await b.broker.route(rerouted.map((r) => ({ id: r.id, priority: r.priority })));
  return rerouted.map((r) => r.id);
}
