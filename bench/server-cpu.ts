/**
 * Server CPU per invocation (Linux /proc): the user + system CPU that the Redis or PostgreSQL server
 * spent during a benchmark run, read before and after it, so that a library that moves work into
 * the server (Lua scripts, SQL functions, polling queries) is not measured as cheaper than it is.
 *
 * The server is the process that listens on the URL's port on this machine (found from
 * /proc/net/tcp and the processes' open sockets), with its children: for PostgreSQL the
 * postmaster's backends still alive (their utime + stime) and those already gone (the postmaster's
 * cutime + cstime, which the kernel adds when it reaps them). Other clients of the same server
 * (other benchmarks, tests) count too: run on a quiet server.
 *
 * Plain ESM with no dependency: the peer scripts (bench/peers/*.mjs) import the compiled copy.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ServerCpuProbe {
  /** The server's pid, or null when no local process listens on the port. */
  readonly pid: number | null;
  /** CPU microseconds the server spent since the probe started, divided by `invocations`. */
  perInvocationUs(invocations: number): number | null;
}

const CLOCK_TICKS_PER_S = clockTicksPerSecond();

/**
 * Starts measuring the server behind `url` (redis://, postgres://); a URL on another host, a
 * sqlite/memory backend (url null) or an unreadable /proc give a probe that reports null.
 */
export function startServerCpu(url: string | null): ServerCpuProbe {
  const pid = url ? serverPid(url) : null;
  const before = pid === null ? null : treeCpuTicks(pid);
  return {
    pid,
    perInvocationUs(invocations) {
      if (pid === null || before === null || invocations <= 0) {
        return null;
      }
      const after = treeCpuTicks(pid);
      if (after === null) {
        return null;
      }
      return Math.round((((after - before) / CLOCK_TICKS_PER_S) * 1e6) / invocations);
    },
  };
}

/** The pid of the local process listening on the URL's port, or null. */
export function serverPid(url: string): number | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (!['127.0.0.1', 'localhost', '::1', '[::1]', ''].includes(parsed.hostname)) {
    return null;
  }
  const defaultPort = parsed.protocol.startsWith('redis') ? 6379 : 5432;
  const port = Number(parsed.port || defaultPort);
  const inodes = listeningInodes(port);
  if (inodes.size === 0) {
    return null;
  }
  const owners = pidsOwningSockets(inodes);
  // Forked children may hold the listening socket too: the server is the one whose parent does not.
  const root = owners.find((pid) => !owners.includes(statFields(pid)?.ppid ?? -1));
  return root ?? null;
}

/** utime + stime of the process, of its reaped children, and of its live children, in clock ticks. */
function treeCpuTicks(pid: number): number | null {
  const self = statFields(pid);
  if (!self) {
    return null;
  }
  let ticks = self.utime + self.stime + self.cutime + self.cstime;
  for (const child of allPids()) {
    const s = child === pid ? null : statFields(child);
    if (s && s.ppid === pid) {
      ticks += s.utime + s.stime + s.cutime + s.cstime;
    }
  }
  return ticks;
}

interface StatFields {
  ppid: number;
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
}

/** Fields of /proc/<pid>/stat (proc(5)); the command name may hold spaces, so split after its ')'. */
function statFields(pid: number): StatFields | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // After "pid (comm) ": state is field 3, ppid 4, utime 14, stime 15, cutime 16, cstime 17.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const at = (field: number) => Number(f[field - 3]);
  return { ppid: at(4), utime: at(14), stime: at(15), cutime: at(16), cstime: at(17) };
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Inodes of the sockets in state LISTEN (0A) on the port, IPv4 and IPv6. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines: string[];
    try {
      lines = readFileSync(table, 'utf8').split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(`:${portHex}`) && cols[3] === '0A' && cols[9]) {
        inodes.add(cols[9]);
      }
    }
  }
  return inodes;
}

/** Pids with an open file descriptor on one of the sockets (needs the right to read their fds). */
function pidsOwningSockets(inodes: Set<string>): number[] {
  const owners: number[] = [];
  for (const pid of allPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1]!)) {
        owners.push(pid);
        break;
      }
    }
  }
  return owners;
}

function clockTicksPerSecond(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

export interface ClusterCpuProbe {
  /** The summed CPU of every server, per invocation (null when one of them cannot be read). */
  perInvocationUs(invocations: number): number | null;
  /** Each server's share of that CPU, in the order of the URLs (null as above). */
  shares(): number[] | null;
}

/**
 * Measures several servers at once (a Redis Cluster's masters): their total CPU, and each one's
 * share of it, the check that work spreads over the masters.
 */
export function startClusterCpu(urls: string[]): ClusterCpuProbe {
  const probes = urls.map((u) => startServerCpu(u));
  const spent = () => {
    const us = probes.map((p) => p.perInvocationUs(1));
    return us.some((x) => x === null) ? null : (us as number[]);
  };
  return {
    perInvocationUs(invocations) {
      const us = spent();
      return us === null || invocations <= 0
        ? null
        : Math.round(us.reduce((x, y) => x + y, 0) / invocations);
    },
    shares() {
      const us = spent();
      const total = us?.reduce((x, y) => x + y, 0) ?? 0;
      return us === null || total <= 0 ? null : us.map((x) => +(x / total).toFixed(3));
    },
  };
}
