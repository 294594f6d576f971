/**
 * The Lua scripts in lua/*.lua, loaded from files at run time. Each script is sent as: the status
 * tables generated here from src/core/status.ts (so Lua validates with the very same table as
 * checkTransition), then lua/lib.lua, then its own body.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RedisClient } from './client.js';
import {
  FINAL_STATUSES,
  OWNED_STATUSES,
  QUEUED_STATUSES,
  RECOVERY_STATUSES,
  REPEATABLE_STATUSES,
  STATUSES,
  TRANSITIONS,
} from '../../core/status.js';
import { ACQUIRABLE } from '../../orchestration/apply-transition.js';
import { ACTIVE_STATUSES } from '../../orchestration/concurrency.js';

const LUA_DIR = fileURLToPath(new URL('./lua/', import.meta.url));

const SCRIPT_NAMES = [
  'transition',
  'acquire',
  'insert',
  'route',
  'claim',
  'get_many',
  'list',
  'count_by_status',
  'owned_by_others',
  'purge',
  'lease',
  'cas_last_fire',
  'claim_run',
  'add_event',
  'purge_events',
  'blob_put',
  'blob_delete',
  'enqueue',
  'claim_start',
  'finish_claim',
  'wf_set',
  'blob_refs',
  'blob_release',
  'requeue_stranded',
  'claim_stranded',
  'queued',
  'get_final',
  'pause_task',
  'resume_task',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

const luaStr = (s: string) => JSON.stringify(s); // status names are plain ASCII: a JSON string is a Lua string
const luaSet = (xs: Iterable<string>) => `{${[...xs].map((x) => `[${luaStr(x)}]=true`).join(',')}}`;

/** Lua tables of the state machine, from status.ts, apply-transition.ts and concurrency.ts. */
export function statusPrelude(): string {
  const transitions = Object.entries(TRANSITIONS)
    .map(([from, tos]) => `[${luaStr(from)}]=${luaSet(tos)}`)
    .join(',');
  return [
    '-- generated from src/core/status.ts at load time',
    `local TRANSITIONS={${transitions}}`,
    `local OWNED=${luaSet(OWNED_STATUSES)}`,
    `local RECOVERY=${luaSet(RECOVERY_STATUSES)}`,
    `local REPEATABLE=${luaSet(REPEATABLE_STATUSES)}`,
    `local FINAL=${luaSet(FINAL_STATUSES)}`,
    `local ACQUIRABLE=${luaSet(ACQUIRABLE)}`,
    `local QUEUED=${luaSet(QUEUED_STATUSES)}`,
    `local ACTIVE=${luaSet(ACTIVE_STATUSES)}`,
    `local STATUSES={${STATUSES.map(luaStr).join(',')}}`,
    '',
  ].join('\n');
}

let sources: Map<ScriptName, string> | undefined;

function scriptSource(name: ScriptName): string {
  if (!sources) {
    const head = statusPrelude() + readFileSync(`${LUA_DIR}lib.lua`, 'utf8');
    sources = new Map(
      SCRIPT_NAMES.map((n) => [n, `${head}\n${readFileSync(`${LUA_DIR}${n}.lua`, 'utf8')}`]),
    );
  }
  return sources.get(name)!;
}

type ScriptFn = (key: string, ...args: Array<string | number | Buffer>) => Promise<unknown>;

/** Registers every script on a connection (EVALSHA, falling back to EVAL after a server restart). */
export function defineScripts(redis: RedisClient): Record<ScriptName, ScriptFn> {
  const out = {} as Record<ScriptName, ScriptFn>;
  for (const name of SCRIPT_NAMES) {
    redis.defineCommand(`taskapp_${name}`, { numberOfKeys: 1, lua: scriptSource(name) });
    const fn = (redis as unknown as Record<string, ScriptFn>)[`taskapp_${name}`]!;
    out[name] = fn.bind(redis);
  }
  return out;
}
