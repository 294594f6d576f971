/**
 * Bounds shared by config, call options and waits. Node's timers hold at most 2^31-1 ms (24.8
 * days): a longer setTimeout fires after 1 ms instead, so every duration that becomes a timer is
 * bounded below that, or its timer is capped and re-armed.
 */

/** The longest a single timer may be set for (setTimeout's own limit). */
export const MAX_TIMER_MS = 2_147_483_647;

/** The longest time limit of one attempt: one week (a task's timeout_seconds, a call's timeoutMs). */
export const MAX_TIMEOUT_MS = 7 * 86_400_000;

/** The furthest ahead a call may be scheduled, and the longest wait for results: one year. */
export const MAX_DELAY_MS = 366 * 86_400_000;
