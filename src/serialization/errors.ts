/**
 * Errors thrown by tasks travel as ErrorData; `result()` rebuilds them as the same class when the
 * class is registered with the app (or is a JavaScript built-in), otherwise as TaskFailedError.
 */
import * as taskappErrors from '../core/errors.js';
import { TaskFailedError } from '../core/errors.js';
import { errorToPlain, type ErrorData, type Serializer } from './serializer.js';

// Revived with Object.create(prototype): the constructor's signature does not matter.
type ErrorClass = abstract new (...args: any[]) => Error;

const BUILTIN: ErrorClass[] = [
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  ...(Object.values(taskappErrors) as unknown[]).filter(
    (v): v is ErrorClass =>
      typeof v === 'function' &&
      (v as { prototype: unknown }).prototype instanceof Error &&
      v !== TaskFailedError,
  ),
];

export class ErrorRegistry {
  private readonly classes = new Map<string, ErrorClass>(BUILTIN.map((c) => [c.name, c]));

  register(cls: ErrorClass): void {
    this.classes.set(cls.name, cls);
  }

  serialize(err: unknown, serializer: Serializer): string {
    const plain = errorToPlain(err);
    try {
      return serializer.serialize(plain, 'error');
    } catch {
      // Fields that cannot be serialized are dropped rather than losing the error itself.
      return serializer.serialize({ ...plain, fields: {} }, 'error');
    }
  }

  revive(text: string, serializer: Serializer, invocationId?: string): Error {
    const data = serializer.deserialize(text) as ErrorData;
    const cls = this.classes.get(data.name);
    if (!cls) {
      return new TaskFailedError(
        data.name,
        data.message,
        data.stack,
        data.fields ?? {},
        invocationId,
      );
    }
    const err = Object.create(cls.prototype) as Error;
    Object.defineProperty(err, 'message', {
      value: data.message,
      writable: true,
      configurable: true,
    });
    Object.defineProperty(err, 'stack', { value: data.stack, writable: true, configurable: true });
    if (err.name !== data.name) {
      Object.defineProperty(err, 'name', { value: data.name, writable: true, configurable: true });
    }
    Object.assign(err, data.fields ?? {});
    return err;
  }

  /** Name of an error value, for matching retryFor lists by name. */
  static nameOf(err: unknown): string {
    return err instanceof Error ? err.name : 'NonErrorThrown';
  }
}
