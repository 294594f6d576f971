/** CLI colour: Node's styleText codes on a terminal, plain text when NO_COLOR is set or not a TTY. */
import { styleText } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { styler, visibleLength, type Stream } from '../../../src/cli/style.js';

const tty = { isTTY: true } as Stream;
const pipe = { isTTY: false } as Stream;

describe('styler', () => {
  const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR };
  beforeEach(() => {
    delete process.env.NO_COLOR;
    delete process.env.FORCE_COLOR;
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) {
        delete process.env[k];
      } else {
        process.env[k] = v;
      }
    }
  });

  it("colours a terminal with Node's own codes", () => {
    const red = styler(tty)('red', 'boom');
    expect(red).toBe(styleText('red', 'boom', { validateStream: false }));
    expect(red).toBe('\u001B[31mboom\u001B[39m');
    expect(styler(tty)('gray', 'x')).toBe('\u001B[90mx\u001B[39m');
  });

  it('leaves text plain when the stream is not a TTY or NO_COLOR is set', () => {
    expect(styler(pipe)('red', 'boom')).toBe('boom');
    process.env.NO_COLOR = '1';
    expect(styler(tty)('red', 'boom')).toBe('boom');
  });

  it('colours a pipe with FORCE_COLOR, unless it is 0', () => {
    process.env.FORCE_COLOR = '1';
    expect(styler(pipe)('yellow', 'fix')).toBe('\u001B[33mfix\u001B[39m');
    process.env.FORCE_COLOR = '0';
    expect(styler(pipe)('yellow', 'fix')).toBe('fix');
  });

  it('measures the visible width without escape codes', () => {
    expect(visibleLength(styler(tty)('bold', 'abc'))).toBe(3);
  });
});
