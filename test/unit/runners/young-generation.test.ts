/** A runner process's young generation stays small whatever work it has done (young-generation.ts). */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { childHeapArgs } from '../../../src/runners/young-generation.js';
import { nodeEntry } from '../../helpers/build.js';

const FIXTURE = nodeEntry(new URL('./fixtures/young-gen.ts', import.meta.url));

/** The new space (MB) of a process that churned for a second. */
function newSpaceMb(args: string[], env: Record<string, string> = {}): number {
  const out = execFileSync(process.execPath, [...FIXTURE, ...args], {
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    encoding: 'utf8',
  });
  return Number(out.trim());
}

describe('young generation', () => {
  it('keepYoungGenerationSmall stops V8 from growing it past its starting size', () => {
    expect(newSpaceMb([])).toBeGreaterThan(8);
    expect(newSpaceMb(['keep'])).toBeLessThanOrEqual(4);
  });

  it('leaves a process given its own semi-space flag alone; a child of a runner gets 2 MB semi-spaces', () => {
    expect(newSpaceMb(['keep'], { NODE_OPTIONS: '--max-semi-space-size=16' })).toBeGreaterThan(8);
    expect(childHeapArgs()).toEqual(['--max-semi-space-size=2']);
  });
});
