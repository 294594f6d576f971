import type { WorkflowStore } from '../workflow-store.js';
import type { MemoryStore } from './store.js';

export class MemoryWorkflowStore implements WorkflowStore {
  constructor(private readonly store: MemoryStore) {}
  private map(id: string): Map<string, string> {
    let m = this.store.workflows.get(id);
    if (!m) {
      this.store.workflows.set(id, (m = new Map()));
    }
    return m;
  }
  async wfGet(id: string, key: string): Promise<string | null> {
    return this.store.workflows.get(id)?.get(key) ?? null;
  }
  async wfSetIfAbsent(id: string, key: string, value: string): Promise<string> {
    const m = this.map(id);
    const have = m.get(key);
    if (have !== undefined) {
      return have;
    }
    m.set(key, value);
    return value;
  }
  async wfSet(id: string, key: string, value: string): Promise<void> {
    this.map(id).set(key, value);
  }
  async wfList(id: string): Promise<Record<string, string>> {
    return Object.fromEntries(this.store.workflows.get(id) ?? []);
  }
  async wfIds(limit: number): Promise<string[]> {
    return [...this.store.workflows.keys()].sort().slice(0, limit);
  }
}
