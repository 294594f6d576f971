/** Finds the App a task module exports (children import the same module as their parent). */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../../core/errors.js';
import { RUNTIME, type RuntimeHolder } from '../../runtime/runtime.js';
import type { Runner, RunnerOptions } from '../runner.js';

/** The App a task module exports, as a runner child sees it (the facade is above the runners). */
export interface LoadedApp extends RuntimeHolder {
  readonly appId: string;
  startRunner(opts: RunnerOptions): Promise<Runner>;
  close(): Promise<void>;
}

function looksLikeApp(v: unknown): v is LoadedApp {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as LoadedApp).startRunner === 'function' &&
    typeof (v as Partial<LoadedApp>)[RUNTIME]?.attachToParent === 'function'
  );
}

/** Imports every module (so every task registers) and returns the App they export (by app_id if several). */
export async function loadAppModule(modulePaths: string[], appId?: string): Promise<LoadedApp> {
  const found = new Set<LoadedApp>();
  for (const modulePath of modulePaths) {
    const url = modulePath.startsWith('file:')
      ? modulePath
      : pathToFileURL(isAbsolute(modulePath) ? modulePath : resolve(modulePath)).href;
    const mod = (await import(url)) as Record<string, unknown>;
    for (const v of Object.values(mod)) {
      if (looksLikeApp(v)) {
        found.add(v);
      }
      // A module may export only tasks: their app is the one.
      const viaTask = (v as { app?: unknown } | null)?.app;
      if (looksLikeApp(viaTask)) {
        found.add(viaTask);
      }
    }
  }
  const apps = [...found];
  const app = apps.length > 1 && appId ? apps.find((a) => a.appId === appId) : apps[0];
  if (!app) {
    throw new ConfigError(
      `modules ${modulePaths.join(', ')} export no taskapp App${apps.length ? ` with app_id "${appId}"` : ''}`,
      'export the app from the module: `export const app = taskapp({...})`',
    );
  }
  return app;
}
