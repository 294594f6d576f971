/**
 * Cancel requests across processes: NOTIFY on the schema's channel (payload `c` + JSON, in chunks
 * under NOTIFY's 8000-byte limit); every process hears them on its LISTEN connection (PgDb.cancels).
 */
import type { CancelRequest, CancelSignals } from '../cancel-signals.js';
import type { PgDb } from './db.js';

const MAX_PAYLOAD = 7900;

export class PgCancelSignals implements CancelSignals {
  constructor(private readonly db: PgDb) {}

  async publish(reqs: CancelRequest[]): Promise<void> {
    for (const chunk of chunks(reqs)) {
      await this.db.query('SELECT pg_notify($1, $2)', [this.db.channel, `c${chunk}`]);
    }
  }

  subscribe(listener: (reqs: CancelRequest[]) => void): () => void {
    return this.db.cancels.subscribe(listener);
  }
}

function chunks(reqs: CancelRequest[]): string[] {
  const out: string[] = [];
  let cur: CancelRequest[] = [];
  let size = 2;
  for (const r of reqs) {
    const one = JSON.stringify(r).length + 1;
    if (cur.length && size + one > MAX_PAYLOAD) {
      out.push(JSON.stringify(cur));
      cur = [];
      size = 2;
    }
    cur.push({ id: r.id, reason: r.reason.slice(0, 1000) });
    size += one;
  }
  if (cur.length) {
    out.push(JSON.stringify(cur));
  }
  return out;
}
