/** Entry of a worker thread running CPU-bound tasks for the thread runner (worker_threads = true). */
import { parentPort } from 'node:worker_threads';
import { RUNTIME } from '../../runtime/runtime.js';
import { Guest } from './guest.js';
import { fatalMessage, type ToGuest, type ToHost } from './protocol.js';

const port = parentPort!;
const guest = new Guest((m: ToHost) => port.postMessage(m));
port.on('message', (m: ToGuest) => {
  if (m.t === 'init') {
    guest.init(m).then(
      () => port.postMessage({ t: 'ready', tasks: guest.app[RUNTIME].taskIds() } satisfies ToHost),
      (err: unknown) => port.postMessage(fatalMessage(err) satisfies ToHost),
    );
    return;
  }
  if (m.t === 'stop') {
    process.exit(0);
  }
  guest.handle(m);
});
process.on('uncaughtException', (err) => guest.crash(err));
process.on('unhandledRejection', (err) => guest.crash(err));
