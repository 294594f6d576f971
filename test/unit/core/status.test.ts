import { describe, expect, it } from 'vitest';
import {
  checkTransition,
  FINAL_STATUSES,
  OWNED_STATUSES,
  RECOVERY_STATUSES,
  STATUSES,
  TRANSITIONS,
  type Status,
} from '../../../src/core/status.js';
import { IllegalTransitionError, WrongOwnerError } from '../../../src/core/errors.js';

// The table as docs/architecture.md, section 3, states it (PAUSED -> RUNNING_RECOVERY, and
// RUNNING_RECOVERY -> FAILED for the recovery cap), written out again on purpose: the test fails if
// src/core/status.ts drifts from the documented design.
const LEGAL: Record<Status, Status[]> = {
  REGISTERED: ['PENDING', 'CONCURRENCY_CONTROLLED', 'CONCURRENCY_CONTROLLED_FINAL', 'CANCELLED'],
  CONCURRENCY_CONTROLLED: ['REROUTED', 'CANCELLED'],
  CONCURRENCY_CONTROLLED_FINAL: [],
  REROUTED: ['PENDING', 'CONCURRENCY_CONTROLLED', 'CANCELLED'],
  PENDING: ['RUNNING', 'KILLED', 'REROUTED', 'PENDING_RECOVERY', 'CANCELLED'],
  PENDING_RECOVERY: ['REROUTED'],
  RUNNING: ['PAUSED', 'KILLED', 'RETRY', 'SUCCESS', 'FAILED', 'RUNNING_RECOVERY', 'CANCELLED'],
  RUNNING_RECOVERY: ['REROUTED', 'FAILED'],
  PAUSED: ['RESUMED', 'KILLED', 'RUNNING_RECOVERY', 'CANCELLED'],
  RESUMED: ['PAUSED', 'KILLED', 'RETRY', 'SUCCESS', 'FAILED', 'RUNNING_RECOVERY', 'CANCELLED'],
  KILLED: ['REROUTED'],
  SUCCESS: [],
  FAILED: [],
  RETRY: ['PENDING', 'CANCELLED'],
  CANCELLED: [],
};

describe('status state machine', () => {
  it('has the fourteen pynenc statuses plus CANCELLED, and the final ones', () => {
    expect(STATUSES.length).toBe(15);
    expect([...FINAL_STATUSES].sort()).toEqual([
      'CANCELLED',
      'CONCURRENCY_CONTROLLED_FINAL',
      'FAILED',
      'SUCCESS',
    ]);
    for (const f of FINAL_STATUSES) {
      expect(TRANSITIONS[f]).toEqual([]);
    }
  });

  const pairs = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as const));
  it.each(pairs)('%s -> %s is legal exactly when the design says so', (from, to) => {
    const owner = OWNED_STATUSES.has(from) ? 'r1' : null;
    const legal = LEGAL[from].includes(to);
    if (legal) {
      const newOwner = checkTransition('i', from, to, owner, 'r1');
      expect(newOwner).toBe(OWNED_STATUSES.has(to) ? 'r1' : null);
    } else {
      expect(() => checkTransition('i', from, to, owner, 'r1')).toThrow(IllegalTransitionError);
    }
  });

  const ownedMoves = STATUSES.filter((s) => OWNED_STATUSES.has(s)).flatMap((from) =>
    LEGAL[from].map((to) => [from, to] as const),
  );
  it.each(ownedMoves)('%s -> %s by another runner: only recovery may', (from, to) => {
    if (RECOVERY_STATUSES.has(to)) {
      expect(checkTransition('i', from, to, 'owner', 'other')).toBeNull();
    } else {
      expect(() => checkTransition('i', from, to, 'owner', 'other')).toThrow(WrongOwnerError);
    }
  });

  it('PENDING acquires the owner; leaving owned statuses releases it', () => {
    expect(checkTransition('i', 'REGISTERED', 'PENDING', null, 'r7')).toBe('r7');
    expect(checkTransition('i', 'RETRY', 'PENDING', null, 'r8')).toBe('r8');
    expect(checkTransition('i', 'RUNNING', 'PAUSED', 'r7', 'r7')).toBe('r7');
    expect(checkTransition('i', 'RUNNING', 'SUCCESS', 'r7', 'r7')).toBeNull();
  });

  it('names the invocation, both statuses and the owners in its errors', () => {
    expect(() => checkTransition('inv-1', 'SUCCESS', 'RUNNING', null, 'r')).toThrow(
      /inv-1: illegal status change SUCCESS -> RUNNING/,
    );
    expect(() => checkTransition('inv-2', 'RUNNING', 'SUCCESS', 'a', 'b')).toThrow(
      /runner b may not move it RUNNING -> SUCCESS; it is owned by a/,
    );
  });
});
