import type { WorkflowStore } from '../workflow-store.js';
import type { RedisConn } from './connection.js';

/** A hash per workflow (`wf:<id>`), set-if-absent with HSETNX, and a set indexing workflow ids. */
export class RedisWorkflowStore implements WorkflowStore {
  constructor(private readonly conn: RedisConn) {}
  async wfGet(id: string, key: string): Promise<string | null> {
    return this.conn.retrying(() => this.conn.main.hget(this.conn.keys.wf(id), key));
  }
  async wfSetIfAbsent(id: string, key: string, value: string): Promise<string> {
    return String(await this.conn.script('wf_set', [id, key, value, '1']));
  }
  async wfSet(id: string, key: string, value: string): Promise<void> {
    await this.conn.script('wf_set', [id, key, value, '0']);
  }
  async wfList(id: string): Promise<Record<string, string>> {
    return this.conn.retrying(() => this.conn.main.hgetall(this.conn.keys.wf(id)));
  }
  async wfIds(limit: number): Promise<string[]> {
    return (await this.conn.retrying(() => this.conn.main.smembers(this.conn.keys.wfIndex)))
      .sort()
      .slice(0, limit);
  }
}
