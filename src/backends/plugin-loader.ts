/**
 * Loads a backend package by name, as the user's project would import it: resolved from the
 * folder of the config file (the project), not from taskapp's own install folder, then checked
 * against the plugin contract (backends/plugin.ts). Every failure names the package, what was
 * expected and the fix.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../core/errors.js';
import { BUILT_IN_BACKENDS } from '../config/schema.js';
import { BACKEND_API_VERSION, type BackendPlugin } from './plugin.js';
import { markLibraryCode } from '../orchestration/library-code.js';

const CONTRACT =
  'export default defineBackend({ name, create }) from "taskapp/backend" (or a named export `backend`)';

/**
 * The plugin a module exports (default, or named `backend`), checked against this taskapp.
 * `what` names it in messages: a package, or a backend registered from code.
 */
export function pluginFrom(
  pkg: string,
  mod: unknown,
  what = `backend package "${pkg}"`,
): BackendPlugin {
  const m = mod as { default?: unknown; backend?: unknown } | null;
  const candidate = (m?.backend ?? m?.default) as Partial<BackendPlugin> | undefined;
  if (!candidate || typeof candidate !== 'object' || typeof candidate.create !== 'function') {
    throw new ConfigError(
      `${what} exports no backend: expected a default export made by defineBackend() with a create(config) function`,
      `in ${pkg}: ${CONTRACT}; or check that "${pkg}" is a taskapp backend`,
    );
  }
  if (candidate.apiVersion !== BACKEND_API_VERSION) {
    throw new ConfigError(
      `${what} was written for backend API version ${String(candidate.apiVersion)}; this taskapp provides version ${BACKEND_API_VERSION}`,
      typeof candidate.apiVersion === 'number' && candidate.apiVersion > BACKEND_API_VERSION
        ? `upgrade taskapp, or install a version of ${pkg} made for backend API ${BACKEND_API_VERSION}`
        : `upgrade ${pkg} to a version made for backend API ${BACKEND_API_VERSION} (npm install ${pkg}@latest)`,
    );
  }
  return {
    apiVersion: candidate.apiVersion,
    name: candidate.name ?? pkg,
    create: candidate.create,
  };
}

/** Imports package `pkg` as seen from `fromDir` (node_modules upwards) and returns its plugin. */
export async function loadBackendPackage(pkg: string, fromDir: string): Promise<BackendPlugin> {
  const { dir, entry } = resolvePackage(pkg, fromDir);
  // Linked from elsewhere (workspaces, npm link), it runs from its real path: still library code.
  markLibraryCode(realpathSync(dir));
  let mod: unknown;
  try {
    mod = await import(pathToFileURL(entry).href);
  } catch (err) {
    throw new ConfigError(
      `backend package "${pkg}" (${entry}) failed to load: ${(err as Error).message}`,
      `fix or reinstall ${pkg} (npm install ${pkg})`,
      err,
    );
  }
  return pluginFrom(pkg, mod);
}

/**
 * The package folder found in node_modules upwards from `fromDir`, and the file `import(pkg)` would
 * load from there: its `exports["."]` (import, node or default condition), `main`, or index.js.
 * (createRequire().resolve would miss ESM-only packages: it asks for the require condition.)
 */
function resolvePackage(pkg: string, fromDir: string): { dir: string; entry: string } {
  let dir = resolve(fromDir);
  for (;;) {
    const pkgDir = join(dir, 'node_modules', pkg);
    if (existsSync(join(pkgDir, 'package.json'))) {
      return { dir: pkgDir, entry: join(pkgDir, entryOf(pkg, pkgDir)) };
    }
    const up = dirname(dir);
    if (up === dir) {
      throw new ConfigError(
        `backend "${pkg}" is not built in (${BUILT_IN_BACKENDS.join(', ')}) and no package of that name is installed: not found in node_modules from ${resolve(fromDir)} upwards`,
        `if it is a backend package, install it in your project (npm install ${pkg}); else use a built-in backend: ${BUILT_IN_BACKENDS.filter((b) => b !== 'rabbitmq').join(', ')} (rabbitmq: broker only)`,
      );
    }
    dir = up;
  }
}

function entryOf(pkg: string, pkgDir: string): string {
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
    exports?: unknown;
    main?: string;
  };
  if (manifest.exports !== undefined) {
    const root =
      typeof manifest.exports === 'string' || isConditions(manifest.exports)
        ? manifest.exports
        : (manifest.exports as Record<string, unknown>)['.'];
    const target = pickCondition(root);
    if (!target) {
      throw new ConfigError(
        `backend package "${pkg}" exports no ESM entry: its package.json "exports" has no "." with an import, node or default condition`,
        `in ${pkg}'s package.json: "exports": { ".": { "import": "./dist/index.js" } }`,
      );
    }
    return target;
  }
  return manifest.main ?? 'index.js';
}

const isConditions = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !Object.keys(v).some((k) => k.startsWith('.'));

function pickCondition(v: unknown): string | undefined {
  if (typeof v === 'string') {
    return v;
  }
  if (typeof v !== 'object' || v === null) {
    return undefined;
  }
  const c = v as Record<string, unknown>;
  for (const key of ['import', 'node', 'default']) {
    const hit = pickCondition(c[key]);
    if (hit) {
      return hit;
    }
  }
  return undefined;
}
