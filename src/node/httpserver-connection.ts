/**
 * The connection half of the Node host's HTTP server: the core's `HTTPConnection` over one
 * `node:http` response (headers, body chunks with back-pressure, gzip, closed clients),
 * and the plain error page sent when a request is refused before any handler runs.
 * @module
 */

import type * as http from "node:http";
import type { Socket } from "node:net";
import * as zlib from "node:zlib";
import {
  type Chunk,
  type HTTPConnection,
  type HTTPHeaders,
  HTTPServerRequest,
  RESPONSES,
  type ResponseStartLine,
} from "../core/index.js";

/**
 * The core's request for a `node:http` request: method, target, version, the client's
 * address, and http/https from the socket. Shared by plain requests and upgrades.
 */
export function nodeServerRequest(req: http.IncomingMessage, headers: HTTPHeaders, connection: HTTPConnection): HTTPServerRequest {
  const socket = req.socket as Socket & { encrypted?: boolean };
  return new HTTPServerRequest({
    method: req.method ?? "GET",
    uri: req.url ?? "/",
    version: `HTTP/${req.httpVersion}`,
    headers,
    remoteIp: socket.remoteAddress ?? "",
    protocol: socket.encrypted ? "https" : "http",
    host: headers.get("Host") ?? "127.0.0.1",
    connection,
  });
}

/**
 * Settles when `stream` can take more (`drain`) or is gone (`close`): the back-pressure
 * promise of every Node-side write.
 */
export function drainedOrClosed(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

/** What the server tells each connection it serves. */
export interface ServerState {
  /** Set by `drain`: responses say `Connection: close`. */
  draining: boolean;
}

const RESOLVED: Promise<void> = Promise.resolve();
// The response headers of the response being written, reused (see writeHeaders).
const FLAT: string[] = [];

// A repeated name (Set-Cookie) goes on the wire once per value, as Tornado writes it.
function pushPairs(name: string, values: readonly string[]): void {
  for (let i = 0; i < values.length; i++) FLAT.push(name, values[i]!);
}
// Tornado's GZipContentEncoding.GZIP_LEVEL.
const GZIP_LEVEL = 6;

function errorPage(status: number): string {
  const reason = RESPONSES[status] ?? "Unknown";
  return `<html><title>${status}: ${reason}</title><body>${status}: ${reason}</body></html>`;
}

/** Answers with a plain error page and closes the connection. */
export function refuse(res: http.ServerResponse, status: number): void {
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
export class NodeConnection implements HTTPConnection {
  readonly #req: http.IncomingMessage;
  readonly #res: http.ServerResponse;
  #pending: Chunk | undefined;
  #closeCallback: (() => void) | null = null;
  #listening = false;
  #gzip: zlib.Gzip | undefined;
  readonly #state: ServerState;
  /** Set by a streaming handler's prepare() to allow a larger body than the default. */
  maxBodySize: number | undefined;
  /** Whether `detach()` handed the request to other code (the host stops touching it). */
  detached = false;

  constructor(req: http.IncomingMessage, res: http.ServerResponse, state: ServerState) {
    this.#req = req;
    this.#res = res;
    this.#state = state;
  }

  setMaxBodySize(bytes: number): void {
    this.maxBodySize = bytes;
  }

  /**
   * Hands the raw `node:http` request and response to other code (a `(req, res)` app such
   * as Express); from then on the host neither reads the body nor writes the response.
   */
  detach(): { req: http.IncomingMessage; res: http.ServerResponse } {
    this.detached = true;
    this.#closeCallback = null;
    return { req: this.#req, res: this.#res };
  }

  writeHeaders(startLine: ResponseStartLine, headers: HTTPHeaders, chunk?: Chunk, last?: boolean): Promise<void> {
    // A draining server answers what is in flight, then closes: the client must not reuse it.
    if (this.#state.draining) this.#res.shouldKeepAlive = false;
    const gzip = startLine.contentEncoding === "gzip";
    if (gzip && last) {
      // A finished body is compressed in one go, so it keeps an exact Content-Length.
      chunk = zlib.gzipSync(chunk ?? "", { level: GZIP_LEVEL });
      headers.set("Content-Length", String(chunk.length));
    }
    // A flat [name, value, …] array is the cheapest form writeHead takes (no object with
    // per-response keys, no setHeader calls); node:http only reads it while writeHead runs,
    // so one array serves every response.
    const flat = FLAT;
    flat.length = 0;
    headers.forEachList(pushPairs);
    this.#res.writeHead(startLine.code, startLine.reason, flat);
    flat.length = 0;
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
    return drainedOrClosed(res);
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
