/**
 * A started runner holds its process open until it is stopped, as a listening server does: its
 * claim loop may be waiting on nothing but a promise (no free slot while a child restarts), and
 * the process must not end then with that work unfinished (exit code 13, issue #15).
 */
export function holdProcessOpen(): () => void {
  const timer = setInterval(() => {}, 2 ** 30);
  return () => clearInterval(timer);
}
