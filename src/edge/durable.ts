/**
 * Stateful routes on Workers: the Worker forwards a request for a stateful route to the
 * Durable Object named by its state key, and {@link CycloneDurableObject} — one class for
 * every key, which the user re-exports and binds in wrangler.toml — serves it there with
 * the same Application.
 *
 * Only the Worker can reach an object (clients have no address for it), so what the Worker
 * passes along — the client's address — travels in a header the Worker always sets itself,
 * overwriting anything the client sent.
 * @module
 */

import type { Application } from "../core/index.js";
import type { KeyStorage, KeyStorageListOptions } from "../core/stateful.js";
import { setWorkerEnv } from "./assets.js";
import type { DurableObjectNamespaceLike, DurableObjectStateLike, DurableObjectStorageLike } from "./runtime-types.js";

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

  constructor(ctx: DurableObjectStateLike, env: unknown) {
    this.ctx = ctx;
    this.env = env;
    this.storage = new DurableKeyStorage(ctx.storage);
    setWorkerEnv(env);
  }

  /** The Application this object serves. */
  get application(): Application {
    if (registered === undefined) {
      throw new Error("CycloneDurableObject has no application: call toWorker(app) in the Worker's module");
    }
    return resolveApplication(registered, this.env as never);
  }

  /** Serves a request the Worker forwarded: the same Application, with this object's storage. */
  fetch(request: Request): Promise<Response> {
    const ip = request.headers.get(REMOTE_IP_HEADER);
    return this.application.handleFetch(request, {
      env: this.env,
      ctx: this.ctx,
      storage: this.storage,
      ...(ip !== null ? { remoteIp: ip } : {}),
    });
  }
}
