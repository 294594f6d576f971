/**
 * Entry of a runner's child process. 'guest' mode: run what the parent sends (persistent-process,
 * process). 'thread' mode: a thread runner on the shared backend (multi-thread). The parent decides
 * when children stop: signals sent to the whole process group (Ctrl-C) are left to it, and a child
 * whose parent is gone (disconnect) stops.
 */
import type { Runner } from '../runner.js';
import { Guest } from './guest.js';
import { fatalMessage, type ToGuest, type ToHost } from './protocol.js';

const send = (msg: ToHost, then?: () => void): void => {
  if (process.connected) {
    process.send!(msg, undefined, {}, () => then?.());
  } else {
    then?.();
  }
};
const guest = new Guest((m) => send(m));
let runner: Runner | undefined;
/** The thread runner's start, while it is under way: a stop waits for it, so it stops what started. */
let starting: Promise<unknown> | undefined;
let stopped: Promise<void> | undefined;

/**
 * Stops the runner (it removes its row), closes the app, exits. A second stop (the scaler's, then
 * the parent's own stop) waits for the first one instead of exiting under it; graceMs 0 cuts its
 * grace short.
 */
async function stop(reason: string, graceMs?: number): Promise<never> {
  if (stopped && graceMs === 0) {
    void runner?.stop({ graceMs: 0, reason }).catch(() => {});
  }
  stopped ??= (async () => {
    await starting?.catch(() => {});
    await runner?.stop(graceMs === undefined ? { reason } : { graceMs, reason }).catch(() => {});
    await guest.app?.close().catch(() => {});
  })();
  await stopped;
  process.exit(0);
}

process.on('message', (m: ToGuest) => {
  if (m.t === 'init') {
    starting = (async () => {
      try {
        await guest.init(m);
        if (m.mode === 'thread') {
          // With the app's modules, its worker threads can run (and a timeout can stop) tasks.
          runner = await guest.app.startRunner({
            runner: 'thread',
            concurrency: m.concurrency,
            appModule: m.appModule,
          });
          const load = setInterval(
            () => send({ t: 'load', inFlight: (runner as unknown as { busy: number }).busy ?? 0 }),
            250,
          );
          load.unref();
          send({ t: 'ready', runnerId: runner.id });
        } else {
          send({ t: 'ready' });
        }
      } catch (err) {
        send(fatalMessage(err), () => process.exit(1));
      }
    })();
    return;
  }
  if (m.t === 'stop') {
    void stop('its parent runner told it to', m.graceMs);
    return;
  }
  guest.handle(m);
});
process.on('uncaughtException', (err) => guest.crash(err));
process.on('unhandledRejection', (err) => guest.crash(err));
process.on('exit', () => guest.exiting());
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('disconnect', () => {
  void stop('its parent runner is gone', 0);
});
