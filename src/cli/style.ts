/**
 * Terminal colour through Node's util.styleText, for terminals only: off when the stream is not a
 * TTY or NO_COLOR is set, on with FORCE_COLOR (decided here per stream, so stderr and stdout may differ).
 */
import { stripVTControlCharacters, styleText } from 'node:util';

export type Stream = NodeJS.WriteStream;

type StyleName = 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'gray' | 'bold' | 'dim';

function colorEnabled(stream: Stream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') {
    return false;
  }
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') {
    return true;
  }
  return stream.isTTY === true;
}

export type Styler = (name: StyleName, text: string) => string;

export function styler(stream: Stream = process.stdout): Styler {
  if (!colorEnabled(stream)) {
    return (_name, text) => text;
  }
  // The decision is made above; styleText must not make its own (it would look at process.stdout).
  return (name, text) => styleText(name, text, { validateStream: false });
}

/** Status -> colour: green done, red failed, yellow waiting/recovering, cyan running. */
export function statusStyle(status: string): StyleName {
  if (status === 'SUCCESS') {
    return 'green';
  }
  if (status === 'FAILED' || status === 'KILLED') {
    return 'red';
  }
  if (status === 'RUNNING' || status === 'RESUMED') {
    return 'cyan';
  }
  if (status.endsWith('RECOVERY') || status === 'RETRY' || status.startsWith('CONCURRENCY')) {
    return 'yellow';
  }
  return 'gray';
}

/** Visible width: escape codes take no columns. */
export function visibleLength(s: string): number {
  return stripVTControlCharacters(s).length;
}
