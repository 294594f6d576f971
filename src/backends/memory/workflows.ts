import type { WorkflowStore } from '../workflow-store.js';
import type { MemoryStore } from './store.js';

export class MemoryWorkflowStore implements WorkflowStore {
  constructor(private readonly s: MemoryStore) {}
  private map(id: string): Map<string, string> {
    let m = this.s.workflows.get(id);
    if (!m) {
      this.s.workflows.set(id, (m = new Map()));
    }
    return m;
  }
  async wfGet(id: string, key: string): Promise<string | null> {
    return this.s.workflows.get(id)?.get(key) ?? null;
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
    return Object.fromEntries(this.s.workflows.get(id) ?? []);
  }
  async wfIds(limit: number): Promise<string[]> {
    return [...this.s.workflows.keys()].sort().slice(0, limit);
  }
}
