import type { WorkflowStore } from '../workflow-store.js';
import type { PgDb } from './db.js';

export class PgWorkflowStore implements WorkflowStore {
  constructor(private readonly db: PgDb) {}
  async wfGet(id: string, key: string): Promise<string | null> {
    return (
      (
        await this.db.rows<{ value: string }>(
          'SELECT value FROM wf_data WHERE workflow_id = $1 AND key = $2',
          [id, key],
        )
      )[0]?.value ?? null
    );
  }
  async wfSetIfAbsent(id: string, key: string, value: string): Promise<string> {
    // Two statements on purpose: ON CONFLICT waits for a racing writer to commit, and the SELECT
    // (a new snapshot) then reads the first writer's value.
    await this.db.query(
      'INSERT INTO wf_data (workflow_id, key, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [id, key, value],
    );
    return (await this.wfGet(id, key))!;
  }
  async wfSet(id: string, key: string, value: string): Promise<void> {
    await this.db.query(
      'INSERT INTO wf_data (workflow_id, key, value) VALUES ($1, $2, $3) ON CONFLICT (workflow_id, key) DO UPDATE SET value = excluded.value',
      [id, key, value],
    );
  }
  async wfList(id: string): Promise<Record<string, string>> {
    const rows = await this.db.rows<{ key: string; value: string }>(
      'SELECT key, value FROM wf_data WHERE workflow_id = $1',
      [id],
    );
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }
  async wfIds(limit: number): Promise<string[]> {
    return (
      await this.db.rows<{ id: string }>(
        'SELECT DISTINCT workflow_id AS id FROM wf_data ORDER BY workflow_id LIMIT $1',
        [limit],
      )
    ).map((r) => r.id);
  }
}
