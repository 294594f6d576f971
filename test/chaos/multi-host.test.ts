/**
 * Many hosts on one shared backend, happy path: three runner processes (real `node` processes:
 * two thread runners and a persistent-process runner) share the storage; the test process enqueues 5,000 tasks. Every task runs
 * exactly once, ends SUCCESS with the history REGISTERED, PENDING, RUNNING, SUCCESS, and the work
 * is spread over all three runners. Runs on each SHARED_BACKENDS entry.
 */
import { existsSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { app, mark } from './fixtures/app.js';
import { chaosRunners } from './helpers.js';
import { SHARED_BACKENDS } from './backends.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

const N = 5000;
/** Two thread runners and a persistent-process runner (2 children fed over IPC, 2 slots each). */
const KINDS: Array<[kind: string, slots: number]> = [
  ['thread', 25],
  ['thread', 25],
  ['persistent-process', 2],
];
const RUNNERS = KINDS.length;

/** Executions per invocation id, and per runner id, from the side-effect file. */
function executions(out: string): {
  perInvocation: Map<string, number>;
  ranOn: Map<string, string>;
} {
  const perInvocation = new Map<string, number>();
  const ranOn = new Map<string, string>();
  if (!existsSync(out)) {
    return { perInvocation, ranOn };
  }
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    const [word, id, runner] = line.split(' ');
    if (word !== 'mark') {
      continue;
    }
    perInvocation.set(id!, (perInvocation.get(id!) ?? 0) + 1);
    ranOn.set(id!, runner!);
  }
  return { perInvocation, ranOn };
}

for (const backend of SHARED_BACKENDS) {
  await backend.describe(`multi-host: ${RUNNERS} runner processes on one ${backend.name}`, () => {
    const runners = chaosRunners(backend, 'taskapp-multihost-');
    const { procs } = runners;

    it(`${N} tasks run exactly once each, all SUCCESS, spread over the ${RUNNERS} runners`, async () => {
      const { env, out } = runners.setUp();

      // The first one creates the storage (schema, migrations) before the others start.
      await runners.start(KINDS[0]![0], KINDS[0]![1], env);
      await Promise.all(KINDS.slice(1).map(([kind, slots]) => runners.start(kind, slots, env)));
      const runnerIds = procs.map((p) => p.runnerId);
      expect(new Set(runnerIds).size).toBe(RUNNERS);

      const args = Array.from({ length: N }, (_, i) => ({ i }));
      const group = await mark.parallelize(args);
      expect(await group.all({ timeoutMs: 50_000 })).toEqual(args.map((a) => a.i));

      // Clean stop of every runner: exit 0.
      for (const p of procs) {
        p.proc.kill('SIGTERM');
      }
      for (const p of procs) {
        expect(await p.exited).toEqual({ code: 0, signal: null });
      }

      const { state } = await runtimeOf(app).backends();
      expect(await state.countByStatus()).toEqual({ SUCCESS: N });

      const { perInvocation, ranOn } = executions(out);
      expect(perInvocation.size).toBe(N);
      expect([...perInvocation.keys()].sort()).toEqual([...group.ids].sort());
      expect([...perInvocation.values()].filter((n) => n !== 1)).toEqual([]); // exactly once each

      const pendingBy = new Map<string, number>();
      const badHistories: string[] = [];
      const ranElsewhere: string[] = [];
      for (let k = 0; k < group.ids.length; k += 500) {
        const histories = await state.historyMany(group.ids.slice(k, k + 500));
        for (const id of group.ids.slice(k, k + 500)) {
          const h = histories[id] ?? [];
          if (h.map((e) => e.status).join(',') !== 'REGISTERED,PENDING,RUNNING,SUCCESS') {
            badHistories.push(id);
          }
          const pending = h.find((e) => e.status === 'PENDING')?.runnerId ?? 'none';
          pendingBy.set(pending, (pendingBy.get(pending) ?? 0) + 1);
          if (ranOn.get(id) !== pending) {
            ranElsewhere.push(id);
          }
        }
      }
      console.log(
        `${backend.name} multi-host: ${N} tasks over ${RUNNERS} runners; claimed per runner (PENDING entries): ${[...pendingBy.values()].join(', ')}`,
      );
      expect(badHistories).toEqual([]);
      expect(ranElsewhere).toEqual([]); // each ran on the runner that claimed it
      // Every runner took a share of the work (claimed it: the PENDING entry names the claiming runner).
      expect([...pendingBy.keys()].sort()).toEqual([...runnerIds].sort());
    }, 90_000);
  });
}
