/** Helpers for tests of promise-based primitives (locks, queues). */

/** Lets every queued callback and timer due now run. */
export const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How a tracked promise has settled so far. */
export interface Tracked<T> {
  done: boolean;
  value?: T;
  error?: unknown;
}

/** Records how a promise settles, so a test can ask "done yet?" as Tornado's future.done(). */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const state: Tracked<T> = { done: false };
  promise.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
}
