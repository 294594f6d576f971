/**
 * tsx in a guest whose engine is JavaScript and whose task modules are TypeScript, registered in its
 * init: once tsx's hooks are in, every import is resolved and loaded through tsx's hooks thread, so
 * what the task modules import from taskapp, and the backends a thread-mode guest opens, load first.
 * A process runner's child with a TypeScript task module starts on about 0.8 instead of 1.1-1.3 s of CPU.
 */
import type { ResolvedConfig } from '../../config/resolve.js';
import { preloadBuiltInBackends } from '../../backends/registry.js';

let registered: Promise<void> | undefined;

/** `resolved`: the config of a guest that opens its own backends (thread mode). */
export function registerTsx(resolved?: ResolvedConfig): Promise<void> {
  return (registered ??= (async () => {
    await Promise.all([
      warmUpEntry().catch(() => undefined),
      resolved && preloadBuiltInBackends(resolved.config),
    ]);
    (await import('tsx/esm/api')).register();
  })());
}

/**
 * taskapp's entry as a task module resolves it, by the package's own name: warming the module cache,
 * not a use of the layers above this one. Where the name does not resolve (a bundle), the task
 * modules load it through tsx's hooks as before.
 */
async function warmUpEntry(): Promise<unknown> {
  return import(import.meta.resolve('taskapp'));
}
