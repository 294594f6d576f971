/** Vitest's global setup: dist/ fresh before any test file runs (test/helpers/build.ts). */
import { ensureBuilt } from './build.js';

export default async function setup(): Promise<void> {
  await ensureBuilt();
}
