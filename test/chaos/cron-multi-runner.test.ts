import { join } from 'node:path';
import { SHARED_BACKENDS, type ChaosStorage } from './backends.js';
import { cronExactlyOnce } from './cron-exactly-once.js';

cronExactlyOnce('sqlite', (dir) => ({
  backend: 'sqlite',
  sqlite: { path: join(dir, 'cron.db'), pollIntervalMs: 20 },
}));

// The shared server backends (redis; postgres once listed in SHARED_BACKENDS), each in its own key prefix / schema.
for (const b of SHARED_BACKENDS) {
  let storage: ChaosStorage | undefined;
  await b.describe(`cron exactly once (${b.name})`, () =>
    cronExactlyOnce(
      b.name,
      (dir) => (storage = b.fresh(dir)).options,
      () => storage!.cleanup(),
    ),
  );
}
