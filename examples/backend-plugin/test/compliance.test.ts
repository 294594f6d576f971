/**
 * The example backend passes taskapp/testing: its broker with sqlite for the other roles, each
 * test on a fresh database file and a fresh queue.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendSuite } from 'taskapp/testing';
import example from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'taskapp-example-backend-'));
let n = 0;
backendSuite('example broker + sqlite', {
  // Under its package name, as a project that installed it names it (this folder is not in
  // node_modules; test/unit/backends/plugins.test.ts loads it by name from a project's config).
  register: { 'taskapp-backend-example': example },
  shared: true,
  freshConfig: () => {
    n++;
    return {
      backend: 'sqlite',
      broker: 'taskapp-backend-example',
      sqlite: { path: join(dir, `db${n}.sqlite`) },
      plugins: { 'taskapp-backend-example': { queue: `q${n}` } },
    };
  },
  cleanup: async () => rmSync(dir, { recursive: true, force: true }),
});
