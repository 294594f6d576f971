/**
 * Real-server suites (redis, postgres, rabbitmq) run when the server answers. Under
 * TASKAPP_TEST_SERVICES=required (CI) an unreachable server fails the run; elsewhere the suite is
 * skipped with one clear line.
 */
import { createConnection } from 'node:net';
import { describe } from 'vitest';

export function reachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** describe() that runs only when the server is up (or fails when it is required). */
export async function describeWithService(
  service: string,
  host: string,
  port: number,
  name: string,
  fn: () => void,
): Promise<void> {
  const up = await reachable(host, port);
  if (up) {
    describe(name, fn);
    return;
  }
  if (process.env.TASKAPP_TEST_SERVICES === 'required') {
    describe(name, () => {
      throw new Error(
        `${service} is not reachable on ${host}:${port} and TASKAPP_TEST_SERVICES=required: start it (scripts/services ${service})`,
      );
    });
    return;
  }
  console.warn(
    `skipping ${name}: ${service} is not reachable on ${host}:${port} (set TASKAPP_TEST_SERVICES=required to make this fail)`,
  );
  describe.skip(name, fn);
}
