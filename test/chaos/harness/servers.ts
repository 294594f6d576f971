/**
 * Private server instances for the chaos harness: a redis-server or a PostgreSQL cluster of its
 * own on a free loopback port, in a temporary folder, never the shared servers. Runners reach it
 * through a TcpProxy, so the harness can drop every connection (drop-connections) or kill -9 and
 * restart the server on the same port (restart-server) with its data kept (AOF fsync always /
 * PostgreSQL's WAL).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { reachable } from '../../helpers/services.js';
import { TcpProxy } from '../../helpers/tcp-proxy.js';

export interface PrivateServer {
  /** Env for runners and the harness (through the proxy). */
  env: Record<string, string>;
  /** kill -9 the server and start it again on the same port (data kept). */
  restart(downMs: number): Promise<void>;
  /** Drops every open connection through the proxy; new ones are refused for `downMs`. */
  dropConnections(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Up to about two minutes: after a kill -9, PostgreSQL replays its WAL first, slowly on a loaded machine. */
async function waitReachable(port: number, what: string, log?: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (await reachable('127.0.0.1', port, 200)) {
      return;
    }
    await sleep(100);
  }
  const tail =
    log && existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n') : '';
  throw new Error(`chaos: private ${what} did not start on port ${port}\n${tail}`);
}

const exited = (p: ChildProcess) =>
  new Promise<void>((r) =>
    p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r()),
  );

/** Manages one server process behind a proxy: restart = kill -9 + start on the same port. */
abstract class ProxiedServer implements PrivateServer {
  protected proc?: ChildProcess;
  protected readonly proxy: TcpProxy;
  abstract env: Record<string, string>;

  constructor(
    protected readonly port: number,
    protected readonly dir: string,
  ) {
    this.proxy = new TcpProxy('127.0.0.1', port);
  }

  protected abstract spawnServer(): ChildProcess;
  /** The server's own output, quoted when it does not come up. */
  protected get logFile(): string {
    return join(this.dir, `${this.name}.log`);
  }
  protected logFd(): number {
    return openSync(this.logFile, 'a');
  }
  protected abstract name: string;

  async start(): Promise<void> {
    this.proc = this.spawnServer();
    await waitReachable(this.port, this.name, this.logFile);
    await this.proxy.up();
  }

  async restart(downMs: number): Promise<void> {
    await this.kill();
    await sleep(downMs);
    this.proc = this.spawnServer();
    await waitReachable(this.port, this.name, this.logFile);
  }

  async dropConnections(downMs: number): Promise<void> {
    await this.proxy.down();
    await sleep(downMs);
    await this.proxy.up();
  }

  /** kill -9 of the server's whole process group: PostgreSQL's backends go with the postmaster. */
  private async kill(): Promise<void> {
    const p = this.proc;
    if (!p?.pid) {
      return;
    }
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited(p);
    for (let i = 0; i < 100 && (await reachable('127.0.0.1', this.port, 100)); i++) {
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    await this.proxy.down();
    await this.kill();
  }
}

class PrivateRedis extends ProxiedServer {
  protected name = 'redis-server';
  get env(): Record<string, string> {
    return {
      TASKAPP__BACKEND: 'redis',
      TASKAPP__REDIS__URL: `redis://127.0.0.1:${this.proxy.port}`,
    };
  }
  protected spawnServer(): ChildProcess {
    return spawn(
      'redis-server',
      [
        ...['--port', String(this.port), '--bind', '127.0.0.1', '--save', ''],
        ...['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir],
        ...['--daemonize', 'no', '--maxmemory-policy', 'noeviction'],
      ],
      { stdio: 'ignore', detached: true },
    );
  }
}

/** PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) {
    return undefined;
  }
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres']).stdout.toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

function pgBin(name: string): string {
  const found = spawnSync('sh', [
    '-c',
    `ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1`,
  ]);
  const dir = found.stdout.toString().trim();
  return dir ? join(dir, name) : name;
}

class PrivatePostgres extends ProxiedServer {
  protected name = 'postgres';
  private readonly data: string;

  constructor(port: number, dir: string) {
    super(port, dir);
    this.data = join(dir, 'pgdata');
  }

  get env(): Record<string, string> {
    return {
      TASKAPP__BACKEND: 'postgres',
      TASKAPP__POSTGRES__URL: `postgres://postgres@127.0.0.1:${this.proxy.port}/postgres`,
    };
  }

  async start(): Promise<void> {
    mkdirSync(this.data, { recursive: true });
    chmodSync(this.dir, 0o755);
    const user = postgresUser();
    if (user) {
      chownSync(this.data, user.uid, user.gid);
    }
    const r = spawnSync(pgBin('initdb'), ['-D', this.data, '-A', 'trust', '-U', 'postgres'], {
      stdio: 'pipe',
      ...user,
    });
    if (r.status !== 0) {
      throw new Error(`chaos: initdb failed: ${r.stderr.toString()}`);
    }
    await super.start();
  }

  protected spawnServer(): ChildProcess {
    // A kill -9 leaves postmaster.pid behind; PostgreSQL checks that its pid is gone and goes on.
    const args = [
      ...['-D', this.data, '-p', String(this.port), '-c', 'listen_addresses=127.0.0.1'],
      ...['-c', `unix_socket_directories=${this.data}`, '-c', 'max_connections=200'],
      ...['-c', 'fsync=on', '-c', 'synchronous_commit=on'],
    ];
    const out = this.logFd();
    const child = spawn(pgBin('postgres'), args, {
      stdio: ['ignore', out, out],
      detached: true,
      ...postgresUser(),
    });
    closeSync(out);
    return child;
  }
}

export async function startPrivateServer(
  backend: 'redis' | 'postgres',
  dir: string,
): Promise<PrivateServer> {
  const port = await freePort();
  const server = backend === 'redis' ? new PrivateRedis(port, dir) : new PrivatePostgres(port, dir);
  await server.start();
  return server;
}
