import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Dev mode: tasks run inline at call(), so unit tests need no runner and no backend.
    env: { TASKAPP__DEV_MODE_FORCE_SYNC: 'true' },
  },
});
