/**
 * The redis backend (ioredis): every role on one Redis, for runners on many hosts. Each multi-key
 * change is one Lua script from lua/; idle claimers block instead of polling; final results wake
 * waiters in every process through pub/sub.
 */
import { RedisWorkflowStore } from './workflows.js';
import { createLogger } from '../../core/logger.js';
import type { BackendFactory } from '../backends.js';
import { RedisBroker } from './broker.js';
import { RedisConn } from './connection.js';
import { sentinelSettings } from './sentinel.js';
import { RedisDataStore } from './data.js';
import { RedisFinals } from './finals.js';
import { RedisCancelSignals } from './cancels.js';
import { RedisTaskPauses } from './pauses.js';
import { redisHotPath } from './hot-path.js';
import { keyPrefix } from './keys.js';
import { RedisOrchestrator } from './orchestrator.js';
import { RedisStateBackend } from './state.js';
import { RedisTriggerStore } from './triggers.js';

export const createRedisBackend: BackendFactory = async (resolved, options) => {
  if (resolved.config.redis.cluster) {
    return (await import('./cluster/index.js')).createRedisClusterBackend(resolved, options);
  }
  const { config } = resolved;
  const logger = createLogger(config.logging_level, config.monitor.log_format, {
    app: config.app_id,
    backend: 'redis',
  });
  const conn = await RedisConn.open({
    url: config.redis.url,
    sentinel: sentinelSettings(config.redis),
    waitReplicas: config.redis.wait_replicas,
    waitTimeoutMs: config.redis.wait_timeout_ms,
    prefix: keyPrefix(config.app_id, config.redis.prefix),
    allowEviction: config.redis.allow_eviction,
    allowNoPersistence: config.redis.allow_no_persistence,
    logger,
  });
  // The notifier reads finished records through the state backend, which needs the notifier.
  const finals: RedisFinals = new RedisFinals(conn, (ids) => state.getFinal(ids));
  const state = new RedisStateBackend(conn, finals);
  const broker = new RedisBroker(conn);
  const orchestrator = new RedisOrchestrator(conn, finals);
  return {
    broker,
    state,
    orchestrator,
    triggers: new RedisTriggerStore(conn),
    data: new RedisDataStore(conn),
    workflows: new RedisWorkflowStore(conn),
    hotPath: redisHotPath(conn, broker, orchestrator, finals),
    cancels: new RedisCancelSignals(conn),
    pauses: new RedisTaskPauses(conn),
    close: async () => {
      await broker.close();
      await conn.close();
    },
  };
};
