/**
 * The Node host's WebSocket transport, on the `ws` package.
 *
 * `HTTPServer` hands every request carrying an `Upgrade` header to `serveUpgrade`. The
 * request goes through the application's routing like any other, so `prepare()`,
 * cookies, `currentUser` and path arguments all work; a `WebSocketHandler` that accepts
 * gets its socket from `ws` (`handleUpgrade`), any other answer is written as a plain
 * HTTP response and the connection closes.
 * @module
 */

import type * as http from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import {
  type Chunk,
  type HTTPConnection,
  HTTPError,
  HTTPHeaders,
  HTTPServerRequest,
  type ResponseStartLine,
} from "../core/index.js";
import { genLog } from "../core/log.js";
import {
  type WebSocketAcceptParams,
  WebSocketClosedError,
  type WebSocketCompressionOptions,
  type WebSocketTransport,
  type WebSocketTransportEvents,
  type WebSocketUpgradable,
} from "../core/websocket.js";
import type { HTTPServer } from "./httpserver.js";
import { drainedOrClosed, nodeServerRequest } from "./httpserver-connection.js";

const RESOLVED: Promise<void> = Promise.resolve();
/** Seconds the peer has to answer our close frame before the socket is dropped (Tornado: 5). */
const CLOSE_TIMEOUT_MS = 5000;
const KEY_PATTERN = /^[+/0-9A-Za-z]{22}==$/;
/** Headers `ws` writes into the 101 itself, or that have no meaning on it. */
const OWN_101_HEADERS = new Set([
  "upgrade",
  "connection",
  "sec-websocket-accept",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
  "content-type",
  "content-length",
  "content-encoding",
  "transfer-encoding",
  "etag",
]);
const HOP_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding"]);

/** What one upgrade request needs from the `ws` server's hooks, found by its request. */
interface PendingUpgrade {
  readonly subprotocol: string | null;
  readonly transport: NodeWebSocketTransport;
  headers: string[];
}

const pending = new WeakMap<http.IncomingMessage, PendingUpgrade>();
const servers = new Map<string, WebSocketServer>();
const openSockets = new WeakMap<HTTPServer, Set<NodeWebSocketTransport>>();

/**
 * One `ws` server per distinct (size limit, compression) pair: those are server options in
 * `ws`, and handlers may differ in both.
 */
function wsServerFor(maxPayload: number, compression: WebSocketCompressionOptions | null): WebSocketServer {
  const key = compression === null ? `${maxPayload}` : `${maxPayload}|${compression.compressionLevel}|${compression.memLevel}|${compression.threshold}`;
  let wss = servers.get(key);
  if (wss !== undefined) return wss;
  wss = new WebSocketServer({
    noServer: true,
    WebSocket: TransportWebSocket,
    clientTracking: false,
    maxPayload,
    perMessageDeflate:
      compression === null
        ? false
        : {
            zlibDeflateOptions: { level: compression.compressionLevel ?? 6, memLevel: compression.memLevel ?? 8 },
            threshold: compression.threshold ?? 0,
          },
    // The handler has already chosen; without this hook ws would pick the first offer.
    handleProtocols: (_offered, req) => pending.get(req)?.subprotocol ?? false,
  });
  wss.on("headers", (headers, req) => {
    const p = pending.get(req);
    if (p !== undefined) headers.push(...p.headers);
  });
  // ws refuses what it cannot parse (a bad extension offer); answer like any refusal.
  wss.on("wsClientError", (err, socket, req) => {
    const p = pending.get(req);
    pending.delete(req);
    writeRawResponse(socket, 400, "Bad Request", new HTTPHeaders({ "Content-Type": "text/plain" }), err.message, true);
    p?.transport._handshakeFailed();
  });
  // A handful of configurations in practice; a pathological app cannot grow this forever.
  if (servers.size < 64) servers.set(key, wss);
  return wss;
}

function writeRawResponse(socket: Duplex, code: number, reason: string, headers: HTTPHeaders, body: Chunk, end: boolean): boolean {
  let head = `HTTP/1.1 ${code} ${reason}\r\n`;
  headers.forEachList((name, values) => {
    if (HOP_HEADERS.has(name.toLowerCase())) return;
    for (const v of values) head += `${name}: ${v}\r\n`;
  });
  if (end && !headers.has("Content-Length")) head += `Content-Length: ${typeof body === "string" ? Buffer.byteLength(body) : body.length}\r\n`;
  // The socket left node:http's parser for good: this response is its last.
  head += "Connection: close\r\n\r\n";
  if (!socket.writable) return true;
  socket.write(head);
  const flushed = body.length === 0 ? true : socket.write(body);
  if (end) {
    socket.once("finish", () => socket.destroy());
    socket.end();
  }
  return flushed;
}

const RELEASED_REQUEST = {} as http.IncomingMessage;
const BINARY_FRAME = { binary: true } as const;
const TEXT_FRAME = { binary: false } as const;
const EMPTY_HEAD = Buffer.alloc(0);

// node:http no longer watches an upgraded socket: an unhandled 'error' would kill the
// process. One function for every socket, not a closure each (memory per idle socket).
function logUpgradeSocketError(err: Error): void {
  genLog.debug("Upgrade socket error: %s", err.message);
}

/**
 * `ws`'s socket, reporting straight to its transport. `ws` tells what happens through
 * `emit`; once the transport is set, `emit` hands each event to it directly, so a socket
 * holds no listener functions and no listener table (at tens of thousands of idle sockets
 * those are memory bare `ws` does not spend), and a message skips the listener lookup.
 */
class TransportWebSocket extends WebSocket {
  transport: NodeWebSocketTransport | undefined = undefined;

  override emit(event: string | symbol, a?: unknown, b?: unknown): boolean {
    const transport = this.transport;
    if (transport === undefined) return super.emit(event, a, b);
    transport._wsEvent(event, a, b);
    return true;
  }
}

/**
 * The core's `HTTPConnection` for a request that arrived with an `Upgrade` header: it
 * writes an ordinary answer straight to the socket, or hands the socket to `ws` when the
 * handler finishes with 101.
 */
class UpgradeConnection implements HTTPConnection, WebSocketUpgradable {
  readonly #server: HTTPServer;
  // Released once the socket is handed to ws: a long-lived socket must not keep its
  // opening request (stream state, raw headers) alive (measured: ~6 KiB per socket).
  #req: http.IncomingMessage;
  readonly #socket: Duplex;
  #head: Buffer;
  #transport: NodeWebSocketTransport | undefined;
  #accepting = false;
  #finished = false;
  #closeCallback: (() => void) | null = null;
  // Removed once ws has the socket: from then on ws reports the close (see _attach).
  #onSocketClose: (() => void) | undefined;

  constructor(server: HTTPServer, req: http.IncomingMessage, socket: Duplex, head: Buffer) {
    this.#server = server;
    this.#req = req;
    this.#socket = socket;
    this.#head = head;
    this.#onSocketClose = () => {
      if (!this.#finished) {
        const cb = this.#closeCallback;
        this.#closeCallback = null;
        cb?.();
      }
      // ws drops a socket that closed during the handshake without telling anyone; we must.
      this.#transport?._handshakeFailed();
    };
    socket.on("close", this.#onSocketClose);
  }

  upgradeWebSocket(params: WebSocketAcceptParams): WebSocketTransport {
    const req = this.#req;
    // ws is stricter than Tornado here; refuse before the handler logs a 101 that never happens.
    if (!KEY_PATTERN.test(req.headers["sec-websocket-key"] ?? "")) {
      throw new HTTPError(400, "Invalid Sec-WebSocket-Key header", { reason: "Bad Request" });
    }
    // Version 7 is the same framing as 13, which is all ws answers to.
    if (req.headers["sec-websocket-version"] === "7") req.headers["sec-websocket-version"] = "13";
    const transport = new NodeWebSocketTransport(params.events, this.#socket, this.#server);
    this.#transport = transport;
    pending.set(req, { subprotocol: params.subprotocol, transport, headers: [] });
    transport._wss = wsServerFor(params.maxMessageSize, params.compression);
    return transport;
  }

  writeHeaders(startLine: ResponseStartLine, headers: HTTPHeaders, chunk?: Chunk, last?: boolean): Promise<void> {
    const p = this.#transport === undefined ? undefined : pending.get(this.#req);
    if (startLine.code === 101 && p !== undefined) {
      this.#accepting = true;
      headers.forEachList((name, values) => {
        if (OWN_101_HEADERS.has(name.toLowerCase())) return;
        for (const v of values) p.headers.push(`${name}: ${v}`);
      });
      return RESOLVED;
    }
    if (this.#transport !== undefined) {
      pending.delete(this.#req);
      this.#transport._handshakeFailed();
      this.#transport = undefined;
    }
    const flushed = writeRawResponse(this.#socket, startLine.code, startLine.reason, headers, chunk ?? "", last === true);
    if (last) this.#finished = true;
    return flushed ? RESOLVED : this.#drained();
  }

  write(chunk: Chunk): Promise<void> {
    const socket = this.#socket;
    if (!socket.writable || chunk.length === 0) return RESOLVED;
    return socket.write(chunk) ? RESOLVED : this.#drained();
  }

  #drained(): Promise<void> {
    return drainedOrClosed(this.#socket);
  }

  finish(): void {
    const wasFinished = this.#finished;
    this.#finished = true;
    if (this.#accepting) {
      this.#accepting = false;
      const transport = this.#transport!;
      const req = this.#req;
      const socket = this.#socket;
      // Before ws adds its own close listener: a listener array that once held three
      // keeps room for nineteen, for the socket's life.
      this.#handedOver();
      transport._wss!.handleUpgrade(req, socket, this.#head, (ws) => {
        socket.removeListener("error", logUpgradeSocketError);
        transport._attach(ws as TransportWebSocket);
      });
      // ws answers at once: without a socket for us, it refused the handshake (and closed).
      pending.delete(req);
      transport._handshakeFailed();
      this.#req = RELEASED_REQUEST;
      this.#head = EMPTY_HEAD;
      return;
    }
    if (wasFinished) return;
    const socket = this.#socket;
    socket.once("finish", () => socket.destroy());
    socket.end();
  }

  // ws takes the socket over and reports its close: drop what only the handshake
  // needed, so an idle socket holds nothing of it.
  #handedOver(): void {
    this.#socket.removeListener("close", this.#onSocketClose!);
    this.#onSocketClose = undefined;
    this.#closeCallback = null;
    this.#transport = undefined;
  }

  setCloseCallback(callback: (() => void) | null): void {
    this.#closeCallback = callback;
  }

  abort(): void {
    this.#finished = true;
    this.#socket.destroy();
  }
}

/** One accepted WebSocket: the core's `WebSocketTransport` over a `ws` socket. */
class NodeWebSocketTransport implements WebSocketTransport {
  readonly #events: WebSocketTransportEvents;
  readonly #socket: Duplex;
  readonly #server: HTTPServer;
  #ws: TransportWebSocket | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #reported = false;
  /** @internal The `ws` server that will take this socket over. */
  _wss: WebSocketServer | undefined;

  constructor(events: WebSocketTransportEvents, socket: Duplex, server: HTTPServer) {
    this.#events = events;
    this.#socket = socket;
    this.#server = server;
  }

  /** @internal The handshake was refused, or the socket closed before ws had it: the handler hears of a closed socket. */
  _handshakeFailed(): void {
    if (this.#ws === undefined) this.#report(null, null);
  }

  /** @internal ws has written the 101: the socket is live. */
  _attach(ws: TransportWebSocket): void {
    this.#ws = ws;
    this._wss = undefined;
    ws.transport = this;
    ws.binaryType = "nodebuffer";
    let set = openSockets.get(this.#server);
    if (set === undefined) openSockets.set(this.#server, (set = new Set()));
    set.add(this);
    this.#events.open();
  }

  /** @internal What `ws` emits for this socket (see `TransportWebSocket`). */
  _wsEvent(event: string | symbol, a: unknown, b: unknown): void {
    switch (event) {
      case "message": {
        const buf = a as Buffer;
        this.#events.message(b === true ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : buf.toString("utf8"));
        return;
      }
      case "ping":
      case "pong": {
        const buf = a as Buffer;
        this.#events[event](new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
        return;
      }
      case "error":
        // ws has already sent the close frame with the matching code (1002, 1007, 1009).
        genLog.debug("WebSocket protocol error from %s: %s", this.#remote(), (a as Error).message);
        this.#startCloseTimer();
        return;
      case "close": {
        openSockets.get(this.#server)?.delete(this);
        const code = a as number;
        const reason = b as Buffer;
        // 1005 (no status) and 1006 (dropped) are never on the wire: Tornado's None.
        this.#report(code === 1005 || code === 1006 ? null : code, reason.length === 0 ? null : reason.toString("utf8"));
        return;
      }
    }
  }

  #remote(): string {
    return (this.#socket as Socket).remoteAddress ?? "?";
  }

  #report(code: number | null, reason: string | null): void {
    if (this.#reported) return;
    this.#reported = true;
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#events.close(code, reason);
  }

  #startCloseTimer(): void {
    if (this.#closeTimer !== undefined) return;
    this.#closeTimer = setTimeout(() => this.abort(), CLOSE_TIMEOUT_MS);
    this.#closeTimer.unref();
  }

  send(data: string | Uint8Array, binary: boolean): Promise<void> {
    const ws = this.#ws;
    if (ws === undefined || ws.readyState !== ws.OPEN) return Promise.reject(new WebSocketClosedError());
    ws.send(data, binary ? BINARY_FRAME : TEXT_FRAME);
    // Settled at once unless the socket is backed up: a promise and a callback per message
    // cost more than the send itself (bench: echo rate). Under back-pressure the promise
    // waits for the socket to drain, as Tornado's write_message future does.
    const socket = this.#socket;
    if (!(socket as Duplex & { writableNeedDrain?: boolean }).writableNeedDrain) return RESOLVED;
    return drainedOrClosed(socket);
  }

  ping(data: Uint8Array): void {
    const ws = this.#ws;
    if (ws !== undefined && ws.readyState === ws.OPEN) ws.ping(data);
  }

  close(code: number | null, reason: string | null): void {
    const ws = this.#ws;
    if (ws === undefined) {
      this.#socket.destroy();
      return;
    }
    ws.close(code ?? undefined, reason ?? undefined);
    this.#startCloseTimer();
  }

  abort(): void {
    if (this.#ws !== undefined) this.#ws.terminate();
    else this.#socket.destroy();
  }

  pause(): void {
    this.#ws?.pause();
  }

  resume(): void {
    this.#ws?.resume();
  }

  setNodelay(value: boolean): void {
    const socket = this.#socket as Partial<Socket>;
    socket.setNoDelay?.(value);
  }

  /** @internal Closes with `code` for server shutdown. */
  _goingAway(code: number, reason: string | undefined): void {
    const ws = this.#ws;
    if (ws === undefined) return;
    ws.close(code, reason);
    this.#startCloseTimer();
  }
}

/**
 * Serves a request that arrived with an `Upgrade` header (node:http's `'upgrade'` event):
 * routes it through the application, as `HTTPServer` does for other requests.
 * `adjust` applies the server's `xheaders` handling to the request.
 *
 * @example
 * httpServer.server.on("upgrade", (req, socket, head) => serveUpgrade(server, req, socket, head));
 */
export function serveUpgrade(
  server: HTTPServer,
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  adjust?: (request: HTTPServerRequest) => void,
): void {
  socket.on("error", logUpgradeSocketError);
  // Read in place, not copied into a map: the request lives as long as its socket.
  const headers = HTTPHeaders.fromRawHeaders(req.rawHeaders);
  // node:http does not parse the body of an upgrade request; refuse one rather than misread it.
  const cl = headers.getList("Content-Length");
  if (headers.has("Transfer-Encoding") || cl.length > 1 || (cl.length === 1 && cl[0] !== "0")) {
    writeRawResponse(socket, 400, "Bad Request", new HTTPHeaders(), "", true);
    return;
  }
  const request = nodeServerRequest(req, headers, new UpgradeConnection(server, req, socket, head));
  adjust?.(request);
  try {
    const p = server.application.startRequest(request).finish();
    if (p !== undefined) p.catch((e: unknown) => genLog.error("Unhandled error serving upgrade request", e));
  } catch (e) {
    genLog.error("Unhandled error serving upgrade request", e);
    socket.destroy();
  }
}

/**
 * How many WebSockets accepted by `server` are open.
 *
 * @example
 * openWebSocketCount(server); // 3
 */
export function openWebSocketCount(server: HTTPServer): number {
  return openSockets.get(server)?.size ?? 0;
}

/**
 * Closes every open WebSocket of `server` (default code 1001, "going away"), for a clean
 * shutdown: `HTTPServer.stop()` waits for them otherwise. Peers that do not answer are
 * dropped after 5 seconds.
 *
 * @example
 * closeWebSockets(server);
 * await server.stop();
 */
export function closeWebSockets(server: HTTPServer, code = 1001, reason?: string): void {
  const set = openSockets.get(server);
  if (set === undefined) return;
  for (const t of [...set]) t._goingAway(code, reason);
}
