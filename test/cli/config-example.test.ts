/** taskapp.toml.example is generated from the schema: it must be current, valid, and name every field. */
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { renderConfigExample } from '../../src/config/example.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { configSchema, taskOptionsSchema } from '../../src/config/schema.js';

const file = readFileSync(new URL('../../taskapp.toml.example', import.meta.url), 'utf8');

describe('taskapp.toml.example', () => {
  it('is what the schema generates (run `npm run config:example` after changing the schema)', () => {
    expect(file).toBe(renderConfigExample());
  });

  it('is a valid config as written', () => {
    const values = parse(file) as Record<string, unknown>;
    expect(() => resolveConfig([{ source: 'file taskapp.toml.example', values }])).not.toThrow();
  });

  it('mentions every field of every section and every task option', () => {
    const shape = configSchema.shape as unknown as Record<
      string,
      { def: { innerType?: { shape?: Record<string, unknown> } } }
    >;
    for (const [name, schema] of Object.entries(shape)) {
      expect(file, name).toMatch(new RegExp(`^(# )?(${name} =|\\[${name}\\])`, 'm'));
      for (const sub of Object.keys(schema.def.innerType?.shape ?? {})) {
        if (name === 'tasks' || name === 'task_defaults') {
          continue;
        }
        expect(file, `${name}.${sub}`).toMatch(new RegExp(`^(# )?${sub} =`, 'm'));
      }
    }
    for (const opt of Object.keys(taskOptionsSchema.shape)) {
      expect(file, opt).toMatch(new RegExp(`^(# )?${opt} =|\\[task_defaults\\.${opt}\\]`, 'm'));
    }
  });
});
