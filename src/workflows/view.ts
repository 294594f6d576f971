/** What `taskapp workflow list|show` print: a workflow, its steps (child invocations) and data. */
import type { Runtime } from '../runtime/runtime.js';
import { META_KEY, type WorkflowMeta } from './identity.js';

interface WorkflowStepView {
  /** `<invocation id>:<sequence number>` of the executeTask call that started it. */
  step: string;
  invocationId: string;
  taskId: string | null;
  status: string | null;
}

export interface WorkflowView {
  id: string;
  type: string | null;
  status: string | null;
  parentWorkflowId: string | null;
  steps: WorkflowStepView[];
  data: Record<string, unknown>;
  /** random/uuid/now/sleep/event values recorded for replay. */
  recordedValues: number;
}

export async function loadWorkflow(app: Runtime, id: string): Promise<WorkflowView | null> {
  const { state, workflows } = await app.backends();
  const all = await workflows.wfList(id);
  const root = await state.get(id);
  if (!Object.keys(all).length && !root) {
    return null;
  }
  const meta = all[META_KEY] ? (JSON.parse(all[META_KEY]) as WorkflowMeta) : null;
  const childSteps = Object.entries(all)
    .filter(([k, v]) => k.startsWith('s:') && v.startsWith('c:'))
    .map(([k, v]) => ({ step: k.slice(2), invocationId: v.slice(2) }));
  const recs = new Map(
    (await state.getMany(childSteps.map((s) => s.invocationId))).map((r) => [r.id, r]),
  );
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) {
    if (k.startsWith('d:')) {
      data[k.slice(2)] = app.serializer.deserialize(v);
    }
  }
  return {
    id,
    type: meta?.type ?? root?.taskId ?? null,
    status: root?.status ?? null,
    parentWorkflowId: meta?.parentWorkflowId ?? null,
    steps: childSteps
      .map((s) => ({
        ...s,
        taskId: recs.get(s.invocationId)?.taskId ?? null,
        status: recs.get(s.invocationId)?.status ?? null,
      }))
      .sort((a, b) => stepOrder(a.step) - stepOrder(b.step) || a.step.localeCompare(b.step)),
    data,
    recordedValues: Object.entries(all).filter(
      ([k, v]) => k.startsWith('s:') && !v.startsWith('c:'),
    ).length,
  };
}

function stepOrder(step: string): number {
  return Number(step.split(':').pop());
}

export async function listWorkflows(app: Runtime, limit: number): Promise<WorkflowView[]> {
  const { workflows } = await app.backends();
  const out: WorkflowView[] = [];
  for (const id of await workflows.wfIds(limit)) {
    const v = await loadWorkflow(app, id);
    if (v) {
      out.push(v);
    }
  }
  return out;
}
