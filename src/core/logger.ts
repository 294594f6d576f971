/** Small structured logger: text or JSON lines on stderr, carrying invocation/task/runner fields. */
type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /** Whether a line of `level` is written: a hot path skips building the fields of a line that is not. */
  enabled(level: LogLevel): boolean;
}

export type LogLine = { level: LogLevel; msg: string; at: number } & Record<string, unknown>;
interface LogSink {
  (line: LogLine): void;
}

/** The default output: one line on stderr, as text or JSON. */
export function writeLine(line: LogLine, format: 'text' | 'json'): void {
  process.stderr.write(formatLine(line, format));
}

export function formatLine(line: LogLine, format: 'text' | 'json'): string {
  if (format === 'json') {
    return `${JSON.stringify(line)}\n`;
  }
  const { level, msg, at, ...fields } = line;
  const extra = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${new Date(at).toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? ` ${extra}` : ''}\n`;
}

export function createLogger(
  level: LogLevel,
  format: 'text' | 'json' = 'text',
  base: Record<string, unknown> = {},
  sink?: LogSink,
): Logger {
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < ORDER[level]) {
      return;
    }
    // The line's own keys come last: a caller's field named level, msg or at cannot break the line.
    const line = { ...base, ...fields, level: lvl, msg, at: Date.now() };
    if (sink) {
      return sink(line);
    }
    writeLine(line, format);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger(level, format, { ...base, ...fields }, sink),
    enabled: (lvl) => ORDER[lvl] >= ORDER[level],
  };
}
