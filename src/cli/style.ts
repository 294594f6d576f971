/** ANSI colour for terminals only: off when the stream is not a TTY, or NO_COLOR is set. */
export type Stream = NodeJS.WriteStream;

const CODES = {
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  gray: 90,
  bold: 1,
  dim: 2,
} as const;
export type StyleName = keyof typeof CODES;

export function colorEnabled(stream: Stream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') {
    return false;
  }
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') {
    return true;
  }
  return stream.isTTY === true;
}

export interface Styler {
  (name: StyleName, text: string): string;
  enabled: boolean;
}

export function styler(stream: Stream = process.stdout): Styler {
  const enabled = colorEnabled(stream);
  const fn = ((name: StyleName, text: string) =>
    enabled ? `\u001B[${CODES[name]}m${text}\u001B[0m` : text) as Styler;
  fn.enabled = enabled;
  return fn;
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

/** Visible width: ANSI codes take no columns. */
export function visibleLength(s: string): number {
  return s.replace(/\u001B\[[0-9;]*m/g, '').length;
}
