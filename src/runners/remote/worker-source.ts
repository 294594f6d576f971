/**
 * Where a guest's or a worker's entry file is, and how it loads: through tsx when these sources, the
 * app module or this process are TypeScript.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const OWN_EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

export function entry(name: 'child-entry' | 'worker-entry' | 'heartbeat-entry'): string {
  return fileURLToPath(new URL(`./${name}${OWN_EXT}`, import.meta.url));
}

/** True when these sources, the app module or this process are TypeScript run through tsx. */
export function viaTsx(appModule: string[]): boolean {
  return (
    OWN_EXT === '.ts' ||
    appModule.some((m) => /\.[mc]?tsx?$/.test(m)) ||
    process.execArgv.some((a) => a.includes('tsx')) ||
    (process.env.NODE_OPTIONS ?? '').includes('tsx')
  );
}

/**
 * A worker thread's source: `--import` does not reach workers on Node 20, so tsx registers in the
 * worker first. The heartbeat worker imports no task module: it needs tsx only to run these sources.
 */
export function workerSource(
  appModule: string[],
  name: 'worker-entry' | 'heartbeat-entry' = 'worker-entry',
): { source: string; eval: boolean } {
  const file = entry(name);
  if (name === 'heartbeat-entry' ? OWN_EXT !== '.ts' : !viaTsx(appModule)) {
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
