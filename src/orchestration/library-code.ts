/**
 * Which source files are library code, not a task's own: what is installed under node_modules, and
 * the folders of backend packages loaded by name. Such a package may be linked from elsewhere (npm
 * workspaces, npm link), and Node then runs it, and names it in stack traces, by its real path.
 * The determinism guard (workflows/guard.ts) ignores calls from library code: a backend that
 * reads the clock while it stores a workflow task's call is not the task reading it.
 */
import { sep } from 'node:path';

const roots: string[] = [];

/** Marks the folder `dir` (a real path) as library code. */
export function markLibraryCode(dir: string): void {
  const root = dir.endsWith(sep) ? dir : dir + sep;
  if (!roots.includes(root)) {
    roots.push(root);
  }
}

/** True for a file (a path, not a URL) of library code. */
export function isLibraryCode(file: string): boolean {
  return file.includes(`${sep}node_modules${sep}`) || roots.some((r) => file.startsWith(r));
}
