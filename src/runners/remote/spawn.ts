/**
 * Starting guests: a child process (child_process.fork) or a worker thread, running the same loader
 * as this process (TypeScript sources through tsx), importing the app module, attached to a
 * GuestHandle once it says it is ready.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Runtime } from '../../runtime/runtime.js';
import { ConfigError, TaskappError } from '../../core/errors.js';
import type { Backends } from '../../backends/registry.js';
import { GuestHandle, TIMEOUT_KILL_GRACE_MS } from './host.js';
import type { InitMessage, ToHost } from './protocol.js';
import { entry, tsxInInit, workerSource } from './worker-source.js';
import { childHeapArgs } from '../young-generation.js';

/** Node flags for a child process running `file`: `--import tsx` where it is TypeScript. */
function loaderArgs(file: string): string[] {
  if (!file.endsWith('.ts')) {
    return [];
  }
  return ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
}

/** The task modules a guest imports (the app's module first): every module, so every task exists there. */
export function requireAppModule(kind: string, appModule: string | string[] | undefined): string[] {
  const list = appModule === undefined ? [] : [appModule].flat();
  if (!list.length) {
    throw new ConfigError(
      `the ${kind} runner needs the module that exports the app (RunnerOptions.appModule)`,
      'start it with `taskapp run` (which finds the app from the `tasks` config) or pass appModule: "path/to/app.ts" to startRunner()',
    );
  }
  return list;
}

export interface GuestSpec {
  app: Runtime;
  b: Backends;
  appModule: string[];
  runnerId: string;
  mode: InitMessage['mode'];
  concurrency?: number;
  /** See InitMessage.guestTimeouts (the host kill becomes a backstop). */
  guestTimeouts?: boolean;
}

function initMessage(s: GuestSpec): InitMessage {
  return {
    t: 'init',
    appModule: s.appModule,
    appId: s.app.appId,
    resolved: s.app.resolvedConfig,
    runnerId: s.runnerId,
    mode: s.mode,
    names: s.b.names,
    concurrency: s.concurrency,
    guestTimeouts: s.guestTimeouts,
    registerTsx: tsxInInit(s.appModule),
  };
}

/** Resolves with the handle once the guest is ready; rejects if it fails to start. */
function whenReady(
  handle: GuestHandle,
  onExitBeforeReady: (f: (code: number | null) => void) => void,
): Promise<GuestHandle> {
  return new Promise((resolve, reject) => {
    let ready = false;
    handle.onOther = (msg: ToHost) => {
      if (msg.t === 'ready') {
        ready = true;
        handle.taskIds = msg.tasks ?? [];
        resolve(handle);
      }
      if (msg.t === 'fatal') {
        reject(
          new TaskappError('GUEST_START', `a task process could not start: ${msg.error}`, {
            fix: msg.fix,
            exitCode: 2,
          }),
        );
      }
    };
    onExitBeforeReady((code) => {
      if (!ready) {
        reject(
          new TaskappError('GUEST_START', `a task process exited with code ${code} while starting`),
        );
      }
    });
  });
}

export function forkGuest(s: GuestSpec): {
  child: ChildProcess;
  handle: GuestHandle;
  ready: Promise<GuestHandle>;
} {
  const file = entry('child-entry', s.appModule);
  const child = fork(file, [], {
    execArgv: [...loaderArgs(file), ...childHeapArgs()],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const handle = new GuestHandle(
    {
      send: (msg) => {
        if (child.connected) {
          child.send(msg);
        }
      },
      kill: () => {
        child.kill('SIGKILL');
      },
    },
    s.b,
    s.app,
    s.guestTimeouts ? TIMEOUT_KILL_GRACE_MS : 0,
  );
  child.on('message', (m) => handle.handle(m as ToHost));
  child.on('error', () => {});
  const ready = whenReady(handle, (f) => child.once('exit', (code) => f(code)));
  child.on('exit', (code, signal) => handle.exit(code, signal));
  child.send(initMessage(s));
  return { child, handle, ready };
}

export function workerGuest(s: GuestSpec): {
  worker: Worker;
  handle: GuestHandle;
  ready: Promise<GuestHandle>;
} {
  const src = workerSource(s.appModule);
  const worker = new Worker(src.source, { eval: src.eval, stdout: false, stderr: false });
  const handle = new GuestHandle(
    {
      send: (msg) => worker.postMessage(msg),
      kill: () => {
        void worker.terminate();
      },
    },
    s.b,
    s.app,
    s.guestTimeouts ? TIMEOUT_KILL_GRACE_MS : 0,
  );
  worker.on('message', (m) => handle.handle(m as ToHost));
  worker.on('error', () => {});
  const ready = whenReady(handle, (f) => worker.once('exit', (code) => f(code)));
  worker.on('exit', (code) => handle.exit(code, null));
  worker.postMessage(initMessage(s));
  return { worker, handle, ready };
}
