/**
 * The trigger loop each runner starts. Every `triggers.check_interval_ms` it fires due cron slots
 * (compare-and-set on the slot's last fire time, then a run claim per trigger and slot), scans the
 * stored events (a run claim per trigger and event), and completes on.all() conditions. Status,
 * result and exception triggers fire from `app.onFinal`, called by the runner that recorded the
 * final status. Every fire has a deterministic run id, so N runners fire it once.
 */
import type { Runtime } from '../runtime/runtime.js';
import type { InvocationRecord } from '../core/records.js';
import type { Backends } from '../backends/registry.js';
import type { StoredEvent } from '../backends/trigger-store.js';
import {
  collectTriggers,
  cronParts,
  leavesOf,
  type CronPart,
  type TriggerDef,
} from './definitions.js';
import type { LeafCondition } from './conditions.js';
import { cronRunId, fireTrigger, invocationIdFor } from './fire.js';
import { errorMatches, matchesPredicateOrValue } from './match.js';
import type { SourceInvocation, TriggerContext, TriggerEventInfo } from './types.js';

/** Internal events: a part of an on.all() condition happened (a source invocation finished). */
export const PART_EVENT = 'taskapp.trigger.part';

/** Stored under the last-fire key space: events before this were scanned by some runner. */
const EVENTS_CURSOR_KEY = 'taskapp:events-cursor';
/** Events committed late by another process (clock skew, slow commit) are still seen within this. */
const EVENT_OVERLAP_MS = 5_000;
const EVENT_PAGE = 500;
const PURGE_EVERY_MS = 60_000;

interface PartPayload {
  triggerId: string;
  part: number;
  invocationId: string;
}

interface SchedulerOptions {
  /** Clock for tests; default Date.now. */
  now?: () => number;
  /** When this runner started watching (default: now()). */
  startedAt?: number;
}

export class TriggerScheduler {
  readonly defs: TriggerDef[];
  private readonly crons: CronPart[];
  private readonly eventDefs: TriggerDef[];
  private readonly allDefs: TriggerDef[];
  private readonly bySourceTask = new Map<string, TriggerDef[]>();
  private readonly now: () => number;
  private readonly startedAt: number;
  /** Last time this runner saw each trigger paused: slots up to then are never fired. */
  private readonly pausedSeen = new Map<string, number>();
  private paused = new Set<string>();
  private stopping = false;
  private wake?: () => void;
  private loopDone?: Promise<void>;
  private unsubscribe?: () => void;
  private readonly inFlight = new Set<Promise<unknown>>();
  private eventCursor: number | null = null;
  private storedCursor: number | null = null;
  private readonly seenEvents = new Map<string, number>();
  private readonly allFired = new Set<string>();
  /** Cron slots another runner claimed: checked once, after the grace, that their invocation exists. */
  private readonly toVerify = new Map<string, { part: CronPart; slot: number; checkAt: number }>();
  private readonly verified = new Map<string, number>();
  private lastPurge = 0;

  constructor(
    private readonly app: Runtime,
    private readonly backends: Backends,
    opts: SchedulerOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.startedAt = opts.startedAt ?? this.now();
    this.defs = collectTriggers(app);
    this.crons = cronParts(this.defs);
    this.eventDefs = this.defs.filter(
      (d) =>
        leavesOf(d.trigger.condition).some((l) => l.kind === 'event') &&
        d.trigger.condition.kind !== 'all',
    );
    this.allDefs = this.defs.filter((d) => d.trigger.condition.kind === 'all');
    for (const def of this.defs) {
      for (const leaf of leavesOf(def.trigger.condition)) {
        if (leaf.kind === 'exception') {
          for (const e of leaf.errors) {
            if (typeof e !== 'string') {
              app.registerError(e);
            }
          }
        }
        if (leaf.kind !== 'status' && leaf.kind !== 'result' && leaf.kind !== 'exception') {
          continue;
        }
        const list = this.bySourceTask.get(leaf.taskId) ?? [];
        if (!list.includes(def)) {
          list.push(def);
        }
        this.bySourceTask.set(leaf.taskId, list);
      }
    }
  }

  get empty(): boolean {
    return this.defs.length === 0;
  }

  /** A slot not seen by any runner for this long was missed (no runner was alive). */
  private get graceMs(): number {
    return this.app.config.runner.runner_dead_after_seconds * 1000;
  }

  start(): this {
    this.unsubscribe = this.app.onFinal((recs) => this.track(this.onFinal(recs)));
    const interval = this.app.config.triggers.check_interval_ms;
    this.loopDone = (async () => {
      while (!this.stopping) {
        await this.tick().catch((err) =>
          this.app.logger.warn('trigger check failed', { error: (err as Error).message }),
        );
        if (this.stopping) {
          break;
        }
        await new Promise<void>((r) => {
          const t = setTimeout(r, interval);
          this.wake = () => {
            clearTimeout(t);
            r();
          };
        });
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loopDone;
    this.unsubscribe?.();
    await Promise.allSettled([...this.inFlight]);
  }

  private track<T>(p: Promise<T>): void {
    const q = p
      .catch((err) => this.app.logger.warn('trigger failed', { error: (err as Error).message }))
      .finally(() => this.inFlight.delete(q));
    this.inFlight.add(q);
  }

  /** One pass: cron slots, events, on.all() completions, slot repair, event purge. */
  async tick(now = this.now()): Promise<void> {
    if (this.empty) {
      return;
    }
    this.paused = new Set(await this.backends.triggers.pausedTriggers());
    for (const part of this.crons) {
      await this.checkCron(part, now);
    }
    if (this.eventDefs.length || this.allDefs.length) {
      await this.scanEvents(now);
    }
    await this.verifySlots(now);
    if (now - this.lastPurge > PURGE_EVERY_MS) {
      this.lastPurge = now;
      await this.backends.triggers.purgeEvents(
        now - this.app.config.triggers.event_retention_days * 86_400_000,
      );
    }
  }

  /** Dev mode (no runner, no loop): fire status/result/exception triggers now, awaited. */
  async handleFinal(recs: InvocationRecord[]): Promise<void> {
    this.paused = new Set(await this.backends.triggers.pausedTriggers());
    await this.onFinal(recs);
    if (this.allDefs.length) {
      await this.scanEvents(this.now());
    }
  }

  /** Dev mode: fire event (and on.all) triggers for the events stored so far, awaited. */
  async processEvents(): Promise<void> {
    if (!this.eventDefs.length && !this.allDefs.length) {
      return;
    }
    this.paused = new Set(await this.backends.triggers.pausedTriggers());
    await this.scanEvents(this.now());
  }

  // ---- cron ----

  private async checkCron({ def, key, leaf }: CronPart, now: number): Promise<void> {
    const store = this.backends.triggers;
    const last = await store.lastFire(key);
    if (last !== null) {
      this.noteClaimed({ def, key, leaf }, last, now);
    }
    if (this.paused.has(def.id)) {
      this.pausedSeen.set(def.id, now);
      return;
    }
    const grace = this.graceMs;
    const catchUp = this.app.config.triggers.catch_up_seconds * 1000;
    const floor = this.pausedSeen.get(def.id) ?? -Infinity;
    const from = Math.max(last ?? -Infinity, floor, now - Math.max(grace, catchUp));
    const slots = leaf.schedule.latestBetween(from, now, 1000);
    // A slot is due when a runner was alive at it: this one (it came after our start) or another
    // (it directly follows the last fired slot), and it is not older than the grace (a process
    // frozen for hours must not flood). Every due slot fires. Of the missed ones, only the latest
    // fires, and only within catch_up_seconds.
    let expectNext = last === null ? null : leaf.schedule.next(last);
    const plan: number[] = [];
    let latestMissed: number | undefined;
    for (const slot of slots) {
      if ((slot >= this.startedAt || slot === expectNext) && now - slot <= grace) {
        plan.push(slot);
        expectNext = leaf.schedule.next(slot);
      } else {
        latestMissed = slot; // missed slots always precede due ones
      }
    }
    if (latestMissed !== undefined && now - latestMissed <= catchUp) {
      plan.unshift(latestMissed);
    }
    let cur = last;
    for (const slot of plan) {
      if (cur !== null && slot - cur < leaf.minIntervalSeconds * 1000) {
        continue;
      }
      if (!(await store.casLastFire(key, cur, slot))) {
        return;
      } // another runner fired it: re-read next tick
      cur = slot;
      this.verified.set(key, slot);
      await fireTrigger(
        this.app,
        this.backends,
        def,
        this.ctx(def, 'cron', { slot }),
        cronRunId(def.id, slot),
      );
    }
  }

  private noteClaimed(part: CronPart, slot: number, now: number): void {
    // Only recent slots: an old one's invocation may long be purged.
    if ((this.verified.get(part.key) ?? -Infinity) >= slot || now - slot > this.graceMs) {
      return;
    }
    const k = `${part.key}@${slot}`;
    if (!this.toVerify.has(k)) {
      this.toVerify.set(k, { part, slot, checkAt: now + this.graceMs });
    }
  }

  /** A runner that died between winning a slot and registering its invocation: fire it once more. */
  private async verifySlots(now: number): Promise<void> {
    for (const [k, { part, slot, checkAt }] of this.toVerify) {
      if (checkAt > now) {
        continue;
      }
      this.toVerify.delete(k);
      if ((this.verified.get(part.key) ?? -Infinity) < slot) {
        this.verified.set(part.key, slot);
      }
      const runId = cronRunId(part.def.id, slot);
      if (await this.backends.state.get(invocationIdFor(this.app.appId, runId))) {
        continue;
      }
      if (!(await this.backends.triggers.claimRun(`${runId}#repair`, now))) {
        continue;
      }
      this.app.logger.warn(
        'a cron slot was claimed but never started (its runner died): firing it now',
        { trigger: part.def.id, slot: new Date(slot).toISOString() },
      );
      await fireTrigger(
        this.app,
        this.backends,
        part.def,
        this.ctx(part.def, 'cron', { slot }),
        runId,
        true,
      );
    }
  }

  // ---- events ----

  private async scanEvents(now: number): Promise<void> {
    const store = this.backends.triggers;
    const retentionMs = this.app.config.triggers.event_retention_days * 86_400_000;
    if (this.eventCursor === null) {
      this.storedCursor = await store.lastFire(EVENTS_CURSOR_KEY);
      this.eventCursor = Math.max(this.storedCursor ?? 0, now - retentionMs);
    }
    let since = this.eventCursor - EVENT_OVERLAP_MS;
    const fresh = new Map<string, StoredEvent>();
    for (let page = 0; page < 10; page++) {
      const evs = await store.events(since, EVENT_PAGE);
      for (const e of evs) {
        if (!this.seenEvents.has(e.id)) {
          fresh.set(e.id, e);
        }
      }
      if (evs.length < EVENT_PAGE || evs[evs.length - 1]!.at === since) {
        break;
      }
      since = evs[evs.length - 1]!.at;
    }
    // Seen only once handled: a backend error leaves the rest for the next tick.
    for (const e of fresh.values()) {
      if (e.code !== PART_EVENT) {
        await this.fireEventTriggers(e);
      }
      this.seenEvents.set(e.id, e.at);
      this.eventCursor = Math.max(this.eventCursor, e.at);
    }
    if (this.allDefs.length) {
      await this.checkAll(now);
    }
    for (const [id, at] of this.seenEvents) {
      if (at < this.eventCursor - 2 * EVENT_OVERLAP_MS) {
        this.seenEvents.delete(id);
      }
    }
    const mark = this.eventCursor - EVENT_OVERLAP_MS;
    if (
      mark > (this.storedCursor ?? -Infinity) + 1000 &&
      (await store.casLastFire(EVENTS_CURSOR_KEY, this.storedCursor, mark))
    ) {
      this.storedCursor = mark;
    } else if (mark > (this.storedCursor ?? -Infinity) + 1000) {
      this.storedCursor = await store.lastFire(EVENTS_CURSOR_KEY);
    }
  }

  private eventInfo(e: StoredEvent): TriggerEventInfo {
    return {
      id: e.id,
      code: e.code,
      payload: this.app.serializer.deserialize(e.payload),
      at: e.at,
    };
  }

  private async fireEventTriggers(e: StoredEvent): Promise<void> {
    let info: TriggerEventInfo | undefined;
    for (const def of this.eventDefs) {
      if (this.paused.has(def.id)) {
        continue;
      }
      info ??= this.eventInfo(e);
      const hit = leavesOf(def.trigger.condition).some(
        (l) => l.kind === 'event' && this.eventMatches(l, info!),
      );
      if (hit) {
        await fireTrigger(
          this.app,
          this.backends,
          def,
          this.ctx(def, 'event', { event: info }),
          `${def.id}@event:${e.id}`,
        );
      }
    }
  }

  private eventMatches(l: LeafCondition, e: TriggerEventInfo): boolean {
    if (l.kind !== 'event' || l.code !== e.code) {
      return false;
    }
    try {
      return matchesPredicateOrValue(e.payload, l.filter);
    } catch (err) {
      this.app.logger.warn('event filter threw; treated as no match', {
        event: e.id,
        error: (err as Error).message,
      });
      return false;
    }
  }

  /**
   * on.all(): an occurrence completes the condition when every other part occurred strictly before
   * it (time, then id) and within the window. So exactly one occurrence completes each group and its
   * id names the run. Recent occurrences are re-checked each tick: a peer's part may commit late.
   */
  private async checkAll(now: number): Promise<void> {
    const maxWindow =
      Math.max(
        ...this.allDefs.map(
          (d) => (d.trigger.condition as { windowSeconds: number }).windowSeconds,
        ),
      ) * 1000;
    const recentFrom = Math.min(this.eventCursor!, now) - EVENT_OVERLAP_MS;
    const evs = await this.backends.triggers.events(recentFrom - maxWindow, 10_000);
    const decoded = new Map<
      string,
      { e: StoredEvent; info?: TriggerEventInfo; part?: PartPayload }
    >();
    const view = (e: StoredEvent) => {
      let v = decoded.get(e.id);
      if (!v) {
        v = { e };
        if (e.code === PART_EVENT) {
          v.part = this.app.serializer.deserialize(e.payload) as PartPayload;
        }
        decoded.set(e.id, v);
      }
      return v;
    };
    const isPart = (def: TriggerDef, i: number, leaf: LeafCondition, e: StoredEvent): boolean => {
      const v = view(e);
      if (e.code === PART_EVENT) {
        return v.part!.triggerId === def.id && v.part!.part === i;
      }
      if (leaf.kind !== 'event' || leaf.code !== e.code) {
        return false;
      }
      v.info ??= this.eventInfo(e);
      return this.eventMatches(leaf, v.info);
    };
    const before = (a: StoredEvent, b: StoredEvent) =>
      a.at < b.at || (a.at === b.at && a.id < b.id);
    for (const def of this.allDefs) {
      if (this.paused.has(def.id)) {
        continue;
      }
      const cond = def.trigger.condition as { parts: LeafCondition[]; windowSeconds: number };
      for (const e of evs) {
        if (e.at < recentFrom) {
          continue;
        }
        const runId = `${def.id}@all:${e.id}`;
        if (this.allFired.has(runId)) {
          continue;
        }
        const mine = cond.parts.findIndex((leaf, i) => isPart(def, i, leaf, e));
        if (mine < 0) {
          continue;
        }
        const chosen: StoredEvent[] = [];
        for (let j = 0; j < cond.parts.length; j++) {
          if (j === mine) {
            chosen.push(e);
            continue;
          }
          let best: StoredEvent | undefined;
          for (const o of evs) {
            if (
              o.at < e.at - cond.windowSeconds * 1000 ||
              !before(o, e) ||
              !isPart(def, j, cond.parts[j]!, o)
            ) {
              continue;
            }
            if (!best || before(best, o)) {
              best = o;
            }
          }
          if (!best) {
            break;
          }
          chosen.push(best);
        }
        if (chosen.length < cond.parts.length) {
          continue;
        }
        this.allFired.add(runId);
        if (!(await this.backends.triggers.claimRun(runId, now))) {
          continue;
        }
        const parts = await Promise.all(
          chosen.map((o, j) => this.partContext(def, cond.parts[j]!, view(o))),
        );
        await fireTrigger(
          this.app,
          this.backends,
          def,
          this.ctx(def, 'all', { parts }),
          runId,
          true,
        );
      }
    }
    for (const id of this.allFired) {
      if (!decoded.has(id.slice(id.lastIndexOf('@all:') + 5))) {
        this.allFired.delete(id);
      }
    }
  }

  private async partContext(
    def: TriggerDef,
    leaf: LeafCondition,
    v: { e: StoredEvent; info?: TriggerEventInfo; part?: PartPayload },
  ): Promise<TriggerContext> {
    if (v.part) {
      const rec = await this.backends.state.get(v.part.invocationId);
      return this.ctx(def, leaf.kind, rec ? { invocation: this.source(rec) } : {});
    }
    return this.ctx(def, 'event', { event: v.info ?? this.eventInfo(v.e) });
  }

  // ---- status / result / exception ----

  private source(rec: InvocationRecord): SourceInvocation {
    const s = this.app.serializer;
    return {
      id: rec.id,
      taskId: rec.taskId,
      status: rec.status,
      args: s.deserialize(rec.args) as Record<string, unknown>,
      ...(rec.status === 'SUCCESS' && rec.result !== null
        ? { result: s.deserialize(rec.result) }
        : {}),
      ...(rec.status === 'FAILED' && rec.error !== null
        ? { error: this.app.errors.revive(rec.error, s, rec.id) }
        : {}),
    };
  }

  private leafMatches(leaf: LeafCondition, src: SourceInvocation): boolean {
    if (!('taskId' in leaf) || leaf.taskId !== src.taskId) {
      return false;
    }
    try {
      if (leaf.kind === 'status') {
        return leaf.statuses.includes(src.status as never);
      }
      if (leaf.kind === 'result') {
        return src.status === 'SUCCESS' && matchesPredicateOrValue(src.result, leaf.match);
      }
      if (leaf.kind === 'exception') {
        return src.status === 'FAILED' && errorMatches(src.error, leaf);
      }
    } catch (err) {
      this.app.logger.warn('trigger predicate threw; treated as no match', {
        invocation: src.id,
        error: (err as Error).message,
      });
    }
    return false;
  }

  /** Runs in the runner that recorded the final status; the run id keeps it once per source invocation. */
  private async onFinal(recs: InvocationRecord[]): Promise<void> {
    for (const rec of recs) {
      const defs = this.bySourceTask.get(rec.taskId);
      if (!defs) {
        continue;
      }
      const src = this.source(rec);
      for (const def of defs) {
        if (this.paused.has(def.id)) {
          continue;
        }
        const c = def.trigger.condition;
        if (c.kind === 'all') {
          for (const [i, leaf] of c.parts.entries()) {
            if (!this.leafMatches(leaf, src)) {
              continue;
            }
            const payload: PartPayload = { triggerId: def.id, part: i, invocationId: rec.id };
            await this.backends.triggers
              .addEvent({
                id: `part:${def.id}:${i}:${rec.id}`,
                code: PART_EVENT,
                payload: this.app.serializer.serialize(payload),
                at: rec.updatedAt,
              })
              .catch(() => {
                /* already recorded (a repeated notification) */
              });
          }
          continue;
        }
        const leaf = leavesOf(c).find((l) => this.leafMatches(l, src));
        if (leaf) {
          await fireTrigger(
            this.app,
            this.backends,
            def,
            this.ctx(def, leaf.kind, { invocation: src }),
            `${def.id}@inv:${rec.id}`,
          );
        }
      }
    }
  }

  private ctx(
    def: TriggerDef,
    kind: TriggerContext['kind'],
    extra: Partial<TriggerContext>,
  ): TriggerContext {
    return { triggerId: def.id, taskId: def.taskId, kind, firedAt: Date.now(), ...extra };
  }
}

/** Started by runners; null when the app declares no triggers. */
export async function startTriggerLoop(
  app: Runtime,
  b: Backends,
  opts: SchedulerOptions = {},
): Promise<TriggerScheduler | null> {
  const s = new TriggerScheduler(app, b, opts);
  return s.empty ? null : s.start();
}
