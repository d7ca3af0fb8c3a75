/**
 * What ties an `Application` to the Workers runtime — `toWorker`, the Durable Object class
 * for stateful routes, hibernating WebSockets, object timers, the assets file source —
 * exported by both `cyclone/edge` (with every core feature) and `cyclone/edge/tiny`.
 * @module
 */

import { setWorkerEnv } from "./assets.js";
import { type ApplicationSource, DEFAULT_BINDING, forwardToObject, registerObjectApplication, resolveApplication } from "./durable.js";
import type { DurableObjectNamespaceLike, WorkerExecutionContext } from "./runtime-types.js";
import type { FetchHandlerOptions } from "../core/fetch.js";

export {
  type ApplicationSource,
  CycloneDurableObject,
  DEFAULT_BINDING,
  DurableKeyStorage,
  forwardToObject,
  registerObjectApplication,
  REMOTE_IP_HEADER,
} from "./durable.js";
export type * from "./runtime-types.js";
export { onObjectStart, type ObjectStartHook } from "./durable.js";
export { HibernatingSockets, isRebuiltSocket, type SocketHubHost } from "./websocket.js";
export { HibernatingWebSocketRooms, keepSocketState, socketState } from "./websocket-rooms.js";
export {
  effectiveMaxMessageSize,
  MAX_ATTACHMENT_BYTES,
  PLATFORM_ATTACHMENT_LIMIT,
  PLATFORM_MAX_MESSAGE_SIZE,
  WebSocketAttachmentTooLargeError,
  WebSocketNotSupportedError,
} from "./websocket-attachment.js";
export { ObjectPeriodicCallback, ObjectTimerError, ObjectTimers, objectTimers, type TimeoutHandle } from "./timers.js";
export { type AssetManifest, type AssetsBinding, AssetsFileSource, type AssetsFileSourceOptions } from "./assets.js";

/** The shape Workers expect of a module's default export. */
export interface WorkerEntry<Env = unknown> {
  fetch(request: Request, env: Env, ctx: WorkerExecutionContext): Promise<Response>;
}

/** Options of {@link toWorker}. */
export interface ToWorkerOptions {
  /**
   * The Durable Object binding that serves stateful routes (default `CYCLONE_OBJECTS`).
   * Without such a binding in `env`, stateful routes are served by the Worker itself.
   */
  binding?: string;
}

/**
 * Wraps an application as a Worker. Pass a function of `env` to build the app from
 * bindings and secrets (e.g. `cookieSecret: env.COOKIE_SECRET`); it runs once per isolate.
 * Stateful routes (`@stateful`) are forwarded to the
 * Durable Object for their key; the rest are served here. The client address comes from
 * `CF-Connecting-IP`, which the platform sets and a client cannot forge.
 *
 * @example
 * import { Application, RequestHandler, toWorker } from "cyclone/edge";
 * class MainHandler extends RequestHandler { get() { this.write("Hello, world"); } }
 * export default toWorker(new Application([["/", MainHandler]]));
 */
export function toWorker<Env = unknown>(source: ApplicationSource<Env>, options: ToWorkerOptions = {}): WorkerEntry<Env> {
  registerObjectApplication(source);
  const bindingName = options.binding ?? DEFAULT_BINDING;
  return {
    fetch(request: Request, env: Env, ctx: WorkerExecutionContext): Promise<Response> {
      setWorkerEnv(env);
      const app = resolveApplication(source, env);
      const remoteIp = request.headers.get("CF-Connecting-IP") ?? undefined;
      const namespace = (env as Record<string, unknown> | undefined)?.[bindingName] as DurableObjectNamespaceLike | undefined;
      // Built field by field: no spread objects per request, and a forwarding closure only
      // when there is an object namespace to forward to.
      const options: FetchHandlerOptions = { env, ctx };
      if (remoteIp !== undefined) options.remoteIp = remoteIp;
      if (namespace !== undefined) options.forward = (key, req) => forwardToObject(namespace, key, req, remoteIp);
      return app.handleFetch(request, options);
    },
  };
}
