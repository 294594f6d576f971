import { defineConfig } from 'vitest/config';

// The compliance suites start runners and wait for real work: give them time on a busy machine.
export default defineConfig({
  test: { testTimeout: 60_000, hookTimeout: 60_000 },
});
