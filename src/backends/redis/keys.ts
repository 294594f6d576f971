/**
 * Key names. Every key of an app starts with one prefix holding a Redis Cluster hash tag, so all of
 * an app's keys live on one slot and each Lua script may touch any of them.
 */
export function keyPrefix(appId: string, configured: string | undefined): string {
  if (configured === undefined) {
    return `taskapp:{${appId}}:`;
  }
  const base = configured === '' || configured.endsWith(':') ? configured : `${configured}:`;
  // A prefix without a hash tag gets the app's, so keys still share a slot on a cluster.
  return /\{[^}]+\}/.test(base) ? base : `${base}{${appId}}:`;
}

/**
 * The keys the TypeScript side names itself (the Lua scripts build theirs from the prefix, among
 * them the concurrency bookkeeping: `run:<key>` the set of active invocations of a running-
 * concurrency key, `rate:<key>` its start times, `reg:<key>` the REGISTERED invocation of a
 * registration key).
 */
export class Keys {
  constructor(readonly prefix: string) {}
  inv(id: string): string {
    return `${this.prefix}i:${id}`;
  }
  logs(id: string): string {
    return `${this.prefix}log:${id}`;
  }
  /** Hash of an invocation's extras: `rerun_of`, `progress` (JSON); purge.lua deletes it with it. */
  extras(id: string): string {
    return `${this.prefix}x:${id}`;
  }
  op(opId: string): string {
    return `${this.prefix}op:${opId}`;
  }
  /** KEYS[1] of scripts that cache no reply: any key in the app's slot. */
  get slot(): string {
    return `${this.prefix}op:-`;
  }
  get ready(): string {
    return `${this.prefix}q`;
  }
  get delayed(): string {
    return `${this.prefix}qd`;
  }
  get marker(): string {
    return `${this.prefix}qm`;
  }
  /** Set of paused task names (task-pauses.ts). */
  get pausedTasks(): string {
    return `${this.prefix}pt`;
  }
  /** A paused task's parked entries, scored as in the ready queue. */
  parked(task: string): string {
    return `${this.prefix}pk:${task}`;
  }
  get runners(): string {
    return `${this.prefix}runners`;
  }
  get conditions(): string {
    return `${this.prefix}cond`;
  }
  get lastFire(): string {
    return `${this.prefix}lastfire`;
  }
  get pausedTriggers(): string {
    return `${this.prefix}paused`;
  }
  get events(): string {
    return `${this.prefix}ev`;
  }
  get eventData(): string {
    return `${this.prefix}evd`;
  }
  blob(key: string): string {
    return `${this.prefix}b:${key}`;
  }
  get blobStats(): string {
    return `${this.prefix}bstat`;
  }
  /** Invocations holding a blob reference. */
  get blobReferrers(): string {
    return `${this.prefix}brefs`;
  }
  wf(id: string): string {
    return `${this.prefix}wf:${id}`;
  }
  get wfIndex(): string {
    return `${this.prefix}wfs`;
  }
  get finalChannel(): string {
    return `${this.prefix}final`;
  }
  /** Cancel requests for runners (CancelSignals). */
  get cancelChannel(): string {
    return `${this.prefix}cancel`;
  }
}
