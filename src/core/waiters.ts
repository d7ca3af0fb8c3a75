/**
 * A first-in, first-out set of pending promises with optional timeouts — the bookkeeping
 * under every blocking call in `locks` and `queues`.
 *
 * Tornado keeps timed-out waiters in its deques and sweeps them now and then; here a
 * waiter leaves the set the moment its timeout fires, so abandoned waits never accumulate
 * (a `Set` keeps insertion order and deletes in constant time).
 * @internal
 * @module
 */

import { scheduleTimeout, type Timeout } from "./timeout.js";

/** One pending wait: how to settle its promise, plus what the waiter brought (a queued item). */
export interface Waiter<T, D> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
  readonly data: D;
}

interface Entry<T, D> extends Waiter<T, D> {
  /** Stops the timer and the abort listener: called once the waiter leaves the set. */
  detach: (() => void) | undefined;
}

function detach<T, D>(entry: Entry<T, D>): void {
  const d = entry.detach;
  entry.detach = undefined;
  d?.();
}

/**
 * Pending waiters in arrival order.
 *
 * @example
 * const waiters = new Waiters<boolean, undefined>();
 * const p = waiters.add(undefined, 10, (w) => w.resolve(false)); // false after 10 ms
 * waiters.shift()?.resolve(true);                                 // unless woken first
 * @internal
 */
export class Waiters<T, D = undefined> {
  readonly #entries = new Set<Entry<T, D>>();

  /** Number of waiters still pending. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Adds a waiter and returns its promise. When `timeout` passes first, the waiter is
   * removed and `expire` settles it (resolve with a sentinel, or reject). When `signal`
   * aborts first, the waiter is removed and its promise rejects with the signal's reason
   * (at once if it is already aborted): a cancelled wait leaves nothing behind.
   * A malformed timeout throws synchronously, before anything is queued.
   */
  add(data: D, timeout: Timeout | undefined, expire: (waiter: Waiter<T, D>) => void, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    let entry!: Entry<T, D>;
    const promise = new Promise<T>((resolve, reject) => {
      entry = { resolve, reject, data, detach: undefined };
    });
    const cancelTimer =
      timeout === undefined
        ? undefined
        : scheduleTimeout(timeout, () => {
            if (!this.#entries.delete(entry)) return;
            detach(entry);
            expire(entry);
          });
    if (signal === undefined) {
      entry.detach = cancelTimer;
    } else {
      const onAbort = (): void => {
        if (!this.#entries.delete(entry)) return;
        detach(entry);
        entry.reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      entry.detach = () => {
        cancelTimer?.();
        signal.removeEventListener("abort", onAbort);
      };
    }
    this.#entries.add(entry);
    return promise;
  }

  /** Removes and returns the oldest pending waiter (its timer and abort listener stopped), or `undefined`. */
  shift(): Waiter<T, D> | undefined {
    for (const entry of this.#entries) {
      this.#entries.delete(entry);
      detach(entry);
      return entry;
    }
    return undefined;
  }

  /** Removes and returns every pending waiter, oldest first (timers and abort listeners stopped). */
  drain(): Waiter<T, D>[] {
    const all = [...this.#entries];
    this.#entries.clear();
    for (const entry of all) detach(entry);
    return all;
  }
}
