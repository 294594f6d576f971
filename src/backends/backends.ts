/**
 * What a backend provides (its roles) and what the app gets (one of each role): the contract
 * between the backend implementations and the registry that loads them. Types only, so a backend
 * can name them without importing the registry that imports it.
 */
import type { ResolvedConfig } from '../config/resolve.js';
import type { Broker } from './broker.js';
import type { DataStore } from './data-store.js';
import type { Orchestrator } from './orchestrator.js';
import type { StateBackend } from './state-backend.js';
import type { TriggerStore } from './trigger-store.js';
import type { WorkflowStore } from './workflow-store.js';
import type { HotPath } from './hot-path.js';
import type { CancelSignals } from './cancel-signals.js';
import type { TaskPauses } from './task-pauses.js';
import type { TxEnqueue } from './tx-enqueue.js';

/** The roles one backend provides; a broker-only backend (rabbitmq) leaves the rest undefined. */
export interface BackendRoles {
  broker?: Broker;
  state?: StateBackend;
  orchestrator?: Orchestrator;
  triggers?: TriggerStore;
  data?: DataStore;
  /** Workflow state; served with the state role. */
  workflows?: WorkflowStore;
  /** Fused hot-path steps, used when this backend serves broker, state and orchestrator alike. */
  hotPath?: HotPath;
  /** Cancel requests to runners; served with the state role. */
  cancels?: CancelSignals;
  /** Paused tasks and their parked entries; served with broker and state together. */
  pauses?: TaskPauses;
  /** Enqueue through the caller's own transaction; served with broker, state and orchestrator together. */
  tx?: TxEnqueue;
  close(): Promise<void>;
}

/** A plugin's own settings: the `[plugins.<backend name>]` table of the config. */
export type BackendOptions = Readonly<Record<string, unknown>>;

/** What the caller will do with the roles, so a backend opens only the connections that needs. */
export interface BackendUse {
  /**
   * false: the caller never claims, waits for results or hears cancels (a runner's heartbeat
   * thread), so the backend may leave out its wake-up channel (PostgreSQL's LISTEN connection,
   * woken by every NOTIFY of the schema). Default true.
   */
  wakeups?: boolean;
}

/** Builds a backend's roles; `options` is its `[plugins.<name>]` table ({} when absent). */
export type BackendFactory = (
  cfg: ResolvedConfig,
  options: BackendOptions,
  use?: BackendUse,
) => Promise<BackendRoles>;

export interface Backends {
  broker: Broker;
  state: StateBackend;
  orchestrator: Orchestrator;
  triggers: TriggerStore;
  data: DataStore;
  workflows: WorkflowStore;
  /** Enqueue and claim-and-start: fused by the backend where it can, else composed from the roles. */
  hot: HotPath;
  /** Cancel requests to runners (the state backend's channel). */
  cancels: CancelSignals;
  /** Paused tasks: present when one backend serves broker and state and supports pausing. */
  pauses?: TaskPauses;
  /**
   * Enqueue through the caller's own transaction: present when one backend serves broker, state,
   * orchestrator and triggers and can share a caller's transaction (postgres, sqlite).
   */
  tx?: TxEnqueue;
  /** Which backend serves each role. */
  names: Record<RoleName, string>;
  close(): Promise<void>;
}

export type RoleName = 'broker' | 'state' | 'orchestrator' | 'triggers' | 'data';
