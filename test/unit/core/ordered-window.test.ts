import { describe, expect, it } from 'vitest';
import { inOrderWindow } from '../../../src/core/ordered-window.js';

/** A job that records when it starts and ends, resolving on the next turns. */
function recorder() {
  const started: number[] = [];
  let running = 0;
  let most = 0;
  const job = async (k: number, fail?: number) => {
    started.push(k);
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, 1 + (k % 3)));
    running--;
    if (k === fail) {
      throw new Error(`job ${k} failed`);
    }
    return k * 10;
  };
  return { started, job, most: () => most, running: () => running };
}

describe('inOrderWindow', () => {
  it('returns results in index order with at most `width` jobs at once, started in index order', async () => {
    const r = recorder();
    const out = await inOrderWindow(10, 3, (k) => r.job(k));
    expect(out).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(r.most()).toBe(3);
    expect(r.started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('width 1 runs one after the other; no jobs gives an empty list', async () => {
    const r = recorder();
    expect(await inOrderWindow(4, 1, (k) => r.job(k))).toEqual([0, 10, 20, 30]);
    expect(r.most()).toBe(1);
    expect(await inOrderWindow(0, 4, (k) => r.job(k))).toEqual([]);
  });

  it('after a failure starts no new job, waits for the ones out, then throws the first failure', async () => {
    const r = recorder();
    await expect(inOrderWindow(20, 3, (k) => r.job(k, 1))).rejects.toThrow('job 1 failed');
    // Job 1 fails after the others of its window have started; none runs unobserved after the throw.
    expect(r.running()).toBe(0);
    expect(r.started.length).toBeLessThan(20);
  });
});
