/**
 * The `{ tx }` option's plumbing above the backends (README, "Transactional enqueue"): which setups can
 * write through the caller's transaction, and the error for those that cannot.
 */
import { TransactionError } from '../core/errors.js';
import type { Backends } from '../backends/backends.js';
import type { TxEnqueue } from '../backends/tx-enqueue.js';
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
