/**
 * The parts of the Workers runtime that Cyclone's Workers host uses, typed here so the
 * package's declarations do not depend on `@cloudflare/workers-types` (whose globals
 * clash with Node's and the DOM's). Each matches the runtime's own interface.
 * @module
 */

/** Durable Object storage (`ctx.storage`). */
export interface DurableObjectStorageLike {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<boolean>;
  list<T = unknown>(options?: { prefix?: string; start?: string; end?: string; limit?: number; reverse?: boolean }): Promise<Map<string, T>>;
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number | Date): Promise<void>;
  deleteAlarm(): Promise<void>;
}

/** A server-side WebSocket as the Hibernation API hands it over. */
export interface HibernatableWebSocketLike {
  send(message: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
  readonly readyState: number;
}

/** A Durable Object's state (`ctx`). */
export interface DurableObjectStateLike {
  readonly id: { toString(): string; readonly name?: string };
  readonly storage: DurableObjectStorageLike;
  waitUntil(promise: Promise<unknown>): void;
  blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
  acceptWebSocket(ws: HibernatableWebSocketLike, tags?: string[]): void;
  getWebSockets(tag?: string): HibernatableWebSocketLike[];
  getTags?(ws: HibernatableWebSocketLike): string[];
  setWebSocketAutoResponse(pair?: unknown): void;
}

/** A Durable Object namespace binding (`env.BINDING`). */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

/** The Workers `ExecutionContext`. */
export interface WorkerExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException?(): void;
}
