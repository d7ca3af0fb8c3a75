/**
 * How a `WebSocketHandler` hears from its transport: the events object it hands over, the
 * kinds of event it queues while a callback runs, and the bits of its state.
 *
 * Kept apart from `websocket.ts` for its size, and shaped by memory: at tens of thousands
 * of idle sockets, every closure, flag field and empty queue per socket shows in the
 * server's RSS (see bench/README.md, "WebSockets and long polling").
 * @module
 */

import type { WebSocketHandler } from "./websocket.js";
import type { WebSocketTransportEvents } from "./websocket-transport.js";

/** @internal Event kinds, queued as `[kind, data]` pairs while a callback runs. */
export const OPEN = 0;
/** @internal */
export const MESSAGE = 1;
/** @internal */
export const PING = 2;
/** @internal */
export const PONG = 3;
/** @internal */
export const CLOSE = 4;

/** @internal What an event carries: a message or ping/pong payload, or nothing. */
export type EventData = string | Uint8Array | undefined;
/** @internal One slot of a handler's queue: a kind followed by its data. */
export type QueueItem = number | EventData;

// A handler's state, one bit each: one number per socket rather than a field per flag.
/** @internal The 101 is on its way: the HTTP-only methods are off from then on. */
export const UPGRADED = 1;
/** @internal While the 101 is being sent, events wait: the transport may report `open` at once. */
export const HOLDING = 2;
/** @internal `close()` was called, or the socket is gone: nothing more may be sent. */
export const CLOSING = 4;
/** @internal The socket is gone. */
export const CLOSED = 8;
/** @internal `onClose` has run (it runs once). */
export const ON_CLOSE_CALLED = 16;
/** @internal An async callback has not settled: events wait for it. */
export const BUSY = 32;
/** @internal A callback is running: an event it causes waits until it returns. */
export const RUNNING = 64;
/** @internal A callback threw: only the close is still delivered. */
export const FAILED = 128;

/** @internal The open arguments of a handler that has none (or has used them). */
export const NO_ARGS: readonly unknown[] = [];

/** @internal The handler's private entry points, installed once by its static block. */
export interface HandlerHooks {
  opened(handler: WebSocketHandler): void;
  received(handler: WebSocketHandler, kind: number, data: EventData): void;
  closed(handler: WebSocketHandler, code: number | null, reason: string | null): void;
}

let hooks: HandlerHooks | undefined;

/**
 * @internal Called once, by `WebSocketHandler`'s static block: the events objects reach
 * the handler's private state through these rather than through closures per socket.
 */
export function setHandlerHooks(h: HandlerHooks): void {
  hooks = h;
}

/**
 * @internal What a handler gives its transport to report to: one small object whose
 * methods live on the prototype (five closures per socket were measurable).
 */
export class HandlerEvents implements WebSocketTransportEvents {
  readonly #handler: WebSocketHandler;

  constructor(handler: WebSocketHandler) {
    this.#handler = handler;
  }

  open(): void {
    hooks!.opened(this.#handler);
  }

  message(data: string | Uint8Array): void {
    hooks!.received(this.#handler, MESSAGE, data);
  }

  ping(data: Uint8Array): void {
    hooks!.received(this.#handler, PING, data);
  }

  pong(data: Uint8Array): void {
    hooks!.received(this.#handler, PONG, data);
  }

  close(code: number | null, reason: string | null): void {
    hooks!.closed(this.#handler, code, reason);
  }
}
