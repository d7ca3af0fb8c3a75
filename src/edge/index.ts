/**
 * Cyclone's Workers host: `cyclone/edge`.
 *
 * Everything in the core, plus what ties an `Application` to the Workers runtime:
 * `toWorker(app)` gives the module's default export (an `Application` is also usable as
 * one directly, since it has a bound `fetch`).
 * @module
 */

import type { Application } from "../core/index.js";

export * from "../core/index.js";

/** The shape Workers expect of a module's default export. */
export interface WorkerEntry<Env = unknown> {
  fetch(request: Request, env: Env, ctx: WorkerExecutionContext): Promise<Response>;
}

/** The part of the Workers `ExecutionContext` Cyclone uses. */
export interface WorkerExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException?(): void;
}

/**
 * Wraps an application as a Worker: the client address comes from `CF-Connecting-IP`,
 * which the platform sets and a client cannot forge.
 *
 * @example
 * import { Application, RequestHandler, toWorker } from "cyclone/edge";
 * class MainHandler extends RequestHandler { get() { this.write("Hello, world"); } }
 * export default toWorker(new Application([["/", MainHandler]]));
 */
export function toWorker<Env = unknown>(app: Application): WorkerEntry<Env> {
  return {
    fetch(request: Request, env: Env, ctx: WorkerExecutionContext): Promise<Response> {
      const ip = request.headers.get("CF-Connecting-IP");
      return app.handleFetch(request, { env, ctx, ...(ip !== null ? { remoteIp: ip } : {}) });
    },
  };
}
