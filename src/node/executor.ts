/**
 * Executors: CPU-bound work on worker threads, off the event loop — what
 * `concurrent.futures.ThreadPoolExecutor` is to a Tornado application.
 *
 * A Python thread pool runs any callable. A JavaScript closure cannot cross a thread
 * boundary, so a task here is named by its module and export: the worker imports the
 * module (once per thread; it stays cached) and calls the export. Arguments and results
 * are structured-cloned (plain data, `Uint8Array`s, `Map`s, `Date`s...; not functions or
 * class prototypes). A task may be async: the worker awaits it. An Error thrown by the task
 * comes back as an Error with the same `name`, `message`, `stack`, `cause` and cloneable
 * own properties (such as `code`); a built-in type (`TypeError`, `RangeError`...) keeps
 * its class.
 *
 * Idle pool threads do not keep the process alive; a thread running a task does.
 * @module
 */

import { availableParallelism } from "node:os";
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { MessagePort, Worker } from "node:worker_threads";
import { WORKER_SOURCE, type JobMessage, type SerializedError, type WorkerMessage } from "./executor-worker.js";
import { LoopHandle } from "./loop-handle.js";
import { appLog } from "../core/log.js";

/**
 * Where a task's code lives: a `URL` (usually `new URL("./work.js", import.meta.url)`), an
 * absolute `file:`/`node:`/`data:` URL string, or an absolute file path. The module must be
 * loadable by plain Node (JavaScript, not TypeScript).
 */
export type TaskModule = URL | string;

/**
 * What `IOLoop.runInExecutor` needs of an executor: run export `exportName` of `module`
 * with `args` somewhere, and settle with its result.
 */
export interface Executor {
  submit<R = unknown>(module: TaskModule, exportName: string, ...args: unknown[]): Promise<R>;
  shutdown(options?: ShutdownOptions): Promise<void>;
}

/** Options for {@link ThreadPoolExecutor.shutdown}. */
export interface ShutdownOptions {
  /**
   * Reject tasks still waiting for a thread with {@link CancelledError} instead of running
   * them (Python's `cancel_futures`). Tasks already running always finish.
   */
  cancelFutures?: boolean;
}

/** Raised by `submit` after `shutdown`, with Python's message. */
export class ExecutorShutdownError extends Error {
  override name = "ExecutorShutdownError";
  constructor() {
    super("cannot schedule new futures after shutdown");
  }
}

/** A queued task cancelled by `shutdown({ cancelFutures: true })` — `concurrent.futures.CancelledError`. */
export class CancelledError extends Error {
  override name = "CancelledError";
}

/** The thread running a task died (it called `process.exit`, or an error escaped the task). */
export class BrokenWorkerError extends Error {
  override name = "BrokenWorkerError";
}

const BUILTIN_ERRORS: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Rebuilds an Error taken apart by the worker, keeping its class where it is a built-in. */
function reviveError(s: SerializedError): Error {
  const Ctor = BUILTIN_ERRORS[s.name] ?? Error;
  const error = new Ctor(s.message);
  Object.assign(error, s.props);
  if (error.name !== s.name) {
    Object.defineProperty(error, "name", { value: s.name, writable: true, configurable: true, enumerable: false });
  }
  if (s.stack !== undefined) {
    Object.defineProperty(error, "stack", { value: s.stack, writable: true, configurable: true, enumerable: false });
  }
  if (s.cause !== undefined) {
    const cause = "error" in s.cause ? reviveError(s.cause.error) : s.cause.value;
    Object.defineProperty(error, "cause", { value: cause, writable: true, configurable: true, enumerable: false });
  }
  return error;
}

function moduleHref(module: TaskModule): string {
  if (module instanceof URL) return module.href;
  if (isAbsolute(module)) return pathToFileURL(module).href;
  if (/^(file|node|data):/.test(module)) return module;
  throw new TypeError(
    `Task module must be a URL or an absolute path, got '${module}' ` +
      `(use new URL("./x.js", import.meta.url) or import.meta.resolve("package"))`,
  );
}

interface Job {
  readonly message: JobMessage;
  readonly handles: Map<number, LoopHandle>;
  readonly transfer: MessagePort[];
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

interface PoolThread {
  readonly worker: Worker;
  job: Job | undefined;
}

let nextJobId = 1;

/**
 * A pool of up to `maxWorkers` worker threads running tasks first come, first served,
 * one task per thread at a time. Threads start on demand and stay for later tasks.
 *
 * @example
 * // work.js
 * import { createHash } from "node:crypto";
 * export function hash(data) { return createHash("sha256").update(data).digest("hex"); }
 *
 * // main.ts
 * const pool = new ThreadPoolExecutor(4);
 * const digest = await pool.submit<string>(new URL("./work.js", import.meta.url), "hash", bytes);
 * await pool.shutdown();
 */
export class ThreadPoolExecutor implements Executor {
  /** The most threads this pool runs at once. */
  readonly maxWorkers: number;
  #threads = new Set<PoolThread>();
  #idle: PoolThread[] = [];
  #queue: Job[] = [];
  #queueHead = 0;
  #shutdown = false;
  #drained: Promise<void> | undefined;
  #onDrained: (() => void) | undefined;

  /**
   * @param maxWorkers the pool size; defaults to `os.availableParallelism()`.
   */
  constructor(maxWorkers: number = availableParallelism()) {
    if (!Number.isInteger(maxWorkers) || maxWorkers <= 0) {
      throw new RangeError("maxWorkers must be greater than 0");
    }
    this.maxWorkers = maxWorkers;
  }

  /**
   * Runs export `exportName` of `module` with `args` on a pool thread; resolves with what
   * it returns (awaited, if a promise), or rejects with what it throws. `MessagePort`
   * arguments are transferred, and a {@link LoopHandle} argument reaches the task as an
   * object with `addCallback(name, ...args)` that schedules on the handle's loop.
   *
   * @example
   * const n = await pool.submit<number>(new URL("./work.js", import.meta.url), "countPrimes", 1_000_000);
   */
  submit<R = unknown>(module: TaskModule, exportName: string, ...args: unknown[]): Promise<R> {
    if (this.#shutdown) return Promise.reject(new ExecutorShutdownError());
    let href: string;
    try {
      href = moduleHref(module);
    } catch (error) {
      return Promise.reject(error);
    }
    const handles = new Map<number, LoopHandle>();
    const slots: Array<[number, number]> = [];
    const transfer: MessagePort[] = [];
    const sent = args.map((arg, index) => {
      if (arg instanceof LoopHandle) {
        handles.set(arg.id, arg);
        slots.push([index, arg.id]);
        return null;
      }
      if (arg instanceof MessagePort) transfer.push(arg);
      return arg;
    });
    return new Promise<R>((resolve, reject) => {
      const message: JobMessage = { id: nextJobId++, module: href, name: exportName, args: sent, handles: slots };
      this.#queue.push({ message, handles, transfer, resolve: resolve as (value: unknown) => void, reject });
      this.#dispatch();
    });
  }

  /**
   * Stops accepting tasks; resolves once every accepted task has settled and the threads
   * have exited. With `cancelFutures`, tasks not yet started are rejected instead.
   *
   * @example
   * await pool.shutdown({ cancelFutures: true });
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    this.#shutdown = true;
    if (options.cancelFutures) {
      for (let i = this.#queueHead; i < this.#queue.length; i++) {
        this.#queue[i]!.reject(new CancelledError("Task cancelled by executor shutdown"));
      }
      this.#queue = [];
      this.#queueHead = 0;
    }
    this.#drained ??= new Promise<void>((resolve) => {
      this.#onDrained = resolve;
    });
    this.#finishIfDrained();
    return this.#drained;
  }

  /** How many threads are alive (busy or idle). */
  get threadCount(): number {
    return this.#threads.size;
  }

  /** How many submitted tasks are waiting for a thread. */
  get pendingCount(): number {
    return this.#queue.length - this.#queueHead;
  }

  #dispatch(): void {
    while (this.#queueHead < this.#queue.length) {
      const thread = this.#idle.pop() ?? (this.#threads.size < this.maxWorkers ? this.#spawn() : undefined);
      if (thread === undefined) return;
      const job = this.#queue[this.#queueHead]!;
      this.#queue[this.#queueHead++] = undefined as unknown as Job;
      if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#queueHead);
        this.#queueHead = 0;
      }
      this.#run(thread, job);
    }
  }

  #run(thread: PoolThread, job: Job): void {
    try {
      thread.worker.postMessage(job.message, job.transfer);
    } catch (error) {
      // An argument that cannot be cloned: the task never started, the thread is still free.
      job.reject(error);
      this.#idle.push(thread);
      return;
    }
    thread.job = job;
    thread.worker.ref();
  }

  #spawn(): PoolThread {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    const thread: PoolThread = { worker, job: undefined };
    worker.unref();
    worker.on("message", (message: WorkerMessage) => this.#receive(thread, message));
    worker.on("error", (error: unknown) => {
      const job = thread.job;
      thread.job = undefined;
      if (job !== undefined) job.reject(error);
      else appLog.exception("Executor thread died between tasks", error);
    });
    worker.on("exit", (code: number) => {
      this.#threads.delete(thread);
      const i = this.#idle.indexOf(thread);
      if (i !== -1) this.#idle.splice(i, 1);
      const job = thread.job;
      thread.job = undefined;
      if (job !== undefined) {
        job.reject(
          new BrokenWorkerError(
            `Worker thread exited with code ${code} while running ${job.message.name} from ${job.message.module}`,
          ),
        );
      }
      this.#dispatch();
      this.#finishIfDrained();
    });
    this.#threads.add(thread);
    return thread;
  }

  #receive(thread: PoolThread, message: WorkerMessage): void {
    const job = thread.job;
    if (message.type === "callback") {
      const handle = job?.handles.get(message.handle);
      if (handle === undefined) {
        appLog.warning("Dropped callback %r sent by a task that has already finished", message.name);
        return;
      }
      handle.addCallback(message.name, ...message.args);
      return;
    }
    if (job === undefined || job.message.id !== message.id) return;
    thread.job = undefined;
    thread.worker.unref();
    this.#idle.push(thread);
    if (message.type === "done") job.resolve(message.value);
    else job.reject(message.error !== undefined ? reviveError(message.error) : message.thrown);
    this.#dispatch();
    this.#finishIfDrained();
  }

  #finishIfDrained(): void {
    if (!this.#shutdown || this.#queueHead < this.#queue.length) return;
    for (const thread of this.#threads) if (thread.job !== undefined) return;
    for (const thread of this.#threads) void thread.worker.terminate();
    this.#idle = [];
    if (this.#threads.size === 0) {
      this.#onDrained?.();
      this.#onDrained = undefined;
    }
  }
}
