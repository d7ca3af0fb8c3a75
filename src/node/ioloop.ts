/**
 * The IOLoop — Tornado's `tornado.ioloop`, over Node's event loop.
 *
 * Node already runs an event loop in every thread, so an {@link IOLoop} is a view of it
 * with Tornado's API: callbacks on the next turn (`addCallback`), timeouts on the loop's
 * monotonic clock (`callLater`, `callAt`, `addTimeout`, `removeTimeout`), work on other
 * threads (`runInExecutor`), and `start()`/`stop()` to keep the process alive until the
 * application decides to end. There is one current loop per thread, created on first use.
 *
 * Differences from Tornado, all forced by the host:
 * - Callbacks and timeouts run whether or not `start()` has been called (Node's loop is
 *   always turning). `start()` returns a Promise that resolves when `stop()` is called, and
 *   holds the process open meanwhile. Pending timeouts also hold it open, as `setTimeout`
 *   does.
 * - `runSync(fn)` cannot block the thread: it returns a Promise of `fn`'s result.
 * - Executor tasks are named by module URL and export, because closures cannot cross
 *   threads (see `./executor.js`); cross-thread `addCallback` goes through a named
 *   {@link LoopHandle} (see `./loop-handle.js`).
 * @module
 */

import { appLog } from "../core/log.js";
import { TimeoutError } from "../core/timeout.js";
import { ThreadPoolExecutor, type Executor, type TaskModule } from "./executor.js";
import { LoopHandle } from "./loop-handle.js";

export { PeriodicCallback, nextPeriodicTimeout } from "./periodic-callback.js";

/** Misuse of a loop's life cycle (starting it twice, using it closed); asyncio's messages. */
export class IOLoopError extends Error {
  override name = "IOLoopError";
}

/** Options for `new IOLoop()`. */
export interface IOLoopOptions {
  /** Make the new loop this thread's current loop (default `true`, as Tornado 6.3+). */
  makeCurrent?: boolean;
}

/** Options for {@link IOLoop.runSync}. */
export interface RunSyncOptions {
  /** Give up after this many seconds, rejecting with `TimeoutError`. */
  timeout?: number;
}

/**
 * A pending timeout, as returned by `callLater`/`callAt`/`addTimeout`. Opaque apart from
 * its deadline: pass it to {@link IOLoop.removeTimeout} to cancel it. Like Tornado's, it
 * has no `cancel()` of its own.
 */
export class TimeoutHandle {
  /** When it runs, on the loop's {@link IOLoop.time} scale. */
  readonly deadline: number;

  constructor(deadline: number) {
    this.deadline = deadline;
  }
}

/** What the loop keeps for each pending timeout. */
interface PendingTimeout {
  readonly callback: () => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

// setTimeout keeps its delay in a signed 32-bit integer; longer delays are re-armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

// Module state is per thread: each worker thread loads its own copy of this module.
let currentLoop: IOLoop | undefined;

function describe(callback: unknown): string {
  if (typeof callback === "function") return callback.name ? `<function ${callback.name}>` : "<anonymous function>";
  return String(callback);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * Tornado's IOLoop for one thread. Most code uses {@link IOLoop.current}; constructing one
 * is for tests and for code that wants its own set of timeouts to close together.
 *
 * @example
 * const loop = IOLoop.current();
 * loop.callLater(1, () => loop.stop());
 * await loop.start(); // resolves about a second later
 */
export class IOLoop {
  #closed = false;
  #running = false;
  #stopRequested = false;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #resolveStart: (() => void) | undefined;
  #callbacks: Array<() => void> = [];
  #immediate: ReturnType<typeof setImmediate> | undefined;
  #timeouts = new Map<TimeoutHandle, PendingTimeout>();
  #executor: Executor | undefined;
  #ownsExecutor = false;

  constructor(options: IOLoopOptions = {}) {
    if (options.makeCurrent ?? true) currentLoop = this;
  }

  /**
   * This thread's current loop, created on first use; with `false`, `undefined` instead of
   * creating one.
   *
   * @example
   * IOLoop.current().addCallback(() => console.log("next turn"));
   */
  static current(): IOLoop;
  static current(instance: false): IOLoop | undefined;
  static current(instance = true): IOLoop | undefined {
    if (currentLoop === undefined && instance) currentLoop = new IOLoop();
    return currentLoop;
  }

  /**
   * Deprecated alias for {@link IOLoop.current}, as in Tornado 5+.
   *
   * @example
   * IOLoop.instance().start();
   * @deprecated Use `IOLoop.current()`.
   */
  static instance(): IOLoop {
    return IOLoop.current();
  }

  /**
   * Forgets this thread's current loop (the next `current()` creates a new one). For tests.
   *
   * @example
   * IOLoop.clearCurrent();
   */
  static clearCurrent(): void {
    currentLoop = undefined;
  }

  /**
   * Makes this loop the thread's current one (`start()` does it too).
   *
   * @example
   * const loop = new IOLoop({ makeCurrent: false });
   * loop.makeCurrent();
   */
  makeCurrent(): void {
    currentLoop = this;
  }

  /**
   * Whether `start()` is pending (asyncio's `is_running`).
   *
   * @example
   * if (!loop.isRunning()) await loop.start();
   */
  isRunning(): boolean {
    return this.#running;
  }

  /** Whether {@link close} has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs until {@link stop} is called: the returned Promise resolves then, and the process
   * stays alive until it does. Makes this the current loop. If `stop()` was called while
   * the loop was not running, resolves after one turn, as Tornado. Rejects with
   * {@link IOLoopError} if the loop is already running or closed.
   *
   * @example
   * app.listen(8888);
   * await IOLoop.current().start();
   */
  start(): Promise<void> {
    if (this.#closed) return Promise.reject(new IOLoopError("Event loop is closed"));
    if (this.#running) return Promise.reject(new IOLoopError("This event loop is already running"));
    this.#running = true;
    currentLoop = this;
    return new Promise<void>((resolve) => {
      this.#resolveStart = resolve;
      if (this.#stopRequested) {
        this.#stopRequested = false;
        setImmediate(() => this.stop());
        return;
      }
      // A ref'd handle is what keeps Node's loop (and so the process) going.
      this.#keepAlive = setInterval(() => {}, MAX_TIMER_MS);
    });
  }

  /**
   * Makes the pending `start()` resolve. If the loop is not running, the next `start()`
   * resolves right away. Work already scheduled still runs.
   *
   * @example
   * process.on("SIGTERM", () => IOLoop.current().stop());
   */
  stop(): void {
    if (!this.#running) {
      this.#stopRequested = true;
      return;
    }
    this.#running = false;
    if (this.#keepAlive !== undefined) clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
    const resolve = this.#resolveStart;
    this.#resolveStart = undefined;
    resolve?.();
  }

  /**
   * Frees the loop: pending callbacks and timeouts are dropped, and the default executor it
   * created is shut down. Later `addCallback`s are dropped silently; later timeouts throw.
   * The loop must be stopped first, as in Tornado.
   *
   * @example
   * loop.stop();
   * loop.close();
   */
  close(): void {
    if (this.#running) throw new IOLoopError("Cannot close a running event loop");
    if (this.#closed) return;
    this.#closed = true;
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    this.#callbacks = [];
    for (const pending of this.#timeouts.values()) if (pending.timer !== undefined) clearTimeout(pending.timer);
    this.#timeouts.clear();
    if (this.#ownsExecutor && this.#executor !== undefined) {
      this.#executor.shutdown().catch((error: unknown) => this.handleCallbackException(this.close, error));
    }
    this.#executor = undefined;
    if (currentLoop === this) currentLoop = undefined;
  }

  /**
   * The loop's clock: monotonic seconds from an unspecified origin (as `asyncio`'s
   * `loop.time()`, which Tornado's IOLoop uses). Deadlines for `callAt`/`addTimeout` use it.
   *
   * @example
   * loop.callAt(loop.time() + 0.5, () => console.log("half a second later"));
   */
  time(): number {
    return performance.now() / 1000;
  }

  /**
   * Runs `callback(...args)` on a later turn of the loop (a `setImmediate`), after
   * callbacks added before it. An exception it throws, or a rejection of a promise it
   * returns, goes to {@link handleCallbackException} (logged), never to the caller.
   * Dropped silently once the loop is closed.
   *
   * @example
   * loop.addCallback((name) => console.log(`hello ${name}`), "world");
   */
  addCallback<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): void {
    if (this.#closed) return;
    this.#callbacks.push(() => this.#runCallback(callback, args));
    this.#immediate ??= setImmediate(() => this.#drain());
  }

  /**
   * The same as {@link addCallback}, as in Tornado 6.
   *
   * @example
   * loop.spawnCallback(async () => { await flushCache(); });
   */
  spawnCallback<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): void {
    this.addCallback(callback, ...args);
  }

  /**
   * Runs `callback(future)` on the loop once `future` settles, whether it resolves or
   * rejects (the callback reads the outcome by awaiting it).
   *
   * @example
   * loop.addFuture(fetchUser(id), async (f) => console.log(await f));
   */
  addFuture<T>(future: PromiseLike<T>, callback: (future: Promise<T>) => unknown): void {
    const settled = Promise.resolve(future);
    const schedule = (): void => this.addCallback(callback, settled);
    settled.then(schedule, schedule);
  }

  /**
   * Runs `callback(...args)` at `deadline`: a time on the {@link time} scale, or a `Date`.
   * Returns a handle for {@link removeTimeout}. The callback never runs before the deadline.
   *
   * @example
   * const t = loop.addTimeout(loop.time() + 5, () => console.log("five seconds"));
   * loop.addTimeout(new Date(Date.now() + 1000), () => console.log("one second"));
   */
  addTimeout<A extends unknown[]>(deadline: number | Date, callback: (...args: A) => unknown, ...args: A): TimeoutHandle {
    if (deadline instanceof Date) {
      return this.callAt(this.time() + (deadline.getTime() - Date.now()) / 1000, callback, ...args);
    }
    return this.callAt(deadline, callback, ...args);
  }

  /**
   * Runs `callback(...args)` after `delay` seconds.
   *
   * @example
   * loop.callLater(0.1, () => console.log("100 ms later"));
   */
  callLater<A extends unknown[]>(delay: number, callback: (...args: A) => unknown, ...args: A): TimeoutHandle {
    return this.callAt(this.time() + delay, callback, ...args);
  }

  /**
   * Runs `callback(...args)` at `when`, a time on the {@link time} scale.
   *
   * @example
   * loop.callAt(loop.time() + 2, () => console.log("two seconds later"));
   */
  callAt<A extends unknown[]>(when: number, callback: (...args: A) => unknown, ...args: A): TimeoutHandle {
    if (typeof when !== "number" || Number.isNaN(when)) throw new TypeError(`Unsupported deadline ${String(when)}`);
    if (this.#closed) throw new IOLoopError("Event loop is closed");
    const handle = new TimeoutHandle(when);
    const pending: PendingTimeout = { callback: () => this.#runCallback(callback, args), timer: undefined };
    this.#timeouts.set(handle, pending);
    this.#arm(handle, pending);
    return handle;
  }

  /**
   * Cancels a pending timeout. Safe to call after it has run, or twice.
   *
   * @example
   * const t = loop.callLater(10, giveUp);
   * loop.removeTimeout(t);
   */
  removeTimeout(handle: TimeoutHandle): void {
    const pending = this.#timeouts.get(handle);
    if (pending === undefined) return;
    this.#timeouts.delete(handle);
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    pending.timer = undefined;
  }

  /**
   * Starts the loop, runs `fn`, and stops the loop when `fn`'s result settles; resolves or
   * rejects with that result. Unlike Tornado's, this cannot block the thread: it returns a
   * Promise, so `await loop.runSync(main)` replaces `loop.run_sync(main)`. `fn` receives an
   * `AbortSignal` that aborts on timeout (a JavaScript promise cannot be cancelled, so this
   * is how `fn` learns that Tornado would have cancelled it). A plain, non-promise result is
   * accepted, where Tornado 4.3+ raises `BadYieldError`.
   *
   * Rejects with `TimeoutError` ("Operation timed out after N seconds") after
   * `options.timeout` seconds, and with {@link IOLoopError} if the loop is already running
   * or is stopped before `fn` finishes.
   *
   * @example
   * const rows = await IOLoop.current().runSync(async () => await db.query("..."), { timeout: 5 });
   */
  async runSync<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>, options: RunSyncOptions = {}): Promise<T> {
    if (this.#closed) throw new IOLoopError("Event loop is closed");
    if (this.#running) throw new IOLoopError("This event loop is already running");
    const stopped = this.start();
    const controller = new AbortController();
    type Outcome = { kind: "ok"; value: T } | { kind: "error"; error: unknown } | { kind: "stopped" } | { kind: "timeout" };
    let finish: (o: Outcome) => void = () => {};
    const outcome = new Promise<Outcome>((resolve) => {
      finish = resolve;
    });
    stopped.then(() => finish({ kind: "stopped" }));
    this.#callbacks.push(() => {
      try {
        Promise.resolve(fn(controller.signal)).then(
          (value) => finish({ kind: "ok", value }),
          (error: unknown) => finish({ kind: "error", error }),
        );
      } catch (error) {
        finish({ kind: "error", error });
      }
    });
    this.#immediate ??= setImmediate(() => this.#drain());
    const timeout = options.timeout;
    const timer = timeout === undefined ? undefined : this.callLater(timeout, () => finish({ kind: "timeout" }));
    const result = await outcome;
    if (timer !== undefined) this.removeTimeout(timer);
    if (this.#running) this.stop();
    switch (result.kind) {
      case "ok":
        return result.value;
      case "error":
        throw result.error;
      case "timeout": {
        const error = new TimeoutError(`Operation timed out after ${timeout} seconds`);
        controller.abort(error);
        throw error;
      }
      case "stopped":
        throw new IOLoopError("Event loop stopped before Future completed.");
    }
  }

  /**
   * Runs export `exportName` of `module` with `args` in `executor` (the loop's default
   * executor when `null`/`undefined`: a `ThreadPoolExecutor` of `os.availableParallelism()`
   * threads, created on first use) and resolves with its result. Tornado takes a function;
   * here the task is named, see `ThreadPoolExecutor.submit`.
   *
   * @example
   * const digest = await IOLoop.current().runInExecutor<string>(null, new URL("./work.js", import.meta.url), "hash", data);
   */
  runInExecutor<R = unknown>(
    executor: Executor | null | undefined,
    module: TaskModule,
    exportName: string,
    ...args: unknown[]
  ): Promise<R> {
    if (executor == null) {
      if (this.#executor === undefined) {
        if (this.#closed) return Promise.reject(new IOLoopError("Event loop is closed"));
        this.#executor = new ThreadPoolExecutor();
        this.#ownsExecutor = true;
      }
      executor = this.#executor;
    }
    return executor.submit<R>(module, exportName, ...args);
  }

  /**
   * Sets the executor {@link runInExecutor} uses when given none. The loop does not shut
   * it down on close; its owner does.
   *
   * @example
   * loop.setDefaultExecutor(new ThreadPoolExecutor(2));
   */
  setDefaultExecutor(executor: Executor): void {
    this.#executor = executor;
    this.#ownsExecutor = false;
  }

  /**
   * A {@link LoopHandle} through which other threads schedule named callbacks on this loop.
   *
   * @example
   * const handle = loop.createHandle().register("progress", (n: number) => bar.update(n));
   */
  createHandle(): LoopHandle {
    return new LoopHandle(this);
  }

  /**
   * Called with every exception a callback raises (Tornado's `handle_callback_exception`).
   * Logs it to `appLog` as "Exception in callback ..."; override to do otherwise.
   *
   * @example
   * class StrictLoop extends IOLoop {
   *   override handleCallbackException(callback: unknown, error: unknown): void { process.exitCode = 1; super.handleCallbackException(callback, error); }
   * }
   */
  handleCallbackException(callback: unknown, error: unknown): void {
    appLog.exception("Exception in callback %s", error, describe(callback));
  }

  #runCallback(callback: (...args: never[]) => unknown, args: unknown[]): void {
    try {
      const result = (callback as (...a: unknown[]) => unknown)(...args);
      if (isThenable(result)) {
        result.then(undefined, (error: unknown) => this.handleCallbackException(callback, error));
      }
    } catch (error) {
      this.handleCallbackException(callback, error);
    }
  }

  #drain(): void {
    this.#immediate = undefined;
    // Callbacks added while these run wait for the next turn, so I/O is never starved.
    const batch = this.#callbacks;
    this.#callbacks = [];
    for (const run of batch) run();
  }

  #arm(handle: TimeoutHandle, pending: PendingTimeout): void {
    const ms = Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil((handle.deadline - this.time()) * 1000)));
    pending.timer = setTimeout(() => this.#fire(handle, pending), ms);
  }

  #fire(handle: TimeoutHandle, pending: PendingTimeout): void {
    pending.timer = undefined;
    if (this.#timeouts.get(handle) !== pending) return;
    // Node's timer clock is cached per loop turn and can fire slightly early by ours.
    if (handle.deadline > this.time()) {
      this.#arm(handle, pending);
      return;
    }
    this.#timeouts.delete(handle);
    pending.callback();
  }
}

/**
 * `IOLoop.current().runInExecutor(...)`.
 *
 * @example
 * const n = await runInExecutor<number>(null, new URL("./work.js", import.meta.url), "countPrimes", 1e6);
 */
export function runInExecutor<R = unknown>(
  executor: Executor | null | undefined,
  module: TaskModule,
  exportName: string,
  ...args: unknown[]
): Promise<R> {
  return IOLoop.current().runInExecutor<R>(executor, module, exportName, ...args);
}
