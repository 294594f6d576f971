/**
 * tsx's ESM hooks for TypeScript task modules, registered once per process or worker thread, not
 * namespaced, so that a task module and the engine share one copy of every dependency, taskapp
 * included. Once they are in, every import is resolved and loaded through tsx's hooks thread: the
 * caller names what it will load anyway, to load first (a CLI start spent about 12 % less CPU, a
 * process runner's child about a third less).
 */
let registered: Promise<void> | undefined;

/** `loadFirst` failing changes nothing: what it loads is loaded again where it is used. */
export function registerTsx(loadFirst: () => Promise<unknown>): Promise<void> {
  return (registered ??= Promise.resolve()
    .then(loadFirst)
    .catch(() => undefined)
    .then(async () => {
      (await import('tsx/esm/api')).register();
    }));
}
