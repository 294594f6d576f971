/**
 * `taskapp doctor` against real servers: a good setup (PostgreSQL, migrated, a runner alive) is all
 * OK and exits 0; a setup with three faults (Redis that evicts keys, a task module that cannot be
 * imported, a task name defined twice) prints a FAIL with its fix for each, and exits 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, collect, ensureBuilt, project, spawnCli, waitFor } from './helpers.js';
import { PG_URL, pgScope } from '../helpers/postgres.js';
import { hasRedisServer, startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';

interface Check {
  name: string;
  level: 'OK' | 'WARN' | 'FAIL';
  detail: string;
  fix?: string;
}

const APP_TS = `
import { taskapp } from 'taskapp';
export const app = taskapp({ appId: 'doctor' });
export const add = app.task('add', async ({ x, y }: { x: number; y: number }) => x + y);
`;
const MORE_TS = `
import { app } from './app.js';
export const mul = app.task('mul', async ({ x, y }: { x: number; y: number }) => x * y);
`;

describe('taskapp doctor', () => {
  const scope = pgScope('doctor');
  beforeAll(ensureBuilt, 150_000);
  afterAll(() => scope.cleanup());

  it('a good setup: every check OK, exit 0', async () => {
    const schema = scope.next();
    const p = project({
      'taskapp.toml': `app_id = "doctor"
backend = "postgres"
[tasks]
modules = ["src/*.ts"]
[postgres]
url = "${PG_URL}"
schema = "${schema}"
`,
      'src/app.ts': APP_TS,
      'src/more.ts': MORE_TS,
    });
    const runner = spawnCli(['run'], { cwd: p.dir });
    const stopped = collect(runner);
    try {
      const doctor = async () => {
        const r = await cli(['doctor', '--json'], { cwd: p.dir });
        return { ...r, body: JSON.parse(r.stdout) as { ok: boolean; checks: Check[] } };
      };
      await waitFor(async () => {
        const { body } = await doctor();
        return body.checks.find((c) => c.name === 'runners')?.level === 'OK' || undefined;
      }, 'doctor to see the runner alive');
      // Once the runner is up (it creates the schema): an earlier pass may have checked the schema
      // before it existed and opened the backends only after the runner had started.
      const report = await doctor();
      expect(report.code, report.stderr).toBe(0);
      expect(report.body.ok).toBe(true);
      expect(report.body.checks.filter((c) => c.level !== 'OK')).toEqual([]);
      const names = report.body.checks.map((c) => c.name);
      expect(names).toEqual([
        'config',
        'task modules',
        expect.stringMatching(/^postgres /),
        expect.stringMatching(new RegExp(`^postgres .* schema "${schema}"$`)),
        'backends',
        'clock',
        'runners',
      ]);
      const detail = (n: string) => report.body.checks.find((c) => c.name.startsWith(n))!.detail;
      expect(detail('config')).toContain('backend="postgres" (file taskapp.toml:2)');
      expect(detail('task modules')).toBe('2 imported, 2 task(s): add, mul');
      expect(detail('postgres ')).toMatch(/^reachable, version \d+/);

      const text = await cli(['doctor'], { cwd: p.dir });
      expect(text.code).toBe(0);
      expect(text.stdout.trim().split('\n')).toHaveLength(names.length);
      expect(text.stdout).toMatch(/^OK {4}config/m);
    } finally {
      runner.kill('SIGTERM');
      await stopped;
      p.cleanup();
    }
  }, 240_000);

  describe.runIf(hasRedisServer)('a setup with three faults', () => {
    let redis: PrivateRedis;
    beforeAll(async () => {
      redis = await startPrivateRedis(['--maxmemory-policy', 'allkeys-lru', '--appendonly', 'yes']);
    });
    afterAll(() => redis?.stop());

    it('prints a FAIL line with the fix for each, and exits 1', async () => {
      const p = project({
        'taskapp.toml': `app_id = "doctor"
backend = "redis"
[tasks]
modules = ["src/*.ts"]
[redis]
url = "${redis.url}"
`,
        'src/app.ts': APP_TS,
        'src/broken.ts': `import { app } from './app.js';\nthrow new Error('missing API_KEY');\n`,
        'src/dup.ts': `import { app } from './app.js';\nexport const add2 = app.task('add', async () => 0);\n`,
      });
      try {
        const r = await cli(['doctor', '--json'], { cwd: p.dir });
        expect(r.code).toBe(1);
        const body = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
        expect(body.ok).toBe(false);
        const failed = body.checks.filter((c) => c.level === 'FAIL');
        expect(failed.map((c) => c.name)).toEqual([
          'task module src/broken.ts',
          'task names (src/dup.ts)',
          expect.stringMatching(/^redis redis:\/\/127\.0\.0\.1:\d+ maxmemory-policy$/),
        ]);
        expect(failed[0]!.detail).toContain('missing API_KEY');
        expect(failed[1]!.detail).toContain('"add"');
        expect(failed[2]!.detail).toContain('"allkeys-lru"');
        for (const c of failed) {
          expect(c.fix, c.name).toBeTruthy();
        }
        // Persistence is on in this server: that check passes while the policy fails.
        expect(body.checks.find((c) => c.name.endsWith(' persistence'))?.level).toBe('OK');

        const text = await cli(['doctor'], { cwd: p.dir });
        expect(text.code).toBe(1);
        const fails = text.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
        expect(fails).toHaveLength(3);
        for (const line of fails) {
          expect(line).toContain('-> fix: ');
        }
        expect(text.stderr).not.toMatch(/\n\s+at /);
      } finally {
        p.cleanup();
      }
    }, 120_000);
  });
});
