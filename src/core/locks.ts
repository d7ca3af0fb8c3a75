/**
 * Synchronization primitives for asynchronous code — Tornado's `tornado.locks`:
 * {@link Condition}, {@link Event}, {@link Semaphore}, {@link BoundedSemaphore} and
 * {@link Lock}.
 *
 * As in Tornado these coordinate tasks on one event loop, not threads. Every blocking call
 * takes an optional {@link Timeout}: a number is a relative delay in **milliseconds**, a
 * `Date` an absolute deadline. A waiter whose timeout fires is dropped at once, so
 * abandoned waits do not pile up (see each class's `waiterCount`).
 *
 * `acquire()` resolves to a {@link Releaser}, which frees the lock when disposed, so a
 * critical section reads like Python's `async with`:
 *
 * ```ts
 * {
 *   await using _held = await lock.acquire();
 *   // ... the lock is held here ...
 * } // released here, even on an exception
 * ```
 *
 * or, where `await using` is not available, `try { ... } finally { held.release(); }`.
 * @module
 */

import { TimeoutError, type Timeout } from "./timeout.js";
import { Waiters } from "./waiters.js";

export { TimeoutError, type Timeout } from "./timeout.js";

// Node 20 and Workers both define these symbols; the fallback keeps older hosts working
// with transpiled `using` helpers, which look the symbols up the same way.
const disposeSymbol: typeof Symbol.dispose = (Symbol.dispose ??
  Symbol.for("Symbol.dispose")) as typeof Symbol.dispose;
const asyncDisposeSymbol: typeof Symbol.asyncDispose = (Symbol.asyncDispose ??
  Symbol.for("Symbol.asyncDispose")) as typeof Symbol.asyncDispose;

/**
 * Raised by {@link BoundedSemaphore.release} when a release would raise the counter above
 * its initial value — Tornado's `ValueError("Semaphore released too many times")`.
 *
 * @example
 * const sem = new BoundedSemaphore(1);
 * try { sem.release(); } catch (e) { e instanceof SemaphoreReleaseError; } // true
 */
export class SemaphoreReleaseError extends Error {
  override name = "SemaphoreReleaseError";
  constructor(message = "Semaphore released too many times") {
    super(message);
  }
}

/**
 * Raised by {@link Lock.release} on a lock that is not held — Tornado's
 * `RuntimeError("release unlocked lock")`.
 *
 * @example
 * try { new Lock().release(); } catch (e) { e instanceof LockReleaseError; } // true
 */
export class LockReleaseError extends Error {
  override name = "LockReleaseError";
  constructor(message = "release unlocked lock") {
    super(message);
  }
}

/**
 * A condition allows one or more tasks to wait until notified — Tornado's
 * `locks.Condition`.
 *
 * Unlike a threading condition there is no underlying lock to acquire: on one event loop
 * nothing can run between checking a state and waiting for it.
 *
 * @example
 * const condition = new Condition();
 * async function waiter() {
 *   console.log("I'll wait right here");
 *   await condition.wait();
 *   console.log("I'm done waiting");
 * }
 * async function notifier() {
 *   console.log("About to notify");
 *   condition.notify();
 *   console.log("Done notifying");
 * }
 * await Promise.all([waiter(), notifier()]);
 */
export class Condition {
  readonly #waiters = new Waiters<boolean>();

  /** Number of tasks currently waiting (timed-out waiters are not counted). */
  get waiterCount(): number {
    return this.#waiters.size;
  }

  /**
   * Waits for {@link notify}. Resolves `true` when notified, or `false` when `timeout`
   * (milliseconds, or a `Date` deadline) passes first. When `signal` aborts first, the
   * wait is withdrawn (it no longer counts in {@link waiterCount}) and the promise rejects
   * with the signal's reason — what cancelling the future does in Tornado, e.g. for a
   * long-poll request whose client left.
   *
   * @example
   * if (!(await condition.wait(1000))) console.log("nobody notified within a second");
   * // Long polling: stop waiting when the client goes away.
   * const left = new AbortController(); // left.abort() in onConnectionClose
   * await condition.wait(undefined, left.signal);
   */
  wait(timeout?: Timeout, signal?: AbortSignal): Promise<boolean> {
    return this.#waiters.add(undefined, timeout, (w) => w.resolve(false), signal);
  }

  /**
   * Wakes up to `n` waiters, oldest first. Waiters that already timed out do not count.
   *
   * @example
   * condition.notify(2); // two waiting tasks resume
   */
  notify(n = 1): void {
    // Collect first, then resolve: a woken task may call notify() again from a callback.
    const woken = [];
    while (n > 0) {
      const waiter = this.#waiters.shift();
      if (waiter === undefined) break;
      woken.push(waiter);
      n--;
    }
    for (const waiter of woken) waiter.resolve(true);
  }

  /**
   * Wakes every waiter.
   *
   * @example
   * condition.notifyAll();
   */
  notifyAll(): void {
    this.notify(this.#waiters.size);
  }

  /** A short description in Tornado's repr form, e.g. `<Condition waiters[2]>`. */
  toString(): string {
    const n = this.#waiters.size;
    return n ? `<Condition waiters[${n}]>` : "<Condition>";
  }
}

/**
 * An event blocks tasks until its internal flag is set — Tornado's `locks.Event`.
 *
 * Once set, {@link wait} returns at once until {@link clear} is called.
 *
 * @example
 * const event = new Event();
 * async function waiter() {
 *   console.log("Waiting for event");
 *   await event.wait();
 *   console.log("Not waiting this time");
 *   await event.wait();
 *   console.log("Done");
 * }
 * async function setter() {
 *   console.log("About to set the event");
 *   event.set();
 * }
 * await Promise.all([waiter(), setter()]);
 */
export class Event {
  #value = false;
  readonly #waiters = new Waiters<void>();

  /** Number of tasks currently waiting (timed-out waiters are not counted). */
  get waiterCount(): number {
    return this.#waiters.size;
  }

  /**
   * Returns `true` if the internal flag is set.
   *
   * @example
   * new Event().isSet(); // false
   */
  isSet(): boolean {
    return this.#value;
  }

  /**
   * Sets the flag and wakes every waiter. Later calls to {@link wait} do not block.
   *
   * @example
   * event.set();
   */
  set(): void {
    if (this.#value) return;
    this.#value = true;
    for (const waiter of this.#waiters.drain()) waiter.resolve();
  }

  /**
   * Clears the flag: later calls to {@link wait} block until {@link set}.
   *
   * @example
   * event.clear();
   */
  clear(): void {
    this.#value = false;
  }

  /**
   * Resolves once the flag is set; rejects with {@link TimeoutError} if `timeout`
   * (milliseconds, or a `Date` deadline) passes first. When `signal` aborts first, the
   * wait is withdrawn and the promise rejects with the signal's reason.
   *
   * @example
   * await event.wait(5000);
   * await event.wait(undefined, AbortSignal.timeout(5000));
   */
  wait(timeout?: Timeout, signal?: AbortSignal): Promise<void> {
    if (this.#value) return Promise.resolve();
    return this.#waiters.add(undefined, timeout, (w) => w.reject(new TimeoutError()), signal);
  }

  /** A short description in Tornado's repr form: `<Event set>` or `<Event clear>`. */
  toString(): string {
    return `<Event ${this.#value ? "set" : "clear"}>`;
  }
}

/**
 * What {@link Semaphore.acquire} and {@link Lock.acquire} resolve to: a handle that
 * releases what was acquired, once — Tornado's `_ReleasingContextManager`.
 *
 * It is disposable, so `using` / `await using` release it at the end of the block.
 *
 * @example
 * const held = await semaphore.acquire();
 * try {
 *   await useResource();
 * } finally {
 *   held.release();
 * }
 */
export class Releaser implements Disposable, AsyncDisposable {
  #release: (() => void) | undefined;

  /** @internal Created by `acquire()`; user code receives instances, it does not build them. */
  constructor(release: () => void) {
    this.#release = release;
  }

  /**
   * Releases the semaphore or lock. Only the first call has an effect, so a block that
   * releases early and is then disposed does not release twice.
   *
   * @example
   * held.release();
   */
  release(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  /** Releases, for `using held = await lock.acquire()`. */
  [disposeSymbol](): void {
    this.release();
  }

  /** Releases, for `await using held = await lock.acquire()`. */
  [asyncDisposeSymbol](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}

/**
 * A lock that can be acquired a fixed number of times before blocking — Tornado's
 * `locks.Semaphore`.
 *
 * The counter starts at `value`; {@link acquire} decrements it and waits while it is zero;
 * {@link release} increments it and wakes the oldest waiter.
 *
 * @example
 * const sem = new Semaphore(2);
 * async function worker(id: number) {
 *   await using _held = await sem.acquire();
 *   console.log(`Worker ${id} is working`);
 *   await useSomeResource();
 * } // released here
 */
export class Semaphore {
  #value: number;
  readonly #waiters = new Waiters<Releaser>();

  /**
   * @param value - the initial counter; a `RangeError` if negative.
   */
  constructor(value = 1) {
    if (!(value >= 0)) throw new RangeError("semaphore initial value must be >= 0");
    this.#value = value;
  }

  /** The current counter: how many more {@link acquire} calls would succeed at once. */
  get value(): number {
    return this.#value;
  }

  /** Number of tasks currently blocked in {@link acquire} (timed-out ones are not counted). */
  get waiterCount(): number {
    return this.#waiters.size;
  }

  /**
   * Decrements the counter, waiting while it is zero. Resolves to a {@link Releaser};
   * rejects with {@link TimeoutError} if `timeout` (milliseconds, or a `Date` deadline)
   * passes first, in which case the counter is left untouched.
   *
   * @example
   * const held = await sem.acquire(1000);
   * try { work(); } finally { held.release(); }
   */
  acquire(timeout?: Timeout): Promise<Releaser> {
    if (this.#value > 0) {
      this.#value--;
      return Promise.resolve(this.#releaser());
    }
    return this.#waiters.add(undefined, timeout, (w) => w.reject(new TimeoutError()));
  }

  /**
   * Increments the counter and hands it to the oldest waiter, if any.
   *
   * @example
   * sem.release();
   */
  release(): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) this.#value++;
    else waiter.resolve(this.#releaser());
  }

  /** A short description in Tornado's repr form, e.g. `<Semaphore [unlocked,value:1]>`. */
  toString(): string {
    let extra = this.#value === 0 ? "locked" : `unlocked,value:${this.#value}`;
    if (this.#waiters.size) extra += `,waiters:${this.#waiters.size}`;
    return `<${this.constructor.name} [${extra}]>`;
  }

  #releaser(): Releaser {
    return new Releaser(() => this.release());
  }
}

/**
 * A {@link Semaphore} that refuses to be released above its initial value — Tornado's
 * `locks.BoundedSemaphore`. A semaphore released too many times is usually a bug.
 *
 * @example
 * const sem = new BoundedSemaphore(1);
 * sem.release(); // throws SemaphoreReleaseError
 */
export class BoundedSemaphore extends Semaphore {
  readonly #initialValue: number;

  /**
   * @param value - the initial and maximum counter; a `RangeError` if negative.
   */
  constructor(value = 1) {
    super(value);
    this.#initialValue = value;
  }

  /**
   * Increments the counter and wakes the oldest waiter; throws
   * {@link SemaphoreReleaseError} if the counter is already at its initial value.
   *
   * @example
   * await sem.acquire();
   * sem.release();
   */
  override release(): void {
    if (this.value >= this.#initialValue) throw new SemaphoreReleaseError();
    super.release();
  }
}

/**
 * A lock for tasks — Tornado's `locks.Lock`.
 *
 * It begins unlocked; {@link acquire} locks it, waiting (first come, first served) while
 * another task holds it. Releasing an unlocked lock throws {@link LockReleaseError}.
 *
 * @example
 * const lock = new Lock();
 * async function f() {
 *   await using _held = await lock.acquire();
 *   // Do something holding the lock.
 * } // Now the lock is released.
 */
export class Lock {
  readonly #block = new BoundedSemaphore(1);

  /** `true` while some task holds the lock. */
  get locked(): boolean {
    return this.#block.value === 0;
  }

  /** Number of tasks currently blocked in {@link acquire} (timed-out ones are not counted). */
  get waiterCount(): number {
    return this.#block.waiterCount;
  }

  /**
   * Locks, waiting while another task holds the lock. Resolves to a {@link Releaser}
   * that unlocks; rejects with {@link TimeoutError} if `timeout` (milliseconds, or a
   * `Date` deadline) passes first.
   *
   * @example
   * const held = await lock.acquire();
   * try { await critical(); } finally { held.release(); }
   */
  acquire(timeout?: Timeout): Promise<Releaser> {
    return this.#block.acquire(timeout).then(() => new Releaser(() => this.release()));
  }

  /**
   * Unlocks; the oldest waiting task gets the lock. Throws {@link LockReleaseError} if
   * the lock is not held.
   *
   * @example
   * lock.release();
   */
  release(): void {
    try {
      this.#block.release();
    } catch (e) {
      if (e instanceof SemaphoreReleaseError) throw new LockReleaseError();
      throw e;
    }
  }

  /** A short description in Tornado's repr form, e.g. `<Lock _block=<BoundedSemaphore [locked]>>`. */
  toString(): string {
    return `<Lock _block=${this.#block}>`;
  }
}
