/** A text bar for a fraction 0..1 (`taskapp status`, `taskapp monitor`): `[#####...............]`. */
export function progressBar(value: number, cells = 20): string {
  const full = Math.round(Math.min(1, Math.max(0, value)) * cells);
  return `[${'#'.repeat(full)}${'.'.repeat(cells - full)}]`;
}
