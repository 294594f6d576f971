import { Args } from '@oclif/core';
import { TaskappError } from '../../src/core/errors.js';
import { BaseCommand } from '../../src/cli/base-command.js';
import { loadWorkflow, type WorkflowView } from '../../src/workflows/view.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

export default class WorkflowShow extends BaseCommand<typeof WorkflowShow> {
  static summary = 'Show one workflow: type, status, parent, steps (child invocations) and data.';
  static description = `The workflow id is the invocation id of the task that started it. An unknown id exits 1.`;
  static examples = [
    '<%= config.bin %> <%= command.id %> 0b6f5c0e-3c5e-4a8e-9a61-2f1f0f1b2c3d',
    '<%= config.bin %> <%= command.id %> ID --json | jq .data',
  ];
  static enableJsonFlag = true;
  static args = {
    id: Args.string({
      description: 'workflow id (the invocation id of the task that started it)',
      required: true,
    }),
  };

  async run(): Promise<WorkflowView> {
    const app = await this.app({ requireTasks: false });
    const w = await loadWorkflow(runtimeOf(app), this.args.id);
    if (!w) {
      throw new TaskappError('WORKFLOW_NOT_FOUND', `no workflow with id ${this.args.id}`, {
        fix: 'taskapp workflow list shows the workflows with stored state',
        exitCode: 1,
      });
    }
    const s = this.style;
    this.out(`${s('bold', 'workflow')} ${w.id}`);
    this.out(`  type     ${w.type ?? '?'}`);
    this.out(`  status   ${w.status ?? 'unknown'}`);
    if (w.parentWorkflowId) {
      this.out(`  parent   ${w.parentWorkflowId}`);
    }
    this.out(`  recorded ${w.recordedValues} value(s) for replay`);
    this.out(`  steps    ${w.steps.length}`);
    for (const st of w.steps) {
      this.out(
        `    ${st.step}  ${st.taskId ?? '?'}  ${st.invocationId}  ${st.status ?? 'missing'}`,
      );
    }
    this.out(`  data     ${Object.keys(w.data).length ? '' : '-'}`);
    for (const [k, v] of Object.entries(w.data)) {
      this.out(`    ${k} = ${JSON.stringify(v)}`);
    }
    return w;
  }
}
