/** One line of `taskapp doctor`. */
export interface DoctorCheck {
  name: string;
  level: 'OK' | 'WARN' | 'FAIL';
  detail: string;
  /** What to do about a WARN or FAIL. */
  fix?: string;
}
