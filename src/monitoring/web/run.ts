/** Entry of `taskapp web`: serve until SIGINT/SIGTERM, then close the server and the app. */
import type { Runtime } from '../../runtime/runtime.js';
import { isLoopback, startWebServer } from './server.js';

export async function runWeb(
  app: Runtime,
  opts: {
    port: number;
    host: string;
    allowActions: boolean;
    token?: string;
    log: (m: string) => void;
  },
): Promise<void> {
  await app.backends(); // fail on a bad backend before listening
  const server = await startWebServer(app, {
    port: opts.port,
    host: opts.host,
    allowActions: opts.allowActions,
    token: opts.token,
  });
  opts.log(
    `taskapp dashboard for app "${app.appId}" on ${server.url} (${opts.allowActions ? 'actions enabled' : 'read-only'}); metrics on ${server.url}/metrics`,
  );
  const warning = exposureWarning(opts.host, opts.allowActions);
  if (warning) {
    opts.log(warning);
  }
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  await app.close();
}

/** What listening off loopback exposes, said at start-up (null on loopback). */
export function exposureWarning(host: string, allowActions: boolean): string | null {
  if (isLoopback(host)) {
    return null;
  }
  return `warning: listening on ${host}: anyone who can reach this address can read task arguments and results; ${
    allowActions
      ? 'rerun and purge need the secret token (TASKAPP_WEB_TOKEN or --token) in the x-taskapp-token header: the dashboard asks for it, pages do not carry it'
      : 'actions are off (read-only)'
  }`;
}
