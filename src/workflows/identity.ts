/**
 * Workflow identity. A call outside any workflow starts one: its id is the invocation's own id
 * (stored as workflowId null), its type the task's name. A call inside one joins it. A task with
 * `force_new_workflow` called inside one starts a child workflow, linked here to its parent.
 */
import type { Runtime } from '../runtime/runtime.js';
import type { InvocationRecord } from '../core/records.js';
import type { RunningContext } from '../orchestration/context.js';

/** Reserved key holding a workflow's type, root invocation and parent workflow. */
export const META_KEY = '@meta';

export interface WorkflowMeta {
  type: string;
  rootInvocationId: string;
  parentWorkflowId: string | null;
  parentInvocationId: string | null;
}

export function workflowIdOf(rec: Pick<InvocationRecord, 'id' | 'workflowId'>): string {
  return rec.workflowId ?? rec.id;
}

export async function recordChildWorkflows(
  app: Runtime,
  taskId: string,
  parent: RunningContext,
  ids: string[],
): Promise<void> {
  const { workflows } = await app.backends();
  for (const id of ids) {
    const meta: WorkflowMeta = {
      type: taskId,
      rootInvocationId: id,
      parentWorkflowId: parent.workflowId,
      parentInvocationId: parent.invocationId,
    };
    await workflows.wfSetIfAbsent(id, META_KEY, JSON.stringify(meta));
  }
}
