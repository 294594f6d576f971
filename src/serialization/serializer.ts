/**
 * The default serializer: JSON that round-trips what plain JSON loses (Date, Map, Set, BigInt,
 * Buffer/Uint8Array, undefined in objects, NaN/Infinity) and classes registered with the app that
 * implement `toJSON()` and a static `fromJSON()` (pynenc's JsonSerializable idea).
 * Tagged values are `{"$t": tag, "v": value}`; a user object that has its own "$t" key is escaped,
 * so any plain data round-trips.
 * Bad shapes fail with a SerializationError naming the path, never with a raw RangeError: circular
 * references, nesting deeper than MAX_DEPTH, and `__proto__` keys (a plain assignment would drop them).
 */
import { SerializationError } from '../core/errors.js';

export interface SerializableClass<T = unknown> {
  new (...args: never[]): T;
  fromJSON(json: unknown): T;
  name: string;
}

export interface Serializer {
  readonly name: string;
  serialize(value: unknown, where?: string): string;
  deserialize(text: string): unknown;
}

const TAG = '$t';
/** Deeper than this is refused: far beyond real data, well within the JavaScript stack. */
export const MAX_DEPTH = 1000;

export class JsonSerializer implements Serializer {
  readonly name = 'json';
  private readonly byName = new Map<string, SerializableClass>();
  private readonly byCtor = new Map<unknown, string>();

  /** Registers a class (toJSON + static fromJSON) under its name, or under `name`. */
  register(cls: SerializableClass, name = cls.name): void {
    if (typeof cls.fromJSON !== 'function' || typeof cls.prototype?.toJSON !== 'function') {
      throw new SerializationError(
        `class ${cls.name} cannot be registered for serialization: it needs a toJSON() method and a static fromJSON()`,
        'add `toJSON() { return {...} }` and `static fromJSON(json) { return new ThisClass(...) }`',
      );
    }
    this.byName.set(name, cls);
    this.byCtor.set(cls, name);
  }

  serialize(value: unknown, where = 'value'): string {
    return JSON.stringify(this.encode(value, where, new Ancestors()));
  }

  /**
   * The members of a plain object as a JSON fragment (`"a":1,"b":2`, no braces), so callers can
   * join fragments serialized once (parallelize's `common` arguments) into many objects.
   */
  serializeMembers(obj: Record<string, unknown>, where = 'value'): string | null {
    // An object with its own "$t" key is escaped as a whole: it cannot be cut into members.
    if (Object.prototype.hasOwnProperty.call(obj, TAG)) {
      return null;
    }
    return JSON.stringify(this.encode(obj, where, new Ancestors())).slice(1, -1);
  }

  deserialize(text: string): unknown {
    // Fast path: nothing tagged, plain JSON.
    if (!text.includes('"$t"')) {
      return JSON.parse(text);
    }
    return this.decode(JSON.parse(text));
  }

  /** `parents`: the objects that contain `v`, outermost first (cycle and depth checks). */
  private encode(v: unknown, path: string, parents: Ancestors): unknown {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        return Number.isFinite(v) ? v : { [TAG]: 'Num', v: String(v) };
      case 'bigint':
        return { [TAG]: 'BigInt', v: v.toString() };
      case 'undefined':
        return { [TAG]: 'U' };
      case 'function':
      case 'symbol':
        throw new SerializationError(
          `${path} is a ${typeof v}, which cannot be serialized`,
          'pass plain data (strings, numbers, objects, arrays, Date, Map, Set, BigInt, Buffer) or a registered class',
        );
    }
    if (v === null) {
      return null;
    }
    const obj = v as object;
    checkNesting(obj, path, parents);
    parents.push(obj, path);
    try {
      return this.encodeObject(obj, path, parents);
    } finally {
      parents.pop();
    }
  }

  private encodeObject(v: object, path: string, parents: Ancestors): unknown {
    if (Array.isArray(v)) {
      return v.map((x, i) => (x === undefined ? null : this.encode(x, `${path}[${i}]`, parents)));
    }
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        if (k === '__proto__') {
          throw new SerializationError(
            `${path} has a key "__proto__", which would be dropped or change the object's prototype when read back`,
            'rename the key (e.g. "proto"), or pass the data as a Map',
          );
        }
        out[k] = this.encode((v as Record<string, unknown>)[k], `${path}.${k}`, parents);
      }
      return TAG in out ? { [TAG]: 'Obj', v: out } : out;
    }
    if (v instanceof Date) {
      return { [TAG]: 'Date', v: v.getTime() };
    }
    if (Buffer.isBuffer(v)) {
      return { [TAG]: 'Buf', v: v.toString('base64') };
    }
    if (v instanceof Uint8Array) {
      return {
        [TAG]: 'U8',
        v: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'),
      };
    }
    if (v instanceof Map) {
      return {
        [TAG]: 'Map',
        v: [...v].map(([k, x], i) => [
          this.encode(k, `${path}<key ${i}>`, parents),
          this.encode(x, `${path}<value ${i}>`, parents),
        ]),
      };
    }
    if (v instanceof Set) {
      return {
        [TAG]: 'Set',
        v: [...v].map((x, i) => this.encode(x, `${path}<item ${i}>`, parents)),
      };
    }
    const name = this.byCtor.get((v as object).constructor);
    if (name !== undefined) {
      return {
        [TAG]: 'C',
        c: name,
        v: this.encode((v as { toJSON(): unknown }).toJSON(), `${path}.toJSON()`, parents),
      };
    }
    if (v instanceof Error) {
      return { [TAG]: 'Err', v: this.encode(errorToPlain(v), path, parents) };
    }
    const ctorName = (v.constructor as { name?: string } | undefined)?.name ?? 'unknown';
    throw new SerializationError(
      `${path} is an instance of class ${ctorName}, which is not registered for serialization`,
      `give ${ctorName} a toJSON() method and a static fromJSON(), then register it: taskapp({ classes: [${ctorName}] }) or app.registerClass(${ctorName})`,
    );
  }

  private decode(v: unknown): unknown {
    if (v === null || typeof v !== 'object') {
      return v;
    }
    if (Array.isArray(v)) {
      return v.map((x) => this.decode(x));
    }
    const o = v as Record<string, unknown>;
    const tag = o[TAG];
    if (typeof tag !== 'string') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(o)) {
        const d = this.decode(o[k]);
        // undefined members come back as own keys holding undefined, as they were sent.
        out[k] = d;
      }
      return out;
    }
    switch (tag) {
      case 'U':
        return undefined;
      case 'Num':
        return Number(o.v);
      case 'BigInt':
        return BigInt(o.v as string);
      case 'Date':
        return new Date(o.v as number);
      case 'Buf':
        return Buffer.from(o.v as string, 'base64');
      case 'U8':
        return new Uint8Array(Buffer.from(o.v as string, 'base64'));
      case 'Map':
        return new Map((o.v as unknown[][]).map(([k, x]) => [this.decode(k), this.decode(x)]));
      case 'Set':
        return new Set((o.v as unknown[]).map((x) => this.decode(x)));
      case 'Obj': {
        const inner = o.v as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(inner)) {
          out[k] = this.decode(inner[k]);
        }
        return out;
      }
      case 'Err':
        return this.decode(o.v);
      case 'C': {
        const cls = this.byName.get(o.c as string);
        if (!cls) {
          throw new SerializationError(
            `serialized data holds class "${String(o.c)}", which is not registered in this process`,
            `register it in every process that runs or reads this task: taskapp({ classes: [${String(o.c)}] })`,
          );
        }
        return cls.fromJSON(this.decode(o.v));
      }
      default:
        return o;
    }
  }
}

/** The objects (and their paths) that contain the value being encoded, outermost first. */
class Ancestors {
  readonly objs: object[] = [];
  readonly paths: string[] = [];
  push(obj: object, path: string): void {
    this.objs.push(obj);
    this.paths.push(path);
  }
  pop(): void {
    this.objs.pop();
    this.paths.pop();
  }
}

/**
 * Refuses `v` when it is one of its own containers (a cycle) or sits too deep. Only the depth is
 * checked on the way down (cheap); the containers are searched when the depth is exceeded, since a
 * cycle always ends up there, and to tell the two apart.
 */
function checkNesting(v: object, path: string, parents: Ancestors): void {
  if (parents.objs.length < MAX_DEPTH) {
    return;
  }
  const objs = [...parents.objs, v];
  const paths = [...parents.paths, path];
  const seen = new Map<object, number>();
  for (let i = 0; i < objs.length; i++) {
    const first = seen.get(objs[i]!);
    if (first !== undefined) {
      throw new SerializationError(
        `${shortPath(paths[i]!)} is circular: it refers back to ${shortPath(paths[first]!)}, which contains it`,
        'pass a copy without the back-reference (e.g. ids instead of parent links), or give the class a toJSON() that leaves it out',
      );
    }
    seen.set(objs[i]!, i);
  }
  throw new SerializationError(
    `${shortPath(path)} is nested more than ${MAX_DEPTH} levels deep`,
    'flatten the data (e.g. a list of nodes with parent ids instead of nested objects)',
  );
}

/** A path thousands of levels long, cut to its start and end. */
function shortPath(path: string): string {
  return path.length <= 200 ? path : `${path.slice(0, 100)}…${path.slice(-80)}`;
}

/** What we keep of a thrown error: name, message, stack and its own fields. */
export interface ErrorData {
  name: string;
  message: string;
  stack?: string;
  fields: Record<string, unknown>;
}

export function errorToPlain(err: unknown): ErrorData {
  if (!(err instanceof Error)) {
    return {
      name: 'NonErrorThrown',
      message: typeof err === 'string' ? err : safeString(err),
      fields: {},
    };
  }
  const fields: Record<string, unknown> = {};
  for (const k of Object.keys(err)) {
    if (k === 'name' || k === 'message' || k === 'stack') {
      continue;
    }
    fields[k] = (err as unknown as Record<string, unknown>)[k];
  }
  return { name: err.name, message: err.message, stack: err.stack, fields };
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
