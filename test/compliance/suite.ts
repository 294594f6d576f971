/** Every backend passes all of these; a backend's compliance file is one call. */
import { afterAll } from 'vitest';
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
