/**
 * Stateful routes and per-key storage.
 *
 * A handler class marked with a state key (`@stateful(key)` or `static stateKey = key`)
 * keeps its state per key — a chat room's name, say. On Node everything runs in one
 * process, so the mark changes nothing but the storage it gets. On Workers, requests for a
 * stateful route are forwarded to the Durable Object for that key, where the same
 * Application serves them: in-memory state, `Condition` long polling and the room's
 * sockets then all live in one place.
 *
 * `handler.storage` is a small async key-value store for state that must outlive the
 * process or the object (a chat's history): Durable Object storage at the edge, memory on
 * Node (lost on restart, as the docs say).
 * @module
 */

import type { HTTPServerRequest } from "./httputil.js";

/** Options of {@link KeyStorage.list}. */
export interface KeyStorageListOptions {
  /** Only keys starting with this. */
  prefix?: string;
  /** Keys at or after this one. */
  start?: string;
  /** Keys before this one. */
  end?: string;
  /** Largest number of entries. */
  limit?: number;
  /** Descending order. */
  reverse?: boolean;
}

/**
 * Async key-value storage for one state key. Values must be structured-clonable (they are
 * stored by Durable Objects at the edge).
 *
 * @example
 * const history = (await this.storage.get<Message[]>("history")) ?? [];
 * history.push(message);
 * await this.storage.put("history", history.slice(-200));
 */
export interface KeyStorage {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): Promise<void>;
  /** Whether the key existed. */
  delete(key: string): Promise<boolean>;
  /** Entries in key order. */
  list<T = unknown>(options?: KeyStorageListOptions): Promise<Map<string, T>>;
}

/** Computes a stateful route's key from the request and its decoded path arguments. */
export type StateKeyFunction = (request: HTTPServerRequest, pathArgs: readonly string[], pathKwargs: Readonly<Record<string, string>>) => string;

/** A handler class that may carry a state key. */
export interface StatefulHandlerClass {
  stateKey?: string | StateKeyFunction;
}

/**
 * Marks a handler class as stateful, keyed by `key` (a constant, or a function of the
 * request and its path arguments). The plain form is `static stateKey = key`.
 *
 * @example
 * @stateful((request, [room]) => room)
 * class RoomHandler extends RequestHandler { ... }
 */
export function stateful(key: string | StateKeyFunction) {
  return function <C extends abstract new (...args: never[]) => unknown>(cls: C, _context?: ClassDecoratorContext<C>): C {
    (cls as unknown as StatefulHandlerClass).stateKey = key;
    return cls;
  };
}

/** The state key of a handler class for a request, or `undefined` if it is not stateful. */
export function stateKeyOf(
  cls: unknown,
  request: HTTPServerRequest,
  pathArgs: readonly string[],
  pathKwargs: Readonly<Record<string, string>>,
): string | undefined {
  const k = (cls as StatefulHandlerClass).stateKey;
  if (k === undefined) return undefined;
  return typeof k === "string" ? k : k(request, pathArgs, pathKwargs);
}

/** A structured clone where the runtime has one, so stored values cannot alias live objects. */
function clone<T>(v: T): T {
  return typeof structuredClone === "function" ? structuredClone(v) : v;
}

/** {@link KeyStorage} in memory: the Node host's storage, per key, for the process's life. */
export class MemoryKeyStorage implements KeyStorage {
  readonly #data = new Map<string, unknown>();

  async get<T = unknown>(key: string): Promise<T | undefined> {
    return this.#data.has(key) ? clone(this.#data.get(key) as T) : undefined;
  }

  async put(key: string, value: unknown): Promise<void> {
    this.#data.set(key, clone(value));
  }

  async delete(key: string): Promise<boolean> {
    return this.#data.delete(key);
  }

  async list<T = unknown>(options: KeyStorageListOptions = {}): Promise<Map<string, T>> {
    let keys = [...this.#data.keys()].sort();
    const { prefix, start, end, limit, reverse } = options;
    keys = keys.filter(
      (k) => (prefix === undefined || k.startsWith(prefix)) && (start === undefined || k >= start) && (end === undefined || k < end),
    );
    if (reverse) keys.reverse();
    if (limit !== undefined) keys = keys.slice(0, limit);
    return new Map(keys.map((k) => [k, clone(this.#data.get(k) as T)]));
  }
}
