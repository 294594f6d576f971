/**
 * Every backend passes all of these; a backend's compliance file is one call. Each suite is also
 * exported on its own (`taskapp/testing`) for a backend that serves some roles only; docs/backends.md
 * says what each one checks.
 */
import { afterAll, describe, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { registerBackend, type BackendFactory, type BackendRoles } from '../backends/registry.js';
import type { BackendOptions } from '../backends/backends.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { BackendPlugin } from '../backends/plugin.js';
import type { TaskappOptions } from '../app/app.js';
import type { BackendHarness } from './harness.js';
import { acquirePlansSuite } from './suites/acquire-plans.js';
import { brokerSuite } from './suites/broker.js';
import { callOptionsSuite } from './suites/call-options.js';
import { cancelSuite } from './suites/cancel.js';
import { concurrencySuite } from './suites/concurrency.js';
import { engineSuite } from './suites/engine.js';
import { opsSuite } from './suites/ops.js';
import { orchestratorSuite } from './suites/orchestrator.js';
import { pauseSuite } from './suites/pause.js';
import { recoverySuite } from './suites/recovery.js';
import { routingSuite } from './suites/routing.js';
import { stateSuite } from './suites/state.js';
import { dataStoreSuite, triggerStoreSuite } from './suites/stores.js';
import { workflowEngineSuite, workflowStoreSuite } from './suites/workflows.js';

export function complianceSuite(h: BackendHarness): void {
  // The env wins over the harness's config: dev mode would run every task inline, in memory.
  const devMode = process.env.TASKAPP__DEV_MODE_FORCE_SYNC;
  if (devMode !== undefined && devMode !== 'false') {
    describe(`${h.name}: compliance`, () => {
      it('needs runners and the backend under test', () => {
        throw new ConfigError(
          `TASKAPP__DEV_MODE_FORCE_SYNC=${devMode} runs every task inline without a backend: the compliance suite cannot test one`,
          "run the suite without it (a project made by `taskapp init` sets it in vitest.config.ts's test.env: give the backend's tests a vitest config of their own)",
        );
      });
    });
    return;
  }
  brokerSuite(h);
  stateSuite(h);
  orchestratorSuite(h);
  triggerStoreSuite(h);
  dataStoreSuite(h);
  engineSuite(h);
  recoverySuite(h);
  concurrencySuite(h);
  acquirePlansSuite(h);
  routingSuite(h);
  workflowStoreSuite(h);
  workflowEngineSuite(h);
  opsSuite(h);
  cancelSuite(h);
  callOptionsSuite(h);
  pauseSuite(h);
  if (h.cleanup) {
    afterAll(() => h.cleanup!());
  }
}

/** A harness for backendSuite: config for fresh storage, and the backends to register first. */
export interface PluginHarness extends Omit<BackendHarness, 'name'> {
  /**
   * Backends the configs name, registered before the suite (registerBackend): a package's own
   * backend under its package name, without installing it into node_modules.
   */
  register?: Record<string, BackendFactory | BackendPlugin>;
}

/** What backendSuite takes: a harness, or a function making a fresh, empty backend of every role. */
export type BackendSuiteInput =
  | PluginHarness
  | ((resolved: ResolvedConfig, options: BackendOptions) => BackendRoles | Promise<BackendRoles>);

/**
 * The whole compliance suite for a plugin backend, from vitest:
 *
 *   backendSuite('foo', () => createFooBackend({ ... }))  // every role, a fresh backend per test
 *   backendSuite('foo', {                                  // some roles, or storage shared by config
 *     register: { 'taskapp-backend-foo': plugin },
 *     shared: true,
 *     freshConfig: () => ({ backend: 'sqlite', broker: 'taskapp-backend-foo', ... }),
 *   })
 *
 * The function form registers the function as a backend (registerBackend, as "testing-<name>") and
 * runs the suite with it for every role; each backend it returns must hold its own, empty storage
 * (shared: false).
 */
export function backendSuite(name: string, input: BackendSuiteInput): void {
  complianceSuite(harnessFor(name, input));
}

/** The harness backendSuite runs: the function form registered as a backend named `name`. */
export function harnessFor(name: string, input: BackendSuiteInput): BackendHarness {
  if (typeof input !== 'function') {
    const { register, ...harness } = input;
    for (const [backend, plugin] of Object.entries(register ?? {})) {
      registerBackend(backend, plugin);
    }
    return { name, ...harness };
  }
  const factory: BackendFactory = async (resolved, options) => input(resolved, options);
  // A name the config accepts, whatever the suite is called.
  const backend = `testing-${name.toLowerCase().replace(/[^a-z0-9._~-]+/g, '-')}`;
  registerBackend(backend, factory);
  return {
    name,
    shared: false,
    freshConfig: (): TaskappOptions => ({ backend }),
  };
}
