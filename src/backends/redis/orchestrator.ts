import { FINAL_STATUSES, isFinal } from '../../core/status.js';
import type {
  AcquireResult,
  InvocationRecord,
  RouteRequest,
  TransitionRequest,
} from '../../core/records.js';
import { REROUTE_DELAY_MS } from '../../orchestration/concurrency.js';
import { transitionOne, type Orchestrator, type PurgeScope } from '../orchestrator.js';
import { PURGE_CHUNK } from '../common/purge-scope.js';
import {
  jsonList,
  toAcquireReply,
  toRecord,
  pairsToRecords,
  transitionArgs,
  transitionError,
} from './codec.js';
import type { RedisConn } from './connection.js';
import type { RedisFinals } from './finals.js';
import { chunks } from './state.js';
import { finishClaim } from './finish-claim.js';
import { StartedRecords } from '../common/started-records.js';
import { mayRoute } from '../../orchestration/apply-transition.js';

/**
 * Every change is one Lua script (lua/transition.lua, lua/acquire.lua) that validates against the
 * state machine, updates the record and its indexes and appends to the history atomically; a
 * batch of changes is one script call.
 */
export class RedisOrchestrator implements Orchestrator {
  /** Records this process's hot path started, until a write leaves them unowned (StartedRecords). */
  readonly started = new StartedRecords();

  constructor(
    private readonly conn: RedisConn,
    private readonly finals: RedisFinals,
  ) {}

  transition(req: TransitionRequest, now: number): Promise<InvocationRecord> {
    return transitionOne(this, req, now);
  }

  transitionMany(reqs: TransitionRequest[], now: number): Promise<Array<InvocationRecord | Error>> {
    return this.write(reqs, now, false);
  }

  /**
   * transitionMany; with `route`, each change that lands in a queued status is routed by the same
   * script (the hot path's transitionAndRoute: only when this Redis is the broker too).
   */
  async write(
    reqs: RouteRequest[],
    now: number,
    route: boolean,
  ): Promise<Array<InvocationRecord | Error>> {
    if (!reqs.length) {
      return [];
    }
    const parts = await Promise.all(chunks(reqs).map((part) => this.writePart(part, now, route)));
    return parts.flat();
  }

  private async writePart(
    part: RouteRequest[],
    now: number,
    route: boolean,
  ): Promise<Array<InvocationRecord | Error>> {
    // A runner's outcomes of records it started here (written on their own while its claim is out):
    // compact, as with its next claim. finish_claim routes what lands in a queued status.
    if ((route || !mayRoute(part)) && this.started.allOf(part)) {
      return (await finishClaim(this.conn, this.finals, this.started, part, 0, '', now)).done;
    }
    const reply = jsonList<[boolean, string[]]>(
      await this.conn.guarded('transition', [
        String(now),
        route ? '1' : '0',
        ...transitionArgs(part),
      ]),
    );
    // Written without the started records: none of them may stand for the record any more.
    part.forEach((r) => this.started.forget(r.id));
    const out = reply.map(([ok, v], i) => (ok ? toRecord(v)! : transitionError(part[i]!, v)));
    this.finals.notifier.publish(
      out.filter((r): r is InvocationRecord => !(r instanceof Error) && isFinal(r.status)),
    );
    return out;
  }

  async acquire(ids: string[], runnerId: string, now: number): Promise<AcquireResult> {
    if (!ids.length) {
      return { acquired: [], requeue: [] };
    }
    const parts = await Promise.all(
      chunks(ids).map(async (part) =>
        toAcquireReply(
          await this.conn.guarded('acquire', [
            String(now),
            runnerId,
            String(REROUTE_DELAY_MS),
            ...part,
          ]),
        ),
      ),
    );
    this.finals.notifier.publish(parts.flatMap((p) => p.finals));
    return { acquired: parts.flatMap((p) => p.acquired), requeue: parts.flatMap((p) => p.requeue) };
  }

  async ownedByOthers(live: string[], statuses: string[]): Promise<InvocationRecord[]> {
    return this.owned('out', live, statuses);
  }

  async ownedBy(runnerId: string, statuses: string[]): Promise<InvocationRecord[]> {
    return this.owned('in', [runnerId], statuses);
  }

  private async owned(
    mode: 'in' | 'out',
    runnerIds: string[],
    statuses: string[],
  ): Promise<InvocationRecord[]> {
    return pairsToRecords(
      (await this.conn.script('owned', [
        mode,
        JSON.stringify(runnerIds),
        ...statuses,
      ])) as string[][],
    );
  }

  async staleIn(status: string, before: number): Promise<InvocationRecord[]> {
    const ids = await this.conn.retrying(() =>
      this.conn.main.zrangebyscore(`${this.conn.keys.prefix}s:${status}`, '-inf', `(${before}`),
    );
    const parts = await Promise.all(
      chunks(ids).map((part) => this.conn.script('get_many', part) as Promise<string[][]>),
    );
    return parts.flatMap(pairsToRecords);
  }

  async claimStranded(ids: string[], before: number, now: number): Promise<InvocationRecord[]> {
    const parts = await Promise.all(
      chunks(ids).map(
        (part) =>
          this.conn.script('claim_stranded', [String(before), String(now), ...part]) as Promise<
            string[][]
          >,
      ),
    );
    return parts.flatMap(pairsToRecords);
  }

  async tryLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    return (
      Number(await this.conn.script('lease', [name, holder, String(now), String(now + ttlMs)])) ===
      1
    );
  }

  async purge(before: number, scope?: PurgeScope): Promise<number> {
    const limit = scope?.limit ?? Infinity;
    const window = Math.min(limit, PURGE_CHUNK);
    const [mode, tasks] = scope?.taskIds
      ? ['only', scope.taskIds]
      : scope?.exceptTaskIds?.length
        ? ['except', scope.exceptTaskIds]
        : ['all', []];
    let total = 0;
    for (const status of FINAL_STATUSES) {
      // Each script is one bounded window of the status's set; kept entries (out of scope, or a
      // parent still waiting) are stepped over by the offset, so they never stall the ones behind.
      for (let offset = 0; total < limit;) {
        const max = Math.min(window, limit - total);
        const [n, skipped] = (await this.conn.script('purge', [
          String(before),
          String(max),
          status,
          String(offset),
          mode,
          ...tasks,
        ])) as [number, number];
        total += Number(n);
        offset += Number(skipped);
        if (Number(n) + Number(skipped) < max) {
          break;
        }
      }
    }
    return total;
  }
}
