/**
 * Determinism guard: inside a workflow task (one that has used ctx.wf), a direct call to
 * Math.random, Date.now or crypto.randomUUID would give a re-run a different value. The functions
 * are patched once per process; the patch only looks at the invocation's async context (its
 * `guard`, set when the task first uses ctx.wf), so code outside workflow tasks pays one getStore()
 * per call. Calls from taskapp's own code and from
 * library code (node_modules, backend packages: orchestration/library-code.ts) are not the task's
 * and are ignored. "warn": logged once per task and function, with
 * the line; "strict": the call throws DeterminismError.
 */
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { fileURLToPath } from 'node:url';
import { currentInvocation, type GuardState } from '../orchestration/context.js';
import { isLibraryCode } from '../orchestration/library-code.js';
import { DeterminismError } from '../core/errors.js';

/** The originals, for taskapp's own use (recording values, timers) while patched. */
export const original = {
  random: Math.random,
  now: Date.now,
  uuid: crypto.randomUUID.bind(crypto),
};

export type { GuardState };

/** taskapp's own source root (src/ or dist/): frames under it are not the task's. */
const OWN_ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Except the compliance suites (taskapp/testing, installed or not): their tasks are a user's. */
const TESTING_ROOT = fileURLToPath(new URL('../testing/', import.meta.url));
const warned = new Set<string>();
let installed = false;

const ADVICE: Record<string, string> = {
  'Math.random()': 'ctx.wf.random()',
  'Date.now()': 'ctx.wf.now()',
  'crypto.randomUUID()': 'ctx.wf.uuid()',
};

export function installGuard(): void {
  if (installed) {
    return;
  }
  installed = true;
  Math.random = function random() {
    check('Math.random()');
    return original.random();
  };
  Date.now = function now() {
    check('Date.now()');
    return original.now();
  };
  const uuid = function randomUUID(opts?: crypto.RandomUUIDOptions) {
    check('crypto.randomUUID()');
    return original.uuid(opts);
  };
  crypto.randomUUID = uuid;
  if (globalThis.crypto && globalThis.crypto.randomUUID) {
    const webUuid = globalThis.crypto.randomUUID.bind(globalThis.crypto);
    globalThis.crypto.randomUUID = function randomUUID() {
      check('crypto.randomUUID()');
      return webUuid();
    };
  }
  // `import { randomUUID } from 'node:crypto'` sees the patch too.
  syncBuiltinESMExports();
}

function check(fn: string): void {
  const g = currentInvocation.getStore()?.guard;
  if (!g) {
    return;
  }
  const where = callerLine();
  if (!where) {
    return;
  }
  const message = `workflow task "${g.taskId}" called ${fn} directly at ${where}: a re-run (retry, recovery) gets a different value`;
  const fix = `use ${ADVICE[fn]}, which records the value and returns it unchanged on a re-run`;
  if (g.strict) {
    throw new DeterminismError(message, fix);
  }
  const once = `${g.taskId}\0${fn}`;
  if (warned.has(once)) {
    return;
  }
  warned.add(once);
  g.logger.warn(`${message}; ${fix}`, { task: g.taskId, call: fn, where });
}

/** The first stack frame outside taskapp and library code, or null when the call is not the task's. */
function callerLine(): string | null {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 4;
  Error.captureStackTrace(holder, check);
  Error.stackTraceLimit = limit;
  // Frame 1 is the patched function itself; frame 2 its caller.
  const frame = holder.stack?.split('\n')[2];
  if (!frame) {
    return null;
  }
  const m = /\(?((?:file:\/\/)?[^()\s]+):(\d+):(\d+)\)?$/.exec(frame.trim());
  if (!m) {
    return null;
  }
  const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
  const notTheTasks = file.startsWith(OWN_ROOT) || isLibraryCode(file) || file.startsWith('node:');
  if (notTheTasks && !file.startsWith(TESTING_ROOT)) {
    return null;
  }
  return `${file}:${m[2]}:${m[3]}`;
}
