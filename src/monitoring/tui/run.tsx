/** Entry of `taskapp monitor`: the live view on a terminal, one plain snapshot otherwise. */
import { render } from 'ink';
import type { Runtime } from '../../runtime/runtime.js';
import { MonitorData } from '../snapshot.js';
import { MonitorApp } from './monitor-app.js';
import { plainSnapshot } from './plain.js';
import { monitorSource } from './source.js';

interface MonitorOptions {
  refreshMs?: number;
  filter?: string;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Force the plain snapshot even on a terminal. */
  once?: boolean;
}

export async function runMonitor(app: Runtime, opts: MonitorOptions = {}): Promise<void> {
  const stdout = opts.stdout ?? process.stdout;
  const stdin = opts.stdin ?? process.stdin;
  const source = monitorSource(new MonitorData(app));
  if (opts.once || !stdout.isTTY || !stdin.isTTY) {
    stdout.write(plainSnapshot(await source.snapshot(opts.filter ?? ''), app.appId));
    return;
  }
  // Full screen: the alternate screen buffer, restored on exit so the shell's scrollback is kept.
  stdout.write('\x1b[?1049h\x1b[H');
  try {
    const ink = render(
      <MonitorApp
        source={source}
        refreshMs={opts.refreshMs ?? 1000}
        appId={app.appId}
        initialFilter={opts.filter ?? ''}
      />,
      { stdout, stdin, exitOnCtrlC: true, patchConsole: true },
    );
    await ink.waitUntilExit();
  } finally {
    stdout.write('\x1b[?1049l');
  }
}
