/**
 * docs/backends.md walks through the example backend by showing its files: each block that starts
 * with `// examples/...` must be that file, so the walk-through is the code its test runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const doc = readFileSync(join(ROOT, 'docs/backends.md'), 'utf8');
const blocks = [...doc.matchAll(/```ts\n\/\/ (examples\/\S+)\n([\s\S]*?)```/g)];

describe('docs/backends.md', () => {
  it('shows the example backend (three sources and its test)', () => {
    expect(blocks.map((b) => b[1])).toEqual([
      'examples/backend-plugin/src/queue.ts',
      'examples/backend-plugin/src/broker.ts',
      'examples/backend-plugin/src/index.ts',
      'examples/backend-plugin/test/compliance.test.ts',
    ]);
  });

  it.each(blocks.map((b) => [b[1]!, b[2]!]))('shows %s as it is', (path, shown) => {
    expect(shown).toBe(readFileSync(join(ROOT, path), 'utf8'));
  });
});
