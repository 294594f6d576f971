/**
 * Backend name -> its plugin. The built-in backends register here like any plugin, lazily, so
 * drivers (ioredis, pg, amqplib) load only when their backend is chosen; `registerBackend` (from
 * the main entry) adds one from code, and any other name is loaded as a package from the user's
 * project (plugin-loader.ts).
 */
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../core/errors.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { BUILT_IN_BACKENDS, backendNameProblem } from '../config/schema.js';
import type { WorkflowStore } from './workflow-store.js';
import { composeHotPath } from './hot-path.js';
import { maskUrl } from './common/connection-utils.js';
import { CancelBus } from './common/cancel-bus.js';
import { redisWhere, sentinelSettings } from './redis/sentinel.js';
import type { BackendFactory, BackendRoles, Backends, BackendUse, RoleName } from './backends.js';
import { defineBackend, type BackendPlugin } from './plugin.js';
import { loadBackendPackage, pluginFrom } from './plugin-loader.js';
import { markLibraryCode } from '../orchestration/library-code.js';

export type { BackendFactory, BackendRoles, Backends, RoleName } from './backends.js';

const registry = new Map<string, { load: () => Promise<BackendPlugin>; fromCode: boolean }>();

const builtIn = (name: string, load: () => Promise<BackendFactory>) =>
  registry.set(name, {
    load: async () => defineBackend({ name, create: await load() }),
    fromCode: false,
  });
builtIn('memory', async () => (await import('./memory/index.js')).createMemoryBackend);
builtIn('sqlite', async () => (await import('./sqlite/index.js')).createSqliteBackend);
builtIn('redis', async () => (await import('./redis/index.js')).createRedisBackend);
builtIn('postgres', async () => (await import('./postgres/index.js')).createPostgresBackend);
// A package of its own, written against taskapp/backend only (docs/backends.md); shipped inside
// taskapp so that `broker = "rabbitmq"` needs no install. Its package name works too.
const RABBITMQ_PACKAGE = 'taskapp-backend-rabbitmq';
// Library code like any backend package (the determinism guard leaves its calls alone).
markLibraryCode(
  fileURLToPath(new URL('../../packages/taskapp-backend-rabbitmq/', import.meta.url)),
);
for (const name of ['rabbitmq', RABBITMQ_PACKAGE]) {
  registry.set(name, {
    load: async () =>
      pluginFrom(
        RABBITMQ_PACKAGE,
        await import('../../packages/taskapp-backend-rabbitmq/src/index.js'),
      ),
    fromCode: false,
  });
}

/**
 * Makes a backend available under `name` (for `backend = "name"` or any role), from code: a
 * factory, or a plugin made by defineBackend (checked against this taskapp's backend API now).
 * A later registration of the same name replaces the earlier one.
 */
export function registerBackend(name: string, backend: BackendFactory | BackendPlugin): void {
  const problem =
    typeof name !== 'string'
      ? `registerBackend needs a backend name, got ${JSON.stringify(name)}`
      : (BUILT_IN_BACKENDS as readonly string[]).includes(name)
        ? `registerBackend("${name}"): "${name}" is a built-in backend`
        : backendNameProblem(name);
  if (problem) {
    throw new ConfigError(
      problem.startsWith('registerBackend') ? problem : `registerBackend: ${problem}`,
      'register under a name the config can hold (lowercase, like a package name: "my-backend") that is not a built-in one, and set backend = "my-backend"',
    );
  }
  const plugin = pluginFrom(
    name,
    typeof backend === 'function'
      ? { default: defineBackend({ name, create: backend }) }
      : { default: backend },
    `registerBackend("${name}")`,
  );
  registry.set(name, { load: async () => plugin, fromCode: true });
}

/** True for a backend registered from code: another thread or process of the app does not know it. */
export function registeredFromCode(name: string): boolean {
  return registry.get(name)?.fromCode ?? false;
}

/** The plugin serving `name`: registered (built-in or from code), else the package of that name. */
export async function loadBackend(name: string, resolved: ResolvedConfig): Promise<BackendPlugin> {
  const known = registry.get(name);
  return known ? known.load() : loadBackendPackage(name, resolved.baseDir);
}

/** Builds the roles of backend `name` from the resolved config. */
export async function openBackend(
  name: string,
  resolved: ResolvedConfig,
  use?: BackendUse,
): Promise<BackendRoles> {
  return (await loadBackend(name, resolved)).create(
    resolved,
    // A config built by hand (not through the schema) may lack the table.
    resolved.config.plugins?.[name] ?? {},
    use,
  );
}

/** The config field that picks each role's backend. */
const ROLE_FIELDS: Record<RoleName, string> = {
  broker: 'broker',
  state: 'state_backend',
  orchestrator: 'orchestrator',
  triggers: 'trigger_store',
  data: 'data_store_backend',
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

/**
 * Loads the registered backends (built-in ones with their drivers) that the config names, ahead of
 * their use, before tsx's hooks are in (core/tsx.ts). A backend from a package loads at use.
 */
export async function preloadRegisteredBackends(cfg: ResolvedConfig['config']): Promise<void> {
  const names = new Set(Object.values(roleBackendNames(cfg)));
  await Promise.all([...names].map((name) => registry.get(name)?.load()));
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
      instances.set(name, await openBackend(name, resolved));
    }
    const pick = <K extends RoleName>(role: K): NonNullable<BackendRoles[K]> => {
      const b = instances.get(names[role])![role];
      if (!b) {
        throw new ConfigError(
          `backend "${names[role]}" cannot serve the ${role} role`,
          `set ${ROLE_FIELDS[role]} to memory, sqlite, redis, postgres or a backend package that serves it`,
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
      'use memory, sqlite, redis or postgres as state_backend, or a backend package that serves workflows with its state',
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
