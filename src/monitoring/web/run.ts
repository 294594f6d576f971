/** Entry of `taskapp web`: serve until SIGINT/SIGTERM, then close the server and the app. */
import type { Runtime } from '../../runtime/runtime.js';
import { startWebServer } from './server.js';

export async function runWeb(
  app: Runtime,
  opts: { port: number; host: string; allowActions: boolean; log: (m: string) => void },
): Promise<void> {
  await app.backends(); // fail on a bad backend before listening
  const server = await startWebServer(app, {
    port: opts.port,
    host: opts.host,
    allowActions: opts.allowActions,
  });
  opts.log(
    `taskapp dashboard for app "${app.appId}" on ${server.url} (${opts.allowActions ? 'actions enabled' : 'read-only'}); metrics on ${server.url}/metrics`,
  );
  if (opts.host !== '127.0.0.1' && opts.host !== 'localhost' && opts.host !== '::1') {
    opts.log(
      `warning: listening on ${opts.host}: anyone who can reach this address can read task arguments and results`,
    );
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
