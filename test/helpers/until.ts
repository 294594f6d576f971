/** Waits until `check` is true, polling every 50 ms (not a timing assertion: a bound on waiting). */
export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) {
      throw new Error('condition not reached in time');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
