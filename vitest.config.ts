import { defineConfig } from 'vitest/config';

/**
 * One project per test folder, so that each kind runs on its own (`npm run test:unit`, ...):
 * unit (in-process, the quick loop; real-server cases skip or fail per TASKAPP_TEST_SERVICES),
 * compliance (every backend against one suite), chaos (killed processes, restarted servers), cli
 * (the built CLI in child processes), web (dashboard API and the browser), and integration: the
 * files under test/unit that run whole runners at scale (fib(20) with child processes, fan-outs on
 * process runners, the terminal view in tmux), which take minutes on a busy machine. `vitest run`
 * runs them all.
 */
const INTEGRATION = [
  'test/unit/runners/runners.test.ts',
  'test/unit/runners/fib.test.ts',
  'test/unit/runners/wait-hooks.test.ts',
  'test/unit/monitoring/tui-tmux.test.ts',
];
const folder = (name: string) => [`test/${name}/**/*.test.ts`, `test/${name}/**/*.test.tsx`];
const project = (name: string, include: string[], exclude: string[] = [], maxWorkers?: number) => ({
  extends: true as const,
  test: {
    name,
    include,
    exclude,
    // A project with its own worker count runs as its own group (vitest requires it), after the rest.
    ...(maxWorkers ? { maxWorkers, sequence: { groupOrder: 1 } } : {}),
  },
});

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      // Unit files mostly wait (a server's answer, a timer), so four at once overlap on two cores.
      project('unit', folder('unit'), INTEGRATION, 4),
      project('integration', INTEGRATION),
      ...['compliance', 'chaos', 'cli', 'web'].map((name) => project(name, folder(name))),
    ],
  },
});
