/**
 * The redis backend on a Redis Cluster (`[redis] cluster`): an app's invocations spread over
 * `[redis] shards` shards, each the single-slot backend of ../ under its own hash-tagged prefix,
 * all on one ioredis Cluster client. Each Lua script still touches one slot. An id's shard comes
 * from the id (shards.ts); a concurrency scope's invocations share one shard (core/ids.ts), so
 * registration dedupe and running limits stay exact. Triggers, blobs, workflows, runners, leases
 * and cancel requests live in the home shard (shard 0): cron fires once, as on one server.
 */
import { createLogger } from '../../../core/logger.js';
import type { BackendFactory } from '../../backends.js';
import { RedisCancelSignals } from '../cancels.js';
import { RedisConn } from '../connection.js';
import { RedisDataStore } from '../data.js';
import { RedisFinals } from '../finals.js';
import { redisHotPath } from '../hot-path.js';
import { RedisOrchestrator } from '../orchestrator.js';
import { RedisTaskPauses } from '../pauses.js';
import { RedisStateBackend } from '../state.js';
import { RedisTriggerStore } from '../triggers.js';
import { RedisWorkflowStore } from '../workflows.js';
import { ShardedBroker } from './broker.js';
import { ClaimLoop, ShardBroker } from './claim-loop.js';
import { shardedHotPath } from './hot-path.js';
import { ShardedOrchestrator } from './orchestrator.js';
import { ShardedTaskPauses } from './pauses.js';
import type { Shard } from './shard.js';
import { ShardMap, shardPrefixes } from './shards.js';
import { ShardedState } from './state.js';

export const createRedisClusterBackend: BackendFactory = async ({ config }) => {
  const logger = createLogger(config.logging_level, config.monitor.log_format, {
    app: config.app_id,
    backend: 'redis',
  });
  const prefixes = shardPrefixes(config.app_id, config.redis.prefix, config.redis.shards);
  const home = await RedisConn.open({
    url: config.redis.url,
    cluster: config.redis.cluster,
    prefix: prefixes[0]!,
    allowEviction: config.redis.allow_eviction,
    allowNoPersistence: config.redis.allow_no_persistence,
    logger,
  });
  const conns = prefixes.map((p, k) => (k === 0 ? home : home.withPrefix(p)));
  // One subscriber for every shard's final channel; a watch reads finals from their shards.
  const finals: RedisFinals = new RedisFinals(
    home,
    (ids) => state.getFinal(ids),
    conns.map((c) => c.keys.finalChannel),
  );
  const shards = new ShardMap<Shard>(
    conns.map((conn) => {
      const broker = new ShardBroker(conn);
      const orchestrator = new RedisOrchestrator(conn, finals);
      return {
        conn,
        state: new RedisStateBackend(conn, finals),
        orchestrator,
        broker,
        hot: redisHotPath(conn, broker, orchestrator, finals),
        pauses: new RedisTaskPauses(conn),
      };
    }),
  );
  const state = new ShardedState(shards, finals);
  const loop = new ClaimLoop(
    shards.shards.map((s) => s.broker),
    conns,
  );
  const broker = new ShardedBroker(shards, loop);
  return {
    broker,
    state,
    orchestrator: new ShardedOrchestrator(shards),
    triggers: new RedisTriggerStore(home),
    data: new RedisDataStore(home),
    workflows: new RedisWorkflowStore(home),
    hotPath: shardedHotPath(shards, loop),
    cancels: new RedisCancelSignals(home),
    pauses: new ShardedTaskPauses(shards),
    close: async () => {
      await broker.close();
      // The views first: the home connection owns the Cluster client they share.
      await Promise.all(conns.slice(1).map((c) => c.close()));
      await home.close();
    },
  };
};
