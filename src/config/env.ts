/**
 * TASKAPP__FIELD, TASKAPP__SECTION__FIELD and TASKAPP__TASKS__<TASK>__FIELD environment variables
 * as a config layer. Values are TOML scalars or arrays (`true`, `3`, `"x"`, `["a", "b"]`); anything
 * that does not parse as TOML is taken as a plain string.
 */
import { smolToml } from './lazy-modules.js';

const ENV_PREFIX = 'TASKAPP__';

function parseEnvValue(raw: string): unknown {
  try {
    return smolToml().parse(`v = ${raw}`).v;
  } catch {
    return raw;
  }
}

/** Config layer from env; `sources` maps dotted field paths to the variable that set them. */
export interface EnvLayer {
  values: Record<string, unknown>;
  /** Dotted field path -> the variable that set it. */
  sources: Map<string, string>;
  /** TASKAPP__TASKS__<TASK>__FIELD, keyed by the upper-snake task name (matched with toEnvName). */
  taskOptions: Record<string, Record<string, { value: unknown; source: string }>>;
}

/** The env spelling of a task or field name: sendEmail -> SEND_EMAIL, send-email -> SEND_EMAIL. */
export function toEnvName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): EnvLayer {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  const taskOptions: EnvLayer['taskOptions'] = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) {
      continue;
    }
    const parts = name.slice(ENV_PREFIX.length).split('__').filter(Boolean);
    if (parts.length === 0 || parts[0] === 'CONFIG') {
      continue;
    } // TASKAPP__CONFIG names the file, not a field
    if (parts[0] === 'TASKS' && parts.length === 3) {
      (taskOptions[parts[1]!] ??= {})[parts[2]!.toLowerCase()] = {
        value: parseEnvValue(raw),
        source: `env ${name}`,
      };
      continue;
    }
    const path = parts.map((p) => p.toLowerCase());
    let node = values;
    for (const key of path.slice(0, -1)) {
      node = (node[key] ??= {}) as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = parseEnvValue(raw);
    sources.set(path.join('.'), `env ${name}`);
  }
  return { values, sources, taskOptions };
}
