/**
 * Backend name -> lazy factory. Drivers (ioredis, pg, amqplib) load only when their backend is
 * chosen. A new backend adds one line here.
 */
import { ConfigError } from '../core/errors.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { WorkflowStore } from './workflow-store.js';
import { composeHotPath } from './hot-path.js';
import { maskUrl } from './common/connection-utils.js';
import { CancelBus } from './common/cancel-bus.js';
import { redisWhere, sentinelSettings } from './redis/sentinel.js';
import type { BackendFactory, BackendRoles, Backends, RoleName } from './backends.js';

export type { BackendFactory, BackendRoles, Backends, RoleName } from './backends.js';

export const BACKEND_FACTORIES: Record<string, () => Promise<BackendFactory>> = {
  memory: async () => (await import('./memory/index.js')).createMemoryBackend,
  sqlite: async () => (await import('./sqlite/index.js')).createSqliteBackend,
  redis: async () => (await import('./redis/index.js')).createRedisBackend,
  rabbitmq: async () => (await import('./rabbitmq/index.js')).createRabbitBackend,
  postgres: async () => (await import('./postgres/index.js')).createPostgresBackend,
};

export function roleBackendNames(cfg: ResolvedConfig['config']): Record<RoleName, string> {
  return {
    broker: cfg.broker ?? cfg.backend,
    state: cfg.state_backend ?? cfg.backend,
    orchestrator: cfg.orchestrator ?? cfg.backend,
    triggers: cfg.trigger_store ?? cfg.backend,
    data: cfg.data_store_backend ?? cfg.backend,
  };
}

/** Builds each role from its backend, one instance per backend name (roles share connections). */
export async function createBackends(resolved: ResolvedConfig): Promise<Backends> {
  const names = roleBackendNames(resolved.config);
  const instances = new Map<string, BackendRoles>();
  const closeAll = async () => {
    await Promise.all([...instances.values()].map((b) => b.close()));
  };
  try {
    for (const name of new Set(Object.values(names))) {
      const load = BACKEND_FACTORIES[name];
      if (!load) {
        throw new ConfigError(
          `backend "${name}" is not available (known: ${Object.keys(BACKEND_FACTORIES).join(', ')})`,
          'set backend (or the role override) to one of the known backends',
        );
      }
      instances.set(name, await (await load())(resolved));
    }
    const pick = <K extends RoleName>(role: K): NonNullable<BackendRoles[K]> => {
      const b = instances.get(names[role])![role];
      if (!b) {
        throw new ConfigError(
          `backend "${names[role]}" cannot serve the ${role} role`,
          `set ${role === 'state' ? 'state_backend' : role} to memory, sqlite, redis or postgres`,
        );
      }
      return b as NonNullable<BackendRoles[K]>;
    };
    if (names.state === 'memory' && names.broker !== 'memory') {
      throw new ConfigError(
        `state_backend "memory" with broker "${names.broker}" cannot work: other processes would receive ids whose invocations only this process knows`,
        'use one shared backend for state and broker (e.g. backend = "sqlite"), or memory for both',
      );
    }
    const broker = pick('broker');
    const state = pick('state');
    const orchestrator = pick('orchestrator');
    const fused =
      names.broker === names.state && names.state === names.orchestrator
        ? instances.get(names.state)!.hotPath
        : undefined;
    return {
      broker,
      state,
      orchestrator,
      triggers: pick('triggers'),
      data: pick('data'),
      workflows: workflowsOf(instances.get(names.state)!, names.state),
      // Every state backend has one; a local bus only for a hand-built role set without it.
      cancels: instances.get(names.state)!.cancels ?? new CancelBus(),
      hot: fused ?? composeHotPath(broker, state, orchestrator),
      // Parking moves a queue entry by its task: only where one backend holds both.
      pauses: names.broker === names.state ? instances.get(names.state)!.pauses : undefined,
      tx: fused && names.triggers === names.state ? instances.get(names.state)!.tx : undefined,
      names,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Workflow state lives with the invocations it belongs to: the state backend serves it. */
function workflowsOf(roles: BackendRoles, name: string): WorkflowStore {
  if (!roles.workflows) {
    throw new ConfigError(
      `backend "${name}" serves the state role but keeps no workflow state`,
      'use memory, sqlite, redis or postgres as state_backend',
    );
  }
  return roles.workflows;
}

/** The servers a producer writes to, passwords masked: "redis at redis://host:6379", ... */
export function describeServers(config: ResolvedConfig['config']): string {
  const where = (b: string): string => {
    switch (b) {
      case 'redis':
        return `redis at ${redisWhere(config.redis.url, sentinelSettings(config.redis))}`;
      case 'postgres':
        return `postgres at ${maskUrl(config.postgres.url)}`;
      case 'rabbitmq':
        return `rabbitmq at ${maskUrl(config.rabbitmq.url)}`;
      case 'sqlite':
        return `sqlite at ${config.sqlite.path}`;
      default:
        return b;
    }
  };
  const roles = [config.state_backend ?? config.backend, config.broker ?? config.backend];
  return [...new Set(roles.map(where))].join(' and ');
}
