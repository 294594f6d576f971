/**
 * The postgres START_PLAIN statement moves a claimed invocation from any ACQUIRABLE status along
 * PLAIN_PATH (PENDING, then RUNNING) in one UPDATE, writing owner = runner, without asking
 * status.ts. This checks, against the state machine itself, that the path stays legal.
 */
import { describe, expect, it } from 'vitest';
import { PLAIN_PATH } from '../../../../src/backends/postgres/hot-path.js';
import { checkTransition, type Status } from '../../../../src/core/status.js';
import { ACQUIRABLE } from '../../../../src/orchestration/apply-transition.js';

/** Walks `path` from `from` with no owner, as runner `r`; returns the owner after each step. */
function walk(from: Status, path: readonly Status[]): Array<string | null> {
  let status = from;
  let owner: string | null = null;
  return path.map((to) => {
    owner = checkTransition('inv', status, to, owner, 'r');
    status = to;
    return owner;
  });
}

describe('postgres START_PLAIN against the state machine', () => {
  it('goes PENDING then RUNNING', () => {
    expect(PLAIN_PATH).toEqual(['PENDING', 'RUNNING']);
  });

  it.each([...ACQUIRABLE])('%s may take PLAIN_PATH, owned by the runner throughout', (from) => {
    expect(walk(from, PLAIN_PATH)).toEqual(PLAIN_PATH.map(() => 'r'));
  });
});
