import { join } from 'node:path';
import { cronExactlyOnce } from './cron-exactly-once.js';

cronExactlyOnce('sqlite', (dir) => ({ backend: 'sqlite', sqlite: { path: join(dir, 'cron.db'), pollIntervalMs: 20 } }));
