/** `taskapp tasks`: each task's effective options (after [task_defaults], code, [tasks.x], env) and sources. */
import type { App } from '../app/app.js';
import { toEnvName } from '../config/env.js';
import { didYouMean } from '../config/resolve.js';
import { oneLine, table, toJsonSafe } from './format.js';
import type { Styler } from './style.js';

export interface TaskView {
  task: string;
  options: Record<string, unknown>;
  /** Option -> where its value came from ("default" when nothing set it). */
  sources: Record<string, string>;
  /** Paused (taskapp task pause): how many invocations wait parked. Absent when the backend was not asked. */
  paused?: { parked: number };
}

/** Marks the paused tasks among `views` (from App.pausedTasks). */
export function withPauses(views: TaskView[], paused: Record<string, number>): TaskView[] {
  return views.map((v) => (v.task in paused ? { ...v, paused: { parked: paused[v.task]! } } : v));
}

export function taskViews(app: App): TaskView[] {
  return app
    .taskIds()
    .sort()
    .map((id) => {
      const { sources, ...options } = app.getTask(id)!.options;
      const all: Record<string, string> = {};
      for (const k of Object.keys(options)) {
        all[k] = sources[k] ?? 'default';
      }
      return { task: id, options: toJsonSafe(options) as Record<string, unknown>, sources: all };
    });
}

/** Config that names tasks the app does not have: almost always a typo an operator wants to know about. */
export function orphanTaskConfig(app: App): string[] {
  const ids = app.taskIds();
  const envNames = new Map(ids.map((id) => [toEnvName(id), id]));
  const out: string[] = [];
  for (const name of Object.keys(app.config.tasks.byTask)) {
    if (ids.includes(name)) {
      continue;
    }
    const guess = didYouMean(name, ids);
    out.push(
      `[tasks.${name}] in ${app.resolvedConfig.sources.get(`tasks.${name}`) ?? firstSource(app, `tasks.${name}.`)} names no registered task${guess ? `; did you mean [tasks.${guess}]?` : ''}`,
    );
  }
  for (const [envName, opts] of Object.entries(app.resolvedConfig.taskEnv)) {
    if (envNames.has(envName)) {
      continue;
    }
    const vars = Object.values(opts)
      .map((o) => o.source.replace(/^env /, ''))
      .join(', ');
    const guess = didYouMean(envName, [...envNames.keys()]);
    out.push(
      `${vars} names no registered task${guess ? `; did you mean TASKAPP__TASKS__${guess}__...?` : ''}`,
    );
  }
  return out;
}

function firstSource(app: App, prefix: string): string {
  for (const [k, v] of app.resolvedConfig.sources) {
    if (k.startsWith(prefix)) {
      return v;
    }
  }
  return 'config';
}

export function renderTasks(views: TaskView[], s: Styler): string {
  if (!views.length) {
    return s('gray', 'no tasks registered');
  }
  return views
    .map((v) => {
      const rows = Object.entries(v.options).map(([k, val]) => {
        const src = v.sources[k]!;
        const isDefault = src === 'default';
        return [
          isDefault ? s('gray', k) : k,
          isDefault ? s('gray', oneLine(val)) : s('bold', oneLine(val)),
          s('gray', src),
        ];
      });
      const paused = v.paused
        ? `  ${s('yellow', `paused (${v.paused.parked} waiting; taskapp task resume ${v.task})`)}`
        : '';
      return `${s('cyan', s('bold', v.task))}${paused}\n${indent(table(['OPTION', 'VALUE', 'SOURCE'], rows, (h) => s('gray', h)))}`;
    })
    .join('\n\n');
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
