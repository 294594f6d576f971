import type {
  HistoryEntry,
  InvocationExtras,
  Progress,
  InvocationFilter,
  InvocationRecord,
  LogRecord,
  NewInvocation,
  RunnerInfo,
} from '../../core/records.js';
import type { FinalWatch, StateBackend } from '../state-backend.js';
import {
  enc,
  insertArgs,
  jsonList,
  RECORD_FIELDS,
  pairsToRecords,
  toHistoryEntry,
  toRecord,
} from './codec.js';
import type { RedisConn } from './connection.js';
import type { RedisFinals } from './finals.js';

/** Ids per script call: one call stays short enough not to stall the server for others. */
export const BATCH = 500;

export function chunks<T>(xs: T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) {
    out.push(xs.slice(i, i + size));
  }
  return out;
}

/** Invocations as hashes, history as a list per invocation, indexes as sorted sets. */
export class RedisStateBackend implements StateBackend {
  constructor(
    private readonly conn: RedisConn,
    private readonly finals: RedisFinals,
  ) {}

  async insert(invs: NewInvocation[], now: number): Promise<string[]> {
    // Chunks go out back to back (pipelined on the connection), each one atomic; a resent chunk
    // answers from its reply cache (the ids it used the first time).
    const parts = await Promise.all(
      chunks(invs).map(async (part) =>
        jsonList<string>(await this.conn.guarded('insert', [String(now), ...insertArgs(part)])),
      ),
    );
    return parts.flat();
  }

  async get(id: string): Promise<InvocationRecord | null> {
    return toRecord(
      await this.conn.retrying(() =>
        this.conn.main.hmget(this.conn.keys.inv(id), ...RECORD_FIELDS),
      ),
    );
  }

  async getMany(ids: string[]): Promise<InvocationRecord[]> {
    const parts = await Promise.all(
      chunks(ids).map((part) => this.conn.script('get_many', part) as Promise<string[][]>),
    );
    return parts.flatMap(pairsToRecords);
  }

  /** The final ones among `ids` (lua/get_final.lua). */
  async getFinal(ids: string[]): Promise<InvocationRecord[]> {
    const parts = await Promise.all(
      chunks(ids).map((part) => this.conn.script('get_final', part) as Promise<string[][]>),
    );
    return parts.flatMap(pairsToRecords);
  }

  async history(id: string): Promise<HistoryEntry[]> {
    return (await this.historyMany([id]))[id] ?? [];
  }

  async list(f: InvocationFilter): Promise<InvocationRecord[]> {
    const int = (n: number | undefined) =>
      n === undefined ? undefined : String(Math.max(0, Math.floor(n)));
    const rows = (await this.conn.script('list', [
      enc(f.taskId),
      enc(f.owner),
      enc(f.createdAfter?.toString()),
      enc(int(f.limit)),
      enc(f.parentId),
      enc(f.createdBefore?.toString()),
      enc(int(f.offset)),
      ...(f.statuses ?? []),
    ])) as string[][];
    return pairsToRecords(rows);
  }

  async historyMany(ids: string[]): Promise<Record<string, HistoryEntry[]>> {
    const out: Record<string, HistoryEntry[]> = {};
    for (const part of chunks(ids)) {
      const res = (await this.conn.script('history', part)) as string[][];
      part.forEach((id, k) => {
        const raw = res[k] ?? [];
        if (raw.length) {
          out[id] = raw.map(toHistoryEntry);
        } // unknown ids have no history: left out
      });
    }
    return out;
  }

  async setExtras(id: string, patch: Partial<InvocationExtras>): Promise<void> {
    const key = this.conn.keys.extras(id);
    const pipe = this.conn.main.pipeline();
    if (patch.rerunOf) {
      pipe.hsetnx(key, 'rerun_of', patch.rerunOf); // a link, once set, stays
    }
    if (patch.progress) {
      pipe.hset(key, 'progress', JSON.stringify(patch.progress));
    }
    await this.conn.retrying(() => pipe.exec());
  }

  async extras(ids: string[]): Promise<Record<string, InvocationExtras>> {
    if (!ids.length) {
      return {};
    }
    const pipe = this.conn.main.pipeline();
    for (const id of ids) {
      pipe.hmget(this.conn.keys.extras(id), 'rerun_of', 'progress');
    }
    const replies = (await this.conn.retrying(() => pipe.exec())) ?? [];
    const out: Record<string, InvocationExtras> = {};
    ids.forEach((id, i) => {
      const [err, v] = replies[i] ?? [null, null];
      if (err) {
        throw err;
      }
      const [rerunOf, progress] = (v ?? [null, null]) as [string | null, string | null];
      if (rerunOf !== null || progress !== null) {
        out[id] = {
          rerunOf,
          progress: progress === null ? null : (JSON.parse(progress) as Progress),
        };
      }
    });
    return out;
  }

  async appendLogs(lines: LogRecord[]): Promise<void> {
    if (!lines.length) {
      return;
    }
    const pipe = this.conn.main.pipeline();
    for (const l of lines) {
      pipe.rpush(this.conn.keys.logs(l.invocationId), JSON.stringify(l));
    }
    await this.conn.retrying(() => pipe.exec());
  }

  async logs(invocationId: string): Promise<LogRecord[]> {
    return (
      await this.conn.retrying(() =>
        this.conn.main.lrange(this.conn.keys.logs(invocationId), 0, -1),
      )
    ).map((x) => JSON.parse(x) as LogRecord);
  }

  async countByStatus(): Promise<Record<string, number>> {
    const flat = (await this.conn.script('count_by_status', [])) as Array<string | number>;
    const out: Record<string, number> = {};
    for (let i = 0; i < flat.length; i += 2) {
      out[String(flat[i])] = Number(flat[i + 1]);
    }
    return out;
  }

  watchFinal(ids: string[]): FinalWatch {
    return this.finals.watch(ids);
  }

  async heartbeat(r: RunnerInfo): Promise<void> {
    await this.conn.retrying(() =>
      this.conn.main.hset(this.conn.keys.runners, r.id, JSON.stringify(r)),
    );
  }

  async runners(): Promise<RunnerInfo[]> {
    const all = await this.conn.retrying(() => this.conn.main.hgetall(this.conn.keys.runners));
    return Object.keys(all)
      .sort()
      .map((id) => JSON.parse(all[id]!) as RunnerInfo);
  }

  async removeRunner(id: string): Promise<void> {
    await this.conn.retrying(() => this.conn.main.hdel(this.conn.keys.runners, id));
  }

  async clock(): Promise<number> {
    const [sec, micro] = await this.conn.retrying(() => this.conn.main.time());
    return Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
  }

  async close(): Promise<void> {}
}
