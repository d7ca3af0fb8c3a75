/**
 * WebSocket handlers — Tornado's `tornado.websocket.WebSocketHandler`, with rooms.
 *
 * The handshake is an ordinary request: routing, `prepare()`, cookies and `currentUser` run
 * first, so a handler can refuse with 401 or 403 before accepting. Then the host's
 * transport (see `websocket-transport.ts`) takes the socket over and the handler sees
 * `open` → `onMessage`… → `onClose`, always in that order, one call at a time: when a
 * callback returns a promise, the next one waits for it (and the host stops reading).
 * @module
 */

import { HTTPError } from "./errors.js";
import { genLog } from "./log.js";
import {
  type BroadcastOptions,
  encodeJsonMessage,
  type WebSocketRooms,
  websocketRooms,
} from "./websocket-rooms.js";
import {
  BUSY,
  CLOSE,
  CLOSED,
  CLOSING,
  type EventData,
  FAILED,
  HandlerEvents,
  HOLDING,
  MESSAGE,
  NO_ARGS,
  ON_CLOSE_CALLED,
  OPEN,
  PING,
  PONG,
  type QueueItem,
  RUNNING,
  setHandlerHooks,
  UPGRADED,
} from "./websocket-events.js";
import { WebSocketHeartbeat } from "./websocket-heartbeat.js";
import {
  canUpgradeWebSocket,
  type WebSocketCompressionOptions,
  type WebSocketTransport,
} from "./websocket-transport.js";
import { type HeaderValue, RequestHandler, type WriteChunk } from "./web.js";
import { checkCloseArguments, originNetloc } from "./websocket-protocol.js";

declare module "./application.js" {
  interface ApplicationSettings {
    /** Seconds between keep-alive pings; 0 or absent: no pings. */
    websocketPingInterval?: number;
    /** Seconds without a pong before the socket is closed (default `max(3 × interval, 30)`). */
    websocketPingTimeout?: number;
    /** Largest incoming message in bytes (default 10 MiB); larger → close 1009. */
    websocketMaxMessageSize?: number;
    /** Where rooms live (default: in this process's memory). */
    websocketRooms?: WebSocketRooms;
  }
}

/** What `writeMessage` and `broadcast` accept: text, bytes, or a plain object (sent as JSON). */
export type WebSocketMessage = string | Uint8Array | Record<string, unknown>;

/** Tornado's default `websocket_max_message_size`: 10 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 10 * 1024 * 1024;

/**
 * Base class of WebSocket errors. Tornado's `WebSocketError`.
 *
 * @example
 * try { await conn.writeMessage("x"); } catch (e) { if (e instanceof WebSocketError) retry(); }
 */
export class WebSocketError extends Error {
  override name = "WebSocketError";
}

/**
 * Raised by operations on a WebSocket that is closed or closing. Tornado's
 * `WebSocketClosedError`.
 *
 * @example
 * try { this.writeMessage(update); } catch (e) { if (!(e instanceof WebSocketClosedError)) throw e; }
 */
export class WebSocketClosedError extends WebSocketError {
  override name = "WebSocketClosedError";
  constructor(message = "WebSocket is closed") {
    super(message);
  }
}

const NOT_SUPPORTED = "Method not supported for Web Sockets";
const NOOP = (): void => {};
const encoder = new TextEncoder();

function isPromiseLike(x: unknown): x is PromiseLike<unknown> {
  return typeof x === "object" && x !== null && typeof (x as PromiseLike<unknown>).then === "function";
}

/**
 * Base class for WebSocket handlers. Tornado's `WebSocketHandler`.
 *
 * Override `open`, `onMessage` and `onClose`; send with `writeMessage`. Every callback may
 * be async: messages wait until `open` settles, and each message waits for the previous
 * one. Cross-origin browsers are refused (403) unless `checkOrigin` allows them.
 *
 * @example
 * class EchoWebSocket extends WebSocketHandler {
 *   override open() { this.join("echo"); }
 *   override onMessage(message: string | Uint8Array) {
 *     return this.writeMessage(typeof message === "string" ? `You said: ${message}` : message, true);
 *   }
 *   override onClose() { console.log("closed", this.closeCode, this.closeReason); }
 * }
 * new Application([["/websocket", EchoWebSocket]]);
 */
export class WebSocketHandler extends RequestHandler {
  /** The close code the peer sent, once closed (`null`: none, or the connection dropped). */
  closeCode: number | null = null;
  /** The close reason the peer sent, once closed (`null`: none). */
  closeReason: string | null = null;

  #openArgs: readonly unknown[] = NO_ARGS;
  #transport: WebSocketTransport | undefined;
  #subprotocol: string | null = null;
  #heartbeat: WebSocketHeartbeat | undefined;
  #state = 0;
  // Only while callbacks are pending: an idle socket holds no queue.
  #queue: QueueItem[] | undefined;

  static {
    setHandlerHooks({
      opened: (h) => (h as WebSocketHandler).#opened(),
      received: (h, kind, data) => (h as WebSocketHandler).#receive(kind, data),
      closed: (h, code, reason) => (h as WebSocketHandler).#closedByPeer(code, reason),
    });
  }

  /** Seconds between keep-alive pings (the `websocketPingInterval` setting); override per handler. */
  get pingInterval(): number | null {
    return this.settings.websocketPingInterval ?? null;
  }

  /** Seconds to wait for a pong (the `websocketPingTimeout` setting); override per handler. */
  get pingTimeout(): number | null {
    return this.settings.websocketPingTimeout ?? null;
  }

  /** Largest incoming message in bytes (the `websocketMaxMessageSize` setting, default 10 MiB). */
  get maxMessageSize(): number {
    return this.settings.websocketMaxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  }

  /**
   * Validates the handshake and accepts the WebSocket, as Tornado: 400 for a request that
   * is not an upgrade, 403 for a refused origin, 426 for an unknown protocol version.
   * Subclasses override `open`, not this.
   */
  override get(...args: unknown[]): void {
    this.#openArgs = args;
    const headers = this.request.headers;
    if (headers.get("Upgrade", "").toLowerCase() !== "websocket") {
      this.#refuse(400, 'Can "Upgrade" only to "WebSocket".');
      return;
    }
    // Some proxies rewrite Connection; it must still name "upgrade" among its tokens.
    const connection = headers.get("Connection", "").split(",").map((s) => s.trim().toLowerCase());
    if (!connection.includes("upgrade")) {
      this.#refuse(400, '"Connection" must be "Upgrade".');
      return;
    }
    // Version 8 clients send Sec-WebSocket-Origin; a request without either is not from a browser.
    const origin = headers.has("Origin") ? headers.get("Origin") : headers.get("Sec-Websocket-Origin");
    if (origin !== undefined && !this.checkOrigin(origin)) {
      this.#refuse(403, "Cross origin websockets not allowed");
      return;
    }
    const version = headers.get("Sec-WebSocket-Version");
    if (version !== "7" && version !== "8" && version !== "13") {
      this.setStatus(426, "Upgrade Required");
      this.setHeader("Sec-WebSocket-Version", "7, 8, 13");
      return;
    }
    if (!headers.get("Host") || !headers.get("Sec-Websocket-Key")) {
      this.#refuse(400, "Missing/Invalid WebSocket headers");
      return;
    }
    const offered = headers.get("Sec-WebSocket-Protocol", "");
    const subprotocols = offered ? offered.split(",").map((s) => s.trim()) : [];
    const selected = this.selectSubprotocol(subprotocols);
    if (selected !== null && selected !== undefined && selected !== "" && !subprotocols.includes(selected)) {
      throw new WebSocketError(`selectSubprotocol returned ${JSON.stringify(selected)}, which the client did not offer`);
    }
    this.#subprotocol = selected || null;
    // The client left while prepare() was running: there is nobody to upgrade for.
    if (this.#state & CLOSED) return;
    const conn = this.request.connection;
    if (!canUpgradeWebSocket(conn)) {
      throw new HTTPError(501, "this host's connection cannot be upgraded to a WebSocket");
    }
    this.#transport = conn.upgradeWebSocket({
      subprotocol: this.#subprotocol,
      compression: this.getCompressionOptions(),
      maxMessageSize: this.maxMessageSize,
      events: new HandlerEvents(this),
      handler: this,
    });
    this.clearHeader("Content-Type");
    this.setStatus(101);
    this.#state |= HOLDING;
    try {
      void super.finish();
      // The host has taken the socket over: the request keeps no HTTP connection and the
      // handler no response for the socket's life (memory per idle socket; nothing reads
      // them after finish()).
      this.request.connection = undefined;
      this._releaseResponse();
    } finally {
      this.#state = (this.#state | UPGRADED) & ~HOLDING;
    }
    this.#pump();
  }

  #refuse(status: number, message: string): void {
    this.setStatus(status);
    void this.finish(message);
    genLog.debug(message);
  }

  /**
   * Called when the WebSocket opens, with the route's path arguments (as `get` would be).
   * May be async: no message is delivered until it settles.
   *
   * @example
   * override async open(room: string) { this.room = room; this.join(room); }
   */
  open(..._args: never[]): void | Promise<void> {}

  /**
   * Called for each message: text as a string, binary as bytes. May be async; messages
   * are handled one at a time, in order. The default throws (it must be overridden).
   *
   * @example
   * override async onMessage(message: string | Uint8Array) { await this.writeMessage(message); }
   */
  onMessage(_message: string | Uint8Array): void | Promise<void> {
    throw new WebSocketError(`${this.constructor.name} does not override onMessage`);
  }

  /**
   * Called once when the WebSocket is closed, after every earlier callback has settled.
   * `closeCode` and `closeReason` hold what the peer sent.
   *
   * @example
   * override onClose() { log.info("left: %s %s", this.closeCode, this.closeReason); }
   */
  onClose(): void | Promise<void> {}

  /**
   * Called when a ping arrives (already answered with a pong).
   *
   * @example
   * override onPing(data: Uint8Array) { this.lastSeen = Date.now(); }
   */
  onPing(_data: Uint8Array): void | Promise<void> {}

  /**
   * Called when a pong arrives, in answer to `ping` or a keep-alive ping.
   *
   * @example
   * override onPong() { this.latency = Date.now() - this.pingSentAt; }
   */
  onPong(_data: Uint8Array): void | Promise<void> {}

  /**
   * Sends a message: a string as text, bytes (or any message with `binary`) as a binary
   * message, a plain object as JSON text. Resolves when the data is handed to the network
   * (for flow control); awaiting it is optional.
   * @throws {WebSocketClosedError} when the socket is closed or closing.
   * @throws {TypeError} for arrays and other values that are not messages.
   *
   * @example
   * await this.writeMessage({ type: "joined", user: this.currentUser });
   * await this.writeMessage(new Uint8Array([1, 2, 3]), true);
   */
  writeMessage(message: WebSocketMessage, binary = false): Promise<void> {
    const transport = this.#transport;
    if (transport === undefined || this.#state & CLOSING) throw new WebSocketClosedError();
    const data = typeof message === "string" || message instanceof Uint8Array ? message : encodeJsonMessage(message);
    const sent = transport.send(data, binary);
    // Callers may ignore the promise, as in Tornado; a closed socket must not become an
    // unhandled rejection for them, and still rejects for those who await it.
    sent.catch(NOOP);
    return sent;
  }

  /**
   * Sends a ping frame with up to 125 bytes of data. Consider the `websocketPingInterval`
   * setting instead.
   * @throws {WebSocketClosedError} when the socket is closed or closing.
   * @throws {RangeError} when `data` is longer than 125 bytes.
   *
   * @example
   * this.ping("are you there?");
   */
  ping(data: string | Uint8Array = ""): void {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    if (this.#transport === undefined || this.#state & CLOSING) throw new WebSocketClosedError();
    if (bytes.length > 125) throw new RangeError("control frame payloads may not exceed 125 bytes");
    this.#transport.ping(bytes);
  }

  /**
   * Closes the WebSocket: sends a close frame with `code` (1000 when only `reason` is
   * given) and `reason`; the connection ends when the peer answers, or after 5 seconds.
   * Closing twice, or before the upgrade, does nothing.
   * @throws {RangeError} for a code a peer may not send, or a reason over 123 bytes.
   *
   * @example
   * this.close(4001, "idle for too long");
   */
  close(code?: number, reason?: string): void {
    const transport = this.#transport;
    if (transport === undefined || this.#state & CLOSING) return;
    code = checkCloseArguments(code, reason);
    this.#state |= CLOSING;
    this.#heartbeat?.stop();
    transport.close(code ?? null, reason ?? null);
  }

  /**
   * Whether the origin of a browser's request is allowed. The default allows only this
   * host: the origin's `host[:port]`, lower-cased, must equal the `Host` header. Override
   * to allow other sites (and then protect cookie-authenticated sockets another way).
   *
   * @example
   * override checkOrigin(origin: string) { return new URL(origin).hostname.endsWith(".example.com"); }
   */
  checkOrigin(origin: string): boolean {
    return originNetloc(origin).toLowerCase() === this.request.headers.get("Host");
  }

  /**
   * Picks one of the subprotocols the client offered (possibly none), or returns `null`.
   * Called exactly once per handshake.
   *
   * @example
   * override selectSubprotocol(protocols: string[]) { return protocols.includes("chat.v2") ? "chat.v2" : null; }
   */
  selectSubprotocol(_subprotocols: string[]): string | null {
    return null;
  }

  /** The subprotocol `selectSubprotocol` chose, or `null`. */
  get selectedSubprotocol(): string | null {
    return this.#subprotocol;
  }

  /**
   * permessage-deflate settings, or `null` (the default) to refuse compression. An object,
   * even empty, accepts a client's offer.
   *
   * @example
   * override getCompressionOptions() { return { compressionLevel: 6 }; }
   */
  getCompressionOptions(): WebSocketCompressionOptions | null {
    return null;
  }

  /**
   * Turns Nagle's algorithm off (`true`) or on, to send small messages at once.
   * @throws {WebSocketClosedError} before the upgrade.
   *
   * @example
   * override open() { this.setNodelay(true); }
   */
  setNodelay(value: boolean): void {
    if (this.#transport === undefined) throw new WebSocketClosedError("WebSocket is not open");
    this.#transport.setNodelay(value);
  }

  /** The application's rooms (see `websocketRooms`). */
  get roomRegistry(): WebSocketRooms {
    return websocketRooms(this.application);
  }

  /**
   * Adds this socket to `room`. It leaves every room when it closes.
   * @throws {WebSocketClosedError} when the socket is not open.
   *
   * @example
   * override open(room: string) { this.join(room); }
   */
  join(room: string): void {
    if (this.#transport === undefined || this.#state & CLOSING) throw new WebSocketClosedError();
    this.roomRegistry.join(room, this);
  }

  /**
   * Removes this socket from `room`.
   *
   * @example
   * override onMessage(msg: string) { if (msg === "/part") this.leave(this.room); }
   */
  leave(room: string): void {
    this.roomRegistry.leave(room, this);
  }

  /** The rooms this socket is in. */
  get rooms(): string[] {
    return this.roomRegistry.roomsOf(this);
  }

  /**
   * Sends `message` to every socket in `room`, this one included unless
   * `options.except` names it (`{ except: this }`). Returns how many sockets it went to.
   *
   * @example
   * override onMessage(text: string) { this.broadcast(this.room, { from: this.user, text }, { except: this }); }
   */
  broadcast(room: string, message: WebSocketMessage, options: BroadcastOptions = {}): number {
    return this.roomRegistry.broadcast(room, message, options);
  }

  /**
   * Sends a message already encoded by `prepareMessage`; `false` when this socket cannot
   * take it (closing). Used by room broadcasts.
   * @internal
   */
  _sendPrepared(data: Uint8Array, binary: boolean): boolean {
    const transport = this.#transport;
    if (transport === undefined || this.#state & CLOSING) return false;
    transport.send(data, binary).catch(NOOP);
    return true;
  }

  /**
   * Before the upgrade, a vanished client ends the handler (`onClose`); after it, the
   * transport reports the close itself. Tornado's `on_connection_close`.
   */
  override onConnectionClose(): void {
    if (this.#transport !== undefined) {
      this.#transport.abort();
      return;
    }
    this.#state |= CLOSING | CLOSED;
    this.#callOnClose();
  }

  #opened(): void {
    const interval = this.pingInterval;
    if (interval !== null && interval > 0) {
      const transport = this.#transport!;
      this.#heartbeat = new WebSocketHeartbeat(
        interval,
        this.pingTimeout,
        () => transport.ping(new Uint8Array(0)),
        () => this.close(),
      );
      this.#heartbeat.start();
    }
    this.#receive(OPEN, undefined);
  }

  #closedByPeer(code: number | null, reason: string | null): void {
    if (this.#state & CLOSED) return;
    this.#state |= CLOSING | CLOSED;
    this.#heartbeat?.stop();
    this.roomRegistry.leaveAll(this);
    this.closeCode = code;
    this.closeReason = reason;
    this.#receive(CLOSE, undefined);
  }

  #receive(kind: number, data: EventData): void {
    const state = this.#state;
    if (state & FAILED && kind !== CLOSE) return;
    if (kind === PONG) this.#heartbeat?.pongReceived();
    // Nothing pending and nothing running: the callback runs now, nothing is queued.
    if (state & (BUSY | HOLDING | RUNNING) || this.#queue !== undefined) {
      (this.#queue ??= []).push(kind, data);
      return;
    }
    this.#run(kind, data);
    this.#pump();
  }

  /** Runs queued callbacks in order; an async one holds the queue (and the socket) until it settles. */
  #pump(): void {
    let queue: QueueItem[] | undefined;
    while (!(this.#state & (BUSY | HOLDING | RUNNING)) && (queue = this.#queue) !== undefined) {
      if (queue.length === 0) {
        this.#queue = undefined;
        return;
      }
      const kind = queue.shift() as number;
      this.#run(kind, queue.shift() as EventData);
    }
  }

  #run(kind: number, data: EventData): void {
    let result: unknown;
    this.#state |= RUNNING;
    try {
      result = this.#dispatch(kind, data);
    } catch (e) {
      this.#state &= ~RUNNING;
      this.#fail(e);
      return;
    }
    this.#state &= ~RUNNING;
    if (isPromiseLike(result)) {
      this.#state |= BUSY;
      this.#transport?.pause();
      result.then(
        () => this.#settled(),
        (e: unknown) => {
          this.#fail(e);
          this.#settled();
        },
      );
    }
  }

  #settled(): void {
    this.#state &= ~BUSY;
    if (!(this.#state & CLOSED)) this.#transport?.resume();
    this.#pump();
  }

  #dispatch(kind: number, data: EventData): unknown {
    switch (kind) {
      case OPEN: {
        const args = this.#openArgs;
        this.#openArgs = NO_ARGS;
        return (this.open as (...a: readonly unknown[]) => unknown).apply(this, args as unknown[]);
      }
      case MESSAGE:
        return this.onMessage(data!);
      case PING:
        return this.onPing(data as Uint8Array);
      case PONG:
        return this.onPong(data as Uint8Array);
      default:
        return this.#callOnClose();
    }
  }

  #callOnClose(): unknown {
    if (this.#state & ON_CLOSE_CALLED) return undefined;
    this.#state |= ON_CLOSE_CALLED;
    return this.onClose();
  }

  /** A callback threw: log it and drop the connection, as Tornado; `onClose` still runs. */
  #fail(error: unknown): void {
    this.logException(error);
    if (this.#state & FAILED) return;
    this.#state |= FAILED | CLOSING;
    // Of what is queued, only the close is still delivered.
    // (Kinds are numbers and data never is, so a CLOSE in the queue is a queued close.)
    if (this.#queue !== undefined) this.#queue = this.#queue.includes(CLOSE) ? [CLOSE, undefined] : [];
    this.#heartbeat?.stop();
    this.#transport?.abort();
  }

  // After the upgrade the HTTP response is gone: these would corrupt the socket.
  override write(chunk: WriteChunk): void {
    if (this.#state & UPGRADED) throw new WebSocketError(NOT_SUPPORTED);
    super.write(chunk);
  }
  override setHeader(name: string, value: HeaderValue): void {
    if (this.#state & UPGRADED) throw new WebSocketError(NOT_SUPPORTED);
    super.setHeader(name, value);
  }
  override setStatus(statusCode: number, reason?: string): void {
    if (this.#state & UPGRADED) throw new WebSocketError(NOT_SUPPORTED);
    super.setStatus(statusCode, reason);
  }
  override redirect(url: string, permanent?: boolean, status?: number): void {
    if (this.#state & UPGRADED) throw new WebSocketError(NOT_SUPPORTED);
    super.redirect(url, permanent, status);
  }
  override flush(): Promise<void> {
    if (this.#state & UPGRADED) throw new WebSocketError(NOT_SUPPORTED);
    return super.flush();
  }
  override finish(chunk?: WriteChunk): Promise<void> {
    if (this.#state & UPGRADED) throw new WebSocketError(NOT_SUPPORTED);
    return super.finish(chunk);
  }
}

export { checkCloseArguments, isValidCloseCode, originNetloc } from "./websocket-protocol.js";
export { type BroadcastOptions, InMemoryWebSocketRooms, type WebSocketRooms, websocketRooms } from "./websocket-rooms.js";
export { defaultPingTimeout, WebSocketHeartbeat } from "./websocket-heartbeat.js";
export {
  canUpgradeWebSocket,
  type WebSocketAcceptParams,
  type WebSocketCompressionOptions,
  type WebSocketTransport,
  type WebSocketTransportEvents,
  type WebSocketUpgradable,
} from "./websocket-transport.js";
