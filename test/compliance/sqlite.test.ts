import { join } from 'node:path';
import { afterAll } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { complianceSuite } from 'taskapp/testing';

const tmp = tempDir('taskapp-sqlite-compliance-');
let n = 0;
afterAll(() => tmp.cleanup());
complianceSuite({
  name: 'sqlite',
  shared: true,
  freshConfig: () => ({ backend: 'sqlite', sqlite: { path: join(tmp.dir, `db${n++}.sqlite`) } }),
});
