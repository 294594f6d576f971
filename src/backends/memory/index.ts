/** The memory backend: every role in this process's memory. For tests, dev mode and benchmarks. */
import type { BackendFactory } from '../backends.js';
import { MemoryBroker } from './broker.js';
import { MemoryDataStore } from './data.js';
import { MemoryOrchestrator } from './orchestrator.js';
import { MemoryStateBackend } from './state.js';
import { MemoryStore } from './store.js';
import { MemoryTriggerStore } from './triggers.js';
import { MemoryWorkflowStore } from './workflows.js';
import { CancelBus } from '../common/cancel-bus.js';
import { MemoryTaskPauses } from './pauses.js';

export const createMemoryBackend: BackendFactory = async () => {
  const s = new MemoryStore();
  const broker = new MemoryBroker(s);
  return {
    broker,
    state: new MemoryStateBackend(s),
    orchestrator: new MemoryOrchestrator(s),
    triggers: new MemoryTriggerStore(s),
    data: new MemoryDataStore(s),
    workflows: new MemoryWorkflowStore(s),
    cancels: new CancelBus(),
    pauses: new MemoryTaskPauses(s),
    close: async () => broker.close(),
  };
};
