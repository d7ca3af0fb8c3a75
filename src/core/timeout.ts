/**
 * Timeouts for waiting primitives — Tornado's `tornado.util.TimeoutError` and the deadline
 * handling shared by `locks`, `queues` and the HTTP client.
 *
 * Tornado takes a timeout as an absolute IOLoop time (a float) or a relative `timedelta`.
 * Cyclone takes a {@link Timeout}: a `number` is a relative delay in **milliseconds** (as
 * `setTimeout`), a `Date` is an absolute deadline. Only Web-standard timers are used, so
 * this runs on Node and on Workers alike.
 * @module
 */

/**
 * How long to wait: a relative delay in milliseconds, or an absolute deadline as a `Date`.
 *
 * A delay of `0` (or a deadline already past) times out on the next turn of the event loop
 * unless the wait is satisfied first, as Tornado 6.6 does for a zero timeout.
 */
export type Timeout = number | Date;

/**
 * Raised when a wait's deadline passes first — Tornado's `tornado.util.TimeoutError`
 * (also `tornado.gen.TimeoutError`).
 *
 * @example
 * try {
 *   await event.wait(100);
 * } catch (e) {
 *   if (e instanceof TimeoutError) console.log("gave up after 100 ms");
 * }
 */
export class TimeoutError extends Error {
  override name = "TimeoutError";
  constructor(message = "Timeout") {
    super(message);
  }
}

// setTimeout stores its delay in a signed 32-bit integer; a longer delay would fire at once.
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/**
 * Converts a {@link Timeout} to the number of milliseconds left from now (never negative).
 *
 * Throws a `RangeError` for `NaN`, a negative or infinite-in-the-past value is treated as
 * zero, and `Infinity` is allowed (it never fires).
 *
 * @example
 * remainingMs(250);                              // 250
 * remainingMs(new Date(Date.now() + 1000)) > 0; // true
 */
export function remainingMs(timeout: Timeout): number {
  const ms = timeout instanceof Date ? timeout.getTime() - Date.now() : timeout;
  if (typeof ms !== "number" || Number.isNaN(ms)) {
    throw new RangeError("timeout must be a number of milliseconds or a valid Date");
  }
  return ms > 0 ? ms : 0;
}

/**
 * Calls `callback` once the timeout passes; returns a function that cancels it.
 *
 * Unlike a bare `setTimeout`, delays longer than about 24.8 days are honoured (the timer
 * is re-armed in steps), and `Infinity` schedules nothing.
 *
 * @example
 * const cancel = scheduleTimeout(500, () => console.log("late"));
 * cancel(); // nothing is logged
 */
export function scheduleTimeout(timeout: Timeout, callback: () => void): () => void {
  let left = remainingMs(timeout);
  if (left === Infinity) return () => {};
  let handle: ReturnType<typeof setTimeout> | undefined;
  let cancelled = false;
  const arm = (): void => {
    const step = Math.min(left, MAX_TIMER_DELAY);
    left -= step;
    handle = setTimeout(() => {
      handle = undefined;
      if (cancelled) return;
      if (left > 0) arm();
      else callback();
    }, step);
  };
  arm();
  return () => {
    cancelled = true;
    if (handle !== undefined) clearTimeout(handle);
    handle = undefined;
  };
}
