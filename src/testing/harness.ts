/**
 * What a backend's compliance file gives the suites: config for fresh, isolated storage.
 * Each backend's file is one line: `complianceSuite(harness)` (ours) or
 * `backendSuite('foo', harness)` (a plugin's, through `taskapp/testing`).
 */
import type { TaskappOptions } from '../app/app.js';
import { loadConfig } from '../config/load.js';
import { createBackends, type Backends } from '../backends/registry.js';

export interface BackendHarness {
  name: string;
  /** taskapp() options pointing at new, empty, isolated storage (a new file, prefix or schema). */
  freshConfig(): TaskappOptions;
  /** True when two backends made from the same config see the same data (false for memory). */
  shared: boolean;
  /** Removes what freshConfig() created, after the suite. */
  cleanup?(): Promise<void>;
}

/** The roles a config selects, as the engine builds them (one call per test: close them after). */
export function openBackends(cfg: TaskappOptions): Promise<Backends> {
  const { classes: _c, errors: _e, configFile: _f, ...code } = cfg;
  return createBackends(loadConfig({ code, configFile: false, env: {} }));
}
