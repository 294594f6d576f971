/** Finds the App a task module exports (children import the same module as their parent). */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../../core/errors.js';
import type { App } from '../../core/app.js';

function looksLikeApp(v: unknown): v is App {
  return typeof v === 'object' && v !== null && typeof (v as App).getTask === 'function' && typeof (v as App).taskIds === 'function'
    && typeof (v as App).attachToParent === 'function';
}

export async function loadAppModule(modulePath: string, appId?: string): Promise<App> {
  const url = modulePath.startsWith('file:') ? modulePath : pathToFileURL(isAbsolute(modulePath) ? modulePath : resolve(modulePath)).href;
  const mod = (await import(url)) as Record<string, unknown>;
  const apps = [...new Set(Object.values(mod).filter(looksLikeApp))];
  const app = apps.length > 1 && appId ? apps.find((a) => a.appId === appId) : apps[0];
  if (!app) {
    throw new ConfigError(`module ${modulePath} exports no taskapp App${apps.length ? ` with app_id "${appId}"` : ''}`,
      'export the app from the module: `export const app = taskapp({...})`');
  }
  return app;
}
