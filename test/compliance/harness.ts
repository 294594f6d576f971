/**
 * What a backend's compliance file gives the suites: config for fresh, isolated storage.
 * Each backend's file is one line: `complianceSuite(harness)`.
 */
import type { TaskappOptions } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createBackends, type Backends } from '../../src/backends/registry.js';

export interface BackendHarness {
  name: string;
  /** taskapp() options pointing at new, empty, isolated storage (a new file, prefix or schema). */
  freshConfig(): TaskappOptions;
  /** True when two backends made from the same config see the same data (false for memory). */
  shared: boolean;
  /** Removes what freshConfig() created, after the suite. */
  cleanup?(): Promise<void>;
}

export function openBackends(cfg: TaskappOptions): Promise<Backends> {
  const { classes: _c, errors: _e, configFile: _f, ...code } = cfg;
  return createBackends(loadConfig({ code, configFile: false, env: {} }));
}
