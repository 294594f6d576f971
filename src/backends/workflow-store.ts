/**
 * Workflow state, a role served by the state backend's backend: one string map per workflow. The workflow engine
 * keeps there what a re-run must find again (recorded random/uuid/now values, child invocation ids,
 * wake times) and the user's `ctx.wf.setData` values.
 */
export interface WorkflowStore {
  wfGet(workflowId: string, key: string): Promise<string | null>;
  /**
   * Stores `value` under `key` unless a value is there already; returns the stored value (the
   * first writer's), atomically: two racing attempts agree on one value.
   */
  wfSetIfAbsent(workflowId: string, key: string, value: string): Promise<string>;
  wfSet(workflowId: string, key: string, value: string): Promise<void>;
  /** Every key of a workflow (empty when it has none). */
  wfList(workflowId: string): Promise<Record<string, string>>;
  /** Ids of workflows with stored state, at most `limit`, sorted. */
  wfIds(limit: number): Promise<string[]>;
}
