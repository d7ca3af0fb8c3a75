/**
 * The WebSocket client — Tornado's `websocket_connect` and `WebSocketClientConnection`, on
 * the `ws` package.
 *
 * Messages are read in order with `readMessage()` (which answers `null` once the connection
 * is closed), or pushed to an `onMessage` callback. While unread messages wait, the client
 * stops reading from the socket, so a slow reader holds the server back instead of
 * buffering without bound.
 * @module
 */

import type { IncomingMessage } from "node:http";
import { type RawData, WebSocket } from "ws";
import { HTTPClientError, HTTPHeaders, HTTPTimeoutError } from "../core/index.js";
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  checkCloseArguments,
  type WebSocketCompressionOptions,
  WebSocketClosedError,
  WebSocketError,
  WebSocketHeartbeat,
  type WebSocketMessage,
} from "../core/websocket.js";
import { encodeJsonMessage } from "../core/websocket-rooms.js";

/** Options of {@link websocketConnect}, Tornado's keyword arguments in camelCase. */
export interface WebSocketConnectOptions {
  /** Extra request headers (cookies, `Authorization`, `Origin`, …). */
  headers?: Record<string, string>;
  /** Subprotocols to offer; the server's choice is `selectedSubprotocol`. */
  subprotocols?: string[];
  /** Offer permessage-deflate with these settings; `null` (default) offers none. */
  compression?: WebSocketCompressionOptions | null;
  /** Seconds between keep-alive pings; 0 or absent: none. */
  pingInterval?: number | null;
  /** Seconds without a pong before the client closes (default `max(3 × interval, 30)`). */
  pingTimeout?: number | null;
  /** Largest incoming message in bytes (default 10 MiB); larger → close 1009. */
  maxMessageSize?: number;
  /** Seconds to wait for the handshake (default 20, as Tornado's request defaults). */
  connectTimeout?: number;
  /**
   * Called with each message, and with `null` once the connection is closed. With it,
   * `readMessage` is not available.
   */
  onMessage?: (message: string | Uint8Array | null) => void;
}

const CLOSE_TIMEOUT_MS = 5000;
const NOOP = (): void => {};
const encoder = new TextEncoder();

/**
 * A client WebSocket connection, made by {@link websocketConnect}. Tornado's
 * `WebSocketClientConnection`.
 *
 * @example
 * const conn = await websocketConnect("ws://127.0.0.1:8888/chat");
 * await conn.writeMessage("hello");
 * for (let msg = await conn.readMessage(); msg !== null; msg = await conn.readMessage()) {
 *   console.log(msg);
 * }
 */
export class WebSocketClientConnection {
  /** The close code the server sent, once closed (`null`: none, or the connection dropped). */
  closeCode: number | null = null;
  /** The close reason the server sent, once closed (`null`: none). */
  closeReason: string | null = null;

  readonly #ws: WebSocket;
  readonly #onMessage: ((message: string | Uint8Array | null) => void) | undefined;
  readonly #heartbeat: WebSocketHeartbeat | undefined;
  readonly #buffered: Array<string | Uint8Array> = [];
  readonly #readers: Array<(m: string | Uint8Array | null) => void> = [];
  readonly #closedPromise: Promise<void>;
  #resolveClosed!: () => void;
  #closing = false;
  #closed = false;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;

  /** The headers of the server's 101 response. */
  readonly headers: HTTPHeaders;

  /** @internal Made by `websocketConnect` once the handshake succeeded. */
  constructor(ws: WebSocket, headers: HTTPHeaders, options: WebSocketConnectOptions) {
    this.#ws = ws;
    this.headers = headers;
    this.#onMessage = options.onMessage;
    this.#closedPromise = new Promise((resolve) => (this.#resolveClosed = resolve));
    ws.binaryType = "nodebuffer";
    ws.on("message", (data: RawData, isBinary: boolean) => {
      const buf = data as Buffer;
      this.#deliver(isBinary ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : buf.toString("utf8"));
    });
    ws.on("pong", () => this.#heartbeat?.pongReceived());
    // ws has already sent the close frame for a protocol error; the peer gets 5 s to answer.
    ws.on("error", () => this.#startCloseTimer());
    ws.on("close", (code: number, reason: Buffer) => this.#onClose(code, reason));
    const interval = options.pingInterval ?? 0;
    if (interval > 0) {
      this.#heartbeat = new WebSocketHeartbeat(interval, options.pingTimeout ?? null, () => ws.ping(), () => this.close());
      this.#heartbeat.start();
    }
  }

  /** The subprotocol the server selected, or `null`. */
  get selectedSubprotocol(): string | null {
    return this.#ws.protocol === "" ? null : this.#ws.protocol;
  }

  /** The negotiated extensions header (e.g. `permessage-deflate; …`), `""` for none. */
  get extensions(): string {
    return this.#ws.extensions;
  }

  /** Resolves once the connection is closed. */
  get closed(): Promise<void> {
    return this.#closedPromise;
  }

  /**
   * The next message (text as a string, binary as bytes), or `null` once the connection is
   * closed and every message before the close has been read.
   * @throws {WebSocketError} when the connection was made with `onMessage`.
   *
   * @example
   * const msg = await conn.readMessage();
   * if (msg === null) console.log("closed", conn.closeCode);
   */
  readMessage(): Promise<string | Uint8Array | null> {
    if (this.#onMessage !== undefined) {
      return Promise.reject(new WebSocketError("readMessage() is not available with an onMessage callback"));
    }
    const next = this.#buffered.shift();
    if (next !== undefined) {
      if (this.#buffered.length === 0 && !this.#closed) this.#ws.resume();
      return Promise.resolve(next);
    }
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => this.#readers.push(resolve));
  }

  /**
   * Sends a message: a string as text, bytes (or anything with `binary`) as binary, a
   * plain object as JSON. Resolves when the data is handed to the network.
   * @throws {WebSocketClosedError} when the connection is closed or closing.
   *
   * @example
   * await conn.writeMessage({ type: "hello" });
   */
  writeMessage(message: WebSocketMessage, binary = false): Promise<void> {
    if (this.#closing || this.#ws.readyState !== WebSocket.OPEN) throw new WebSocketClosedError();
    const data = typeof message === "string" || message instanceof Uint8Array ? message : encodeJsonMessage(message);
    const sent = new Promise<void>((resolve, reject) => {
      this.#ws.send(data, { binary }, (err) => (err ? reject(new WebSocketClosedError(err.message)) : resolve()));
    });
    sent.catch(NOOP);
    return sent;
  }

  /**
   * Sends a ping frame (up to 125 bytes).
   * @throws {WebSocketClosedError} when the connection is closed or closing.
   *
   * @example
   * conn.ping("hi");
   */
  ping(data: string | Uint8Array = ""): void {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    if (this.#closing || this.#ws.readyState !== WebSocket.OPEN) throw new WebSocketClosedError();
    if (bytes.length > 125) throw new RangeError("control frame payloads may not exceed 125 bytes");
    this.#ws.ping(bytes);
  }

  /**
   * Closes the connection (code 1000 when only a reason is given). Closing twice does
   * nothing; a server that does not answer is dropped after 5 seconds.
   * @throws {RangeError} for a code a peer may not send, or a reason over 123 bytes.
   *
   * @example
   * conn.close(1000, "bye");
   */
  close(code?: number, reason?: string): void {
    if (this.#closing || this.#closed) return;
    code = checkCloseArguments(code, reason);
    this.#closing = true;
    this.#heartbeat?.stop();
    this.#ws.close(code, reason);
    this.#startCloseTimer();
  }

  #startCloseTimer(): void {
    if (this.#closeTimer !== undefined || this.#closed) return;
    this.#closeTimer = setTimeout(() => this.#ws.terminate(), CLOSE_TIMEOUT_MS);
    this.#closeTimer.unref();
  }

  #deliver(message: string | Uint8Array): void {
    if (this.#onMessage !== undefined) {
      this.#onMessage(message);
      return;
    }
    const reader = this.#readers.shift();
    if (reader !== undefined) {
      reader(message);
      return;
    }
    this.#buffered.push(message);
    // Tornado's client reads one message ahead; past that, the server waits for us.
    this.#ws.pause();
  }

  #onClose(code: number, reason: Buffer): void {
    this.#closed = this.#closing = true;
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#heartbeat?.stop();
    this.closeCode = code === 1005 || code === 1006 ? null : code;
    this.closeReason = reason.length === 0 ? null : reason.toString("utf8");
    if (this.#onMessage !== undefined) this.#onMessage(null);
    for (const reader of this.#readers.splice(0)) reader(null);
    this.#resolveClosed();
  }
}

/**
 * Opens a WebSocket connection to `url` (`ws://` or `wss://`). Tornado's
 * `websocket_connect`. Redirects are not followed.
 * @throws {HTTPClientError} when the server answers the handshake with an error or a
 *   redirect (e.g. 403 for a refused origin), {@link WebSocketError} when it answers with
 *   an ordinary page, {@link HTTPTimeoutError} when it does not answer in time, and the
 *   socket error when the connection fails.
 *
 * @example
 * const conn = await websocketConnect("ws://127.0.0.1:8888/ws", { subprotocols: ["chat"] });
 * conn.selectedSubprotocol; // "chat"
 */
export function websocketConnect(url: string, options: WebSocketConnectOptions = {}): Promise<WebSocketClientConnection> {
  const compression = options.compression ?? null;
  const ws = new WebSocket(url, options.subprotocols ?? [], {
    headers: options.headers,
    maxPayload: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
    handshakeTimeout: (options.connectTimeout ?? 20) * 1000,
    followRedirects: false,
    perMessageDeflate:
      compression === null
        ? false
        : {
            // ws offers client_max_window_bits by itself, as Tornado does.
            zlibDeflateOptions: { level: compression.compressionLevel ?? 6, memLevel: compression.memLevel ?? 8 },
            threshold: compression.threshold ?? 0,
          },
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      reject(e);
    };
    ws.once("unexpected-response", (req, res: IncomingMessage) => {
      const code = res.statusCode ?? 599;
      // As Tornado: an error status is an HTTP error; a 2xx page is simply not a WebSocket.
      fail(code >= 200 && code < 300 ? new WebSocketError("Non-websocket response") : new HTTPClientError(code, res.statusMessage));
      res.resume();
      req.destroy();
    });
    ws.once("error", (err: Error) => {
      fail(/timed out/.test(err.message) ? new HTTPTimeoutError("Timeout while connecting") : err);
    });
    // Messages may follow the 101 in the same packet: listen before anything else runs.
    ws.once("upgrade", (res: IncomingMessage) => {
      settled = true;
      const headers = new HTTPHeaders();
      for (let i = 0; i < res.rawHeaders.length; i += 2) headers.add(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
      resolve(new WebSocketClientConnection(ws, headers, options));
    });
  });
}
