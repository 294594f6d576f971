/**
 * Merges config layers (lowest first: defaults < code < file < env < flags) and validates the
 * result against the schema. A bad field fails with its path, value, source and a fix.
 */
import { ConfigError } from '../core/errors.js';
import {
  camelToSnake,
  configSchema,
  taskOptionsOverrideSchema,
  type TaskappConfig,
} from './schema.js';
import type { EnvLayer } from './env.js';
import { didYouMean } from './did-you-mean.js';

export interface ConfigLayer {
  /** Where these values came from: "code", "file taskapp.toml", "env", "flags". */
  source: string;
  values: Record<string, unknown>;
  /** Per-field sources (dotted path -> "env TASKAPP__X"), when finer than `source`. */
  fieldSources?: Map<string, string>;
}

export interface ResolvedConfig {
  config: TaskappConfig;
  /** Dotted path -> where its value came from ("default" when no layer set it). */
  sources: Map<string, string>;
  taskEnv: EnvLayer['taskOptions'];
  /** Folder that relative paths (sqlite.path, tasks globs) are relative to. */
  baseDir: string;
}

/** A table: `{}` literals, and the null-prototype objects smol-toml builds for TOML tables. */
const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return false;
  }
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** Converts camelCase keys (as written in code) to the schema's snake_case, deeply. */
export function toSnakeKeys(v: unknown, keepKeys = false): unknown {
  if (!isPlainObject(v)) {
    return v;
  }
  const out: Record<string, unknown> = {};
  // Directly below `tasks` the keys are task names: keep them as written.
  for (const [k, x] of Object.entries(v)) {
    out[keepKeys ? k : camelToSnake(k)] = toSnakeKeys(x, k === 'tasks' && !keepKeys);
  }
  return out;
}

function mergeInto(
  target: Record<string, unknown>,
  src: Record<string, unknown>,
  source: string,
  path: string[],
  sources: Map<string, string>,
  fieldSources?: Map<string, string>,
): void {
  for (const [k, v] of Object.entries(src)) {
    if (v === undefined) {
      continue;
    }
    const p = [...path, k];
    const dotted = p.join('.');
    if (isPlainObject(v) && (isPlainObject(target[k]) || target[k] === undefined)) {
      const child = (target[k] ??= {}) as Record<string, unknown>;
      mergeInto(child, v, source, p, sources, fieldSources);
    } else {
      target[k] = v;
      sources.set(dotted, fieldSources?.get(dotted) ?? source);
    }
  }
}

export function resolveConfig(
  layers: ConfigLayer[],
  taskEnv: EnvLayer['taskOptions'] = {},
  baseDir = process.cwd(),
): ResolvedConfig {
  const merged: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const layer of layers) {
    mergeInto(merged, layer.values, layer.source, [], sources, layer.fieldSources);
  }
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    throw configErrorFrom(parsed.error.issues, merged, sources);
  }
  return { config: parsed.data, sources, taskEnv, baseDir };
}

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  values?: unknown[];
  expected?: string;
  errors?: Issue[][];
}

/**
 * A union's own "Invalid input" hides the real problem: report the issues of the branch that got
 * furthest (deepest path), with full paths (e.g. `tasks` as a table with a bad [tasks.<name>] cron,
 * rather than "expected array").
 */
function expandUnions(issues: readonly Issue[]): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    if (issue.code !== 'invalid_union' || !issue.errors?.length) {
      out.push(issue);
      continue;
    }
    const depth = (branch: Issue[]) =>
      Math.max(...branch.map((i) => i.path.length + (i.code === 'invalid_type' ? 0 : 0.5)));
    const allAtRoot = issue.errors.every(
      (b) => b.length === 1 && b[0]!.path.length === 0 && b[0]!.code === 'invalid_type',
    );
    if (allAtRoot) {
      const expected = [...new Set(issue.errors.map((b) => b[0]!.expected).filter(Boolean))];
      out.push({
        ...issue,
        code: 'invalid_type',
        message: `expected ${expected.map((e) => (e === 'object' ? 'a table' : e === 'array' ? 'an array' : e)).join(' or ')}`,
      });
      continue;
    }
    const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0]!;
    out.push(...expandUnions(best.map((i) => ({ ...i, path: [...issue.path, ...i.path] }))));
  }
  return out;
}

export function configErrorFrom(
  issues: readonly Issue[],
  merged: Record<string, unknown>,
  sources: Map<string, string>,
  /** Where `merged` sits in the config (['tasks', id] for one task's options), for suggestions. */
  scope: string[] = [],
): ConfigError {
  const lines: string[] = [];
  const fixes: string[] = [];
  for (const issue of expandUnions(issues)) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      for (const key of issue.keys) {
        const field = [...path, key].join('.');
        const src = sourceOf(field, sources);
        const scoped = suggestField([...scope, ...path], key);
        const guess = scope.length ? scoped?.slice(scope.join('.').length + 1) : scoped;
        lines.push(
          `unknown field "${field}" (from ${src})${guess ? `; did you mean "${guess}"?` : ''}`,
        );
        fixes.push(
          guess
            ? `rename "${field}" to "${guess}"`
            : `remove "${field}" (taskapp.toml.example lists every field)`,
        );
      }
      continue;
    }
    const field = path.join('.');
    const value = path.reduce<unknown>(
      (o, k) => (o as Record<string, unknown> | undefined)?.[k],
      merged,
    );
    const src = sourceOf(field, sources);
    const why = issue.values
      ? `expected one of: ${issue.values.map(String).join(', ')}`
      : issue.message.replace(/^Invalid input: /, '');
    lines.push(`field "${field}" = ${JSON.stringify(value)} (from ${src}) is invalid: ${why}`);
    if (issue.values) {
      fixes.push(`set ${field} to one of: ${issue.values.map(String).join(', ')}`);
    } else if (
      issue.expected &&
      ['number', 'boolean'].includes(issue.expected) &&
      typeof value === 'string'
    ) {
      fixes.push(
        `set ${field} to a ${issue.expected} without quotes (TOML \`${path[path.length - 1]} = ${issue.expected === 'number' ? '8' : 'true'}\`; env values are TOML too)`,
      );
    } else {
      fixes.push(
        `set ${field} to a valid value (taskapp.toml.example documents its type and default)`,
      );
    }
  }
  return new ConfigError(
    `invalid configuration:\n  ${lines.join('\n  ')}`,
    [...new Set(fixes)].join('; '),
  );
}

/** The field a misspelt key most likely meant: a sibling, else (top level) a field of a section. */
function suggestField(path: string[], key: string): string | undefined {
  const sibling = didYouMean(key, knownKeys(path));
  if (sibling) {
    return [...path, sibling].join('.');
  }
  if (path.length > 0) {
    return undefined;
  }
  const nested: string[] = [];
  for (const section of knownKeys([])) {
    for (const k of knownKeys([section])) {
      nested.push(`${section}.${k}`);
    }
  }
  const byLeaf = didYouMean(
    key,
    nested.map((n) => n.split('.')[1]!),
  );
  return byLeaf ? nested.find((n) => n.endsWith(`.${byLeaf}`)) : undefined;
}

/** Where `field` was set: its own source, else that of a field inside it (an unknown section). */
function sourceOf(field: string, sources: Map<string, string>): string {
  const own = sources.get(field);
  if (own) {
    return own;
  }
  for (const [k, v] of sources) {
    if (k.startsWith(`${field}.`)) {
      return v;
    }
  }
  // An item of an array (redis.sentinels.0) comes from where the array was set.
  for (let at = field.lastIndexOf('.'); at > 0; at = field.lastIndexOf('.', at - 1)) {
    const parent = sources.get(field.slice(0, at));
    if (parent) {
      return parent;
    }
  }
  return 'config';
}

function knownKeys(path: string[]): string[] {
  // Below tasks.<name> and task_defaults, the keys are task options.
  if (
    (path[0] === 'tasks' && path.length === 2) ||
    (path[0] === 'task_defaults' && path.length === 1)
  ) {
    return Object.keys(taskOptionsOverrideSchema.shape);
  }
  let shape: unknown = configSchema;
  for (const key of path) {
    const s = (shape as { shape?: Record<string, unknown> }).shape;
    let next = s?.[key];
    while (next && (next as { def?: { innerType?: unknown } }).def?.innerType) {
      next = (next as { def: { innerType: unknown } }).def.innerType;
    }
    shape = next;
    if (!shape) {
      return [];
    }
  }
  const s = (shape as { shape?: Record<string, unknown> }).shape;
  return s ? Object.keys(s) : [];
}

export { didYouMean } from './did-you-mean.js';
