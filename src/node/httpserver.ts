/**
 * The Node host's HTTP server — Tornado's `tornado.httpserver.HTTPServer`, on `node:http`.
 *
 * HTTP/1.1 parsing is llhttp's (fast, and hardened against request smuggling); this module
 * adds what it lets through (duplicate Content-Length, Transfer-Encoding with
 * Content-Length on HTTP/1.0, …), Tornado's limits and `xheaders`, and drives the core's
 * `HTTPConnection` interface with back-pressure.
 * @module
 */

import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { isIP } from "node:net";
import * as zlib from "node:zlib";
import {
  type Application,
  type Chunk,
  ClientDisconnectedError,
  DEFAULT_LIMITS,
  type HandlerDelegate,
  HTTPError,
  type HTTPConnection,
  HTTPHeaders,
  HTTPServerRequest,
  type ListeningServer,
  RESPONSES,
  type ResponseStartLine,
} from "../core/index.js";
import { genLog } from "../core/log.js";
import { serveUpgrade } from "./websocket.js";

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
}

const RESOLVED: Promise<void> = Promise.resolve();
// Tornado's GZipContentEncoding.GZIP_LEVEL.
const GZIP_LEVEL = 6;

function errorPage(status: number): string {
  const reason = RESPONSES[status] ?? "Unknown";
  return `<html><title>${status}: ${reason}</title><body>${status}: ${reason}</body></html>`;
}

/** Answers with a plain error page and closes the connection. */
function refuse(res: http.ServerResponse, status: number): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorPage(status);
  res.writeHead(status, RESPONSES[status] ?? "Unknown", {
    "Content-Type": "text/html; charset=UTF-8",
    "Content-Length": Buffer.byteLength(body),
    Connection: "close",
  });
  res.end(body);
}

/** The core's `HTTPConnection` over one `node:http` response. */
class NodeConnection implements HTTPConnection {
  readonly #res: http.ServerResponse;
  #pending: Chunk | undefined;
  #closeCallback: (() => void) | null = null;
  #listening = false;
  #gzip: zlib.Gzip | undefined;

  constructor(res: http.ServerResponse) {
    this.#res = res;
  }

  writeHeaders(startLine: ResponseStartLine, headers: HTTPHeaders, chunk?: Chunk, last?: boolean): Promise<void> {
    const gzip = startLine.contentEncoding === "gzip";
    if (gzip && last) {
      // A finished body is compressed in one go, so it keeps an exact Content-Length.
      chunk = zlib.gzipSync(chunk ?? "", { level: GZIP_LEVEL });
      headers.set("Content-Length", String(chunk.length));
    }
    const out: Record<string, string | string[]> = {};
    // The object form takes Node's fast path in writeHead (no per-header setHeader calls).
    headers.forEachList((name, values) => {
      out[name] = values.length === 1 ? values[0]! : (values as string[]);
    });
    this.#res.writeHead(startLine.code, startLine.reason, out);
    if (last) {
      this.#pending = chunk;
      return RESOLVED;
    }
    if (gzip) {
      // A streamed body goes through one gzip stream; each write is flushed through it so
      // the client sees every chunk when the handler flushes it, as Tornado does.
      this.#gzip = zlib.createGzip({ level: GZIP_LEVEL });
      this.#gzip.on("data", (c: Buffer) => this.#res.write(c));
      this.#gzip.on("end", () => this.#res.end());
      this.#gzip.on("error", () => this.#res.destroy());
    }
    if (chunk !== undefined && chunk.length > 0) return this.write(chunk);
    // Send the head now, not with the first chunk: a streaming client may wait on it.
    this.#res.flushHeaders();
    return RESOLVED;
  }

  write(chunk: Chunk): Promise<void> {
    const res = this.#res;
    if (res.destroyed) return RESOLVED;
    const gz = this.#gzip;
    if (gz !== undefined) {
      gz.write(chunk);
      return new Promise((resolve) => gz.flush(zlib.constants.Z_SYNC_FLUSH, () => this.#drained().then(resolve)));
    }
    if (res.write(chunk)) return RESOLVED;
    return this.#drained();
  }

  #drained(): Promise<void> {
    const res = this.#res;
    if (!res.writableNeedDrain || res.destroyed) return RESOLVED;
    return new Promise((resolve) => {
      const done = () => {
        res.off("drain", done);
        res.off("close", done);
        resolve();
      };
      res.on("drain", done);
      res.on("close", done);
    });
  }

  finish(): void {
    if (this.#gzip !== undefined) {
      this.#gzip.end();
      return;
    }
    const p = this.#pending;
    this.#pending = undefined;
    if (p !== undefined && p.length > 0) this.#res.end(p);
    else this.#res.end();
  }

  setCloseCallback(callback: (() => void) | null): void {
    this.#closeCallback = callback;
    if (callback !== null && !this.#listening) {
      this.#listening = true;
      this.#res.once("close", () => {
        // "close" also follows a normal end; only an unfinished response means the client left.
        if (!this.#res.writableFinished) {
          const cb = this.#closeCallback;
          this.#closeCallback = null;
          cb?.();
        }
      });
    }
  }

  abort(): void {
    this.#res.destroy();
  }
}

/**
 * A non-blocking HTTP server for an {@link Application}. Tornado's `HTTPServer`.
 *
 * @example
 * const server = new HTTPServer(app, { xheaders: true });
 * await server.listen(8888, "127.0.0.1");
 * // ...
 * await server.stop();
 */
export class HTTPServer implements ListeningServer {
  readonly application: Application;
  readonly server: http.Server;
  readonly #xheaders: boolean;
  readonly #trusted: Set<string>;
  readonly #maxBodySize: number;
  readonly #noKeepAlive: boolean;

  constructor(application: Application, options: HTTPServerOptions = {}) {
    this.application = application;
    const s = application.settings;
    this.#xheaders = options.xheaders ?? false;
    this.#trusted = new Set(options.trustedDownstream ?? []);
    this.#maxBodySize = options.maxBodySize ?? s.maxBodySize ?? DEFAULT_LIMITS.maxBodySize;
    this.#noKeepAlive = options.noKeepAlive ?? false;
    const maxHeaderSize = options.maxHeaderSize ?? s.maxHeaderSize ?? DEFAULT_LIMITS.maxHeaderSize;
    const headerTimeout = (options.headerTimeout ?? 60) * 1000;
    const bodyTimeout = (options.bodyTimeout ?? 300) * 1000;
    this.server = http.createServer(
      {
        maxHeaderSize,
        requireHostHeader: false,
        joinDuplicateHeaders: false,
        // Node checks the header and request timeouts on this interval (30 s by default,
        // which would let a slow client hold a socket far past the limit).
        connectionsCheckingInterval: Math.max(50, Math.min(1000, headerTimeout / 4, bodyTimeout / 4)),
      },
      this.#onRequest,
    );
    const idle = options.idleConnectionTimeout ?? s.idleConnectionTimeout ?? DEFAULT_LIMITS.idleConnectionTimeout;
    this.server.keepAliveTimeout = idle * 1000;
    this.server.headersTimeout = headerTimeout;
    this.server.requestTimeout = bodyTimeout;
    this.server.on("clientError", onClientError);
    this.server.on("upgrade", this.#onUpgrade);
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

  /** The bound address and port, once listening. */
  address(): { address: string; port: number } | null {
    const a = this.server.address();
    return a === null || typeof a === "string" ? null : { address: (a as AddressInfo).address, port: (a as AddressInfo).port };
  }

  /** Stops accepting connections and closes idle ones; in-flight requests finish. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  /** Closes every connection at once, in flight or not. */
  closeAllConnections(): void {
    this.server.closeAllConnections();
  }

  // Requests with an Upgrade header (WebSockets) leave node:http's parser; route them too.
  #onUpgrade = (req: http.IncomingMessage, socket: import("node:stream").Duplex, head: Buffer): void => {
    serveUpgrade(this, req, socket, head, this.#xheaders ? (r) => this.#applyXheaders(r) : undefined);
  };

  #onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const raw = req.rawHeaders;
    const headers = new HTTPHeaders();
    for (let i = 0; i < raw.length; i += 2) headers.add(raw[i]!, raw[i + 1]!);

    // What llhttp lets through but RFC 9112 says a server must refuse.
    const cl = headers.getList("Content-Length");
    if (cl.length > 1 || (cl.length === 1 && (!/^\d+$/.test(cl[0]!) || headers.has("Transfer-Encoding")))) {
      refuse(res, 400);
      return;
    }
    if (this.#noKeepAlive) res.shouldKeepAlive = false;

    const socket = req.socket as Socket & { encrypted?: boolean };
    const request = new HTTPServerRequest({
      method: req.method ?? "GET",
      uri: req.url ?? "/",
      version: `HTTP/${req.httpVersion}`,
      headers,
      remoteIp: socket.remoteAddress ?? "",
      protocol: socket.encrypted ? "https" : "http",
      host: headers.get("Host") ?? "127.0.0.1",
      connection: new NodeConnection(res),
    });
    if (this.#xheaders) this.#applyXheaders(request);

    const delegate = this.application.startRequest(request);
    const length = cl.length === 1 ? Number(cl[0]) : 0;
    const hasBody = length > 0 || headers.has("Transfer-Encoding");
    if (delegate.streamRequestBody) {
      void this.#streamBody(req, res, delegate, hasBody);
      return;
    }
    if (!hasBody) {
      this.#run(delegate.finish.bind(delegate));
      return;
    }
    if (length > this.#maxBodySize) {
      refuse(res, 413);
      return;
    }
    const parts: Buffer[] = [];
    let received = 0;
    const limit = this.#maxBodySize;
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
      this.#run(delegate.finish.bind(delegate));
    });
    req.on("error", () => res.destroy());
  };

  // A streaming handler sees prepare() at once, then each chunk as it arrives; the socket
  // is paused while the handler works on a chunk, so a large upload never piles up here.
  async #streamBody(req: http.IncomingMessage, res: http.ServerResponse, delegate: HandlerDelegate, hasBody: boolean): Promise<void> {
    req.pause();
    delegate.startStreaming();
    await delegate.prepared;
    if (delegate.handlerFinished) {
      req.resume();
      return;
    }
    const limit = this.#maxBodySize;
    let received = 0;
    try {
      if (hasBody) {
        for await (const chunk of req as AsyncIterable<Buffer>) {
          received += chunk.length;
          if (received > limit) {
            res.shouldKeepAlive = false;
            delegate.abortBody(new HTTPError(413));
            req.destroy();
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
    this.#run(delegate.finish.bind(delegate));
  }

  #run(fn: () => Promise<void> | void): void {
    try {
      const p = fn();
      if (p !== undefined) p.catch((e: unknown) => genLog.error("Unhandled error serving request", e));
    } catch (e) {
      genLog.error("Unhandled error serving request", e);
    }
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
