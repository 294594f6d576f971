/**
 * Merges config layers (lowest first: defaults < code < file < env < flags) and validates the
 * result against the schema. A bad field fails with its path, value, source and a fix.
 */
import { ConfigError } from '../core/errors.js';
import { camelToSnake, configSchema, type TaskappConfig } from './schema.js';
import type { EnvLayer } from './env.js';

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

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** Converts camelCase keys (as written in code) to the schema's snake_case, deeply. */
export function toSnakeKeys(v: unknown, keepKeys = false): unknown {
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  // Directly below `tasks` the keys are task names: keep them as written.
  for (const [k, x] of Object.entries(v)) out[keepKeys ? k : camelToSnake(k)] = toSnakeKeys(x, k === 'tasks' && !keepKeys);
  return out;
}

function mergeInto(target: Record<string, unknown>, src: Record<string, unknown>, source: string, path: string[],
  sources: Map<string, string>, fieldSources?: Map<string, string>): void {
  for (const [k, v] of Object.entries(src)) {
    if (v === undefined) continue;
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

export function resolveConfig(layers: ConfigLayer[], taskEnv: EnvLayer['taskOptions'] = {}, baseDir = process.cwd()): ResolvedConfig {
  const merged: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const layer of layers) mergeInto(merged, layer.values, layer.source, [], sources, layer.fieldSources);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw configErrorFrom(parsed.error.issues, merged, sources);
  return { config: parsed.data, sources, taskEnv, baseDir };
}

interface Issue { code: string; path: PropertyKey[]; message: string; keys?: string[]; values?: unknown[]; errors?: Issue[][] }

/** A union's own "Invalid input" hides the real problem: report the branch that got deepest (e.g.
 * `tasks` as a table with a bad [tasks.<name>] cron, rather than "expected array"). */
function unwrapUnions(issues: readonly Issue[]): Issue[] {
  return issues.flatMap((i) => {
    if (i.code !== 'invalid_union' || !i.errors?.length) return [i];
    const depth = (b: Issue[]) => Math.max(...b.map((x) => x.path.length));
    const best = i.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
    return unwrapUnions(best.map((x) => ({ ...x, path: [...i.path, ...x.path] })));
  });
}

export function configErrorFrom(rawIssues: readonly Issue[], merged: Record<string, unknown>, sources: Map<string, string>): ConfigError {
  const issues = unwrapUnions(rawIssues);
  const lines: string[] = [];
  let fix = 'see taskapp.toml.example for every field, its type and default';
  for (const issue of issues) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      for (const key of issue.keys) {
        const field = [...path, key].join('.');
        const src = sources.get(field) ?? 'config';
        const known = knownKeys(path);
        const guess = didYouMean(key, known);
        lines.push(`unknown field "${field}" (from ${src})${guess ? `; did you mean "${[...path, guess].join('.')}"?` : ''}`);
        if (guess) fix = `rename "${key}" to "${guess}"`;
      }
      continue;
    }
    const field = path.join('.');
    const value = path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], merged);
    const src = sources.get(field) ?? 'config';
    const allowed = issue.values ? ` (one of: ${issue.values.map(String).join(', ')})` : '';
    lines.push(`field "${field}" = ${JSON.stringify(value)} (from ${src}) is invalid: ${issue.message}${allowed}`);
    if (issue.values) fix = `set ${field} to one of: ${issue.values.map(String).join(', ')}`;
  }
  return new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`, fix);
}

function knownKeys(path: string[]): string[] {
  let shape: unknown = configSchema;
  for (const key of path) {
    const s = (shape as { shape?: Record<string, unknown> }).shape;
    let next = s?.[key];
    while (next && (next as { def?: { innerType?: unknown } }).def?.innerType) next = (next as { def: { innerType: unknown } }).def.innerType;
    shape = next;
    if (!shape) return [];
  }
  const s = (shape as { shape?: Record<string, unknown> }).shape;
  return s ? Object.keys(s) : [];
}

export function didYouMean(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = levenshtein(word, c);
    if (d < bestD) { best = c; bestD = d; }
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}
