/**
 * bench/server-cpu.ts: finds the server listening on a URL's port and measures its CPU, the
 * postmaster's reaped backends included (their CPU moves to its cutime/cstime when they exit).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { serverPid, startServerCpu } from '../../../bench/server-cpu.js';
import { PG_HOST, PG_PORT, PG_URL } from '../../helpers/postgres.js';
import { describeWithService } from '../../helpers/services.js';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const comm = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
const statFields = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
};
const ppid = (pid: number) => statFields(pid)[1]!;
/** utime + stime of a process, in microseconds (fields 14 and 15 of /proc/<pid>/stat). */
const cpuUs = (pid: number) => ((statFields(pid)[11]! + statFields(pid)[12]!) / CLK_TCK) * 1e6;

describe('server CPU probe without a local server', () => {
  it('reports null for an embedded backend and for a server on another host', () => {
    expect(startServerCpu(null).perInvocationUs(100)).toBeNull();
    expect(serverPid('redis://192.0.2.1:6379')).toBeNull();
    expect(startServerCpu('postgres://u@192.0.2.1:5432/db').perInvocationUs(100)).toBeNull();
  });

  it('reports null when nothing listens on the port', () => {
    expect(serverPid('redis://127.0.0.1:1')).toBeNull();
  });
});

await describeWithService('redis', '127.0.0.1', 6379, 'server CPU probe on redis', () => {
  it('finds redis-server by its listening port and counts the CPU a script burns there', async () => {
    const url = 'redis://127.0.0.1:6379';
    const pid = serverPid(url);
    expect(pid).not.toBeNull();
    expect(comm(pid!)).toMatch(/^redis-server/);
    const probe = startServerCpu(url);
    const redis = new Redis(url);
    try {
      // Server-side work only: a Lua loop of a few hundred milliseconds of CPU (ticks are 10 ms).
      await redis.eval('local x = 0 for i = 1, 20000000 do x = x + i end return 1', 0);
    } finally {
      redis.disconnect();
    }
    expect(probe.perInvocationUs(1)).toBeGreaterThan(0);
  });
});

await describeWithService('postgres', PG_HOST, PG_PORT, 'server CPU probe on postgres', () => {
  it('finds the postmaster and counts a backend that has exited (reaped child)', async () => {
    const pid = serverPid(PG_URL);
    expect(pid).not.toBeNull();
    expect(comm(pid!)).toBe('postgres');
    expect(comm(ppid(pid!))).not.toBe('postgres');
    const probe = startServerCpu(PG_URL);
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    const { rows } = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const backend = rows[0]!.pid;
    await c.query('SELECT count(*) FROM generate_series(1, 5000000)');
    const backendUs = cpuUs(backend);
    expect(backendUs).toBeGreaterThan(0);
    await c.end();
    // Once reaped, the backend's CPU is in the postmaster's cutime/cstime only: the probe still
    // counts all of it (other clients of the shared server can only add to the figure).
    while (existsSync(`/proc/${backend}`)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(probe.perInvocationUs(1)).toBeGreaterThanOrEqual(backendUs);
  });
});
