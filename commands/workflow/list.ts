import { Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.js';
import { listWorkflows, type WorkflowView } from '../../src/workflows/view.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

export default class WorkflowList extends BaseCommand<typeof WorkflowList> {
  static summary = 'List workflows that have stored state: id, type, status, steps and data keys.';
  static description = `A workflow is listed once it has recorded something (a ctx.wf value, a step, data) or was started with force_new_workflow.`;
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --limit 20 --json',
  ];
  static enableJsonFlag = true;
  static flags = {
    limit: Flags.integer({ description: 'at most this many workflows', default: 100, min: 1 }),
  };

  async run(): Promise<{ workflows: WorkflowView[] }> {
    const app = await this.app({ requireTasks: false });
    const workflows = await listWorkflows(runtimeOf(app), this.flags.limit);
    if (!workflows.length) {
      this.out('no workflows with stored state');
    }
    for (const w of workflows) {
      this.out(
        `${w.id}  ${w.type ?? '?'}  ${w.status ?? 'unknown'}  steps ${w.steps.length}  data ${Object.keys(w.data).join(',') || '-'}${w.parentWorkflowId ? `  parent ${w.parentWorkflowId}` : ''}`,
      );
    }
    return { workflows };
  }
}
