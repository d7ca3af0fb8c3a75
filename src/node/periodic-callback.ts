/**
 * `PeriodicCallback` — Tornado's repeating timer on the IOLoop (re-exported by
 * `./ioloop.js`, where Tornado keeps it).
 *
 * Unlike `setInterval`, a run that overruns its period (or an async callback still pending
 * when the next run is due) makes the timer skip the missed runs and resume on the original
 * schedule, so slow callbacks never pile up.
 * @module
 */

import { IOLoop, type TimeoutHandle } from "./ioloop.js";

/**
 * The schedule rule: given the deadline of the run that just started (`nextTimeout`) and
 * the loop's time now, the deadline of the following run, `periodSeconds` later. When
 * `currentTime` has passed `nextTimeout` by whole periods, those runs are skipped, keeping
 * runs on multiples of the period from the start. When the clock seems to have gone back,
 * one period is added. Exposed for custom schedulers and tests.
 *
 * @example
 * nextPeriodicTimeout(1000, 1000, 10); // 1010
 * nextPeriodicTimeout(1010, 1035, 10); // 1040: the runs due at 1020 and 1030 are skipped
 */
export function nextPeriodicTimeout(nextTimeout: number, currentTime: number, periodSeconds: number): number {
  if (nextTimeout <= currentTime) {
    return nextTimeout + (Math.floor((currentTime - nextTimeout) / periodSeconds) + 1) * periodSeconds;
  }
  return nextTimeout + periodSeconds;
}

/**
 * Calls `callback` every `callbackTime` milliseconds on the current IOLoop (milliseconds,
 * as Tornado, though other IOLoop times are seconds). With `jitter`, each period is drawn
 * from a window of `jitter * callbackTime` centred on `callbackTime` (0.1 = ±5 %), to
 * spread out timers that would otherwise align. A callback that returns a promise is
 * awaited before the next run is scheduled; runs missed meanwhile are skipped. Exceptions
 * are logged through the loop's `handleCallbackException`. Call `start()` to begin.
 *
 * @example
 * const pc = new PeriodicCallback(async () => { await flushMetrics(); }, 10_000, 0.1);
 * pc.start();
 * // later
 * pc.stop();
 */
export class PeriodicCallback {
  /** The function called on each run. */
  readonly callback: () => unknown;
  /** The period in milliseconds. */
  readonly callbackTime: number;
  /** The fraction of the period over which each run is randomly spread. */
  readonly jitter: number;
  #loop: IOLoop | undefined;
  #running = false;
  #timeout: TimeoutHandle | undefined;
  #nextTimeout = 0;
  // Bumped by start(): a run from before a stop()/start() pair must not schedule a second chain.
  #generation = 0;

  /**
   * @param callback called on each run; may return a promise, which is awaited.
   * @param callbackTime the period in milliseconds; must be positive (RangeError otherwise).
   * @param jitter fraction of the period to randomise each run by (default 0).
   */
  constructor(callback: () => unknown, callbackTime: number, jitter = 0) {
    if (!(callbackTime > 0)) throw new RangeError("Periodic callback must have a positive callbackTime");
    this.callback = callback;
    this.callbackTime = callbackTime;
    this.jitter = jitter;
  }

  /**
   * Starts the timer on the current IOLoop; the first run is one period from now.
   *
   * @example
   * new PeriodicCallback(() => console.log("tick"), 1000).start();
   */
  start(): void {
    if (this.#running) return;
    this.#loop = IOLoop.current();
    this.#running = true;
    this.#generation++;
    this.#nextTimeout = this.#loop.time();
    this.#scheduleNext(this.#generation);
  }

  /**
   * Stops the timer. A run in progress finishes but schedules no further runs.
   *
   * @example
   * pc.stop();
   */
  stop(): void {
    this.#running = false;
    if (this.#timeout !== undefined) this.#loop?.removeTimeout(this.#timeout);
    this.#timeout = undefined;
  }

  /**
   * Whether the timer has been started and not stopped.
   *
   * @example
   * if (!pc.isRunning()) pc.start();
   */
  isRunning(): boolean {
    return this.#running;
  }

  async #run(generation: number): Promise<void> {
    if (!this.#running || generation !== this.#generation) return;
    try {
      await this.callback();
    } catch (error) {
      this.#loop!.handleCallbackException(this.callback, error);
    } finally {
      this.#scheduleNext(generation);
    }
  }

  #scheduleNext(generation: number): void {
    if (!this.#running || generation !== this.#generation) return;
    const loop = this.#loop!;
    if (loop.closed) {
      // Closing the loop cancels its timeouts; this timer goes with them, quietly.
      this.#running = false;
      return;
    }
    let period = this.callbackTime / 1000;
    if (this.jitter) period *= 1 + this.jitter * (Math.random() - 0.5);
    this.#nextTimeout = nextPeriodicTimeout(this.#nextTimeout, loop.time(), period);
    this.#timeout = loop.addTimeout(this.#nextTimeout, () => this.#run(generation));
  }
}
