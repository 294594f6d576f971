/**
 * `taskapp/testing`: the compliance suites every built-in backend passes, as functions a backend's
 * author calls from a vitest file (docs/backends.md). Imports vitest: never import it from the
 * main entry.
 */
export {
  complianceSuite,
  backendSuite,
  harnessFor,
  type BackendSuiteInput,
  type PluginHarness,
} from './suite.js';
export { openBackends, type BackendHarness } from './harness.js';
export { acquirePlansSuite } from './suites/acquire-plans.js';
export { brokerSuite } from './suites/broker.js';
export { callOptionsSuite } from './suites/call-options.js';
export { cancelSuite } from './suites/cancel.js';
export { concurrencySuite } from './suites/concurrency.js';
export { engineSuite } from './suites/engine.js';
export { opsSuite } from './suites/ops.js';
export { orchestratorSuite } from './suites/orchestrator.js';
export { pauseSuite } from './suites/pause.js';
export { recoverySuite } from './suites/recovery.js';
export { routingSuite } from './suites/routing.js';
export { newInv, stateSuite } from './suites/state.js';
export { dataStoreSuite, triggerStoreSuite } from './suites/stores.js';
export { workflowEngineSuite, workflowStoreSuite } from './suites/workflows.js';
