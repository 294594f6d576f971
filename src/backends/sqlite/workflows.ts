import type { WorkflowStore } from '../workflow-store.js';
import type { SqliteDb } from './db.js';

export class SqliteWorkflowStore implements WorkflowStore {
  constructor(private readonly db: SqliteDb) {}
  async wfGet(id: string, key: string): Promise<string | null> {
    return (
      (this.db.read(() =>
        this.db.db
          .prepare('SELECT value FROM wf_data WHERE workflow_id = ? AND key = ?')
          .pluck()
          .get(id, key),
      ) as string | undefined) ?? null
    );
  }
  async wfSetIfAbsent(id: string, key: string, value: string): Promise<string> {
    return this.db.write(() => {
      this.db.db
        .prepare(
          'INSERT INTO wf_data (workflow_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
        )
        .run(id, key, value);
      return this.db.db
        .prepare('SELECT value FROM wf_data WHERE workflow_id = ? AND key = ?')
        .pluck()
        .get(id, key) as string;
    });
  }
  async wfSet(id: string, key: string, value: string): Promise<void> {
    this.db.write(() =>
      this.db.db
        .prepare(
          'INSERT INTO wf_data (workflow_id, key, value) VALUES (?, ?, ?) ON CONFLICT (workflow_id, key) DO UPDATE SET value = excluded.value',
        )
        .run(id, key, value),
    );
  }
  async wfList(id: string): Promise<Record<string, string>> {
    const rows = this.db.read(() =>
      this.db.db.prepare('SELECT key, value FROM wf_data WHERE workflow_id = ?').all(id),
    ) as Array<{ key: string; value: string }>;
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }
  async wfIds(limit: number): Promise<string[]> {
    return this.db.read(() =>
      this.db.db
        .prepare('SELECT DISTINCT workflow_id FROM wf_data ORDER BY workflow_id LIMIT ?')
        .pluck()
        .all(limit),
    ) as string[];
  }
}
