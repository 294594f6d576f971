/**
 * What the trigger commands do (`taskapp trigger list|pause|resume|fire`, `taskapp emit`), as
 * functions of the app: the oclif commands only parse flags and render.
 */
import { randomUUID } from 'node:crypto';
import type { Runtime } from '../runtime/runtime.js';
import { TaskappError, UnknownTriggerError } from '../core/errors.js';
import {
  collectTriggers,
  cronParts,
  leavesOf,
  resolveTriggerName,
  type TriggerDef,
} from './definitions.js';
import { fireTrigger } from './fire.js';

export interface TriggerInfo {
  id: string;
  taskId: string;
  /** cron, status, result, exception, event, all or any. */
  kind: string;
  condition: string;
  source: 'code' | 'config';
  paused: boolean;
  /** Last fired cron slot (epoch ms); null for never, or for triggers without a schedule. */
  lastFire: number | null;
  /** Next cron slots (epoch ms), empty without a schedule. */
  nextFires: number[];
}

function pick(app: Runtime, name: string): TriggerDef[] {
  const defs = collectTriggers(app);
  const hit = resolveTriggerName(defs, name);
  if (!hit.length) {
    throw new UnknownTriggerError(
      name,
      defs.map((d) => d.id),
    );
  }
  return hit;
}

export async function listTriggers(
  app: Runtime,
  opts: { now?: number; count?: number } = {},
): Promise<TriggerInfo[]> {
  const now = opts.now ?? Date.now();
  const defs = collectTriggers(app);
  const { triggers } = await app.backends();
  const paused = new Set(await triggers.pausedTriggers());
  const crons = cronParts(defs);
  const out: TriggerInfo[] = [];
  for (const def of defs) {
    const mine = crons.filter((c) => c.def === def);
    const lasts = (await Promise.all(mine.map((c) => triggers.lastFire(c.key)))).filter(
      (t): t is number => t !== null,
    );
    const nextFires = mine
      .flatMap((c) => c.leaf.schedule.between(now, Infinity, opts.count ?? 3))
      .sort((a, b) => a - b)
      .slice(0, opts.count ?? 3);
    out.push({
      id: def.id,
      taskId: def.taskId,
      kind: def.trigger.condition.kind,
      condition: def.trigger.describe(),
      source: def.source,
      paused: paused.has(def.id),
      lastFire: lasts.length ? Math.max(...lasts) : null,
      nextFires,
    });
  }
  return out;
}

/** Pauses or resumes the trigger `name` (a trigger id, or a task id: all its triggers). Returns the ids. */
export async function setTriggerPaused(
  app: Runtime,
  name: string,
  paused: boolean,
): Promise<string[]> {
  const defs = pick(app, name);
  const { triggers } = await app.backends();
  for (const d of defs) {
    await triggers.setPaused(d.id, paused);
  }
  return defs.map((d) => d.id);
}

/** Fires trigger `name` now, once (paused or not). A task id works when the task has one trigger. */
export async function fireTriggerNow(
  app: Runtime,
  name: string,
): Promise<{ triggerId: string; invocationId: string }> {
  const defs = pick(app, name);
  if (defs.length > 1) {
    throw new TaskappError(
      'AMBIGUOUS_TRIGGER',
      `task "${name}" has ${defs.length} triggers (${defs.map((d) => d.id).join(', ')})`,
      {
        fix: 'name one trigger id',
        exitCode: 2,
      },
    );
  }
  const def = defs[0]!;
  const now = Date.now();
  const isCron = def.trigger.condition.kind === 'cron';
  const ctx = {
    triggerId: def.id,
    taskId: def.taskId,
    kind: 'manual' as const,
    firedAt: now,
    ...(isCron ? { slot: now } : {}),
  };
  const id = await fireTrigger(
    app,
    await app.backends(),
    def,
    ctx,
    `${def.id}@manual:${randomUUID()}`,
  );
  if (!id) {
    throw new TaskappError(
      'TRIGGER_FIRE_FAILED',
      `trigger ${def.id} could not start task "${def.taskId}" (see the log above)`,
      { fix: "check the trigger's withArgs() provider" },
    );
  }
  return { triggerId: def.id, invocationId: id };
}

/** `taskapp emit CODE --payload JSON`. */
export async function emitFromText(
  app: Runtime,
  code: string,
  payloadJson = '{}',
): Promise<string> {
  let payload: unknown;
  try {
    payload = JSON.parse(payloadJson);
  } catch (err) {
    throw new TaskappError(
      'INVALID_PAYLOAD',
      `--payload is not valid JSON: ${(err as Error).message} (got ${payloadJson})`,
      {
        fix: `quote it for the shell, e.g. --payload '{"userId": 7}'`,
        exitCode: 2,
      },
    );
  }
  // Triggers receive an object's fields as arguments: an array or a scalar would arrive as {}.
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new TaskappError(
      'INVALID_PAYLOAD',
      `--payload must be a JSON object (its fields become the triggered task's arguments), got ${payloadJson}`,
      {
        fix: `wrap the value in an object, e.g. --payload '{"items": ${payloadJson}}'`,
        exitCode: 2,
      },
    );
  }
  return app.emit(code, payload);
}

/** The event codes that some trigger of the app listens to (on.event(CODE)), sorted. */
export function listenedEventCodes(app: Runtime): string[] {
  const codes = collectTriggers(app).flatMap((d) =>
    leavesOf(d.trigger.condition).flatMap((l) => (l.kind === 'event' ? [l.code] : [])),
  );
  return [...new Set(codes)].sort();
}
