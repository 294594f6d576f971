/**
 * Loads the user's app from a module path (`--app src/app.ts`) for the trigger commands, until the
 * CLI's base command provides the app from config. TypeScript modules load through tsx.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from '../core/app.js';
import { ConfigError } from '../core/errors.js';

export async function loadAppModule(path: string): Promise<App> {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new ConfigError(`app module ${abs} does not exist`, 'pass --app with the path of the module that creates your app (taskapp({...}))');
  if (/\.(c|m)?tsx?$/.test(abs)) {
    const { register } = await import('tsx/esm/api');
    register();
  }
  const mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  // instanceof, or the same shape when the module resolved another copy of taskapp.
  const isApp = (v: unknown): v is App => v instanceof App
    || (typeof v === 'object' && v !== null && typeof (v as App).task === 'function' && typeof (v as App).emit === 'function' && typeof (v as App).backends === 'function');
  const app = [mod.default, mod.app, ...Object.values(mod)].find(isApp);
  if (!app) throw new ConfigError(`module ${abs} exports no taskapp app`, 'export it: `export const app = taskapp({...})` (or as the default export)');
  return app;
}
