/**
 * Renders taskapp.toml.example from the schema: every field with its one line of doc, its type or
 * choices, and its default. Fields without a default are shown commented out. The repository's
 * file is written by `npm run config:example` and a test fails when it drifts from the schema.
 */
import { type z } from 'zod';
import { configSchema, taskOptionsSchema } from './schema.js';

/** Section docs for sections whose schema carries no description of its own. */
const SECTION_DOCS: Record<string, string> = {
  sqlite: 'The embedded default backend: one WAL file shared by every process on this host.',
  redis: 'Redis backend (ioredis): every role, Lua scripts for multi-key changes, blocking waits.',
  postgres: 'PostgreSQL backend (pg): FOR UPDATE SKIP LOCKED claims, LISTEN/NOTIFY wake-ups.',
  rabbitmq:
    'RabbitMQ as the broker role only (broker = "rabbitmq"), paired with redis or postgres state.',
  runner: "What `taskapp run` starts, and how runners heartbeat and recover each other's work.",
  task_defaults: 'Options for every task, below what code and [tasks.<name>] set.',
  data_store: 'Large arguments stored once by content hash instead of inline with each invocation.',
  triggers: 'Cron and event triggers.',
  monitor: 'Metrics, logs and the monitor.',
};

interface Field {
  doc: string;
  /** The schema inside default/optional wrappers. */
  inner: z.ZodType;
  hasDefault: boolean;
  defaultValue: unknown;
}

type Def = {
  type: string;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  entries?: Record<string, unknown>;
};
const defOf = (s: z.ZodType) => (s as unknown as { def: Def }).def;

function field(schema: z.ZodType): Field {
  let s = schema;
  let doc = schema.description ?? '';
  let hasDefault = false;
  let defaultValue: unknown;
  for (;;) {
    const d = defOf(s);
    if (d.type === 'default') {
      hasDefault = true;
      defaultValue = d.defaultValue;
    } else if (d.type !== 'optional' && d.type !== 'nullable') {
      break;
    }
    s = d.innerType!;
    doc ||= s.description ?? '';
  }
  return { doc, inner: s, hasDefault, defaultValue };
}

function typeHint(s: z.ZodType): string {
  const d = defOf(s);
  if (d.type === 'enum') {
    return `one of: ${Object.values(d.entries ?? {})
      .map((v) => JSON.stringify(v))
      .join(', ')}`;
  }
  if (d.type === 'array') {
    return 'array';
  }
  if (d.type === 'number') {
    const n = s as z.ZodNumber;
    return n.isInt ? 'integer' : 'number';
  }
  return d.type;
}

function toml(v: unknown): string {
  if (Array.isArray(v)) {
    return `[${v.map(toml).join(', ')}]`;
  }
  return JSON.stringify(v);
}

function example(s: z.ZodType): string {
  const d = defOf(s);
  if (d.type === 'enum') {
    return JSON.stringify(Object.values(d.entries ?? {})[0]);
  }
  if (d.type === 'number') {
    return '1';
  }
  if (d.type === 'boolean') {
    return 'true';
  }
  if (d.type === 'array') {
    return '[]';
  }
  return '"..."';
}

const isObject = (s: z.ZodType) => defOf(s).type === 'object';

/** Lines for the leaf fields of one table; nested object fields are returned for their own sections. */
function renderFields(
  shape: Record<string, z.ZodType>,
  lines: string[],
): Array<[string, z.ZodType, unknown]> {
  const nested: Array<[string, z.ZodType, unknown]> = [];
  for (const [name, schema] of Object.entries(shape)) {
    const f = field(schema);
    if (isObject(f.inner)) {
      nested.push([name, f.inner, f.defaultValue]);
      continue;
    }
    lines.push('');
    if (f.doc) {
      lines.push(`# ${f.doc}`);
    }
    const hint = typeHint(f.inner);
    if (f.hasDefault) {
      lines.push(
        `${name} = ${toml(f.defaultValue)}${hint.startsWith('one of') ? `    # ${hint}` : ''}`,
      );
    } else {
      lines.push(`# ${name} = ${example(f.inner)}    # ${hint}; no default`);
    }
  }
  return nested;
}

function renderTable(
  path: string[],
  schema: z.ZodType,
  doc: string | undefined,
  lines: string[],
  commented = false,
): void {
  const shape = (schema as z.ZodObject).shape as Record<string, z.ZodType>;
  lines.push('', '');
  if (doc) {
    lines.push(`# ${doc}`);
  }
  lines.push(`[${path.join('.')}]`);
  const body: string[] = [];
  const nested = renderFields(shape, body);
  lines.push(
    ...(commented ? body.map((l) => (l && !l.startsWith('#') ? `# ${l}` : l)) : body).slice(1),
  );
  for (const [name, inner] of nested) {
    renderTable([...path, name], inner, field(shape[name]!).doc, lines, commented);
  }
}

export function renderConfigExample(): string {
  const lines = [
    '# taskapp.toml.example: every configuration field, its default and why.',
    '# Generated from src/config/schema.ts by `npm run config:example`; a test fails if the two drift.',
    '#',
    '# Sources, lowest first: defaults < code (taskapp({...}), camelCase) < this file < env < CLI flags.',
    '# Env: TASKAPP__FIELD, TASKAPP__SECTION__FIELD, TASKAPP__TASKS__<TASK>__OPTION (values are TOML:',
    '# TASKAPP__RUNNER__CONCURRENCY=16, TASKAPP__DEV_MODE_FORCE_SYNC=true). See what applies and where it',
    '# came from: taskapp config show --explain; per task: taskapp tasks.',
  ];
  const shape = configSchema.shape as unknown as Record<string, z.ZodType>;
  const { tasks, task_defaults, plugins, ...rest } = shape;
  const nested = renderFields(rest, lines);
  for (const [name, inner] of nested) {
    renderTable([name], inner, field(shape[name]!).doc || SECTION_DOCS[name], lines);
  }

  lines.push(
    '',
    '',
    `# ${field(task_defaults!).doc || SECTION_DOCS.task_defaults}`,
    '# Task options: built-in default < [task_defaults] < options in code < [tasks.<name>] < env.',
    '# Unset here, each option keeps the default shown.',
    '[task_defaults]',
  );
  const opts: string[] = [];
  const optNested = renderFields(
    taskOptionsSchema.shape as unknown as Record<string, z.ZodType>,
    opts,
  );
  lines.push(...opts.map((l) => (l && !l.startsWith('#') ? `# ${l}` : l)).slice(1));
  for (const [name, inner] of optNested) {
    renderTable(
      ['task_defaults', name],
      inner,
      field((taskOptionsSchema.shape as unknown as Record<string, z.ZodType>)[name]!).doc,
      lines,
      true,
    );
  }

  lines.push(
    '',
    '',
    `# ${field(tasks!).doc}.`,
    '# TOML cannot hold both `tasks = [...]` and [tasks.<name>] sections, so with per-task sections the',
    '# globs go in `modules`. Globs are relative to this file; TypeScript modules need no build step.',
    '[tasks]',
    'modules = ["src/tasks/**/*.ts"]',
    '',
    '# Options for one task (any option of [task_defaults]); they override what the code sets.',
    '# [tasks.add]',
    '# max_retries = 3',
    '# timeout_seconds = 30',
    '',
    '',
    `# ${field(plugins!).doc}.`,
    '[plugins]',
    '# [plugins.taskapp-backend-foo]',
    '# url = "..."',
    '',
  );
  return lines.join('\n');
}
