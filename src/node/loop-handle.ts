/**
 * Handing callbacks to an `IOLoop` from other threads.
 *
 * In Tornado, `IOLoop.add_callback` is the one method that is safe to call from any thread.
 * JavaScript threads share no objects, and a closure cannot cross a thread boundary, so
 * Cyclone splits that guarantee in two: the loop's thread registers callbacks by name on a
 * {@link LoopHandle}, and another thread asks for one by name, with structured-cloned
 * arguments. The callback then runs on the loop's thread, on a later turn, exactly as if
 * `IOLoop.addCallback` had been called there (an exception it raises is logged).
 *
 * Two ways reach a handle from a worker:
 * - pass the `LoopHandle` itself as an argument to `ThreadPoolExecutor.submit` /
 *   `IOLoop.runInExecutor`: the task receives an object with `addCallback(name, ...args)`,
 *   and everything it sends arrives before the task's result;
 * - for a worker you manage yourself, `handle.createPort()` gives a `MessagePort` to
 *   transfer to it, and the worker wraps it in a {@link RemoteLoop}.
 * @module
 */

import { MessageChannel, type MessagePort } from "node:worker_threads";
import type { IOLoop } from "./ioloop.js";

/** A callback a worker may request by name. Its arguments arrive structured-cloned. */
export type NamedCallback = (...args: never[]) => unknown;

/** Raised (and logged by the loop) when a worker asks for a name nothing registered. */
export class UnknownCallbackError extends Error {
  override name = "UnknownCallbackError";
  /** The name that was requested. */
  readonly callbackName: string;
  constructor(callbackName: string) {
    super(`No callback registered as '${callbackName}' on this LoopHandle`);
    this.callbackName = callbackName;
  }
}

/** The message a {@link RemoteLoop} posts on a handle's port. */
interface PortMessage {
  readonly name: string;
  readonly args: unknown[];
}

function isPortMessage(value: unknown): value is PortMessage {
  if (typeof value !== "object" || value === null) return false;
  const m = value as { name?: unknown; args?: unknown };
  return typeof m.name === "string" && Array.isArray(m.args);
}

let nextHandleId = 1;

/**
 * The loop thread's end: a table of named callbacks that other threads may schedule on
 * this loop. Create one with `IOLoop.current().createHandle()`.
 *
 * @example
 * const handle = IOLoop.current().createHandle();
 * handle.register("progress", (done: number) => console.log(`${done}% done`));
 * // work.js: export function crunch(data, loop) { ...; loop.addCallback("progress", 50); ... }
 * await IOLoop.current().runInExecutor(null, new URL("./work.js", import.meta.url), "crunch", data, handle);
 */
export class LoopHandle {
  /** Identifies this handle in messages from executor threads. */
  readonly id: number = nextHandleId++;
  /** The loop the callbacks run on. */
  readonly loop: IOLoop;
  #callbacks = new Map<string, NamedCallback>();
  #ports = new Set<MessagePort>();
  #closed = false;

  constructor(loop: IOLoop) {
    this.loop = loop;
  }

  /**
   * Makes `callback` available to other threads as `name` (replacing any previous one).
   *
   * @example
   * handle.register("log", (line: string) => lines.push(line));
   */
  register(name: string, callback: NamedCallback): this {
    this.#callbacks.set(name, callback);
    return this;
  }

  /**
   * Withdraws `name`; later requests for it are reported as {@link UnknownCallbackError}.
   * Returns whether it was registered.
   *
   * @example
   * handle.unregister("log");
   */
  unregister(name: string): boolean {
    return this.#callbacks.delete(name);
  }

  /**
   * Schedules the callback registered as `name` on the loop's next turn with `args`.
   * This is what a worker's request turns into; the loop's own thread may call it too.
   * Requests after {@link close} are dropped, as Tornado drops callbacks added to a
   * closing loop.
   *
   * @example
   * handle.addCallback("progress", 100);
   */
  addCallback(name: string, ...args: unknown[]): void {
    if (this.#closed) return;
    const callback = this.#callbacks.get(name);
    if (callback === undefined) {
      const error = new UnknownCallbackError(name);
      this.loop.addCallback(() => {
        throw error;
      });
      return;
    }
    this.loop.addCallback(callback as (...a: unknown[]) => unknown, ...args);
  }

  /**
   * A new `MessagePort` for a worker you manage yourself: transfer it to the worker
   * (`worker.postMessage(port, [port])` or in `workerData` with `transferList`) and wrap it
   * there in a {@link RemoteLoop}. The port does not keep this process alive.
   *
   * @example
   * const port = handle.createPort();
   * const worker = new Worker(new URL("./worker.js", import.meta.url), { workerData: { port }, transferList: [port] });
   */
  createPort(): MessagePort {
    if (this.#closed) throw new TypeError("LoopHandle is closed");
    const { port1, port2 } = new MessageChannel();
    port1.on("message", (message: unknown) => {
      if (isPortMessage(message)) this.addCallback(message.name, ...message.args);
      else this.loop.handleCallbackException(this.createPort, new TypeError("Malformed LoopHandle message"));
    });
    port1.on("close", () => this.#ports.delete(port1));
    port1.unref();
    this.#ports.add(port1);
    return port2;
  }

  /** Whether {@link close} has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Closes every port made by {@link createPort} and drops all later requests.
   *
   * @example
   * handle.close();
   */
  close(): void {
    this.#closed = true;
    for (const port of this.#ports) port.close();
    this.#ports.clear();
    this.#callbacks.clear();
  }
}

/**
 * A worker thread's end of a {@link LoopHandle} port: asks the loop's thread to run one of
 * its named callbacks. Arguments are structured-cloned (a function or a symbol throws a
 * `DataCloneError` here, in the worker).
 *
 * @example
 * // worker.js
 * import { workerData } from "node:worker_threads";
 * import { RemoteLoop } from "cyclone/node";
 * const loop = new RemoteLoop(workerData.port);
 * loop.addCallback("progress", 10);
 */
export class RemoteLoop {
  #port: MessagePort;

  constructor(port: MessagePort) {
    this.#port = port;
    // The worker's own work decides how long it lives, not this port.
    port.unref();
  }

  /**
   * Requests the callback registered as `name`, to run on the loop's thread with `args`.
   *
   * @example
   * loop.addCallback("done", { rows: 42 });
   */
  addCallback(name: string, ...args: unknown[]): void {
    const message: PortMessage = { name, args };
    this.#port.postMessage(message);
  }

  /**
   * The same as {@link addCallback}, as Tornado's `spawn_callback` is since 6.0.
   *
   * @example
   * loop.spawnCallback("tick");
   */
  spawnCallback(name: string, ...args: unknown[]): void {
    this.addCallback(name, ...args);
  }

  /**
   * Closes the port; the loop's end notices and forgets it.
   *
   * @example
   * loop.close();
   */
  close(): void {
    this.#port.close();
  }
}
