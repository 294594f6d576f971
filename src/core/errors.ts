/**
 * Every error a user can cause is a TaskappError with a stable `code` (one of TaskappErrorCode), a
 * message that names what was wrong, and, apart from it, a `fix`: what to do about it. The CLI
 * prints both without a stack (exit 2 for usage/config, 1 for runtime); anything else is a bug and
 * keeps its stack.
 */

/** Every `code` a TaskappError can carry: match on these, not on message text. */
export type TaskappErrorCode =
  // the user's input or config
  | 'CONFIG'
  | 'USAGE'
  | 'BAD_FILTER'
  | 'BAD_ACTION'
  | 'INVALID_ARGUMENTS'
  | 'INVALID_EVENT'
  | 'INVALID_PAYLOAD'
  | 'SERIALIZATION'
  | 'UNKNOWN_TASK'
  | 'DUPLICATE_TASK'
  | 'UNKNOWN_TRIGGER'
  | 'AMBIGUOUS_TRIGGER'
  | 'TASK_MODULE_IMPORT'
  | 'INIT_EXISTS'
  | 'APP_STARTED'
  | 'CONCURRENCY_ARGUMENTS_MISMATCH'
  | 'INVALID_TASK_NAME'
  | 'BAD_PARAMETER'
  | 'TX_UNSUPPORTED'
  | 'TX_NOT_OPEN'
  | 'WEB_TOKEN_REQUIRED'
  // lookups
  | 'INVOCATION_NOT_FOUND'
  | 'WORKFLOW_NOT_FOUND'
  // the state machine
  | 'ILLEGAL_TRANSITION'
  | 'WRONG_OWNER'
  // running tasks and waiting for them
  | 'RESULT_TIMEOUT'
  | 'INVOCATION_CANCELLED'
  | 'TASK_TIMEOUT'
  | 'TASK_FAILED'
  | 'NO_RESULT'
  | 'WORKER_EXITED'
  | 'RECOVERY_LIMIT'
  | 'INVOCATION_CYCLE'
  | 'DETERMINISM'
  | 'TRIGGER_FIRE_FAILED'
  // infrastructure
  | 'BACKEND'
  | 'CALL_TIMEOUT'
  | 'GUEST_START'
  | 'RPC'
  | 'PORT_IN_USE'
  | 'ABORTED';

export interface TaskappErrorOptions {
  /** What the user can do about it; kept apart from the message (the CLI prints it on its own line). */
  fix?: string;
  exitCode?: 1 | 2;
  cause?: unknown;
}

export class TaskappError extends Error {
  readonly code: TaskappErrorCode;
  readonly fix?: string;
  /** 2: the user's input or config is wrong; 1: something failed at run time. */
  readonly exitCode: 1 | 2;
  constructor(code: TaskappErrorCode, message: string, opts: TaskappErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.fix = opts.fix;
    this.exitCode = opts.exitCode ?? 1;
  }
}

export class ConfigError extends TaskappError {
  constructor(message: string, fix?: string, cause?: unknown) {
    super('CONFIG', message, { fix, exitCode: 2, cause });
  }
}

export class IllegalTransitionError extends TaskappError {
  constructor(
    readonly invocationId: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(
      'ILLEGAL_TRANSITION',
      `invocation ${invocationId}: illegal status change ${from} -> ${to}`,
    );
  }
}

export class WrongOwnerError extends TaskappError {
  constructor(
    readonly invocationId: string,
    readonly from: string,
    readonly to: string,
    readonly owner: string | null,
    readonly runnerId: string | null,
  ) {
    super(
      'WRONG_OWNER',
      `invocation ${invocationId}: runner ${runnerId ?? '(none)'} may not move it ${from} -> ${to}; it is owned by ${owner ?? '(none)'}`,
    );
  }
}

export class InvocationNotFoundError extends TaskappError {
  constructor(readonly invocationId: string) {
    super('INVOCATION_NOT_FOUND', `no invocation with id ${invocationId}`, {
      fix: 'check the id (taskapp list shows recent ones) and that you point at the same backend',
    });
  }
}

export class UnknownTaskError extends TaskappError {
  constructor(
    readonly taskId: string,
    known: string[],
  ) {
    super(
      'UNKNOWN_TASK',
      `unknown task "${taskId}"${known.length ? ` (known: ${known.join(', ')})` : ' (no tasks are registered)'}`,
      {
        fix: 'register the task with app.task() in a module listed in the `tasks` config field',
        exitCode: 2,
      },
    );
  }
}

export class DuplicateTaskError extends TaskappError {
  constructor(readonly taskId: string) {
    super('DUPLICATE_TASK', `a task named "${taskId}" is already registered in this app`, {
      fix: 'give each task a unique name',
      exitCode: 2,
    });
  }
}

/** A task name must print on one line as written: it shows up in CLI tables, logs and URLs. */
export class InvalidTaskNameError extends TaskappError {
  constructor(
    readonly taskName: string,
    rule: string,
  ) {
    super('INVALID_TASK_NAME', `task name ${JSON.stringify(taskName)} is invalid: ${rule}`, {
      fix: 'name the task with printable characters only, e.g. "send-email" or "billing.charge"',
      exitCode: 2,
    });
  }
}

export class InvalidArgumentsError extends TaskappError {
  constructor(taskId: string, got: string) {
    super(
      'INVALID_ARGUMENTS',
      `task "${taskId}" takes one plain object of named arguments, got ${got}`,
      {
        fix: `call it as ${taskId}.call({ name: value, ... })`,
        exitCode: 2,
      },
    );
  }
}

export class SerializationError extends TaskappError {
  constructor(message: string, fix?: string) {
    super('SERIALIZATION', message, { fix, exitCode: 2 });
  }
}

/** `result()` waited longer than asked. Not retried by default. */
export class TimeoutError extends TaskappError {
  constructor(
    readonly invocationId: string,
    readonly lastStatus: string,
    timeoutMs: number,
  ) {
    super(
      'RESULT_TIMEOUT',
      `invocation ${invocationId} did not finish within ${timeoutMs} ms (last status ${lastStatus})`,
      {
        fix: 'start a runner (taskapp run), or wait longer with result({ timeoutMs })',
      },
    );
  }
}

/** `result()` of an invocation that was cancelled (`inv.cancel()`, `taskapp cancel`) or expired unstarted. */
export class InvocationCancelledError extends TaskappError {
  constructor(
    readonly invocationId: string,
    readonly reason: string,
  ) {
    super('INVOCATION_CANCELLED', `invocation ${invocationId} was cancelled: ${reason}`, {
      fix: 'call the task again if its work is still wanted',
    });
  }
}

/** A task attempt ran past its `timeoutSeconds`. */
export class TaskTimeoutError extends TaskappError {
  constructor(
    readonly invocationId: string,
    seconds: number,
  ) {
    super('TASK_TIMEOUT', `invocation ${invocationId} ran longer than its timeout of ${seconds} s`);
  }
}

/** The child process or worker thread running an attempt exited (process.exit(), a fatal crash). */
export class WorkerExitedError extends TaskappError {
  constructor(
    readonly invocationId: string,
    readonly processExitCode: number | null,
    where: string,
  ) {
    super(
      'WORKER_EXITED',
      `invocation ${invocationId}: the ${where} running it exited with code ${processExitCode} before the task returned (did the task call process.exit()?)`,
      {
        fix: 'return or throw from the task instead of exiting the process',
      },
    );
  }
}

/**
 * Recovery reran an invocation `max_recoveries` times (its runner was declared dead each time) and
 * would have rerun it again: a task that kills or freezes its runner must not run forever.
 */
export class RecoveryLimitError extends TaskappError {
  constructor(
    readonly invocationId: string,
    readonly recoveries: number,
    readonly maxRecoveries: number,
  ) {
    super(
      'RECOVERY_LIMIT',
      `invocation ${invocationId} was recovered from a dead runner ${recoveries} times (runner.max_recoveries = ${maxRecoveries}) and is not rerun again`,
      {
        fix: 'find why its runner stops heartbeating or dies while running it (process.exit, out of memory, a kill); run CPU-bound tasks with worker_threads = true or on a multi-thread / persistent-process runner; or raise runner.max_recoveries',
      },
    );
  }
}

/** The invocation ended in a status that has no result (CONCURRENCY_CONTROLLED_FINAL). */
export class NoResultError extends TaskappError {
  constructor(
    readonly invocationId: string,
    readonly status: string,
  ) {
    super('NO_RESULT', `invocation ${invocationId} ended ${status} and has no result`);
  }
}

/**
 * A task threw an error whose class is not registered with the app: it carries the remote name,
 * message, stack and own fields.
 */
export class TaskFailedError extends TaskappError {
  constructor(
    readonly remoteName: string,
    readonly remoteMessage: string,
    readonly remoteStack: string | undefined,
    readonly fields: Record<string, unknown>,
    readonly invocationId?: string,
  ) {
    super('TASK_FAILED', `${remoteName}: ${remoteMessage}`);
    if (remoteStack) {
      this.stack = remoteStack;
    }
  }
}

/**
 * `{ tx }` (enqueue in the caller's own transaction) that cannot work: TX_UNSUPPORTED when this
 * setup cannot share the caller's transaction (redis, rabbitmq, mixed backends, dev mode, another
 * database), TX_NOT_OPEN when the handle is not a connection inside an open transaction.
 */
export class TransactionError extends TaskappError {
  constructor(
    code: 'TX_UNSUPPORTED' | 'TX_NOT_OPEN',
    message: string,
    fix: string,
    cause?: unknown,
  ) {
    super(code, message, { fix, exitCode: 2, cause });
  }
}

export class BackendError extends TaskappError {
  constructor(message: string, fix?: string, cause?: unknown) {
    super('BACKEND', message, { fix, cause });
  }
}

/** call() got no answer from the server in `call_timeout_seconds`: the producer fails instead of hanging. */
export class CallTimeoutError extends TaskappError {
  constructor(
    readonly taskId: string,
    readonly server: string,
    readonly timeoutSeconds: number,
  ) {
    super(
      'CALL_TIMEOUT',
      `cannot call task "${taskId}": no answer from ${server} within ${timeoutSeconds} s (call_timeout_seconds); the server is down or unreachable. The request may still be queued in the client and stored if the server comes back: check with \`taskapp list --task ${taskId}\` before calling again`,
      {
        fix: 'check that the server is running and reachable from this host; to wait longer through outages raise call_timeout_seconds (env TASKAPP__CALL_TIMEOUT_SECONDS)',
      },
    );
  }
}

/** A KEYS registration match whose other arguments differ, with `on_diff_non_key_args_raise`. */
export class ConcurrencyArgumentsMismatchError extends TaskappError {
  constructor(
    readonly taskId: string,
    readonly existingId: string,
    existingArgs: string,
    newArgs: string,
  ) {
    super(
      'CONCURRENCY_ARGUMENTS_MISMATCH',
      `task "${taskId}": a call matches REGISTERED invocation ${existingId} on its key arguments but differs in the others (registered: ${existingArgs}; this call: ${newArgs})`,
      {
        fix: 'pass the same non-key arguments, add the differing ones to key_arguments, or turn off on_diff_non_key_args_raise',
        exitCode: 2,
      },
    );
  }
}

/** An invocation would wait on itself through its own callers: it could never finish. */
export class InvocationCycleError extends TaskappError {
  constructor(
    readonly invocationId: string,
    chain: string[],
  ) {
    super(
      'INVOCATION_CYCLE',
      `invocation ${invocationId} would wait for its own result (chain: ${chain.join(' -> ')})`,
      {
        fix: 'a task called with the same arguments under registration concurrency reuses the caller itself; call with different arguments or disable registration_concurrency for it',
      },
    );
  }
}

/** A workflow task did something a re-run cannot replay the same way. */
export class DeterminismError extends TaskappError {
  constructor(message: string, fix: string) {
    super('DETERMINISM', message, { fix });
  }
}

/** No trigger (or task with triggers) has that name. */
export class UnknownTriggerError extends TaskappError {
  constructor(name: string, known: string[]) {
    super(
      'UNKNOWN_TRIGGER',
      `no trigger or task with triggers named "${name}"${known.length ? ` (known: ${known.join(', ')})` : ' (the app declares no triggers)'}`,
      {
        fix: 'run `taskapp trigger list` to see the trigger ids',
        exitCode: 2,
      },
    );
  }
}
