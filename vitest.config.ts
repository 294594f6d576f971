import { defineConfig } from 'vitest/config';

/**
 * One project per test folder, so that each kind runs on its own (`npm run test:unit`, ...):
 * unit (fast, in-process; real-server cases skip or fail per TASKAPP_TEST_SERVICES), compliance
 * (every backend against one suite), chaos (killed processes, restarted servers), cli (the built
 * CLI in child processes), web (dashboard API and the browser). `vitest run` runs them all.
 */
const project = (name: string) => ({
  extends: true as const,
  test: { name, include: [`test/${name}/**/*.test.ts`, `test/${name}/**/*.test.tsx`] },
});

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: ['unit', 'compliance', 'chaos', 'cli', 'web'].map(project),
  },
});
