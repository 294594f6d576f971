import { describe, expect, it } from 'vitest';
import { tomlKeyLines } from '../../../src/config/toml-lines.js';

describe('tomlKeyLines', () => {
  it('finds keys in tables, dotted and quoted keys, and skips multi-line strings', () => {
    const lines = tomlKeyLines(
      [
        'app_id = "x"            # 1',
        '',
        '[runner]',
        'concurrency = 4',
        'kind = "a = b"',
        '',
        '[tasks.add]',
        'max_retries = 3',
        'retry_backoff.kind = "fixed"',
        '"odd.key" = 1',
        'doc = """',
        'fake = 1',
        '"""',
        'after = 2',
        'list = [',
        '  "a",',
        ']',
      ].join('\n'),
    );
    expect(lines.get('app_id')).toBe(1);
    expect(lines.get('runner')).toBe(3);
    expect(lines.get('runner.concurrency')).toBe(4);
    expect(lines.get('runner.kind')).toBe(5);
    expect(lines.get('tasks.add.max_retries')).toBe(8);
    expect(lines.get('tasks.add.retry_backoff.kind')).toBe(9);
    expect(lines.get('tasks.add.odd.key')).toBe(10);
    expect(lines.has('tasks.add.fake')).toBe(false);
    expect(lines.get('tasks.add.after')).toBe(14);
    expect(lines.get('tasks.add.list')).toBe(15);
  });
});
