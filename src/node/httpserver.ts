/**
 * The Node host's HTTP server — Tornado's `tornado.httpserver.HTTPServer`, on `node:http`.
 *
 * HTTP/1.1 parsing is llhttp's (fast, and hardened against request smuggling); this module
 * adds what it lets through (duplicate Content-Length, Transfer-Encoding with
 * Content-Length on HTTP/1.0, …), Tornado's limits and `xheaders`, and drives the core's
 * `HTTPConnection` interface with back-pressure.
 *
 * With `ssl` options it serves HTTPS (`node:https`). `bind(port)` + `start(n)` runs it in
 * `n` processes through the process module, as Tornado's `HTTPServer.start`, and `drain`
 * is the graceful-shutdown step (see shutdown.ts).
 * @module
 */

import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo, Server as NetServer, Socket } from "node:net";
import { isIP } from "node:net";
import { lookup } from "node:dns/promises";
import {
  type Application,
  ClientDisconnectedError,
  DEFAULT_LIMITS,
  type HandlerDelegate,
  HTTPError,
  HTTPHeaders,
  HTTPServerRequest,
  type ListeningServer,
  RESPONSES,
} from "../core/index.js";
import { genLog } from "../core/log.js";
import { addAcceptHandler, bindSockets, type BindOptions, DEFAULT_BACKLOG, loadSSLOptions, type ServerSSLOptions, sslOptionsToContext } from "./netutil.js";
import { forkProcesses } from "./process.js";
import { TCPServerStateError } from "./tcpserver.js";
import { NodeConnection, nodeServerRequest, refuse, type ServerState } from "./httpserver-connection.js";
import { closeWebSockets, serveUpgrade } from "./websocket.js";

/** Options of {@link HTTPServer}, with Tornado's names and defaults. */
export interface HTTPServerOptions {
  /** Trust `X-Real-Ip`/`X-Forwarded-For` and `X-Scheme`/`X-Forwarded-Proto` (behind a proxy). */
  xheaders?: boolean;
  /** Proxies to skip, from the right, in `X-Forwarded-For`. */
  trustedDownstream?: string[];
  /** Largest request body in bytes (default 100 MiB); larger → 413. */
  maxBodySize?: number;
  /** Largest request head in bytes (default 64 KiB); larger → 431. */
  maxHeaderSize?: number;
  /** Seconds an idle keep-alive connection is kept (default 3600). */
  idleConnectionTimeout?: number;
  /** Seconds a client may take to send the request head (default 60): slowloris defence. */
  headerTimeout?: number;
  /** Seconds a client may take to send the whole request (default 300). */
  bodyTimeout?: number;
  /** Close connections after each response. */
  noKeepAlive?: boolean;
  /**
   * Serve HTTPS, as Tornado's `ssl_options`: Node's TLS options (`cert`, `key`, `ca`,
   * `requestCert`, `SNICallback`, `secureContext`, ...) or Tornado-style `certfile`/`keyfile`
   * paths. Files are read, and the certificate checked, when the server is created.
   */
  ssl?: ServerSSLOptions;
}

/**
 * A non-blocking HTTP server for an {@link Application}. Tornado's `HTTPServer`.
 *
 * Three ways to start it, as Tornado: `listen(port)`; `bind(port)` then `start()` (with
 * `start(n)` forking `n` processes that share the port); or `addSockets(servers)` with
 * listening sockets made elsewhere (`bindSockets`, `bindUnixSocket`).
 *
 * @example
 * const server = new HTTPServer(app, { xheaders: true });
 * await server.listen(8888, "127.0.0.1");
 * // ...
 * await server.stop();
 *
 * @example
 * // HTTPS in one process per core
 * const server = new HTTPServer(app, { ssl: { certfile: "server.crt", keyfile: "server.key" } });
 * server.bind(8443);
 * await server.start(0);
 */
export class HTTPServer implements ListeningServer {
  readonly application: Application;
  /** The `node:http` server (a `node:https` one with `ssl` options). */
  readonly server: http.Server | https.Server;
  readonly #xheaders: boolean;
  readonly #trusted: Set<string>;
  readonly #maxBodySize: number;
  readonly #maxBodySizeOption: number | undefined;
  readonly #noKeepAlive: boolean;
  readonly #state: ServerState = { draining: false };
  // Every open connection, however it arrived (listen, bind, addSockets), for drain().
  readonly #sockets = new Set<Socket>();
  // Listening sockets whose connections are handed to `server` (bind, addSockets).
  readonly #extra = new Map<NetServer, () => void>();
  #pendingBinds: { port: number; address: string | undefined; options: BindOptions }[] = [];
  #started = false;
  #tracking = false;

  constructor(application: Application, options: HTTPServerOptions = {}) {
    this.application = application;
    const s = application.settings;
    this.#xheaders = options.xheaders ?? false;
    this.#trusted = new Set(options.trustedDownstream ?? []);
    this.#maxBodySizeOption = options.maxBodySize;
    this.#maxBodySize = options.maxBodySize ?? s.maxBodySize ?? DEFAULT_LIMITS.maxBodySize;
    this.#noKeepAlive = options.noKeepAlive ?? false;
    const maxHeaderSize = options.maxHeaderSize ?? s.maxHeaderSize ?? DEFAULT_LIMITS.maxHeaderSize;
    const headerTimeout = (options.headerTimeout ?? 60) * 1000;
    const bodyTimeout = (options.bodyTimeout ?? 300) * 1000;
    const httpOptions: http.ServerOptions = {
      maxHeaderSize,
      requireHostHeader: false,
      joinDuplicateHeaders: false,
      // Node checks the header and request timeouts on this interval (30 s by default,
      // which would let a slow client hold a socket far past the limit).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, headerTimeout / 4, bodyTimeout / 4)),
    };
    if (options.ssl) {
      // Files are read and the context built once, now: a bad path or PEM fails at start-up.
      const tlsOptions = { ...loadSSLOptions(options.ssl), secureContext: sslOptionsToContext(options.ssl, true) };
      this.server = https.createServer({ ...tlsOptions, ...httpOptions }, this.#onRequest);
    } else {
      this.server = http.createServer(httpOptions, this.#onRequest);
    }
    const idle = options.idleConnectionTimeout ?? s.idleConnectionTimeout ?? DEFAULT_LIMITS.idleConnectionTimeout;
    // node:http's keep-alive timeout arms a timer after every response and clears it on the
    // next request: two timer operations per request. The socket's inactivity timeout does
    // the same job with one timer per connection, which every read and write refreshes;
    // onIdleTimeout spares a connection whose response is still being made (long polling).
    this.server.keepAliveTimeout = 0;
    this.server.timeout = idle * 1000;
    if (idle > 0) this.server.on("timeout", onIdleTimeout);
    this.server.headersTimeout = headerTimeout;
    this.server.requestTimeout = bodyTimeout;
    this.server.on("clientError", onClientError);
    this.server.on("upgrade", this.#onUpgrade);
    this.server.on("connection", this.#track);
  }

  /** Starts listening; resolves once bound. `port` 0 picks a free port. */
  listen(port: number, address?: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once("error", onError);
      this.server.listen(port, address, () => {
        this.server.off("error", onError);
        resolve();
      });
    });
  }

  /**
   * Serves connections accepted by listening sockets made elsewhere, such as those
   * {@link bindSockets} or `bindUnixSocket` return. Tornado's `add_sockets`.
   *
   * @example
   * server.addSockets(await bindSockets(8888, "localhost")); // IPv4 and IPv6
   */
  addSockets(servers: Iterable<NetServer>): void {
    if (!this.server.listening && !this.#tracking) {
      // node:http starts its header/body timeout checks on "listening", which a server fed
      // only through addSockets never emits by itself.
      this.#tracking = true;
      this.server.emit("listening");
    }
    for (const s of servers) {
      if (this.#extra.has(s)) continue;
      this.#extra.set(s, addAcceptHandler(s, (socket) => this.server.emit("connection", socket)));
    }
  }

  /**
   * Records a port (and address) to listen on when {@link HTTPServer.start} runs; after
   * `start`, binds at once. Every address `address` resolves to is bound (all interfaces
   * when omitted), as Tornado's `bind`. Binding waits for `start` because with several
   * processes each child must open its own share of the socket.
   *
   * @example
   * server.bind(8888, "127.0.0.1");
   * await server.start();
   */
  bind(port: number, address?: string, options: BindOptions = {}): Promise<void> {
    if (this.#started) return this.#bindNow(port, address, options);
    this.#pendingBinds.push({ port, address, options });
    return Promise.resolve();
  }

  /**
   * Binds what {@link HTTPServer.bind} recorded and starts serving; resolves once
   * listening. Tornado's `start(num_processes=1, max_restarts=None)`:
   * with `numProcesses` other than 1, the process forks first (`forkProcesses`; `0` or
   * `null` means one process per core) and each child listens on the shared port, so the
   * promise never resolves in the primary, which supervises the children instead.
   *
   * @example
   * server.bind(8888);
   * await server.start(0); // from here on, in each child
   * console.log(`child ${taskId()} serving`);
   */
  async start(numProcesses: number | null = 1, maxRestarts?: number | null): Promise<void> {
    if (this.#started) throw new TCPServerStateError("HTTPServer.start() was already called");
    this.#started = true;
    if (numProcesses !== 1) await forkProcesses(numProcesses, maxRestarts);
    const binds = this.#pendingBinds;
    this.#pendingBinds = [];
    for (const b of binds) await this.#bindNow(b.port, b.address, b.options);
  }

  async #bindNow(port: number, address: string | undefined, options: BindOptions): Promise<void> {
    // The node:http server must listen itself, on the first address: its header and body
    // timeouts are only enforced once it is listening. Further addresses hand it their
    // connections.
    if (this.server.listening || options.reusePort === true) {
      this.addSockets(await bindSockets(port, address, options));
      return;
    }
    const family = options.family ?? 0;
    const hosts = await listenHosts(address, family);
    const backlog = options.backlog ?? DEFAULT_BACKLOG;
    let rest = hosts;
    for (;;) {
      const [host, ...others] = rest;
      rest = others;
      try {
        await this.#listenOn({ port, host, backlog, ipv6Only: host !== undefined && isIP(host) === 6 && (family === 6 || hosts.length > 1) });
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // As bindSockets: an address the host cannot bind (::1 in many containers) is skipped.
        if (rest.length === 0 || (code !== "EADDRNOTAVAIL" && code !== "EAFNOSUPPORT")) throw e;
      }
    }
    const bound = this.address()!.port;
    for (const host of rest) this.addSockets(await bindSockets(bound, host, options));
  }

  #listenOn(options: { port: number; host: string | undefined; backlog: number; ipv6Only: boolean }): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once("error", onError);
      this.server.listen(options, () => {
        this.server.off("error", onError);
        resolve();
      });
    });
  }

  /** The bound address and port, once listening. */
  address(): { address: string; port: number } | null {
    let a = this.server.address();
    if (a === null) {
      for (const s of this.#extra.keys()) {
        a = s.address();
        if (a !== null) break;
      }
    }
    return a === null || typeof a === "string" ? null : { address: (a as AddressInfo).address, port: (a as AddressInfo).port };
  }

  /** Stops accepting connections and closes idle ones; in-flight requests finish. */
  stop(): Promise<void> {
    this.#closeListeners();
    return new Promise((resolve) => {
      // When only addSockets fed it, node:http is "not running" and answers at once, but
      // close() still stops its timeout checks.
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  /** Closes every connection at once, in flight or not. */
  closeAllConnections(): void {
    this.server.closeAllConnections();
    // Upgraded and still-handshaking (TLS) connections are not node:http's to close.
    for (const s of this.#sockets) s.destroy();
  }

  /** Whether {@link HTTPServer.drain} has been called. */
  get draining(): boolean {
    return this.#state.draining;
  }

  /** How many connections are open (keep-alive, in flight, or upgraded to WebSockets). */
  get connectionCount(): number {
    return this.#sockets.size;
  }

  /**
   * The graceful-shutdown step: stops accepting connections, closes idle keep-alive
   * connections at once and the others as soon as their response is done (responses from
   * now on say `Connection: close`), closes WebSockets with 1001 ("going away"), and
   * resolves to `true` once every connection is closed. After `timeout` seconds (default
   * 30) whatever is still open is closed and it resolves to `false`. Tornado has no such
   * method; `installGracefulShutdown` drives it from SIGTERM/SIGINT.
   *
   * @example
   * const clean = await server.drain(10);
   * if (!clean) genLog.warning("requests were cut off");
   */
  drain(timeout = 30): Promise<boolean> {
    this.#state.draining = true;
    this.#closeListeners();
    this.server.close(() => {});
    closeWebSockets(this);
    this.server.closeIdleConnections();
    return new Promise((resolve) => {
      if (this.#sockets.size === 0) {
        resolve(true);
        return;
      }
      // A response that ends leaves its connection idle; close it on the next sweep.
      const sweep = setInterval(() => {
        this.server.closeIdleConnections();
        if (this.#sockets.size === 0) done(true);
      }, 25);
      const deadline = setTimeout(() => {
        this.closeAllConnections();
        done(false);
      }, timeout * 1000);
      const done = (clean: boolean): void => {
        clearInterval(sweep);
        clearTimeout(deadline);
        resolve(clean);
      };
    });
  }

  #closeListeners(): void {
    for (const [s, remove] of this.#extra) {
      remove();
      s.close();
    }
    this.#extra.clear();
  }

  #track = (socket: Socket): void => {
    this.#sockets.add(socket);
    // One function per server, not a closure and a once-wrapper per connection (memory per
    // idle WebSocket and per waiting request).
    socket.on("close", this.#untrack);
  };

  #untrack = ((sockets: Set<Socket>) =>
    function untrack(this: Socket): void {
      sockets.delete(this);
    })(this.#sockets);

  // Requests with an Upgrade header (WebSockets) leave node:http's parser; route them too.
  #onUpgrade = (req: http.IncomingMessage, socket: import("node:stream").Duplex, head: Buffer): void => {
    // The idle timeout is HTTP's; an upgraded connection keeps its own (WebSocket pings).
    if (typeof (socket as Socket).setTimeout === "function") (socket as Socket).setTimeout(0);
    serveUpgrade(this, req, socket, head, this.#xheaders ? (r) => this.#applyXheaders(r) : undefined);
  };

  #onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const raw = req.rawHeaders;
    const length = bodyFraming(raw);
    if (length === REFUSE) {
      refuse(res, 400);
      return;
    }
    // Read in place from rawHeaders, copied only if a handler lists or changes them.
    const headers = HTTPHeaders.fromRawHeaders(raw);
    if (this.#noKeepAlive) res.shouldKeepAlive = false;

    const request = nodeServerRequest(req, headers, new NodeConnection(req, res, this.#state));
    if (this.#xheaders) this.#applyXheaders(request);

    const delegate = this.application.startRequest(request);
    const hasBody = length > 0 || length === CHUNKED;
    // The server's own option wins; else the application that owns the route decides (a
    // nested app may be stricter), else the top application.
    const limit =
      this.#maxBodySizeOption ?? (delegate.route.owner as Application).settings.maxBodySize ?? this.#maxBodySize;
    if (delegate.streamRequestBody) {
      void this.#streamBody(req, res, delegate, hasBody, limit, request.connection as NodeConnection);
      return;
    }
    if (!hasBody) {
      runFinish(delegate);
      return;
    }
    if (length > limit) {
      refuse(res, 413);
      return;
    }
    const parts: Buffer[] = [];
    let received = 0;
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        req.removeAllListeners("data");
        req.removeAllListeners("end");
        refuse(res, 413);
        return;
      }
      parts.push(chunk);
    });
    req.on("end", () => {
      request.body = parts.length === 1 ? parts[0]! : Buffer.concat(parts, received);
      runFinish(delegate);
    });
    req.on("error", () => res.destroy());
  };

  // A streaming handler sees prepare() at once, then each chunk as it arrives; the socket
  // is paused while the handler works on a chunk, so a large upload never piles up here.
  async #streamBody(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    delegate: HandlerDelegate,
    hasBody: boolean,
    defaultLimit: number,
    conn: NodeConnection,
  ): Promise<void> {
    // A handler that will give the raw request away (NodeFallbackHandler) must find it as
    // Node made it: not paused, no listeners, its body waiting to be read.
    if ((delegate.handlerClass as { takesOverConnection?: boolean }).takesOverConnection !== true) req.pause();
    delegate.startStreaming();
    await delegate.prepared;
    // A handler that gave the raw request to other code (NodeFallbackHandler): hands off.
    if (conn.detached) return;
    if (delegate.handlerFinished) {
      req.resume();
      return;
    }
    const limit = conn.maxBodySize ?? defaultLimit;
    let received = 0;
    try {
      if (hasBody) {
        for await (const chunk of req as AsyncIterable<Buffer>) {
          received += chunk.length;
          if (received > limit) {
            // Answer 413, then drop the connection: the rest of the body is not wanted.
            res.shouldKeepAlive = false;
            res.once("finish", () => req.socket?.destroy());
            delegate.abortBody(new HTTPError(413));
            return;
          }
          const p = delegate.dataReceived(chunk);
          if (p !== undefined) await p;
          if (delegate.handlerFinished) return;
        }
      }
    } catch {
      delegate.abortBody(new ClientDisconnectedError());
      return;
    }
    if (req.readableAborted || (req.complete === false && hasBody)) {
      delegate.abortBody(new ClientDisconnectedError());
      return;
    }
    runFinish(delegate);
  }

  #applyXheaders(request: HTTPServerRequest): void {
    const h = request.headers;
    let ip = request.remoteIp;
    const xff = h.get("X-Forwarded-For");
    if (xff !== undefined) {
      const hops = xff.split(",").map((s) => s.trim());
      for (let i = hops.length - 1; i >= 0; i--) {
        ip = hops[i]!;
        if (!this.#trusted.has(ip)) break;
      }
    }
    ip = h.get("X-Real-Ip", ip);
    if (isIP(ip) !== 0) request.remoteIp = ip;
    let proto = h.get("X-Scheme") ?? h.get("X-Forwarded-Proto");
    if (proto !== undefined) {
      proto = proto.split(",").pop()!.trim();
      if (proto === "http" || proto === "https") request.protocol = proto;
    }
  }
}

function logUnhandled(e: unknown): void {
  genLog.error("Unhandled error serving request", e);
}

// Runs the handler; a sync handler returns nothing, so no promise is made for it.
function runFinish(delegate: HandlerDelegate): void {
  try {
    const p = delegate.finish();
    if (p !== undefined) p.catch(logUnhandled);
  } catch (e) {
    logUnhandled(e);
  }
}

/**
 * The socket saw no traffic for `idleConnectionTimeout`. Between requests that ends the
 * connection, as Tornado's idle timeout; while a response is being made (a handler that
 * waits, a slow upload under bodyTimeout) it does not: the socket's timer re-arms itself
 * on the next read or write.
 */
function onIdleTimeout(socket: Socket): void {
  // node:http keeps the response in progress on the socket; none means the connection idles.
  if ((socket as Socket & { _httpMessage?: unknown })._httpMessage == null) socket.destroy();
}

// What bodyFraming finds besides a Content-Length.
const REFUSE = -2;
const CHUNKED = -1;

/**
 * How a request's body is framed, from its raw headers in one pass: its Content-Length (0
 * when it has none), CHUNKED for Transfer-Encoding without one, or REFUSE for what llhttp
 * lets through but RFC 9112 says a server must refuse: several Content-Length fields, one
 * that is not all digits, or one beside Transfer-Encoding.
 */
function bodyFraming(raw: readonly string[]): number {
  let cl: string | undefined;
  let te = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    // Only two names matter; their lengths (14 and 17) rule out nearly every other header.
    if (name.length === 14 && name.toLowerCase() === "content-length") {
      if (cl !== undefined) return REFUSE;
      cl = raw[i + 1]!;
    } else if (name.length === 17 && name.toLowerCase() === "transfer-encoding") {
      te = true;
    }
  }
  if (cl === undefined) return te ? CHUNKED : 0;
  if (te || !/^\d+$/.test(cl)) return REFUSE;
  return Number(cl);
}

/** The addresses `bind(port, address)` listens on; `undefined` is every interface. */
async function listenHosts(address: string | undefined, family: number): Promise<(string | undefined)[]> {
  if (address === undefined || address === "") return [family === 4 ? "0.0.0.0" : family === 6 ? "::" : undefined];
  if (isIP(address) !== 0) return [address];
  const found = await lookup(address, { all: true, family: family === 4 || family === 6 ? family : 0 });
  const hosts = [...new Set(found.map((a) => a.address))];
  // Nothing found: let listen() report the name as unknown.
  return hosts.length > 0 ? hosts : [address];
}

function onClientError(err: Error & { code?: string }, socket: import("node:stream").Duplex): void {
  if (err.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
  const reason = RESPONSES[status]!;
  genLog.info("Malformed HTTP message: %s", err.message);
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
