/** The `invocation_extras` row of the SQL backends (sqlite, postgres: same columns) and its record. */
import type { InvocationExtras } from '../../core/records.js';

export interface ExtrasRow {
  inv_id: string;
  rerun_of: string | null;
  progress: number | null;
  progress_message: string | null;
  progress_at: number | null;
}

export function toExtras(r: ExtrasRow): InvocationExtras {
  return {
    rerunOf: r.rerun_of,
    progress:
      r.progress === null
        ? null
        : { value: r.progress, message: r.progress_message, at: Number(r.progress_at) },
  };
}

/** The columns a patch sets, in the order of EXTRAS_COLUMNS (undefined: keep what is stored). */
export function extrasValues(
  patch: Partial<InvocationExtras>,
): [string | null, number | null, string | null, number | null] {
  const p = patch.progress;
  return [patch.rerunOf ?? null, p?.value ?? null, p?.message ?? null, p?.at ?? null];
}

/**
 * The upsert of a patch, for sqlite (`?`) and postgres (`$1`..`$5`: id, then extrasValues): a link
 * is kept once set, and progress (value, message, time) is replaced as a whole when a patch has it.
 */
export function upsertExtrasSql(param: (n: number) => string): string {
  const keepOr = (col: string) =>
    `${col} = CASE WHEN excluded.progress_at IS NULL THEN invocation_extras.${col} ELSE excluded.${col} END`;
  return `INSERT INTO invocation_extras (inv_id, rerun_of, progress, progress_message, progress_at)
    VALUES (${[1, 2, 3, 4, 5].map(param).join(', ')})
    ON CONFLICT (inv_id) DO UPDATE SET
      rerun_of = COALESCE(invocation_extras.rerun_of, excluded.rerun_of),
      ${keepOr('progress')}, ${keepOr('progress_message')}, ${keepOr('progress_at')}`;
}
