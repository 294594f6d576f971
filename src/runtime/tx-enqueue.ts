/**
 * The `{ tx }` option's plumbing above the backends (README, "Transactional enqueue"): which setups can
 * write through the caller's transaction, and the error for those that cannot.
 */
import { TransactionError } from '../core/errors.js';
import type { Backends } from '../backends/backends.js';
import type { SqlTaskDeclaration, TxEnqueue } from '../backends/tx-enqueue.js';
import { runningControl, scopeKey } from '../orchestration/concurrency.js';
import type { Runtime } from './runtime.js';

/** The backend's transactional enqueue, or TX_UNSUPPORTED saying why there is none and what to use. */
export function txEnqueueOf(runtime: Runtime, b: Backends | undefined, what: string): TxEnqueue {
  if (runtime.devMode) {
    throw new TransactionError(
      'TX_UNSUPPORTED',
      `${what} with { tx }: dev_mode_force_sync runs calls inline, in no transaction`,
      'turn dev mode off for this code path, or call without { tx } in dev mode',
    );
  }
  if (b?.tx) {
    return b.tx;
  }
  const n = b?.names;
  const setup = n
    ? [...new Set([n.broker, n.state, n.orchestrator, n.triggers])].join(' + ')
    : runtime.config.backend;
  throw new TransactionError(
    'TX_UNSUPPORTED',
    `${what} with { tx }: this app's backend (${setup}) cannot share your database's transaction; only postgres or sqlite serving every role can`,
    'write calls to an outbox in your transaction instead: await app.outbox(client).call(task, args) (PostgreSQL; a runner relays them exactly once), or use backend = "postgres" on your own database',
  );
}

/**
 * What SQL callers of the backend's call() function get for each task this app knows: its
 * priority and its concurrency when that does not depend on the arguments; a task whose
 * registration or running scope is keyed by its arguments is refused (SQL cannot compute the key,
 * and a call without it would skip the task's limits).
 */
export function sqlTaskDeclarations(app: Runtime): SqlTaskDeclaration[] {
  return app.taskIds().flatMap((taskId): SqlTaskDeclaration[] => {
    let o;
    try {
      o = app.getTask(taskId)?.options;
    } catch {
      return []; // a misconfigured task fails its own calls; SQL leaves it undeclared
    }
    if (!o) {
      return [];
    }
    const keyed = (['registration', 'running'] as const).filter((which) =>
      ['ARGUMENTS', 'KEYS'].includes(o[`${which}_concurrency`]),
    );
    const refused = keyed.length
      ? `its ${keyed.map((w) => `${w}_concurrency (${o[`${w}_concurrency`]})`).join(' and ')} is keyed by its arguments, which only the TypeScript side computes`
      : null;
    return [
      {
        taskId,
        priority: o.priority,
        registrationKey: refused
          ? null
          : scopeKey(o.registration_concurrency, taskId, app.serializer, {}, o.key_arguments),
        concurrency: refused ? null : runningControl(o, taskId, app.serializer, {}),
        refused,
      },
    ];
  });
}

/** Declares this app's tasks to the backend's SQL call() (runners, at start); a failure is logged. */
export async function declareSqlTasks(app: Runtime, b: Backends): Promise<void> {
  if (!b.tx?.declareTasks) {
    return;
  }
  try {
    await b.tx.declareTasks(sqlTaskDeclarations(app), Date.now());
  } catch (err) {
    app.logger.warn('could not declare tasks for SQL callers', { error: (err as Error).message });
  }
}
