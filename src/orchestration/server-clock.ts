/**
 * The backend's clock, for judging heartbeats: every runner's heartbeat time and every recovery
 * pass read the same clock, so skew between hosts cannot make a live runner look dead. Backends on
 * one host (memory, sqlite) have no clock of their own: the local one is theirs.
 */
/** A state backend, as far as its clock goes (StateBackend.clock). */
interface Clocked {
  clock?(): Promise<number>;
}

/** The backend's time now (one round trip), or `local` where the backend has no clock. */
export async function serverNow(state: Clocked, local = Date.now()): Promise<number> {
  return state.clock ? state.clock() : local;
}

/** Local time shifted to the backend's clock; the offset is measured again every `refreshMs`. */
export class ServerClock {
  private offset = 0;
  private measuredAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly state: Clocked,
    private readonly refreshMs = 10_000,
  ) {}

  async now(): Promise<number> {
    if (!this.state.clock) {
      return Date.now();
    }
    if (Date.now() - this.measuredAt >= this.refreshMs) {
      const before = Date.now();
      const server = await this.state.clock();
      const after = Date.now();
      this.offset = server - (before + after) / 2;
      this.measuredAt = after;
    }
    return Math.round(Date.now() + this.offset);
  }
}
