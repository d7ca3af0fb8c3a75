/**
 * The worker-thread side of `ThreadPoolExecutor`: the bootstrap source each pool thread
 * runs, and the messages it exchanges with the pool.
 *
 * The bootstrap is a string run with `new Worker(source, { eval: true })` rather than a
 * file, because a worker thread runs plain Node: from the TypeScript sources (under vitest)
 * a `.ts` bootstrap file could not be loaded, and from `dist/` a `.js` file beside this
 * one would have to be copied by the build. A string works the same from both.
 *
 * Protocol (all messages are structured-cloned):
 * - pool → worker: {@link JobMessage}: run export `name` of `module` with `args`; the
 *   argument slots listed in `handles` receive a remote loop object in place of a
 *   `LoopHandle`.
 * - worker → pool: {@link DoneMessage} or {@link FailMessage} once per job, and any
 *   number of {@link CallbackMessage}s while it runs. They travel on the same port, so a
 *   callback sent before the task returns always reaches the loop before its result.
 * @module
 */

/** Runs one task: `module` is an absolute URL (`file:`, `node:`, `data:`). */
export interface JobMessage {
  readonly id: number;
  readonly module: string;
  readonly name: string;
  readonly args: unknown[];
  /** `[argumentIndex, handleId]` pairs: where a `LoopHandle` was passed. */
  readonly handles: Array<[number, number]>;
}

/** An `Error` taken apart so it survives the thread boundary with its name and stack. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  /** Own enumerable properties that could be cloned (`code`, `errno`, ...). */
  readonly props: Record<string, unknown>;
  /** The error's `cause`, itself taken apart when it is an Error. */
  readonly cause?: { readonly error: SerializedError } | { readonly value: unknown };
}

export interface DoneMessage {
  readonly type: "done";
  readonly id: number;
  readonly value: unknown;
}

export interface FailMessage {
  readonly type: "fail";
  readonly id: number;
  /** Set when the task threw an Error. */
  readonly error?: SerializedError;
  /** Set when the task threw something else (cloned, or its `String()` if not cloneable). */
  readonly thrown?: unknown;
}

/** A worker asking the loop to run the callback registered as `name` on a `LoopHandle`. */
export interface CallbackMessage {
  readonly type: "callback";
  readonly handle: number;
  readonly name: string;
  readonly args: unknown[];
}

export type WorkerMessage = DoneMessage | FailMessage | CallbackMessage;

/**
 * The bootstrap source. It must stay plain, dependency-free JavaScript (it runs without
 * TypeScript and without this package), and valid both as a CommonJS script and as an ES
 * module: an eval worker inherits the parent's `--input-type`, so it may be either. Hence
 * no `require`, no static `import`, no top-level `await`.
 */
export const WORKER_SOURCE = String.raw`"use strict";
function cloneable(value) {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function serializeError(error, depth) {
  const props = {};
  for (const key of Object.keys(error)) {
    if (key === "cause") continue;
    if (cloneable(error[key])) props[key] = error[key];
  }
  const out = { name: String(error.name), message: String(error.message), stack: error.stack, props };
  if (error.cause !== undefined && depth < 4) {
    out.cause = error.cause instanceof Error
      ? { error: serializeError(error.cause, depth + 1) }
      : { value: cloneable(error.cause) ? error.cause : String(error.cause) };
  }
  return out;
}

function failure(id, thrown) {
  if (thrown instanceof Error) return { type: "fail", id, error: serializeError(thrown, 0) };
  return { type: "fail", id, thrown: cloneable(thrown) ? thrown : String(thrown) };
}

function remoteLoop(port, handle) {
  const post = (name, args) => {
    if (typeof name !== "string") throw new TypeError("callback name must be a string");
    port.postMessage({ type: "callback", handle, name, args });
  };
  return Object.freeze({
    addCallback: (name, ...args) => post(name, args),
    spawnCallback: (name, ...args) => post(name, args),
  });
}

async function run(port, job) {
  const mod = await import(job.module);
  const fn = mod[job.name];
  if (typeof fn !== "function") {
    throw new TypeError(job.name + " is not a function exported by " + job.module);
  }
  const args = job.args;
  for (const [index, handle] of job.handles) args[index] = remoteLoop(port, handle);
  return await fn(...args);
}

function serve(port) {
  port.on("message", async (job) => {
    let message;
    try {
      message = { type: "done", id: job.id, value: await run(port, job) };
    } catch (error) {
      message = failure(job.id, error);
    }
    try {
      port.postMessage(message);
    } catch (error) {
      // The result could not be cloned (it holds a function, a symbol, a socket...).
      port.postMessage(failure(job.id, error));
    }
  });
}

// Messages posted before this listener exists wait in the port's queue.
import("node:worker_threads").then(({ parentPort }) => serve(parentPort));
`;
