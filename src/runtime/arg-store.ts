/**
 * The argument data store: a serialized argument of at least `data_store.min_size_to_cache` bytes
 * is stored once in the DataStore under its sha256, and the invocation's arguments carry only a
 * reference `{"$t":"Ref","k":"<sha256>"}` in its place. Runners resolve references transparently,
 * through an LRU cache of `local_cache_size` blobs per process.
 *
 * References live only at the top level of the argument object. A user object with its own "$t"
 * key is escaped by the serializer ({"$t":"Obj",...}), so a top-level member that is exactly
 * {"$t":"Ref","k":...} can only be one of ours.
 */
import { createHash } from 'node:crypto';
import type { Runtime } from './runtime.js';
import { SerializationError } from '../core/errors.js';
import type { EffectiveTaskOptions } from './task-options.js';
import { Lru } from '../serialization/lru.js';

const REF_MARK = '"$t":"Ref"';
/** Shared by every argument that refers to no blob (never mutated). */
const NO_KEYS: string[] = [];

export interface StoredArgs {
  /** The serialized argument object (or members fragment), references in place of large members. */
  text: string;
  /** Blob keys it refers to. */
  keys: string[];
}

/** A blob's serialized text, and its decoded value once decoded when that value is immutable. */
interface CachedBlob {
  text: string;
  value?: unknown;
}

/** Per-app, per-process state: the blob cache. */
const stores = new WeakMap<Runtime, ArgStore>();
export function argStore(app: Runtime): ArgStore {
  let s = stores.get(app);
  if (!s) {
    stores.set(app, (s = new ArgStore(app)));
  }
  return s;
}

class ArgStore {
  private readonly cache: Lru<string, CachedBlob>;
  private warned = new Set<string>();

  constructor(private readonly app: Runtime) {
    this.cache = new Lru(app.config.data_store.local_cache_size);
  }

  /**
   * The members of `obj` as a JSON fragment (no braces), large ones moved to the data store;
   * null when the object cannot be cut into members (it has its own "$t" key).
   */
  async members(
    taskId: string,
    opts: EffectiveTaskOptions,
    obj: Record<string, unknown>,
    where = 'argument',
  ): Promise<StoredArgs | null> {
    const ser = this.app.serializer;
    if (Object.prototype.hasOwnProperty.call(obj, '$t')) {
      return null;
    }
    const cfg = this.app.config.data_store;
    const parts: string[] = [];
    const keys: string[] = [];
    for (const name of Object.keys(obj)) {
      const member = ser.serializeMembers({ [name]: obj[name] }, where)!;
      const head = JSON.stringify(name).length + 1;
      const bytes = Buffer.byteLength(member) - head;
      if (bytes > cfg.warn_threshold && !this.warned.has(`${taskId}.${name}`)) {
        this.warned.add(`${taskId}.${name}`);
        this.app.logger.warn(
          `task "${taskId}": argument "${name}" is ${bytes} bytes serialized (warn_threshold ${cfg.warn_threshold})`,
          { task: taskId, argument: name, bytes },
        );
      }
      const cacheable =
        bytes >= cfg.min_size_to_cache &&
        (cfg.max_size_to_cache === 0 || bytes <= cfg.max_size_to_cache) &&
        !opts.disable_cache_args.includes(name);
      if (!cacheable) {
        parts.push(member);
        continue;
      }
      const value = member.slice(head);
      const key = createHash('sha256').update(value).digest('hex');
      await this.put(key, value);
      keys.push(key);
      parts.push(`${JSON.stringify(name)}:{${REF_MARK},"k":"${key}"}`);
    }
    return { text: parts.join(','), keys };
  }

  /** `text` as stored when no member of it can reach the data store's threshold, else undefined. */
  inlineArgs(text: string): StoredArgs | undefined {
    // A UTF-16 unit is at most 3 UTF-8 bytes: most texts are decided without counting bytes.
    const min = this.app.config.data_store.min_size_to_cache;
    if (text.length * 3 < min || Buffer.byteLength(text) < min) {
      return { text, keys: NO_KEYS };
    }
    return undefined;
  }

  /** `text` is `args` serialized whole; large members move to the data store. */
  async args(
    taskId: string,
    opts: EffectiveTaskOptions,
    args: Record<string, unknown>,
    text: string,
  ): Promise<StoredArgs> {
    const inline = this.inlineArgs(text);
    if (inline) {
      return inline;
    }
    const m = await this.members(taskId, opts, args);
    return m && m.keys.length ? { text: `{${m.text}}`, keys: m.keys } : { text, keys: [] };
  }

  private async put(key: string, value: string): Promise<void> {
    const { data } = await this.app.backends();
    // `has` first: a round trip is cheaper than sending the blob again.
    if (!(await data.has(key))) {
      await data.put(key, Buffer.from(value));
    }
    this.cache.set(key, { text: value });
  }

  /** The arguments when they refer to no blob (the usual case), without a trip through a promise; else undefined. */
  resolveInline(text: string): Record<string, unknown> | undefined {
    return text.includes(REF_MARK)
      ? undefined
      : (this.app.serializer.deserialize(text) as Record<string, unknown>);
  }

  /**
   * Deserializes stored arguments, fetching referenced blobs. Each blob is decoded on its own (the
   * other members together), not pasted back into one text: a 1 MB member shared by 1,000
   * invocations was copied, scanned and parsed whole for each of them. A blob that decodes to a
   * string, number, boolean or null is decoded once per process: such a value cannot be changed by
   * the task it is given to; an object or array is decoded afresh for each invocation.
   */
  async resolve(text: string): Promise<Record<string, unknown>> {
    const ser = this.app.serializer;
    if (!text.includes(REF_MARK)) {
      return ser.deserialize(text) as Record<string, unknown>;
    }
    const top = JSON.parse(text) as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(top, '$t')) {
      return ser.deserialize(text) as Record<string, unknown>;
    }
    const names = Object.keys(top);
    const inline = names.flatMap((name) =>
      isRef(top[name]) ? [] : [`${JSON.stringify(name)}:${JSON.stringify(top[name])}`],
    );
    const rest = ser.deserialize(`{${inline.join(',')}}`) as Record<string, unknown>;
    const entries: [string, unknown][] = [];
    for (const name of names) {
      const v = top[name];
      entries.push([name, isRef(v) ? await this.blobValue(v.k) : rest[name]]);
    }
    return Object.fromEntries(entries);
  }

  private async blobValue(key: string): Promise<unknown> {
    const blob = await this.blob(key);
    if ('value' in blob) {
      return blob.value;
    }
    const value = this.app.serializer.deserialize(blob.text);
    if (value === null || typeof value !== 'object') {
      blob.value = value;
    }
    return value;
  }

  private async blob(key: string): Promise<CachedBlob> {
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      return hit;
    }
    const buf = await (await this.app.backends()).data.get(key);
    if (!buf) {
      throw new SerializationError(
        `an argument stored in the data store under ${key} is missing`,
        'the blob was deleted (purge) while an invocation still referred to it; call the task again',
      );
    }
    const blob: CachedBlob = { text: buf.toString() };
    this.cache.set(key, blob);
    return blob;
  }
}

function isRef(v: unknown): v is { $t: 'Ref'; k: string } {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    return false;
  }
  const o = v as Record<string, unknown>;
  return o.$t === 'Ref' && typeof o.k === 'string' && Object.keys(o).length === 2;
}

/**
 * Records which invocations refer to which blobs, after they are stored: a blob with no recorded
 * reference is never deleted by purge, so recording late can only leak a blob, never lose one.
 */
export async function addBlobRefs(app: Runtime, keysById: Map<string, string[]>): Promise<void> {
  const byKey = new Map<string, string[]>();
  for (const [id, keys] of keysById) {
    for (const k of keys) {
      let l = byKey.get(k);
      if (!l) {
        byKey.set(k, (l = []));
      }
      l.push(id);
    }
  }
  if (!byKey.size) {
    return;
  }
  const { data } = await app.backends();
  for (const [k, ids] of byKey) {
    await data.addRefs(k, ids);
  }
}
