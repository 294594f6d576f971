import type {
  HistoryEntry,
  InvocationExtras,
  InvocationFilter,
  InvocationRecord,
  LogRecord,
  NewInvocation,
  RunnerInfo,
} from '../../../core/records.js';
import type { FinalWatch, StateBackend } from '../../state-backend.js';
import type { RedisFinals } from '../finals.js';
import type { Shard } from './shard.js';
import type { ShardMap } from './shards.js';

const byId = (x: { id: string }) => x.id;
const self = (id: string) => id;

/**
 * Invocations, their history, extras and logs live in their id's shard; runners and the clock in
 * the home shard. A listing merges every shard's, newest first, as one server orders it.
 */
export class ShardedState implements StateBackend {
  constructor(
    private readonly shards: ShardMap<Shard>,
    private readonly finals: RedisFinals,
  ) {}

  private get home(): StateBackend {
    return this.shards.home.state;
  }

  async insert(invs: NewInvocation[], now: number): Promise<string[]> {
    await this.shards.placeNew(invs);
    const target = new Map(invs.map((inv) => [inv.id, this.shards.targetOf(inv)]));
    return this.shards.scatter(
      invs,
      byId,
      (s, part) => s.state.insert(part, now),
      (id) => target.get(id)!,
    );
  }

  async get(id: string): Promise<InvocationRecord | null> {
    const rec = await this.shards.of(id).state.get(id);
    if (rec || !(await this.shards.locate([id]))) {
      return rec;
    }
    return this.shards.of(id).state.get(id);
  }

  async getMany(ids: string[]): Promise<InvocationRecord[]> {
    return inOrder(ids, await this.shards.records(ids, (s, part) => s.state.getMany(part)));
  }

  /** The final ones among `ids` (the final-result watch's read). */
  getFinal(ids: string[]): Promise<InvocationRecord[]> {
    return this.shards.records(ids, (s, part) => s.state.getFinal(part), { pointerOnce: true });
  }

  async history(id: string): Promise<HistoryEntry[]> {
    const h = await this.shards.of(id).state.history(id);
    if (h.length || !(await this.shards.locate([id]))) {
      return h;
    }
    return this.shards.of(id).state.history(id);
  }

  async historyMany(ids: string[]): Promise<Record<string, HistoryEntry[]>> {
    const parts = await Promise.all(
      this.shards
        .group(ids, self)
        .map((p) => this.shards.shards[p.shard]!.state.historyMany(p.items)),
    );
    return Object.assign({}, ...parts) as Record<string, HistoryEntry[]>;
  }

  async list(f: InvocationFilter): Promise<InvocationRecord[]> {
    const offset = Math.max(0, Math.floor(f.offset ?? 0));
    const wanted = f.limit === undefined ? undefined : offset + Math.max(0, Math.floor(f.limit));
    const parts = await this.shards.all(async (s, k) => {
      const rows = await s.state.list({
        ...f,
        offset: 0,
        ...(wanted === undefined ? {} : { limit: wanted }),
      });
      this.shards.learn(
        k,
        rows.map((r) => r.id),
      );
      return rows;
    });
    const rows = parts
      .flat()
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return rows.slice(offset, wanted);
  }

  async countByStatus(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const counts of await this.shards.all((s) => s.state.countByStatus())) {
      for (const [status, n] of Object.entries(counts)) {
        out[status] = (out[status] ?? 0) + n;
      }
    }
    return out;
  }

  watchFinal(ids: string[]): FinalWatch {
    return this.finals.watch(ids);
  }

  heartbeat(runner: RunnerInfo): Promise<void> {
    return this.home.heartbeat(runner);
  }

  runners(): Promise<RunnerInfo[]> {
    return this.home.runners();
  }

  removeRunner(id: string): Promise<void> {
    return this.home.removeRunner(id);
  }

  clock(): Promise<number> {
    return this.shards.home.state.clock();
  }

  setExtras(id: string, patch: Partial<InvocationExtras>): Promise<void> {
    return this.shards.of(id).state.setExtras(id, patch);
  }

  async extras(ids: string[]): Promise<Record<string, InvocationExtras>> {
    const parts = await Promise.all(
      this.shards.group(ids, self).map((p) => this.shards.shards[p.shard]!.state.extras(p.items)),
    );
    return Object.assign({}, ...parts) as Record<string, InvocationExtras>;
  }

  async appendLogs(lines: LogRecord[]): Promise<void> {
    await this.shards.gather(
      lines,
      (l) => l.invocationId,
      async (s, part) => {
        await s.state.appendLogs(part);
        return [];
      },
    );
  }

  logs(invocationId: string): Promise<LogRecord[]> {
    return this.shards.of(invocationId).state.logs(invocationId);
  }

  async close(): Promise<void> {}
}

/** Records in the order of `ids` (unknown ones left out), as one server's get_many answers. */
export function inOrder(ids: string[], recs: InvocationRecord[]): InvocationRecord[] {
  const at = new Map(recs.map((r) => [r.id, r]));
  return ids.flatMap((id) => at.get(id) ?? []);
}
