/** The data behind the memory backend: plain maps in this process. */
import type {
  InvocationExtras,
  InvocationRecord,
  LogRecord,
  QueueItem,
  RunnerInfo,
} from '../../core/records.js';
import type { HistoryLog } from './history.js';
import type { StoredEvent } from '../trigger-store.js';
import { FinalNotifier } from '../common/final-notifier.js';
import { Wakeup } from '../common/wakeup.js';
import type { RateMark } from '../../orchestration/acquire-planner.js';

export class MemoryStore {
  readonly invocations = new Map<string, InvocationRecord>();
  readonly histories = new Map<string, HistoryLog>();
  readonly runners = new Map<string, RunnerInfo>();
  readonly logs = new Map<string, LogRecord[]>();
  /** Rerun link and progress, beside the invocation (deleted by purge with it). */
  readonly extras = new Map<string, InvocationExtras>();
  /** One FIFO per priority 0-9. */
  readonly queues: string[][] = Array.from({ length: 10 }, () => []);
  readonly delayed: Array<{ id: string; priority: number; notBefore: number }> = [];
  readonly leases = new Map<string, { holder: string; expiresAt: number }>();
  readonly conditions = new Map<string, string>();
  readonly lastFires = new Map<string, number>();
  readonly events: StoredEvent[] = [];
  readonly runClaims = new Map<string, number>();
  readonly pausedTriggers = new Set<string>();
  /** Paused tasks, and each one's parked queue entries (task-pauses.ts). */
  readonly pausedTasks = new Set<string>();
  readonly parked = new Map<string, QueueItem[]>();
  readonly blobs = new Map<string, Buffer>();
  /** Blob key -> invocations referring to it, and the reverse. */
  readonly blobRefs = new Map<string, Set<string>>();
  readonly invBlobs = new Map<string, Set<string>>();
  /** Workflow id -> its key-value state. */
  readonly workflows = new Map<string, Map<string, string>>();
  /** Registration key -> the invocation registered under it (valid while that one is REGISTERED). */
  readonly registrations = new Map<string, string>();
  /** Running-concurrency key -> ids holding a slot. */
  readonly active = new Map<string, Set<string>>();
  /** Rate-limit key -> its starts and reserved slots (acquire-planner.ts; pruned to the window on use). */
  readonly rateMarks = new Map<string, RateMark[]>();
  readonly queueWakeup = new Wakeup();
  readonly finals = new FinalNotifier();
}
