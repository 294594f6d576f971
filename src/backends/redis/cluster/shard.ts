import type { HotPath } from '../../hot-path.js';
import type { RedisConn } from '../connection.js';
import type { RedisOrchestrator } from '../orchestrator.js';
import type { RedisStateBackend } from '../state.js';
import type { RedisTaskPauses } from '../pauses.js';
import type { ShardBroker } from './claim-loop.js';

/** One shard: the single-slot redis backend's roles under the shard's key prefix. */
export interface Shard {
  conn: RedisConn;
  state: RedisStateBackend;
  orchestrator: RedisOrchestrator;
  broker: ShardBroker;
  hot: HotPath;
  pauses: RedisTaskPauses;
}
