/**
 * Runs `count` jobs with at most `width` at once, in index order, and returns their results in
 * index order. After a failure no new job starts; the ones already out are awaited (none is left
 * running unobserved), then the first failure is thrown.
 */
export async function inOrderWindow<T>(
  count: number,
  width: number,
  job: (index: number) => Promise<T>,
): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < count && !failure) {
      const k = next++;
      try {
        out[k] = await job(k);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, count)) }, lane));
  if (failure) {
    throw failure.error;
  }
  return out;
}
