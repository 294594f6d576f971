/**
 * Waits until this process is done starting: its CPU over a quarter second below a tenth of a core
 * (at most 5 s). A runner's start resolves before its heartbeat thread has loaded (about 0.3 CPU-s
 * more): four runner processes doing that on two cores as the clock starts slowed the enqueue by
 * 40 %. The peers' workers have nothing left to do once made.
 */
export async function settle(windowMs = 250, share = 0.1, maxMs = 5000): Promise<void> {
  const end = Date.now() + maxMs;
  for (;;) {
    const c0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, windowMs));
    const c = process.cpuUsage(c0);
    if ((c.user + c.system) / 1000 < windowMs * share || Date.now() > end) {
      return;
    }
  }
}
