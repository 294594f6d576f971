import { describe, expect, it } from 'vitest';
import { JsonSerializer, MAX_DEPTH } from '../../../src/serialization/serializer.js';
import { ErrorRegistry } from '../../../src/serialization/errors.js';
import { SerializationError, TaskFailedError } from '../../../src/core/errors.js';

class Money {
  constructor(
    readonly amount: bigint,
    readonly currency: string,
  ) {}
  toJSON() {
    return { amount: this.amount.toString(), currency: this.currency };
  }
  static fromJSON(j: { amount: string; currency: string }) {
    return new Money(BigInt(j.amount), j.currency);
  }
}

describe('JsonSerializer', () => {
  const s = new JsonSerializer();
  s.register(Money as never);
  const roundTrip = (v: unknown) => s.deserialize(s.serialize(v));

  it('round-trips what plain JSON loses', () => {
    const value = {
      date: new Date('2026-01-02T03:04:05.678Z'),
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, new Date(0)],
      ]),
      set: new Set([1, 'two', 3n]),
      big: 12345678901234567890n,
      buf: Buffer.from('héllo'),
      u8: new Uint8Array([1, 2, 255]),
      undef: undefined,
      nested: { arr: [1, undefined, null, NaN, Infinity, -Infinity], deep: { x: new Set() } },
      money: new Money(100n, 'EUR'),
      tricky: { $t: 'Date', v: 5 },
    };
    const back = roundTrip(value) as typeof value;
    expect(back.date).toEqual(value.date);
    expect(back.map).toEqual(value.map);
    expect(back.set).toEqual(value.set);
    expect(back.big).toBe(value.big);
    expect(Buffer.isBuffer(back.buf) && back.buf.toString()).toBe('héllo');
    expect(back.u8).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(back.u8)).toBe(false);
    expect([...back.u8]).toEqual([1, 2, 255]);
    expect('undef' in back && back.undef === undefined).toBe(true);
    expect(back.nested.arr).toEqual([1, null, null, NaN, Infinity, -Infinity]);
    expect(back.money).toBeInstanceOf(Money);
    expect(back.money.amount).toBe(100n);
    expect(back.tricky).toEqual({ $t: 'Date', v: 5 });
  });

  it('keeps plain data as plain JSON', () => {
    expect(s.serialize({ x: 1, y: ['a', { z: true }] })).toBe('{"x":1,"y":["a",{"z":true}]}');
  });

  it('names the path and the type of what it cannot serialize', () => {
    class Unregistered {
      a = 1;
    }
    expect(() => s.serialize({ cb: () => 1 }, 'argument')).toThrow(/argument\.cb is a function/);
    expect(() => s.serialize({ deep: [{ u: new Unregistered() }] }, 'argument')).toThrow(
      SerializationError,
    );
    expect(() => s.serialize({ deep: [{ u: new Unregistered() }] }, 'argument')).toThrow(
      /argument\.deep\[0\]\.u is an instance of class Unregistered.*not registered/,
    );
    expect(() => s.serialize({ sym: Symbol('x') })).toThrow(/symbol/);
  });

  it('refuses a circular value with a SerializationError naming both ends of the cycle', () => {
    const node: Record<string, unknown> = { name: 'n' };
    node.self = node;
    const err = (() => {
      try {
        s.serialize({ tree: { node } }, 'argument');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SerializationError);
    expect((err as Error).message).toMatch(
      /argument\.tree\.node\.self is circular: it refers back to argument\.tree\.node,/,
    );
    const list: unknown[] = [1];
    list.push({ back: list });
    expect(() => s.serialize({ list }, 'result')).toThrow(/result\.list\[1\]\.back is circular/);
    const m = new Map<string, unknown>();
    m.set('me', m);
    expect(() => s.serialize(m, 'result')).toThrow(/circular/);
  });

  it('still accepts the same object twice when it is not its own container', () => {
    const shared = { x: 1 };
    expect(roundTrip({ a: shared, b: [shared, shared] })).toEqual({
      a: shared,
      b: [shared, shared],
    });
  });

  it('bounds the depth: 1,000 levels pass, deeper fails with SerializationError, not RangeError', () => {
    const nest = (n: number) => {
      let v: unknown = 'leaf';
      for (let i = 0; i < n; i++) {
        v = { a: v };
      }
      return v;
    };
    expect(() => s.serialize(nest(MAX_DEPTH))).not.toThrow();
    for (const n of [MAX_DEPTH + 1, 5_000, 100_000]) {
      expect(() => s.serialize({ deep: nest(n) }, 'argument')).toThrow(SerializationError);
    }
    expect(() => s.serialize({ deep: nest(5_000) }, 'argument')).toThrow(
      /argument\.deep\.a\.a.*is nested more than 1000 levels deep/,
    );
  });

  it('refuses a "__proto__" key instead of dropping it', () => {
    const bad = JSON.parse('{"ok": 1, "inner": {"__proto__": {"admin": true}}}') as unknown;
    expect(() => s.serialize(bad, 'argument')).toThrow(SerializationError);
    expect(() => s.serialize(bad, 'argument')).toThrow(/argument\.inner has a key "__proto__"/);
  });

  it('refuses to register a class without toJSON/fromJSON, and to decode an unknown class', () => {
    class Bad {}
    expect(() => s.register(Bad as never)).toThrow(/toJSON\(\).*fromJSON/);
    const other = new JsonSerializer();
    expect(() => other.deserialize(s.serialize(new Money(1n, 'X')))).toThrow(
      /class "Money".*not registered/,
    );
  });
});

describe('ErrorRegistry', () => {
  const s = new JsonSerializer();
  class CardDeclined extends Error {
    constructor(
      m: string,
      readonly code = 'declined',
    ) {
      super(m);
      this.name = 'CardDeclined';
    }
  }

  it('revives registered and built-in classes with message, stack and fields', () => {
    const reg = new ErrorRegistry();
    reg.register(CardDeclined);
    const e = reg.revive(reg.serialize(new CardDeclined('no funds'), s), s);
    expect(e).toBeInstanceOf(CardDeclined);
    expect(e).toMatchObject({ name: 'CardDeclined', message: 'no funds', code: 'declined' });
    expect(e.stack).toContain('no funds');
    expect(reg.revive(reg.serialize(new TypeError('bad'), s), s)).toBeInstanceOf(TypeError);
  });

  it('wraps unknown classes and non-errors in TaskFailedError', () => {
    const reg = new ErrorRegistry();
    const e = reg.revive(reg.serialize(new CardDeclined('x'), s), s, 'inv-9') as TaskFailedError;
    expect(e).toBeInstanceOf(TaskFailedError);
    expect([e.remoteName, e.remoteMessage, e.fields, e.invocationId]).toEqual([
      'CardDeclined',
      'x',
      { code: 'declined' },
      'inv-9',
    ]);
    const thrownString = reg.revive(reg.serialize('just a string', s), s) as TaskFailedError;
    expect([thrownString.remoteName, thrownString.remoteMessage]).toEqual([
      'NonErrorThrown',
      'just a string',
    ]);
  });

  it('drops unserializable fields instead of losing the error', () => {
    const reg = new ErrorRegistry();
    const err = Object.assign(new Error('with fn'), { cb: () => 1 });
    expect(reg.revive(reg.serialize(err, s), s).message).toBe('with fn');
  });
});
