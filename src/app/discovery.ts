/**
 * Task discovery: expands the `tasks` globs (relative to the config file), imports each module —
 * TypeScript through tsx, no build step — and finds the one App they all export. Shared by the CLI
 * and every runner process (`loadApp`).
 */
import { extname, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { glob } from 'tinyglobby';
import { App, taskapp } from './app.js';
import { ConfigError, TaskappError } from '../core/errors.js';
import { loadConfig, type LoadOptions } from '../config/load.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { preloadRegisteredBackends } from '../backends/registry.js';
import { registerTsx } from '../core/tsx.js';

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);

/** Absolute paths of the task modules the config lists, sorted, each once. */
export async function discoverTaskModules(resolved: ResolvedConfig): Promise<string[]> {
  const patterns = resolved.config.tasks.modules;
  const found = new Set<string>();
  for (const pattern of patterns) {
    const matches = await glob(pattern, {
      cwd: resolved.baseDir,
      absolute: true,
      ignore: ['**/node_modules/**'],
    });
    if (matches.length === 0) {
      throw new ConfigError(
        `tasks: "${pattern}" matches no file under ${resolved.baseDir} (from ${sourceOfTasks(resolved)})`,
        'fix the glob; task globs are relative to the config file',
      );
    }
    for (const m of matches) {
      found.add(resolve(m));
    }
  }
  return [...found].sort();
}

function sourceOfTasks(resolved: ResolvedConfig): string {
  return resolved.sources.get('tasks.modules') ?? resolved.sources.get('tasks') ?? 'config';
}

/**
 * Imports one module. TypeScript goes through tsx (core/tsx.ts), registered after the backends the
 * config names have loaded.
 */
async function importModule(
  path: string,
  resolved: ResolvedConfig,
): Promise<Record<string, unknown>> {
  if (TS_EXTENSIONS.has(extname(path))) {
    await registerTsx(() => preloadRegisteredBackends(resolved.config));
  }
  try {
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    if (isTaskappError(err)) {
      throw err;
    }
    const e = err as Error;
    // A .ts file in a package without "type": "module" is compiled as CommonJS, which cannot load taskapp (ESM).
    const cjs = /require\(\)|ERR_REQUIRE_(ESM|CYCLE)/.test(
      `${e.message} ${(e as { code?: string }).code ?? ''}`,
    );
    throw new TaskappError(
      'TASK_MODULE_IMPORT',
      `cannot import task module ${path}: ${importErrorSummary(e.message)}`,
      {
        fix: cjs
          ? 'task modules are ES modules: add "type": "module" to the nearest package.json (or name the file .mts)'
          : 'fix the error in that module (run with --verbose for the stack)',
        exitCode: 2,
        cause: err,
      },
    );
  }
}

/**
 * The first line of an import error; for a compile error (esbuild's "Transform failed with 1
 * error:"), the lines after it instead, which name the file, line and column and say what is wrong.
 */
function importErrorSummary(message: string): string {
  const [first = '', ...rest] = message.split('\n').filter((l) => l.trim());
  return /^Transform failed with \d+ errors?:$/.test(first.trim()) && rest.length
    ? rest.join('; ')
    : first;
}

/**
 * An App, also when the module got another copy of taskapp than the CLI (a second install, a
 * workspace link): matched by shape, so the user's App is still found and used as is.
 */
function isApp(v: unknown): v is App {
  if (v instanceof App) {
    return true;
  }
  const o = v as Record<string, unknown> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    o.constructor?.name === 'App' &&
    typeof o.task === 'function' &&
    typeof o.taskIds === 'function' &&
    typeof o.configure === 'function'
  );
}

/** A TaskappError from this copy of taskapp or another one (see isApp). */
export function isTaskappError(err: unknown): err is TaskappError {
  if (err instanceof TaskappError) {
    return true;
  }
  const e = err as { code?: unknown; exitCode?: unknown } | null;
  return (
    err instanceof Error && typeof e!.code === 'string' && (e!.exitCode === 1 || e!.exitCode === 2)
  );
}

/** Apps a module exports, directly or as the `app` of an exported Task. */
function appsExportedBy(mod: Record<string, unknown>): Set<App> {
  const apps = new Set<App>();
  for (const value of Object.values(mod)) {
    if (isApp(value)) {
      apps.add(value);
    } else if (
      value &&
      typeof value === 'object' &&
      isApp((value as { app?: unknown }).app) &&
      typeof (value as { call?: unknown }).call === 'function'
    ) {
      apps.add((value as { app: App }).app);
    }
  }
  return apps;
}

/** Imports every module and returns the one App they export; none or two are errors. */
async function appFromModules(paths: string[], resolved: ResolvedConfig): Promise<App> {
  const owners = new Map<App, string[]>();
  for (const path of paths) {
    const apps = appsExportedBy(await importModule(path, resolved));
    const rel = relative(resolved.baseDir, path) || path;
    if (apps.size === 0) {
      throw new ConfigError(
        `task module ${rel} exports no taskapp App`,
        'export the app from every task module: `export const app = taskapp({ appId: "..." })`, or re-export it: `export { app } from "./app.js"`',
      );
    }
    for (const app of apps) {
      owners.set(app, [...(owners.get(app) ?? []), rel]);
    }
  }
  if (owners.size > 1) {
    const list = [...owners]
      .map(([app, mods]) => `app "${safeAppId(app)}" in ${mods.join(', ')}`)
      .join('; ');
    throw new ConfigError(
      `task modules export ${owners.size} different apps: ${list}`,
      'create the app once (e.g. src/app.ts) and import it in every task module',
    );
  }
  const [app] = owners.keys();
  if (!app) {
    throw new ConfigError(
      'no task modules to load',
      'list task modules in the `tasks` config field',
    );
  }
  return app;
}

export interface ModuleImport {
  /** Relative to the config file's folder. */
  module: string;
  /** The module's own import error, or its task names clashing with an earlier module's. */
  error?: TaskappError;
  /** Apps it exports. */
  apps: App[];
}

/**
 * Imports each module on its own and reports each failure (`taskapp doctor`), where `loadApp`
 * stops at the first one.
 */
export async function importEach(
  paths: string[],
  resolved: ResolvedConfig,
): Promise<ModuleImport[]> {
  const out: ModuleImport[] = [];
  for (const path of paths) {
    const module = relative(resolved.baseDir, path) || path;
    try {
      out.push({ module, apps: [...appsExportedBy(await importModule(path, resolved))] });
    } catch (err) {
      if (!isTaskappError(err)) {
        throw err;
      }
      out.push({ module, error: err, apps: [] });
    }
  }
  return out;
}

function safeAppId(app: App): string {
  try {
    return app.appId;
  } catch {
    return '?';
  }
}

interface LoadAppOptions extends Omit<LoadOptions, 'code'> {
  /** Fail when the config lists no task modules (commands that run or call tasks). Default true. */
  requireTasks?: boolean;
  /**
   * For commands that need no task code (list, status): a task module that cannot be imported is
   * reported here and a bare App on the config is returned instead of failing.
   */
  onImportError?: (err: TaskappError) => void;
}

export interface LoadedApp {
  app: App;
  /** Absolute paths of the imported task modules. */
  modules: string[];
}

/**
 * Config -> task modules -> their App, configured with the same file, env and flags as the caller,
 * so every process (CLI, runner children) sees one configuration. With no task modules listed and
 * `requireTasks: false`, a bare App on that config.
 */
export async function loadApp(opts: LoadAppOptions = {}): Promise<LoadedApp> {
  const { requireTasks = true, onImportError, ...loadOpts } = opts;
  const first = loadConfig(loadOpts);
  const layers: Omit<LoadOptions, 'code'> = { ...loadOpts, configFile: first.filepath ?? false };
  const modules = await discoverTaskModules(first);
  if (modules.length === 0) {
    if (requireTasks) {
      throw new ConfigError(
        `no task modules: the \`tasks\` field is empty${first.filepath ? ` in ${first.filepath}` : ' and no config file was found'}`,
        'set tasks = ["src/tasks.ts"] (globs relative to the config file) in taskapp.toml, or run `taskapp init`',
      );
    }
    const app = taskapp({ configFile: layers.configFile });
    app.configure(layers);
    return { app, modules };
  }
  let app: App;
  try {
    app = await appFromModules(modules, first);
  } catch (err) {
    if (!onImportError || !isTaskappError(err) || err.code !== 'TASK_MODULE_IMPORT') {
      throw err;
    }
    onImportError(err);
    app = taskapp({ configFile: layers.configFile });
    app.configure(layers);
    return { app, modules: [] };
  }
  app.configure(layers);
  return { app, modules };
}
