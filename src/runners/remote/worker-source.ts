/**
 * Where a guest's or a worker's entry file is, and how it loads: through tsx when these sources, the
 * app module or this process are TypeScript.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const FROM_SOURCES = import.meta.url.endsWith('.ts');
const isTs = (m: string) => /\.[mc]?tsx?$/.test(m);

/**
 * This repository's tests run the engine from its sources, and each guest or heartbeat thread would
 * load them through tsx (about half a second of CPU more, several hundred times a run): the test
 * run builds dist/ first and sets TASKAPP_TEST_COMPILED=1 (vitest.config.ts), and guests of compiled
 * app modules start from the compiled entries. Nothing else sets it; from dist/ it changes nothing.
 */
function compiledGuest(appModule: string[]): boolean {
  return FROM_SOURCES && process.env.TASKAPP_TEST_COMPILED === '1' && !appModule.some(isTs);
}

/** The entry file of a guest for `appModule` (none: the heartbeat thread). */
export function entry(
  name: 'child-entry' | 'worker-entry' | 'heartbeat-entry',
  appModule: string[],
): string {
  const file = !FROM_SOURCES
    ? `./${name}.js`
    : compiledGuest(appModule)
      ? `../../../dist/src/runners/remote/${name}.js`
      : `./${name}.ts`;
  return fileURLToPath(new URL(file, import.meta.url));
}

/**
 * True when a guest with a JavaScript entry registers tsx in its init, before its task modules: the
 * app module or this process are TypeScript run through tsx. A TypeScript entry (these sources) has
 * tsx from its start instead (`--import tsx`, or the worker source below). Registered in the init,
 * after what the engine loads anyway (core/tsx.ts), rather than with `--import tsx` at the start.
 */
export function tsxInInit(appModule: string[]): boolean {
  const underTsx =
    process.execArgv.some((a) => a.includes('tsx')) ||
    (process.env.NODE_OPTIONS ?? '').includes('tsx');
  return !entry('child-entry', appModule).endsWith('.ts') && (appModule.some(isTs) || underTsx);
}

/**
 * A worker thread's source: `--import` does not reach workers on Node 20, so where the entry is
 * TypeScript tsx registers in the worker first. Task modules that are TypeScript get it in the
 * guest's init (tsxInInit).
 */
export function workerSource(
  appModule: string[],
  name: 'worker-entry' | 'heartbeat-entry' = 'worker-entry',
): { source: string; eval: boolean } {
  const file = entry(name, appModule);
  if (!file.endsWith('.ts')) {
    return { source: file, eval: false };
  }
  const api = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/package.json')
      .replace(/package\.json$/, 'dist/esm/api/index.mjs'),
  ).href;
  const target = pathToFileURL(file).href;
  return {
    source: `import(${JSON.stringify(api)}).then((m) => m.register()).then(() => import(${JSON.stringify(target)}))`,
    eval: true,
  };
}
