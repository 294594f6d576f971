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
import { FINAL_ROW_MAX, RECORD_FIELDS } from './codec.js';

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
  'owned',
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
  'history',
  'pause_task',
  'resume_task',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

const luaStr = (s: string) => JSON.stringify(s); // status names are plain ASCII: a JSON string is a Lua string
/**
 * A set as a string ',A,B,' read through a memoizing __index: a script call builds no table entry
 * it does not look up (a table constructor per set cost most of a small script's run).
 */
const luaSet = (xs: Iterable<string>) => `set_of(${luaStr(`,${[...xs].join(',')},`)})`;

/** Lua tables of the state machine, from status.ts, apply-transition.ts and concurrency.ts, and the record row's fields (codec.ts). */
export function statusPrelude(): string {
  // 'FROM:,TO1,TO2,;' per status, read one FROM at a time.
  const transitions = Object.entries(TRANSITIONS)
    .map(([from, tos]) => `${from}:,${[...tos].join(',')},;`)
    .join('');
  return [
    '-- generated from src/core/status.ts at load time',
    // One metatable for every set, the set's string at [0]: a table per set, not two and a closure.
    'local SET_MT = { __index = function(t, k)',
    '  if k == nil then return nil end',
    "  local v = type(k) == 'string' and string.find(rawget(t, 0), ',' .. k .. ',', 1, true) ~= nil",
    '  rawset(t, k, v)',
    '  return v',
    'end }',
    'local function set_of(s)',
    '  return setmetatable({ [0] = s }, SET_MT)',
    'end',
    `local TRANSITIONS_S=${luaStr(';' + transitions)}`,
    'local TRANSITIONS = setmetatable({}, { __index = function(t, from)',
    "  if type(from) ~= 'string' then return nil end",
    "  local i = string.find(TRANSITIONS_S, ';' .. from .. ':', 1, true)",
    '  local v = false',
    '  if i then',
    "    local j = string.find(TRANSITIONS_S, ';', i + 1, true)",
    '    v = set_of(string.sub(TRANSITIONS_S, i + #from + 2, j - 1))',
    '  end',
    '  rawset(t, from, v)',
    '  return v',
    'end })',
    `local OWNED=${luaSet(OWNED_STATUSES)}`,
    `local RECOVERY=${luaSet(RECOVERY_STATUSES)}`,
    `local REPEATABLE=${luaSet(REPEATABLE_STATUSES)}`,
    `local FINAL=${luaSet(FINAL_STATUSES)}`,
    `local ACQUIRABLE=${luaSet(ACQUIRABLE)}`,
    `local QUEUED=${luaSet(QUEUED_STATUSES)}`,
    `local ACTIVE=${luaSet(ACTIVE_STATUSES)}`,
    `local STATUSES={${STATUSES.map(luaStr).join(',')}}`,
    `local RECORD_FIELDS={${RECORD_FIELDS.map(luaStr).join(',')}}`,
    `local FINAL_ROW_MAX=${FINAL_ROW_MAX}`,
    // Small counts as strings: attempts (num() in lib.lua).
    `local NUMS={${Array.from({ length: 16 }, (_, i) => luaStr(String(i + 1))).join(',')}}`,
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
