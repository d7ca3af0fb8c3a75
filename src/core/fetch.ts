/**
 * The fetch-style entry point: a Web `Request` in, a `Response` out. It serves the Workers
 * host, any other fetch runtime, and in-process tests, with no sockets of its own.
 * @module
 */

import type { Application, HandlerDelegate } from "./application.js";
import { DEFAULT_LIMITS } from "./application.js";
import { ClientDisconnectedError, HTTPError } from "./errors.js";
import { urlUnescapeBytes } from "./escape.js";
import { type KeyStorage, stateKeyOf } from "./stateful.js";
import { type Chunk, type HTTPConnection, HTTPHeaders, HTTPServerRequest, type ResponseStartLine } from "./httputil.js";
import type { WebSocketAcceptParams, WebSocketTransport, WebSocketUpgradable } from "./websocket-transport.js";

/**
 * What a fetch host's WebSocket acceptor returns: the transport the handler talks to, and
 * the client end the 101 `Response` carries (the Workers runtime's `webSocket`).
 */
export interface FetchWebSocketAccept {
  transport: WebSocketTransport;
  webSocket: unknown;
}

/** Accepts the WebSocket of `request` for a fetch host (see `FetchHandlerOptions.acceptWebSocket`). */
export type FetchWebSocketAcceptor = (params: WebSocketAcceptParams, request: HTTPServerRequest) => FetchWebSocketAccept;

/** How a fetch host describes the request's surroundings. */
export interface FetchHandlerOptions {
  /** The runtime's environment (Workers: bindings and secrets). */
  env?: unknown;
  /** The runtime's execution context (Workers: `waitUntil`). */
  ctx?: unknown;
  /** The client's address, when the host knows it. */
  remoteIp?: string;
  /**
   * Sends a request for a stateful route elsewhere (the Workers host: to the Durable
   * Object for its key) instead of serving it here.
   */
  forward?: (key: string, request: Request) => Promise<Response>;
  /** Storage for handlers of this request (the Durable Object's). */
  storage?: KeyStorage;
  /** Accepts WebSocket upgrades; without it a WebSocket handshake is answered with 501. */
  acceptWebSocket?: FetchWebSocketAcceptor;
}

const RESOLVED: Promise<void> = Promise.resolve();
const encoder = new TextEncoder();
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

function toBytes(chunk: Chunk): Uint8Array {
  return typeof chunk === "string" ? encoder.encode(chunk) : chunk;
}

function toWebHeaders(headers: HTTPHeaders): Headers {
  const h = new Headers();
  for (const [k, v] of headers) h.append(k, v);
  return h;
}

// What responseHeaders is building; module state instead of a closure per response.
let record: Record<string, string> = {};
let recordUsable = true;

function addToRecord(name: string, values: readonly string[]): void {
  // A repeated name (Set-Cookie) needs Headers; so do names a plain object would not keep
  // as given: "__proto__", and numeric names, which objects list first.
  const c = name.charCodeAt(0);
  if (values.length !== 1 || name === "__proto__" || (c >= 0x30 && c <= 0x39)) recordUsable = false;
  else record[name] = values[0]!;
}

/**
 * The headers of a `Response`. A plain `{ name: value }` object when no name repeats: the
 * runtime reads it in one pass, where `new Headers()` and one `append` per header are each
 * a call into it (on workerd, a crossing into C++ apiece).
 */
function responseHeaders(headers: HTTPHeaders): HeadersInit {
  record = {};
  recordUsable = true;
  headers.forEachList(addToRecord);
  if (recordUsable) return record;
  const h = new Headers();
  for (const [k, v] of headers) h.append(k, v);
  return h;
}

/**
 * An `HTTPConnection` that produces a `Response`. A response finished in one go becomes a
 * plain `Response`; one that is flushed before it finishes becomes a streamed body, started
 * as soon as the headers are written.
 */
class FetchConnection implements HTTPConnection, WebSocketUpgradable {
  // The Response once made; the promise is made only for a caller that asks before then
  // (a handler that waits): a handler that finishes at once costs no promise here.
  #response: Response | undefined;
  #settle: ((r: Response) => void) | undefined;
  #promise: Promise<Response> | undefined;
  #start: ResponseStartLine | undefined;
  #headers: HTTPHeaders | undefined;
  #first: Chunk | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #finished = false;
  #closeCallback: (() => void) | null = null;
  readonly #isHead: boolean;
  /** Set by a streaming handler's prepare() to allow a larger body than the default. */
  maxBodySize: number | undefined;
  #acceptor: FetchWebSocketAcceptor | undefined;
  #request: HTTPServerRequest | undefined;
  #accepted: FetchWebSocketAccept | undefined;
  #subprotocol: string | null = null;

  // The request, for its signal: even reading `request.signal` costs a native call on
  // workerd, so it is read only when a handler asks to hear of a vanished client.
  readonly #request0: Request;
  #listening = false;

  constructor(isHead: boolean, request: Request) {
    this.#isHead = isHead;
    this.#request0 = request;
  }

  /** The Response, or a promise of it while the handler has not written its headers. */
  get response(): Response | Promise<Response> {
    if (this.#response !== undefined) return this.#response;
    return (this.#promise ??= new Promise((r) => (this.#settle = r)));
  }

  // The first Response made wins, as a promise settles once (abort after finish is a no-op).
  #resolve(r: Response): void {
    if (this.#response !== undefined) return;
    this.#response = r;
    this.#settle?.(r);
  }

  #clientGone(): void {
    if (this.#finished) return;
    const cb = this.#closeCallback;
    this.#closeCallback = null;
    cb?.();
  }

  /** @internal Lets this connection accept the WebSocket of `request` with `acceptor`. */
  _allowWebSocket(acceptor: FetchWebSocketAcceptor, request: HTTPServerRequest): void {
    this.#acceptor = acceptor;
    this.#request = request;
  }

  upgradeWebSocket(params: WebSocketAcceptParams): WebSocketTransport {
    if (this.#acceptor === undefined || this.#request === undefined) {
      throw new HTTPError(501, "this host's connection cannot be upgraded to a WebSocket");
    }
    this.#accepted = this.#acceptor(params, this.#request);
    this.#subprotocol = params.subprotocol;
    return this.#accepted.transport;
  }

  writeHeaders(startLine: ResponseStartLine, headers: HTTPHeaders, chunk?: Chunk, last?: boolean): Promise<void> {
    this.#start = startLine;
    this.#headers = headers;
    this.#first = chunk;
    if (last) return RESOLVED;
    // If the handler does not finish in this same turn, start streaming now so the client
    // sees the headers (and the first chunk) without waiting for the end.
    queueMicrotask(() => {
      if (!this.#finished && this.#writer === undefined) this.#startStream();
    });
    return RESOLVED;
  }

  #startStream(): void {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    this.#writer = writable.getWriter();
    this.#writer.closed.catch(() => this.#clientGone());
    const status = this.#start!.code;
    const body = this.#isHead || NULL_BODY_STATUS.has(status) ? null : this.#encode(readable);
    this.#resolve(new Response(body, { status, statusText: this.#start!.reason, headers: responseHeaders(this.#headers!) }));
    const first = this.#first;
    this.#first = undefined;
    if (first !== undefined && first.length > 0) void this.#writer.write(toBytes(first)).catch(() => {});
  }

  // On Workers the runtime compresses a body whose Content-Encoding is gzip by itself;
  // elsewhere the standard CompressionStream does it.
  #encode(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    if (this.#start?.contentEncoding !== "gzip" || isWorkersRuntime()) return body;
    return body.pipeThrough(new CompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  }

  write(chunk: Chunk): Promise<void> {
    if (this.#writer === undefined) this.#startStream();
    const w = this.#writer!;
    // The writer's promise settles when the reader has taken the chunk: back-pressure.
    return w.write(toBytes(chunk)).catch(() => this.#clientGone());
  }

  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#writer !== undefined) {
      void this.#writer.close().catch(() => {});
      return;
    }
    const status = this.#start?.code ?? 200;
    if (status === 101 && this.#accepted !== undefined) {
      const headers = this.#headers ? toWebHeaders(this.#headers) : new Headers();
      if (this.#subprotocol !== null) headers.set("Sec-WebSocket-Protocol", this.#subprotocol);
      // `webSocket` is the Workers runtime's extension of ResponseInit.
      this.#resolve(new Response(null, { status, headers, webSocket: this.#accepted.webSocket } as ResponseInit));
      return;
    }
    const first = this.#first;
    let body: BodyInit | null = this.#isHead || NULL_BODY_STATUS.has(status) || first === undefined || first.length === 0 ? null : (first as BodyInit);
    // A string body gets a Content-Type of text/plain from the Response when it has none;
    // Tornado sends none where the handler cleared it, so such a body goes as bytes.
    if (typeof body === "string" && this.#headers?.has("Content-Type") !== true) body = toBytes(body) as BodyInit;
    if (body !== null && this.#start?.contentEncoding === "gzip" && !isWorkersRuntime()) {
      body = this.#encode(new Response(body).body!);
    }
    const h = this.#headers;
    this.#resolve(new Response(body, { status, statusText: this.#start?.reason ?? "OK", headers: h === undefined ? undefined : responseHeaders(h) }));
  }

  setCloseCallback(callback: (() => void) | null): void {
    this.#closeCallback = callback;
    // The abort listener is added only for a handler that wants to know (most never do):
    // on workerd, addEventListener on the request's signal is a costly native call.
    if (callback === null || this.#listening) return;
    this.#listening = true;
    const signal = this.#request0.signal as AbortSignal | undefined;
    if (signal === undefined) return;
    if (signal.aborted) queueMicrotask(() => this.#clientGone());
    else signal.addEventListener("abort", () => this.#clientGone(), { once: true });
  }

  setMaxBodySize(bytes: number): void {
    this.maxBodySize = bytes;
  }

  abort(): void {
    this.#finished = true;
    if (this.#writer !== undefined) {
      void this.#writer.abort(new Error("response aborted")).catch(() => {});
    } else {
      this.#resolve(Response.error());
    }
  }
}

function plainError(status: number, reason: string): Response {
  return new Response(`<html><title>${status}: ${reason}</title><body>${status}: ${reason}</body></html>`, {
    status,
    statusText: reason,
    headers: { "Content-Type": "text/html; charset=UTF-8", Connection: "close" },
  });
}

/** Raised by {@link limitedChunks} when a body passes its limit. */
class BodyTooLargeError extends Error {}

// The chunks of a body, at most `limit` bytes in all. Stopping early (a return from the
// loop, or the limit) cancels the rest of the body.
async function* limitedChunks(body: ReadableStream<Uint8Array>, limit: number): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let n = 0;
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      n += value.length;
      if (n > limit) throw new BodyTooLargeError();
      yield value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
  }
}

// Feeds a streaming handler chunk by chunk, each awaited: the reader is not pulled faster
// than the handler consumes.
async function streamBody(request: Request, delegate: HandlerDelegate, hasBody: boolean, defaultLimit: number, conn: FetchConnection): Promise<void> {
  delegate.startStreaming();
  await delegate.prepared;
  if (delegate.handlerFinished) return;
  if (hasBody && request.body !== null) {
    try {
      for await (const chunk of limitedChunks(request.body, conn.maxBodySize ?? defaultLimit)) {
        const p = delegate.dataReceived(chunk);
        if (p !== undefined) await p;
        if (delegate.handlerFinished) return;
      }
    } catch (e) {
      delegate.abortBody(e instanceof BodyTooLargeError ? new HTTPError(413) : new ClientDisconnectedError());
      return;
    }
  }
  const run = delegate.finish();
  if (run !== undefined) run.catch(() => {});
}

async function readBody(request: Request, limit: number): Promise<Uint8Array | Response> {
  const declared = request.headers.get("Content-Length");
  if (declared !== null && Number(declared) > limit) return plainError(413, "Request Entity Too Large");
  if (request.body === null) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let n = 0;
  try {
    for await (const chunk of limitedChunks(request.body, limit)) {
      parts.push(chunk);
      n += chunk.length;
    }
  } catch (e) {
    if (e instanceof BodyTooLargeError) return plainError(413, "Request Entity Too Large");
    throw e;
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// Read once: navigator.userAgent is a native getter on workerd, and the answer never changes.
const onWorkers = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === "Cloudflare-Workers";

function isWorkersRuntime(): boolean {
  return onWorkers;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

// The state key of the route a request reached, from its decoded path arguments; a path
// that does not decode is served here, where the handler answers 400.
function routeStateKey(delegate: HandlerDelegate, req: HTTPServerRequest): string | undefined {
  const { handlerClass, pathArgs, pathKwargs } = delegate.route;
  if ((handlerClass as { stateKey?: unknown }).stateKey === undefined) return undefined;
  try {
    const decode = (s: string) => strictUtf8.decode(urlUnescapeBytes(s, false, true));
    const args = pathArgs.filter((a): a is string => a !== undefined).map(decode);
    const kw: Record<string, string> = {};
    for (const k in pathKwargs) kw[k] = decode(pathKwargs[k]!);
    return stateKeyOf(handlerClass, req, args, kw);
  } catch {
    return undefined;
  }
}

/**
 * The parts of a request's URL the core needs. `Request.url` is already a serialized URL
 * (parsed and normalized when the Request was made), so slicing it gives what `new URL`
 * would, without a second parse, which on workerd is a native call.
 */
function splitUrl(href: string): { protocol: string; host: string; uri: string } {
  const schemeEnd = href.indexOf("://");
  if (schemeEnd <= 0) {
    const u = new URL(href);
    return { protocol: u.protocol.slice(0, -1), host: u.host, uri: u.pathname + u.search };
  }
  const authorityStart = schemeEnd + 3;
  let pathStart = authorityStart;
  while (pathStart < href.length) {
    const c = href.charCodeAt(pathStart);
    if (c === 0x2f || c === 0x3f || c === 0x23) break; // "/", "?", "#"
    pathStart++;
  }
  let authority = href.slice(authorityStart, pathStart);
  const at = authority.lastIndexOf("@");
  if (at !== -1) authority = authority.slice(at + 1);
  let uri = href.slice(pathStart);
  const hash = uri.indexOf("#");
  if (hash !== -1) uri = uri.slice(0, hash);
  // An empty query is no query, as URL.search has it.
  if (uri.indexOf("?") === uri.length - 1) uri = uri.slice(0, -1);
  if (uri === "" || uri.charCodeAt(0) !== 0x2f) uri = "/" + uri;
  return { protocol: href.slice(0, schemeEnd), host: authority, uri };
}

/** Serves `request` with `app`. See `Application.fetch`. */
export async function handleFetch(app: Application, request: Request, options: FetchHandlerOptions = {}): Promise<Response> {
  const url = splitUrl(request.url);
  // Read once: on workerd every property of a Request is a call into the runtime.
  const webHeaders = request.headers;
  // Read in place, not copied: on workerd each header copied would be a call into the
  // runtime, and a handler reads a few at most.
  const headers = HTTPHeaders.fromWebHeaders(webHeaders);
  // On Workers the platform sets CF-Connecting-IP itself, so a client cannot forge it.
  const remoteIp = options.remoteIp ?? (isWorkersRuntime() ? (webHeaders.get("CF-Connecting-IP") ?? undefined) : undefined);
  const method = request.method;
  const conn = new FetchConnection(method === "HEAD", request);
  const req = new HTTPServerRequest({
    method,
    uri: url.uri,
    version: "HTTP/1.1",
    headers,
    // undefined leaves HTTPServerRequest's default; no spread of a temporary object.
    remoteIp,
    protocol: url.protocol,
    host: headers.get("Host") ?? url.host,
    connection: conn,
  });
  req.env = options.env;
  req.executionContext = options.ctx;
  if (options.storage !== undefined) req.storage = options.storage;
  if (options.acceptWebSocket !== undefined) conn._allowWebSocket(options.acceptWebSocket, req);
  const delegate = app.startRequest(req);
  if (options.forward !== undefined) {
    const key = routeStateKey(delegate, req);
    if (key !== undefined) return options.forward(key, request);
  }
  const hasBody = method !== "GET" && method !== "HEAD" && request.body !== null;
  // The application that owns the route decides (a nested app may be stricter).
  const limit = (delegate.route.owner as Application).settings.maxBodySize ?? app.settings.maxBodySize ?? DEFAULT_LIMITS.maxBodySize;
  if (delegate.streamRequestBody) {
    void streamBody(request, delegate, hasBody, limit, conn);
    return conn.response;
  }
  if (hasBody) {
    const b = await readBody(request, limit);
    if (b instanceof Response) return b;
    req.body = b;
  }
  const run = delegate.finish();
  if (run !== undefined) {
    run.catch(() => {
      // The handler reports its own errors; this only keeps the promise observed.
    });
  }
  return conn.response;
}
