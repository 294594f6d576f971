import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { COMPILED_ENV } from './test/helpers/build.js';

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
/**
 * Most files wait (a server's answer, a child process, a timer), so several run at once even on two
 * cores: vitest's default there is one. Chaos files kill processes and judge liveness by heartbeats,
 * so they run after the rest, three at a time. Projects of one group share one worker count.
 */
const WAITING = { maxWorkers: 4, groupOrder: 0 };
const CHAOS = { maxWorkers: 3, groupOrder: 1 };
const project = (
  name: string,
  include: string[],
  group: { maxWorkers: number; groupOrder: number },
  exclude: string[] = [],
  limits: { testTimeout?: number } = {},
) => ({
  extends: true as const,
  test: {
    name,
    include,
    exclude,
    maxWorkers: group.maxWorkers,
    sequence: { groupOrder: group.groupOrder },
    ...limits,
  },
});

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // What a backend package imports (taskapp, taskapp/backend, taskapp/testing) is this repository's sources
  // under test, one module instance with the engine (tsconfig.json maps the same for tsc).
  resolve: {
    alias: [
      { find: /^taskapp$/, replacement: source('./src/index.ts') },
      { find: /^taskapp\/backend$/, replacement: source('./src/backend-api.ts') },
      { find: /^taskapp\/testing$/, replacement: source('./src/testing/index.ts') },
    ],
  },
  test: {
    // dist/ fresh first: CLI tests run it, and spawned test processes, guests and heartbeat threads
    // start from it instead of loading the sources through tsx (test/helpers/build.ts).
    globalSetup: ['test/helpers/global-setup.ts'],
    env: { [COMPILED_ENV]: '1' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      project('unit', folder('unit'), WAITING, INTEGRATION),
      project('integration', INTEGRATION, WAITING),
      // Backend packages (packages/*) run taskapp/testing themselves. The example backend of
      // docs/backends.md runs it too, from the packed tarball (test/cli/init-packed.test.ts), as a
      // backend author would: once is enough.
      project('compliance', [...folder('compliance'), 'packages/*/test/**/*.test.ts'], WAITING),
      // A CLI test spawns several processes one after another, each a cold Node start: on a loaded
      // two-core machine one test can take minutes, so its limit is wider than the default's.
      project('cli', folder('cli'), WAITING, [], { testTimeout: 180_000 }),
      project('web', folder('web'), WAITING),
      project('chaos', folder('chaos'), CHAOS),
    ],
  },
});
