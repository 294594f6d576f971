/**
 * The app's triggers, with stable ids every runner computes alike: `<task>:<n>` for the n-th
 * trigger in code (from 0), `<task>:cron` for the `cron`/`timezone` task options (code or config).
 */
import type { Runtime } from '../runtime/runtime.js';
import { ConfigError } from '../core/errors.js';
import { CronSchedule } from '../config/cron.js';
import { Trigger, type Condition, type LeafCondition } from './conditions.js';

export interface TriggerDef {
  id: string;
  taskId: string;
  trigger: Trigger;
  /** Where it was declared: the `triggers` option in code, or `cron` in code/config. */
  source: 'code' | 'config';
}

/** A cron schedule inside a trigger, with the key its last fire time is stored under. */
export interface CronPart {
  def: TriggerDef;
  key: string;
  leaf: Extract<LeafCondition, { kind: 'cron' }>;
}

export function leavesOf(c: Condition): LeafCondition[] {
  return c.kind === 'all' || c.kind === 'any' ? c.parts : [c];
}

export function collectTriggers(app: Runtime): TriggerDef[] {
  const defs: TriggerDef[] = [];
  for (const taskId of app.taskIds()) {
    const task = app.getTask(taskId)!;
    const declared = task.codeOptions.triggers;
    const list = declared === undefined ? [] : Array.isArray(declared) ? declared : [declared];
    list.forEach((t, i) => {
      if (!(t instanceof Trigger)) {
        throw new ConfigError(
          `task "${taskId}": triggers[${i}] is not a trigger made with on.*`,
          'e.g. { triggers: on.cron("0 3 * * *") } or a list of them',
        );
      }
      defs.push({ id: `${taskId}:${i}`, taskId, trigger: t, source: 'code' });
    });
    const opts = task.options;
    if (opts.cron !== undefined) {
      const schedule = CronSchedule.parse(
        opts.cron,
        opts.timezone,
        `task "${taskId}" cron (from ${opts.sources.cron ?? 'config'})`,
      );
      defs.push({
        id: `${taskId}:cron`,
        taskId,
        trigger: new Trigger({ kind: 'cron', schedule, minIntervalSeconds: 0 }),
        source: opts.sources.cron === 'code' ? 'code' : 'config',
      });
    }
  }
  return defs;
}

export function cronParts(defs: TriggerDef[]): CronPart[] {
  const out: CronPart[] = [];
  for (const def of defs) {
    const c = def.trigger.condition;
    if (c.kind === 'cron') {
      out.push({ def, key: def.id, leaf: c });
    } else if (c.kind === 'any') {
      c.parts.forEach((p, i) => {
        if (p.kind === 'cron') {
          out.push({ def, key: `${def.id}#${i}`, leaf: p });
        }
      });
    }
  }
  return out;
}

/** Trigger ids named by `name`: a trigger id, or a task id (all of its triggers). */
export function resolveTriggerName(defs: TriggerDef[], name: string): TriggerDef[] {
  const exact = defs.filter((d) => d.id === name);
  return exact.length ? exact : defs.filter((d) => d.taskId === name);
}
