/**
 * Stateful routes on Workers: the Worker forwards a request for a stateful route to the
 * Durable Object named by its state key, and {@link CycloneDurableObject} — one class for
 * every key, which the user re-exports and binds in wrangler.toml — serves it there with
 * the same Application.
 *
 * Only the Worker can reach an object (clients have no address for it), so what the Worker
 * passes along — the client's address — travels in a header the Worker always sets itself,
 * overwriting anything the client sent.
 *
 * The object also hosts the key's WebSockets, on the Hibernation API (`websocket.ts`:
 * `webSocketMessage`/`webSocketClose`/`webSocketError` feed the handlers, rebuilt from
 * their attachments after a wake-up), and its timers, on its alarm (`timers.ts`: `alarm()`
 * runs them; `onObjectStart` hooks set up what must survive eviction).
 * @module
 */

import type { Application } from "../core/index.js";
import { appLog } from "../core/log.js";
import type { KeyStorage, KeyStorageListOptions } from "../core/stateful.js";
import { setWorkerEnv } from "./assets.js";
import type { DurableObjectNamespaceLike, DurableObjectStateLike, DurableObjectStorageLike, HibernatableWebSocketLike } from "./runtime-types.js";
import { ObjectTimers, registerObjectTimers } from "./timers.js";
import { HibernatingSockets } from "./websocket.js";
import { useHibernatingRooms } from "./websocket-rooms.js";

/** The header carrying the client's address from the Worker to the object. */
export const REMOTE_IP_HEADER = "X-Cyclone-Remote-Ip";

/** The default name of the Durable Object binding in wrangler.toml. */
export const DEFAULT_BINDING = "CYCLONE_OBJECTS";

/** An Application, or a function that makes it from the Worker's `env` (secrets, bindings). */
export type ApplicationSource<Env = unknown> = Application | ((env: Env) => Application);

let registered: ApplicationSource<never> | undefined;
const made = new WeakMap<object, Application>();

/**
 * Names the Application that {@link CycloneDurableObject} serves. `toWorker(app)` calls
 * this; the Worker and its objects run the same script, so the object finds the app.
 */
export function registerObjectApplication<Env>(app: ApplicationSource<Env>): void {
  registered = app as ApplicationSource<never>;
}

/**
 * The Application for `env`: the registered one, or the one its factory made for this
 * `env` (made once per isolate and env, not per request).
 */
export function resolveApplication<Env>(source: ApplicationSource<Env>, env: Env): Application {
  if (typeof source !== "function") return source;
  const key = (typeof env === "object" && env !== null ? env : made) as object;
  let app = made.get(key);
  if (app === undefined) {
    app = source(env);
    made.set(key, app);
  }
  return app;
}

/** A hook run when an instance of the object starts (see {@link onObjectStart}). */
export type ObjectStartHook = (object: CycloneDurableObject) => void | Promise<void>;

const startHooks = new WeakMap<Application, ObjectStartHook[]>();

/**
 * Runs `hook` whenever an instance of a Durable Object serving `app` starts: the first
 * time it is used, and again each time it wakes up after eviction. The place to start
 * periodic callbacks that must survive eviction (`object.timers.periodicCallback`), since
 * no closure outlives its object. Hooks run before the object handles any event;
 * `object.key` tells which key the object serves. With an application factory, register
 * the hook inside the factory.
 *
 * @example
 * onObjectStart(app, async (object) => {
 *   await object.timers.periodicCallback("heartbeat", () => websocketRooms(app).broadcast(object.key ?? "", { type: "beat" }), 30_000).start();
 * });
 */
export function onObjectStart(app: Application, hook: ObjectStartHook): void {
  let hooks = startHooks.get(app);
  if (hooks === undefined) startHooks.set(app, (hooks = []));
  hooks.push(hook);
}

const roomsInstalled = new WeakSet<Application>();

/**
 * The Workers runtime performs the WebSocket handshake itself and hands the script neither
 * `Sec-WebSocket-Key` nor `Host`; the core's handshake checks want both, so an upgrade
 * request gets `Host` from its URL and a placeholder key (never used: the runtime answers
 * the client's real key).
 */
function withHandshakeHeaders(request: Request): Request {
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") return request;
  if (request.headers.has("Sec-WebSocket-Key") && request.headers.has("Host")) return request;
  const headers = new Headers(request.headers);
  if (!headers.has("Host")) headers.set("Host", new URL(request.url).host);
  if (!headers.has("Sec-WebSocket-Key")) headers.set("Sec-WebSocket-Key", "cnVudGltZS1oYW5kc2hha2U=");
  return new Request(request, { headers });
}

/** {@link KeyStorage} over Durable Object storage. */
export class DurableKeyStorage implements KeyStorage {
  readonly #storage: DurableObjectStorageLike;
  constructor(storage: DurableObjectStorageLike) {
    this.#storage = storage;
  }
  get<T = unknown>(key: string): Promise<T | undefined> {
    return this.#storage.get<T>(key);
  }
  put(key: string, value: unknown): Promise<void> {
    return this.#storage.put(key, value);
  }
  delete(key: string): Promise<boolean> {
    return this.#storage.delete(key);
  }
  list<T = unknown>(options: KeyStorageListOptions = {}): Promise<Map<string, T>> {
    return this.#storage.list<T>(options);
  }
}

/** Forwards `request` to the object for `key` in `namespace`, with the client's address. */
export function forwardToObject(namespace: DurableObjectNamespaceLike, key: string, request: Request, remoteIp: string | undefined): Promise<Response> {
  const headers = new Headers(request.headers);
  headers.delete(REMOTE_IP_HEADER);
  if (remoteIp !== undefined) headers.set(REMOTE_IP_HEADER, remoteIp);
  // new Request(request, init) keeps the body and the abort signal, so a client that goes
  // away is seen inside the object too.
  return namespace.get(namespace.idFromName(key)).fetch(new Request(request, { headers }));
}

/**
 * The Durable Object class that serves stateful routes, for every key. Re-export it from
 * the Worker's module and bind it:
 *
 * @example
 * // worker.ts
 * export { CycloneDurableObject } from "cyclone/edge";
 * export default toWorker(app);
 * // wrangler.toml
 * // [[durable_objects.bindings]]
 * // name = "CYCLONE_OBJECTS"
 * // class_name = "CycloneDurableObject"
 * // [[migrations]]
 * // tag = "v1"
 * // new_sqlite_classes = ["CycloneDurableObject"]
 */
export class CycloneDurableObject {
  readonly ctx: DurableObjectStateLike;
  readonly env: unknown;
  readonly storage: KeyStorage;
  /** The object's timers, on its alarm (see `timers.ts`). */
  readonly timers: ObjectTimers;
  /** The object's hibernating WebSockets (see `websocket.ts`). */
  readonly sockets: HibernatingSockets;
  /** Settles once this instance has started: lost timers reported, start hooks run. */
  readonly ready: Promise<void>;

  constructor(ctx: DurableObjectStateLike, env: unknown) {
    this.ctx = ctx;
    this.env = env;
    this.storage = new DurableKeyStorage(ctx.storage);
    setWorkerEnv(env);
    this.timers = new ObjectTimers(ctx.storage);
    registerObjectTimers(ctx, this.timers);
    this.sockets = new HibernatingSockets(this);
    // No event reaches the object before its start is complete.
    this.ready = ctx.blockConcurrencyWhile(() => this.#start());
  }

  /** The Application this object serves. */
  get application(): Application {
    if (registered === undefined) {
      throw new Error("CycloneDurableObject has no application: call toWorker(app) in the Worker's module");
    }
    const app = resolveApplication(registered, this.env as never);
    if (!roomsInstalled.has(app)) {
      roomsInstalled.add(app);
      useHibernatingRooms(app);
    }
    return app;
  }

  /**
   * The key this object serves (the name its id was made from), when the runtime says.
   *
   * @example
   * onObjectStart(app, (object) => { if (object.key?.startsWith("room:")) startRoomTimers(object); });
   */
  get key(): string | undefined {
    return this.ctx.id.name;
  }

  async #start(): Promise<void> {
    await this.timers._restore(this.key ?? this.ctx.id.toString());
    const hooks = registered === undefined ? undefined : startHooks.get(this.application);
    for (const hook of hooks ?? []) {
      try {
        await hook(this);
      } catch (e) {
        appLog.exception("Exception in onObjectStart hook", e);
      }
    }
    await this.timers._dropOrphans();
  }

  /** Serves a request the Worker forwarded: the same Application, with this object's storage. */
  fetch(request: Request): Promise<Response> {
    const ip = request.headers.get(REMOTE_IP_HEADER);
    return this.application.handleFetch(withHandshakeHeaders(request), {
      env: this.env,
      ctx: this.ctx,
      storage: this.storage,
      acceptWebSocket: this.sockets.accept,
      ...(ip !== null ? { remoteIp: ip } : {}),
    });
  }

  /**
   * The runtime's hibernation event: a message on one of this object's sockets, for its
   * handler's `onMessage`.
   *
   * @example
   * await object.webSocketMessage(ws, "hello"); // what the runtime does
   */
  webSocketMessage(ws: HibernatableWebSocketLike, message: string | ArrayBuffer): Promise<void> {
    return this.sockets.message(ws, message);
  }

  /**
   * The runtime's hibernation event: the peer closed the socket; its handler's `onClose`
   * runs with the code and reason.
   *
   * @example
   * await object.webSocketClose(ws, 1000, "bye", true); // what the runtime does
   */
  webSocketClose(ws: HibernatableWebSocketLike, code: number, reason: string, _wasClean: boolean): Promise<void> {
    return this.sockets.close(ws, code, reason);
  }

  /**
   * The runtime's hibernation event: the socket failed; its handler's `onClose` runs with
   * no code.
   *
   * @example
   * await object.webSocketError(ws, new Error("reset")); // what the runtime does
   */
  webSocketError(ws: HibernatableWebSocketLike, error: unknown): Promise<void> {
    return this.sockets.error(ws, error);
  }

  /**
   * The object's alarm: runs the due timers (see `timers.ts`) and sets the alarm for the
   * next.
   *
   * @example
   * await object.alarm(); // what the runtime does at the alarm's time
   */
  alarm(): Promise<void> {
    return this.timers._fire();
  }

  /**
   * Makes the runtime answer `request` text with `response` on every socket of this
   * object without waking it: an app-level keep-alive (the runtime handles protocol pings
   * itself). Without arguments, removes the automatic response.
   *
   * @example
   * object.setWebSocketAutoResponse("ping", "pong");
   */
  setWebSocketAutoResponse(request?: string, response?: string): void {
    if (request === undefined || response === undefined) {
      this.ctx.setWebSocketAutoResponse();
      return;
    }
    const Pair = (globalThis as unknown as { WebSocketRequestResponsePair: new (req: string, res: string) => unknown }).WebSocketRequestResponsePair;
    this.ctx.setWebSocketAutoResponse(new Pair(request, response));
  }
}
