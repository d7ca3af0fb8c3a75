/**
 * Timers inside a Durable Object, backed by the object's alarm: Tornado's
 * `IOLoop.call_later`/`call_at`/`remove_timeout` and `PeriodicCallback`, for code that
 * runs in an object (a stateful handler, an `onObjectStart` hook).
 *
 * One alarm serves every timer of the object: the earliest deadline is kept in
 * `ctx.storage.setAlarm`, and when the alarm fires the due timers run (in deadline order)
 * and the alarm is set again for the next one. So a pending timer wakes a hibernated
 * object and fires on time, where `setTimeout` would keep the object awake (and billed)
 * and die with it.
 *
 * What survives an eviction — a callback is a closure, and no closure outlives its
 * object:
 * - A periodic callback started by an `onObjectStart` hook: the hook runs again when the
 *   object wakes and starts it again under the same name; its schedule is stored, so it
 *   resumes where it was (a tick that fell due while the object was gone runs at once,
 *   missed ticks are skipped as in Tornado).
 * - A periodic callback started elsewhere (in a handler): it is gone, like its closure;
 *   its stored schedule is dropped when the next object instance starts.
 * - A one-off `callLater`/`callAt` that had not fired: it is gone, but not silently. A
 *   small record (`__cyclone/timers/once/<id>`: due time and what it was) is stored with
 *   it, and the next instance of the object logs each such record as a warning on
 *   `cyclone.general` ("… was lost: the object was evicted before it fired") and deletes it.
 * - Anything the application keeps in `storage` survives; use it (and a periodic
 *   callback) for work that must happen whatever happens to the object.
 *
 * Timer state lives under the storage prefix `__cyclone/timers/`; the alarm belongs to
 * these timers, so do not call `ctx.storage.setAlarm` yourself in a Cyclone object.
 * @module
 */

import type { RequestHandler } from "../core/web.js";
import { appLog, genLog } from "../core/log.js";
import type { DurableObjectStorageLike } from "./runtime-types.js";

const PREFIX = "__cyclone/timers/";
const ONCE = `${PREFIX}once/`;
const EVERY = `${PREFIX}every/`;

/** A pending timer, as `callLater`/`callAt` return it. Tornado's timeout handle. */
export interface TimeoutHandle {
  /** Unique id (also the key of the timer's stored record). */
  readonly id: string;
  /** When it is due, in milliseconds since the epoch. */
  readonly deadline: number;
  /** What it is, as reported if it is lost: the callback's name and arguments. */
  readonly description: string;
}

/** Raised for a timer API used outside a Durable Object, or with invalid arguments. */
export class ObjectTimerError extends Error {
  override name = "ObjectTimerError";
}

interface Timer {
  readonly handle: TimeoutHandle;
  readonly run: () => unknown;
  readonly once: boolean;
}

interface OnceRecord {
  deadline: number;
  description: string;
}

interface EveryRecord {
  next: number;
  callbackTime: number;
}

function describe(callback: (...args: never[]) => unknown, args: readonly unknown[]): string {
  let shown: string;
  try {
    shown = args.map((a) => JSON.stringify(a) ?? String(a)).join(", ");
  } catch {
    shown = `${args.length} argument(s)`;
  }
  if (shown.length > 200) shown = `${shown.slice(0, 200)}…`;
  return `${callback.name || "anonymous callback"}(${shown})`;
}

/**
 * The timers of one Durable Object. Reach them with `objectTimers(handler)` in a handler,
 * or `object.timers` in an `onObjectStart` hook.
 *
 * @example
 * const timers = objectTimers(this);
 * const h = timers.callLater(30, expireRoom, this.room);
 * timers.removeTimeout(h);
 */
export class ObjectTimers {
  readonly #storage: DurableObjectStorageLike;
  readonly #timers = new Map<string, Timer>();
  readonly #periodic = new Map<string, ObjectPeriodicCallback>();
  #armed: number | null = null;
  #firing = false;

  constructor(storage: DurableObjectStorageLike) {
    this.#storage = storage;
  }

  /**
   * The current time in seconds (wall clock: alarms are absolute times). Tornado's
   * `IOLoop.time()`.
   *
   * @example
   * timers.callAt(timers.time() + 5, flush);
   */
  time(): number {
    return Date.now() / 1000;
  }

  /**
   * Runs `callback(...args)` after `delay` seconds. Tornado's `call_later`.
   *
   * @example
   * objectTimers(this).callLater(5, () => websocketRooms(this.application).broadcast(room, { type: "tick" }));
   */
  callLater<A extends unknown[]>(delay: number, callback: (...args: A) => unknown, ...args: A): TimeoutHandle {
    return this.callAt(this.time() + delay, callback, ...args);
  }

  /**
   * Runs `callback(...args)` at `when` (seconds, on the scale of {@link time}). Tornado's
   * `call_at`.
   * @throws {ObjectTimerError} for a time that is not a finite number.
   *
   * @example
   * timers.callAt(timers.time() + 60, closeRoom, "lobby");
   */
  callAt<A extends unknown[]>(when: number, callback: (...args: A) => unknown, ...args: A): TimeoutHandle {
    if (!Number.isFinite(when)) throw new ObjectTimerError(`invalid timer deadline ${when}`);
    const handle: TimeoutHandle = { id: crypto.randomUUID(), deadline: Math.round(when * 1000), description: describe(callback, args) };
    this.#timers.set(handle.id, { handle, run: () => callback(...args), once: true });
    const record: OnceRecord = { deadline: handle.deadline, description: handle.description };
    this.#quietly(this.#storage.put(ONCE + handle.id, record));
    this.#arm();
    return handle;
  }

  /**
   * Cancels a pending timer (no-op when it already ran or was removed). Tornado's
   * `remove_timeout`.
   *
   * @example
   * timers.removeTimeout(handle);
   */
  removeTimeout(handle: TimeoutHandle): void {
    if (!this.#timers.delete(handle.id)) return;
    this.#quietly(this.#storage.delete(ONCE + handle.id));
    this.#arm();
  }

  /**
   * A periodic callback named `name` (unique in the object; its schedule is stored under
   * it), every `callbackTime` milliseconds, stopped until `start()`. Tornado's
   * `PeriodicCallback`. Start it from an `onObjectStart` hook to have it survive eviction.
   * @throws {ObjectTimerError} for a period that is not positive, or a name in use.
   *
   * @example
   * onObjectStart(app, (object) => object.timers.periodicCallback("flush", () => flush(object), 60_000).start());
   */
  periodicCallback(name: string, callback: () => unknown, callbackTime: number, jitter = 0): ObjectPeriodicCallback {
    if (!(callbackTime > 0)) throw new ObjectTimerError("Periodic callback must have a positive callback_time");
    if (this.#periodic.has(name)) throw new ObjectTimerError(`a periodic callback named ${JSON.stringify(name)} exists already`);
    const pc = new ObjectPeriodicCallback(this, name, callback, callbackTime, jitter);
    this.#periodic.set(name, pc);
    return pc;
  }

  /**
   * How many timers are pending (one-offs and running periodic callbacks).
   *
   * @example
   * if (object.timers.pending === 0) await object.storage.delete("draft");
   */
  get pending(): number {
    return this.#timers.size;
  }

  /** @internal Schedules a periodic tick (replacing the previous one). */
  _schedule(pc: ObjectPeriodicCallback, deadline: number, run: () => unknown): void {
    const handle: TimeoutHandle = { id: EVERY + pc.name, deadline, description: `periodic ${pc.name}` };
    this.#timers.set(handle.id, { handle, run, once: false });
    const record: EveryRecord = { next: deadline, callbackTime: pc.callbackTime };
    this.#quietly(this.#storage.put(EVERY + pc.name, record));
    this.#arm();
  }

  /** @internal Removes a periodic callback's tick and stored schedule. */
  _unschedule(pc: ObjectPeriodicCallback): void {
    this.#timers.delete(EVERY + pc.name);
    this.#quietly(this.#storage.delete(EVERY + pc.name));
    this.#arm();
  }

  /** @internal The stored next tick of a periodic callback with this period, if any. */
  async _storedNext(pc: ObjectPeriodicCallback): Promise<number | undefined> {
    const r = await this.#storage.get<EveryRecord>(EVERY + pc.name);
    return r !== undefined && r.callbackTime === pc.callbackTime ? r.next : undefined;
  }

  /**
   * Called when a new instance of the object starts: reports the one-off timers of the
   * previous instance, which died with it, and clears their records.
   * @internal
   */
  async _restore(objectName: string): Promise<void> {
    const lost = await this.#storage.list<OnceRecord>({ prefix: ONCE });
    for (const [key, r] of lost) {
      genLog.warning(
        "Timer %s of object %s, due %s, was lost: the object was evicted before it fired",
        r.description,
        objectName,
        new Date(r.deadline).toISOString(),
      );
      await this.#storage.delete(key);
    }
  }

  /**
   * Drops stored schedules of periodic callbacks that no `onObjectStart` hook started again.
   * @internal
   */
  async _dropOrphans(): Promise<void> {
    const stored = await this.#storage.list<EveryRecord>({ prefix: EVERY });
    for (const key of stored.keys()) {
      if (!this.#timers.has(key)) await this.#storage.delete(key);
    }
  }

  /**
   * The object's `alarm()`: runs every due timer, oldest first, then sets the alarm for the
   * next. A callback that throws is logged and does not stop the others.
   * @internal
   */
  async _fire(): Promise<void> {
    this.#armed = null;
    this.#firing = true;
    try {
      const now = Date.now();
      const due = [...this.#timers.values()].filter((t) => t.handle.deadline <= now).sort((a, b) => a.handle.deadline - b.handle.deadline);
      for (const t of due) {
        if (!this.#timers.has(t.handle.id)) continue;
        if (t.once) {
          this.#timers.delete(t.handle.id);
          this.#quietly(this.#storage.delete(ONCE + t.handle.id));
        }
        try {
          await t.run();
        } catch (e) {
          appLog.exception("Exception in callback %s", e, t.handle.description);
        }
      }
    } finally {
      this.#firing = false;
      this.#arm();
    }
  }

  #arm(): void {
    if (this.#firing) return;
    let earliest: number | null = null;
    for (const t of this.#timers.values()) if (earliest === null || t.handle.deadline < earliest) earliest = t.handle.deadline;
    if (earliest === this.#armed) return;
    this.#armed = earliest;
    this.#quietly(earliest === null ? this.#storage.deleteAlarm() : this.#storage.setAlarm(earliest));
  }

  // Durable Object storage orders writes and holds output until they are durable, so a
  // write need not be awaited; a failure is still worth a line in the log.
  #quietly(p: Promise<unknown>): void {
    p.catch((e: unknown) => genLog.error("Timer storage failed: %s", e instanceof Error ? e.message : String(e)));
  }
}

/**
 * A callback run every `callbackTime` milliseconds by the object's alarm. Tornado's
 * `PeriodicCallback`: a tick that comes late skips the missed ones; `jitter` (a fraction)
 * spreads ticks by ±`jitter/2` of the period.
 *
 * @example
 * const pc = object.timers.periodicCallback("cleanup", cleanup, 60_000);
 * await pc.start();
 */
export class ObjectPeriodicCallback {
  readonly name: string;
  readonly callbackTime: number;
  readonly jitter: number;
  readonly #timers: ObjectTimers;
  readonly #callback: () => unknown;
  #running = false;
  #next = 0;

  constructor(timers: ObjectTimers, name: string, callback: () => unknown, callbackTime: number, jitter: number) {
    this.#timers = timers;
    this.name = name;
    this.#callback = callback;
    this.callbackTime = callbackTime;
    this.jitter = jitter;
  }

  /**
   * Starts the callback. When a schedule for this name and period is stored (the object
   * was evicted while it ran), it resumes from there; otherwise the first tick is one
   * period from now. Resolves once the schedule is set.
   *
   * @example
   * await object.timers.periodicCallback("gc", collect, 10_000).start();
   */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const stored = await this.#timers._storedNext(this);
    if (!this.#running) return;
    this.#next = stored ?? Date.now() + this.#period();
    this.#timers._schedule(this, this.#next, () => this.#tick());
  }

  /**
   * Stops the callback and forgets its stored schedule.
   *
   * @example
   * if (room.empty) pc.stop();
   */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#timers._unschedule(this);
  }

  /**
   * Whether the callback is running. Tornado's `is_running`.
   *
   * @example
   * if (!pc.isRunning()) await pc.start();
   */
  isRunning(): boolean {
    return this.#running;
  }

  #period(): number {
    if (this.jitter === 0) return this.callbackTime;
    return this.callbackTime * (1 + this.jitter * (Math.random() - 0.5));
  }

  async #tick(): Promise<void> {
    if (!this.#running) return;
    try {
      await this.#callback();
    } finally {
      if (this.#running) {
        const now = Date.now();
        const period = this.#period();
        // Tornado's _update_next: skip the ticks that were missed.
        if (this.#next <= now) this.#next += (Math.floor((now - this.#next) / period) + 1) * period;
        this.#timers._schedule(this, this.#next, () => this.#tick());
      }
    }
  }
}

const timersByContext = new WeakMap<object, ObjectTimers>();

/**
 * Registers the timers of the object whose state is `ctx`.
 * @internal
 */
export function registerObjectTimers(ctx: object, timers: ObjectTimers): void {
  timersByContext.set(ctx, timers);
}

/**
 * The timers of the Durable Object serving `handler`'s request (a `@stateful` route at
 * the edge).
 * @throws {ObjectTimerError} when the handler does not run inside a Cyclone Durable Object.
 *
 * @example
 * objectTimers(this).callLater(10, () => this.broadcast(this.room, { type: "reminder" }));
 */
export function objectTimers(handler: RequestHandler): ObjectTimers {
  const ctx = handler.request.executionContext;
  const t = typeof ctx === "object" && ctx !== null ? timersByContext.get(ctx) : undefined;
  if (t === undefined) throw new ObjectTimerError("objectTimers() needs a handler running inside a Cyclone Durable Object (a @stateful route at the edge)");
  return t;
}
