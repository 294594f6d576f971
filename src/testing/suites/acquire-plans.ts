/**
 * The acquire planner (src/orchestration/acquire-planner.ts) is the one statement of what an
 * acquire decides; each backend's orchestrator (and the Redis Lua port of it) must decide the
 * same. Each scenario runs through the pure planner over a model of the storage and through the
 * backend, and every acquire must answer the same: who runs, who goes back to the queue with which
 * not-before, and every invocation's status after it. The planner's answers are also written out
 * by hand (`expect`), so a change to the planner shows here as a change of behaviour.
 */
import { describe, expect, it } from 'vitest';
import type { ConcurrencyControl } from '../../core/records.js';
import type { Status } from '../../core/status.js';
import { ACQUIRABLE } from '../../orchestration/apply-transition.js';
import { ACTIVE_STATUSES } from '../../orchestration/concurrency.js';
import {
  planAcquire,
  scopeKeys,
  type RateMark,
  type ScopeWindow,
} from '../../orchestration/acquire-planner.js';
import { openBackends, type BackendHarness } from '../harness.js';

type Step =
  | { acquire: string[]; at: number; expect: Outcome }
  /** The acquiring runner starts and finishes it: PENDING -> RUNNING -> SUCCESS, its slot freed. */
  | { finish: string; at: number }
  /** The acquiring runner starts it and it fails into RETRY: PENDING -> RUNNING -> RETRY. */
  | { retry: string; at: number };

/** What one acquire answered: ids acquired in order, requeued id -> not-before, and the statuses after it. */
interface Outcome {
  run: string[];
  requeue: Record<string, number>;
  statuses: Record<string, Status>;
}

interface Scenario {
  name: string;
  invocations: Array<{ id: string; priority?: number; cc: ConcurrencyControl | null }>;
  steps: Step[];
}

const RUNNER = 'r1';
const run2 = (reroute: boolean): ConcurrencyControl => ({ key: 'k', maxRunning: 2, reroute });
/** Rate windows of 10 s: the Redis sets expire in real time from the window, so not shorter. */
const rate = (key: string, maxRunning = 0): ConcurrencyControl => ({
  key,
  maxRunning,
  rateCount: 2,
  rateWindowMs: 10_000,
  reroute: true,
});

export const SCENARIOS: Scenario[] = [
  {
    name: 'running count per scope: one batch of four, two slots; a finished one frees its slot',
    invocations: ['a', 'b', 'c', 'd'].map((id) => ({ id, cc: run2(true) })),
    steps: [
      {
        acquire: ['a', 'b', 'c', 'd'],
        at: 2,
        expect: {
          run: ['a', 'b'],
          requeue: { c: 27, d: 27 },
          statuses: { a: 'PENDING', b: 'PENDING', c: 'REROUTED', d: 'REROUTED' },
        },
      },
      { finish: 'a', at: 3 },
      {
        acquire: ['c', 'd'],
        at: 4,
        expect: {
          run: ['c'],
          requeue: { d: 29 },
          statuses: { a: 'SUCCESS', b: 'PENDING', c: 'PENDING', d: 'REROUTED' },
        },
      },
    ],
  },
  {
    name: 'block without reroute: a fresh call ends CONCURRENCY_CONTROLLED_FINAL, one that waited requeues',
    invocations: [
      { id: 'a', cc: { key: 'k', maxRunning: 1, reroute: false } },
      { id: 'b', cc: { key: 'k', maxRunning: 1, reroute: false } },
      { id: 'c', cc: { key: 'k', maxRunning: 1, reroute: true } },
    ],
    steps: [
      {
        acquire: ['a', 'b', 'c'],
        at: 2,
        expect: {
          run: ['a'],
          requeue: { c: 27 },
          statuses: { a: 'PENDING', b: 'CONCURRENCY_CONTROLLED_FINAL', c: 'REROUTED' },
        },
      },
      {
        acquire: ['c'],
        at: 5,
        expect: {
          run: [],
          requeue: { c: 30 },
          statuses: { a: 'PENDING', b: 'CONCURRENCY_CONTROLLED_FINAL', c: 'REROUTED' },
        },
      },
      { finish: 'a', at: 6 },
      {
        acquire: ['c'],
        at: 7,
        expect: {
          run: ['c'],
          requeue: {},
          statuses: { a: 'SUCCESS', b: 'CONCURRENCY_CONTROLLED_FINAL', c: 'PENDING' },
        },
      },
    ],
  },
  {
    name: 'a RETRY blocked by the running limit waits in the queue unchanged, even without reroute',
    invocations: ['a', 'c'].map((id) => ({ id, cc: { key: 'k', maxRunning: 1, reroute: false } })),
    steps: [
      {
        acquire: ['a'],
        at: 2,
        expect: { run: ['a'], requeue: {}, statuses: { a: 'PENDING', c: 'REGISTERED' } },
      },
      { retry: 'a', at: 3 },
      {
        acquire: ['c'],
        at: 4,
        expect: { run: ['c'], requeue: {}, statuses: { a: 'RETRY', c: 'PENDING' } },
      },
      {
        acquire: ['a'],
        at: 5,
        expect: { run: [], requeue: { a: 30 }, statuses: { a: 'RETRY', c: 'PENDING' } },
      },
    ],
  },
  {
    name: 'scopes count apart; a requeued one keeps its priority; an id twice in a batch runs once',
    invocations: [
      { id: 'a1', priority: 1, cc: { key: 'k1', maxRunning: 1, reroute: true } },
      { id: 'b1', priority: 9, cc: { key: 'k1', maxRunning: 1, reroute: true } },
      { id: 'a2', priority: 0, cc: { key: 'k2', maxRunning: 1, reroute: true } },
      { id: 'b2', priority: 3, cc: { key: 'k2', maxRunning: 1, reroute: true } },
      { id: 'free', priority: 5, cc: null },
    ],
    steps: [
      {
        acquire: ['a1', 'a2', 'b1', 'free', 'b2', 'a1', 'free'],
        at: 10,
        expect: {
          run: ['a1', 'a2', 'free'],
          requeue: { b1: 35, b2: 35 },
          statuses: {
            a1: 'PENDING',
            b1: 'REROUTED',
            a2: 'PENDING',
            b2: 'REROUTED',
            free: 'PENDING',
          },
        },
      },
    ],
  },
  {
    name: 'rate 2 per 10 s: a backlog reserves successive slots, a holder waits for its own, then runs',
    invocations: ['r1', 'r2', 'r3', 'r4', 'r5'].map((id) => ({ id, cc: rate('q') })),
    steps: [
      {
        acquire: ['r1', 'r2', 'r3', 'r4', 'r5'],
        at: 1000,
        expect: {
          run: ['r1', 'r2'],
          requeue: { r3: 11_001, r4: 11_001, r5: 21_002 },
          statuses: {
            r1: 'PENDING',
            r2: 'PENDING',
            r3: 'REROUTED',
            r4: 'REROUTED',
            r5: 'REROUTED',
          },
        },
      },
      {
        acquire: ['r3'],
        at: 5000,
        expect: {
          run: [],
          requeue: { r3: 11_001 },
          statuses: {
            r1: 'PENDING',
            r2: 'PENDING',
            r3: 'REROUTED',
            r4: 'REROUTED',
            r5: 'REROUTED',
          },
        },
      },
      {
        acquire: ['r3', 'r4', 'r5'],
        at: 11_001,
        expect: {
          run: ['r3', 'r4'],
          requeue: { r5: 21_002 },
          statuses: { r1: 'PENDING', r2: 'PENDING', r3: 'PENDING', r4: 'PENDING', r5: 'REROUTED' },
        },
      },
    ],
  },
  {
    name: 'rate and running limit together: the running limit blocks first, the rate limit after',
    invocations: ['x', 'y', 'z'].map((id) => ({ id, cc: rate('rr', 1) })),
    steps: [
      {
        acquire: ['x', 'y'],
        at: 1000,
        expect: {
          run: ['x'],
          requeue: { y: 1025 },
          statuses: { x: 'PENDING', y: 'REROUTED', z: 'REGISTERED' },
        },
      },
      { finish: 'x', at: 1500 },
      {
        acquire: ['y', 'z'],
        at: 2000,
        expect: {
          run: ['y'],
          requeue: { z: 2025 },
          statuses: { x: 'SUCCESS', y: 'PENDING', z: 'REROUTED' },
        },
      },
      { finish: 'y', at: 2500 },
      {
        acquire: ['z'],
        at: 3000,
        expect: {
          run: [],
          requeue: { z: 11_001 },
          statuses: { x: 'SUCCESS', y: 'SUCCESS', z: 'REROUTED' },
        },
      },
    ],
  },
];

/** The pure planner over a model of the storage: statuses, and rate marks per scope. */
function referenceRun(s: Scenario): Outcome[] {
  const recs = new Map(
    s.invocations.map((i) => [
      i.id,
      { id: i.id, status: 'REGISTERED' as Status, priority: i.priority ?? 5, concurrency: i.cc },
    ]),
  );
  const marks = new Map<string, RateMark[]>();
  const out: Outcome[] = [];
  for (const step of s.steps) {
    if ('finish' in step || 'retry' in step) {
      const [id, status] =
        'finish' in step ? [step.finish, 'SUCCESS' as const] : [step.retry, 'RETRY' as const];
      recs.get(id)!.status = status;
      continue;
    }
    const scopes = new Map<string, ScopeWindow>();
    for (const key of scopeKeys(recs.values())) {
      const active = [...recs.values()].filter(
        (r) => r.concurrency?.key === key && ACTIVE_STATUSES.has(r.status),
      ).length;
      scopes.set(key, { active, marks: marks.get(key) ?? [] });
    }
    const outcome: Outcome = { run: [], requeue: {}, statuses: {} };
    for (const id of step.acquire) {
      const rec = recs.get(id)!;
      if (!ACQUIRABLE.has(rec.status)) {
        continue;
      }
      const plan = planAcquire(
        rec,
        rec.concurrency ? scopes.get(rec.concurrency.key) : undefined,
        step.at,
      );
      if (plan.kind === 'run') {
        rec.status = 'PENDING';
        outcome.run.push(id);
        continue;
      }
      rec.status = plan.path.at(-1) ?? rec.status;
      if (plan.requeue) {
        outcome.requeue[id] = plan.requeue.notBefore;
      }
    }
    for (const [key, scope] of scopes) {
      marks.set(key, scope.marks);
    }
    outcome.statuses = Object.fromEntries([...recs.values()].map((r) => [r.id, r.status]));
    out.push(outcome);
  }
  return out;
}

export function acquirePlansSuite(h: BackendHarness): void {
  describe(`${h.name}: acquire decisions are the planner's`, () => {
    for (const s of SCENARIOS) {
      it(s.name, async () => {
        const reference = referenceRun(s);
        expect(reference).toEqual(s.steps.flatMap((st) => ('expect' in st ? [st.expect] : [])));
        const b = await openBackends(h.freshConfig());
        try {
          await b.state.insert(
            s.invocations.map((i) => ({
              id: i.id,
              taskId: 't',
              args: '{}',
              priority: i.priority ?? 5,
              parentId: null,
              workflowId: null,
              concurrency: i.cc,
            })),
            1,
          );
          const got: Outcome[] = [];
          for (const step of s.steps) {
            if ('finish' in step || 'retry' in step) {
              const id = 'finish' in step ? step.finish : step.retry;
              await b.orchestrator.transition({ id, to: 'RUNNING', runnerId: RUNNER }, step.at);
              await b.orchestrator.transition(
                'finish' in step
                  ? { id, to: 'SUCCESS', runnerId: RUNNER, result: '1' }
                  : { id, to: 'RETRY', runnerId: RUNNER, error: '{}' },
                step.at,
              );
              continue;
            }
            const res = await b.orchestrator.acquire(step.acquire, RUNNER, step.at);
            const priorities = new Map(s.invocations.map((i) => [i.id, i.priority ?? 5]));
            for (const q of res.requeue) {
              expect(Number(q.priority), `priority of requeued ${q.id}`).toBe(priorities.get(q.id));
            }
            const records = await b.state.getMany(s.invocations.map((i) => i.id));
            got.push({
              run: res.acquired.map((r) => r.id),
              requeue: Object.fromEntries(res.requeue.map((q) => [q.id, Number(q.notBefore)])),
              statuses: Object.fromEntries(records.map((r) => [r.id, r.status])),
            });
          }
          expect(got).toEqual(reference);
        } finally {
          await b.close();
        }
      });
    }
  });
}
