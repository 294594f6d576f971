/**
 * The resolved config as a list of fields, each with its value and where it came from (default,
 * code, file:line, env var, flags), and as TOML text with those sources as comments.
 */
import { isAbsolute, relative } from 'node:path';
import type { ResolvedConfig } from './resolve.js';

/** "file /abs/dir/taskapp.toml:9" -> "file taskapp.toml:9" when under the current folder. */
export function displaySource(source: string, cwd = process.cwd()): string {
  const m = /^file (.+)$/.exec(source);
  if (!m || !isAbsolute(m[1]!)) {
    return source;
  }
  const rel = relative(cwd, m[1]!);
  return rel.startsWith('..') ? source : `file ${rel}`;
}

export interface ExplainedField {
  /** Dotted path as written in TOML: runner.concurrency, tasks.add.max_retries. */
  path: string;
  value: unknown;
  source: string;
}

const isTable = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The config in the shape a user writes it: `tasks` as { modules, <task>: {...} }. */
export function configAsWritten(resolved: ResolvedConfig): Record<string, unknown> {
  const { tasks, ...rest } = resolved.config;
  return { ...rest, tasks: { modules: tasks.modules, ...tasks.byTask } };
}

function sourceFor(path: string[], resolved: ResolvedConfig): string {
  for (let n = path.length; n > 0; n--) {
    const s = resolved.sources.get(path.slice(0, n).join('.'));
    if (s) {
      return s;
    }
  }
  return 'default';
}

export function explainConfig(resolved: ResolvedConfig): ExplainedField[] {
  const out: ExplainedField[] = [];
  const walk = (v: Record<string, unknown>, path: string[]) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) {
        continue;
      }
      const p = [...path, k];
      if (isTable(x)) {
        walk(x, p);
      } else {
        out.push({ path: p.join('.'), value: x, source: sourceFor(p, resolved) });
      }
    }
  };
  walk(configAsWritten(resolved), []);
  // env TASKAPP__TASKS__<TASK>__<OPTION>: applied per task (matched by upper snake name) in `taskapp tasks`.
  for (const [task, opts] of Object.entries(resolved.taskEnv)) {
    for (const [opt, { value, source }] of Object.entries(opts)) {
      out.push({ path: `tasks.${task}.${opt}`, value, source });
    }
  }
  return out;
}

const tomlKey = (k: string) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k));
const tomlValue = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(tomlValue).join(', ')}]` : JSON.stringify(v);

/** TOML text of the resolved config; with `explain`, each line ends with `# <source>`. */
export function configToToml(resolved: ResolvedConfig, explain: boolean): string {
  const lines: string[] = [];
  const sourceColumn = 44;
  const emit = (table: Record<string, unknown>, path: string[]) => {
    const leaves = Object.entries(table).filter(([, v]) => v !== undefined && !isTable(v));
    const tables = Object.entries(table).filter(([, v]) => isTable(v)) as Array<
      [string, Record<string, unknown>]
    >;
    if (path.length && (leaves.length || !tables.length)) {
      lines.push('', `[${path.map(tomlKey).join('.')}]`);
    }
    for (const [k, v] of leaves) {
      const text = `${tomlKey(k)} = ${tomlValue(v)}`;
      lines.push(
        explain
          ? `${text.padEnd(sourceColumn)} # ${displaySource(sourceFor([...path, k], resolved))}`
          : text,
      );
    }
    for (const [k, v] of tables) {
      emit(v, [...path, k]);
    }
  };
  emit(configAsWritten(resolved), []);
  const envTasks = Object.entries(resolved.taskEnv);
  if (envTasks.length) {
    lines.push(
      '',
      '# Per-task overrides from the environment (matched to tasks by upper snake name; see `taskapp tasks`):',
    );
    for (const [task, opts] of envTasks) {
      for (const [opt, { value, source }] of Object.entries(opts)) {
        lines.push(`#   ${task}.${opt} = ${tomlValue(value)}${explain ? `   (${source})` : ''}`);
      }
    }
  }
  return lines.join('\n').replace(/^\n/, '');
}
