import { BaseCommand } from '../src/cli/base-command.js';
import {
  orphanTaskConfig,
  renderTasks,
  taskViews,
  withPauses,
  type TaskView,
} from '../src/cli/task-view.js';
import { styler } from '../src/cli/style.js';

export default class Tasks extends BaseCommand<typeof Tasks> {
  static memoryBackendOk = true;
  static summary =
    'List the registered tasks and their effective options, with where each value came from.';
  static description = `Options resolve, lowest first: built-in default < [task_defaults] < options in code < [tasks.<name>] in the config file < TASKAPP__TASKS__<NAME>__<OPTION>. Config or env naming a task that does not exist is reported on stderr.`;
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    'TASKAPP__TASKS__ADD__MAX_RETRIES=3 <%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json',
  ];
  static enableJsonFlag = true;

  async run(): Promise<TaskView[]> {
    const app = await this.app();
    const warn = styler(process.stderr);
    let views = taskViews(app);
    // Paused tasks live in the backend; a memory backend in this process has none to show.
    if (app.config.backend !== 'memory' && views.length) {
      try {
        views = withPauses(views, await app.pausedTasks());
      } catch (err) {
        this.logToStderr(
          `${warn('yellow', 'warning:')} paused tasks not shown: ${(err as Error).message}`,
        );
      }
    }
    for (const w of orphanTaskConfig(app)) {
      this.logToStderr(`${warn('yellow', 'warning:')} ${w}`);
    }
    this.out(renderTasks(views, this.style));
    return views;
  }
}
