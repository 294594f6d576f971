/**
 * `taskapp doctor`: checks a setup before it is deployed and prints one line per check (OK, WARN,
 * FAIL, with the fix): the resolved config and where each value came from, every backend server,
 * the task modules, the runners alive, and this host's clock against the backend's. Each check runs
 * even when an earlier one failed, so one run names every problem.
 */
import { relative } from 'node:path';
import { taskapp, type App } from '../app/app.js';
import { discoverTaskModules, importEach } from '../app/discovery.js';
import { roleBackendNames } from '../backends/registry.js';
import { displaySource, explainConfig } from '../config/explain.js';
import { loadConfig, type LoadOptions } from '../config/load.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { TaskappConfig } from '../config/schema.js';
import { TaskappError } from '../core/errors.js';
import { runtimeOf } from '../runtime/runtime.js';
import type { DoctorCheck } from './doctor-check.js';
import { checkPostgres, checkRabbitmq, checkRedis } from './doctor-servers.js';

export type { DoctorCheck } from './doctor-check.js';

/** Skew above this is reported: delays, cron and `at` times are read on this host's clock. */
const SKEW_WARN_MS = 1000;

function failure(name: string, err: unknown): DoctorCheck {
  const e = err as Error;
  return {
    name,
    level: 'FAIL',
    detail: e.message,
    fix: err instanceof TaskappError ? err.fix : undefined,
  };
}

function configCheck(resolved: ResolvedConfig & { filepath: string | null }): DoctorCheck {
  const set = explainConfig(resolved).filter((f) => f.source !== 'default');
  const file = resolved.filepath ? relative(process.cwd(), resolved.filepath) : 'no config file';
  const fields = set
    .map((f) => `${f.path}=${JSON.stringify(f.value)} (${displaySource(f.source)})`)
    .join(', ');
  return {
    name: 'config',
    level: 'OK',
    detail: `${file}; ${set.length} field(s) set: ${fields || 'none (all defaults)'}`,
  };
}

async function moduleChecks(
  resolved: ResolvedConfig,
): Promise<{ checks: DoctorCheck[]; app?: App }> {
  let paths: string[];
  try {
    paths = await discoverTaskModules(resolved);
  } catch (err) {
    return { checks: [failure('task modules', err)] };
  }
  if (paths.length === 0) {
    return {
      checks: [
        {
          name: 'task modules',
          level: 'WARN',
          detail: 'none listed: runners started here have no tasks',
          fix: 'set tasks = ["src/tasks.ts"] (globs relative to the config file)',
        },
      ],
    };
  }
  const imports = await importEach(paths, resolved);
  const checks: DoctorCheck[] = [];
  for (const m of imports) {
    if (m.error?.code === 'DUPLICATE_TASK') {
      checks.push({
        name: `task names (${m.module})`,
        level: 'FAIL',
        detail: `${m.error.message}: ${m.module} defines it again`,
        fix: 'give each task one unique name across all task modules',
      });
    } else if (m.error) {
      checks.push({
        name: `task module ${m.module}`,
        level: 'FAIL',
        detail: m.error.message,
        fix: m.error.fix,
      });
    } else if (m.apps.length === 0) {
      checks.push({
        name: `task module ${m.module}`,
        level: 'FAIL',
        detail: 'exports no taskapp App',
        fix: 'export the app from every task module, or re-export it: `export { app } from "./app.js"`',
      });
    }
  }
  const apps = new Set(imports.flatMap((m) => m.apps));
  if (apps.size > 1) {
    checks.push({
      name: 'task modules',
      level: 'FAIL',
      detail: `they export ${apps.size} different apps`,
      fix: 'create the app once (e.g. src/app.ts) and import it in every task module',
    });
  }
  const [app] = apps;
  const ok = imports.filter((m) => !m.error).length;
  if (checks.length === 0 && app) {
    const tasks = app.taskIds();
    checks.push({
      name: 'task modules',
      level: 'OK',
      detail: `${ok} imported, ${tasks.length} task(s): ${tasks.join(', ')}`,
    });
  }
  return { checks, app: apps.size === 1 ? app : undefined };
}

async function serverChecks(cfg: TaskappConfig): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  for (const name of new Set(Object.values(roleBackendNames(cfg)))) {
    if (name === 'redis') {
      out.push(...(await checkRedis(cfg)));
    } else if (name === 'postgres') {
      out.push(...(await checkPostgres(cfg)));
    } else if (name === 'rabbitmq') {
      out.push(...(await checkRabbitmq(cfg)));
    } else if (name === 'memory' && !cfg.dev_mode_force_sync) {
      out.push({
        name: 'memory',
        level: 'WARN',
        detail: 'invocations live inside one process: runners and CLI commands share nothing',
        fix: 'use sqlite (one host), redis or postgres for anything but tests',
      });
    }
    // sqlite: a file on this host, checked by opening the backends below.
  }
  return out;
}

/** Runners alive and clock skew, through the app's own backends (opened here). */
async function liveChecks(app: App): Promise<DoctorCheck[]> {
  const rt = runtimeOf(app);
  let state;
  try {
    state = (await rt.backends()).state;
  } catch (err) {
    return [failure('backends', err)];
  }
  const cfg = app.config;
  const names = [...new Set(Object.values(roleBackendNames(cfg)))].map((n) =>
    n === 'sqlite' ? `sqlite (${cfg.sqlite.path})` : n,
  );
  const out: DoctorCheck[] = [
    { name: 'backends', level: 'OK', detail: `opened: ${names.join(', ')}` },
  ];
  const before = Date.now();
  const server = state.clock ? await state.clock() : undefined;
  const after = Date.now();
  const skew = server === undefined ? 0 : Math.round(server - (before + after) / 2);
  if (server === undefined) {
    out.push({ name: 'clock', level: 'OK', detail: "the backend uses this host's clock" });
  } else {
    out.push({
      name: 'clock',
      level: Math.abs(skew) > SKEW_WARN_MS ? 'WARN' : 'OK',
      detail: `this host is ${Math.abs(skew)} ms ${skew > 0 ? 'behind' : 'ahead of'} the backend server (round trip ${after - before} ms)`,
      fix:
        Math.abs(skew) > SKEW_WARN_MS
          ? 'synchronise the clocks (NTP / chrony) of this host and the server'
          : undefined,
    });
  }
  const deadAfterMs = app.config.runner.runner_dead_after_seconds * 1000;
  const now = server ?? Date.now();
  const alive = (await state.runners()).filter((r) => r.heartbeatAt >= now - deadAfterMs);
  out.push(
    alive.length
      ? {
          name: 'runners',
          level: 'OK',
          detail: `${alive.length} alive: ${alive.map((r) => `${r.id} (${r.hostname} pid ${r.pid})`).join(', ')}`,
        }
      : {
          name: 'runners',
          level: 'WARN',
          detail: `none of app "${app.appId}" alive (no heartbeat in the last ${deadAfterMs / 1000} s): calls wait in the queue`,
          fix: 'start one: taskapp run',
        },
  );
  return out;
}

/** Every check, in order; never throws for a problem of the setup (that is a FAIL line). */
export async function runDoctor(opts: Omit<LoadOptions, 'code'>): Promise<DoctorCheck[]> {
  let resolved: ResolvedConfig & { filepath: string | null };
  try {
    resolved = loadConfig(opts);
  } catch (err) {
    return [failure('config', err)];
  }
  const checks = [configCheck(resolved)];
  const modules = await moduleChecks(resolved);
  checks.push(...modules.checks);
  const servers = await serverChecks(resolved.config);
  checks.push(...servers);
  const layers = { ...opts, configFile: resolved.filepath ?? (false as const) };
  const app = modules.app ?? taskapp({ configFile: layers.configFile });
  app.configure({ ...layers, flags: { ...opts.flags, logging_level: 'error' } });
  try {
    if (servers.some((c) => c.level === 'FAIL')) {
      checks.push({
        name: 'runners, clock',
        level: 'WARN',
        detail: 'not checked: a backend server failed above',
        fix: 'fix the FAIL above, then run taskapp doctor again',
      });
    } else {
      checks.push(...(await liveChecks(app)));
    }
  } finally {
    await app.close().catch(() => {});
  }
  return checks;
}

/** The report: one line per check, the fix after it. */
export function formatDoctor(checks: DoctorCheck[]): string {
  const width = Math.min(48, Math.max(...checks.map((c) => c.name.length)));
  return checks
    .map(
      (c) =>
        `${c.level.padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}${c.fix ? `  -> fix: ${c.fix}` : ''}`,
    )
    .join('\n');
}
