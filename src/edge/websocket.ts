/**
 * WebSockets at the edge, on the Durable Object Hibernation API.
 *
 * A `WebSocketHandler` route that is `@stateful` is served inside the object for its key.
 * When the handler accepts, the object calls `ctx.acceptWebSocket(server)` — so the runtime
 * keeps the connection open while the object is evicted — and writes the socket's
 * attachment (see `websocket-attachment.ts`). The object's `webSocketMessage`,
 * `webSocketClose` and `webSocketError` feed the handler's `onMessage` and `onClose`,
 * through the same ordered queue as on Node.
 *
 * What happens when the object wakes after eviction: the in-memory handlers are gone, the
 * sockets are not. The first event for a socket (or a `members()` call) rebuilds its
 * handler from the attachment: a new instance of the class the URI routes to, `initialize()`
 * run with the rule's arguments, `pathArgs`/`pathKwargs` decoded from the URI again,
 * `currentUser` restored (captured at the handshake, when the core hands the host the
 * handler), the kept state readable with `socketState(this)`. `prepare()`
 * and `open()` do NOT run again: `initialize()` is the hook that runs on rebuild, and
 * `isRebuiltSocket(this)` tells it apart. The rebuilt handshake appears once more in the
 * access log (a 101 for the same URI). Request headers and cookies are not kept, so a
 * rebuilt handler sees only `Host`.
 *
 * Not on this host: protocol pings (the runtime answers them and cannot send them; see
 * `WebSocketNotSupportedError`), permessage-deflate settings (the runtime negotiates
 * compression itself), `setNodelay` (a no-op) and flow control (`writeMessage` resolves at
 * once; the runtime buffers). Aborting a socket (a callback threw) sends close code 1011,
 * since a Worker cannot drop a connection without a close frame. Incoming messages are
 * capped at `effectiveMaxMessageSize(handler.maxMessageSize)`.
 * @module
 */

import type { Application } from "../core/application.js";
import { urlUnescapeBytes } from "../core/escape.js";
import type { FetchWebSocketAccept } from "../core/fetch.js";
import { type Chunk, type HTTPConnection, HTTPHeaders, HTTPServerRequest, type ResponseStartLine } from "../core/httputil.js";
import { genLog } from "../core/log.js";
import type { KeyStorage } from "../core/stateful.js";
import {
  type WebSocketAcceptParams,
  WebSocketClosedError,
  WebSocketHandler,
  type WebSocketTransport,
  type WebSocketTransportEvents,
} from "../core/websocket.js";
import {
  decodeAttachment,
  effectiveMaxMessageSize,
  encodeAttachment,
  type SocketAttachment,
  WebSocketNotSupportedError,
} from "./websocket-attachment.js";
import type { DurableObjectStateLike, HibernatableWebSocketLike } from "./runtime-types.js";

const RESOLVED: Promise<void> = Promise.resolve();
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** readyState of an open WebSocket. */
const OPEN = 1;
/** Milliseconds the peer has to answer our close frame before `onClose` runs anyway (Tornado: 5 s). */
const CLOSE_TIMEOUT_MS = 5000;
// Any well-formed key: the rebuilt handshake is never sent, only checked by the core.
const REBUILD_KEY = "Y3ljbG9uZS1yZWJ1aWx0LWtleQ==";

/**
 * One accepted socket of an object, live or rebuilt: its runtime socket, request, cached
 * attachment and (once known) handler.
 * @internal
 */
export class SocketEntry {
  readonly ws: HibernatableWebSocketLike;
  readonly hub: HibernatingSockets;
  readonly request: HTTPServerRequest;
  readonly rebuilt: boolean;
  readonly maxMessageSize: number;
  attachment: SocketAttachment;
  events: WebSocketTransportEvents | undefined;
  handler: WebSocketHandler | undefined;
  /** `onClose` has been reported: the socket is done. */
  reported = false;
  #busy = false;
  #idle: Array<() => void> = [];

  constructor(hub: HibernatingSockets, ws: HibernatableWebSocketLike, request: HTTPServerRequest, attachment: SocketAttachment, maxMessageSize: number, rebuilt: boolean) {
    this.hub = hub;
    this.ws = ws;
    this.request = request;
    this.attachment = attachment;
    this.maxMessageSize = maxMessageSize;
    this.rebuilt = rebuilt;
  }

  /**
   * Replaces the attachment with `next`, stored in the socket at once.
   * @throws {WebSocketAttachmentTooLargeError} leaving the previous attachment.
   */
  update(next: SocketAttachment): void {
    const bytes = encodeAttachment(next);
    this.attachment = next;
    try {
      this.ws.serializeAttachment(bytes);
    } catch (e) {
      // A socket that is already closed has nowhere to keep it; the copy here is enough.
      if (this.ws.readyState === OPEN) throw e;
    }
  }

  /** Records the handler, capturing its current user the first time. */
  bind(handler: WebSocketHandler): void {
    if (this.handler === handler) return;
    this.handler ??= handler;
    if (this.attachment.hasUser) return;
    let user: unknown;
    try {
      user = handler.currentUser;
    } catch {
      return;
    }
    try {
      this.update({ ...this.attachment, hasUser: true, user: user ?? null });
    } catch (e) {
      genLog.warning("WebSocket %s: currentUser not kept for hibernation: %s", this.request.uri, (e as Error).message);
    }
  }

  get busy(): boolean {
    return this.#busy;
  }
  set busy(value: boolean) {
    this.#busy = value;
    if (!value) for (const f of this.#idle.splice(0)) f();
  }

  /** Settles when the handler has no callback running. */
  idle(): Promise<void> {
    return this.#busy ? new Promise((r) => this.#idle.push(r)) : RESOLVED;
  }
}

const entriesByRequest = new WeakMap<HTTPServerRequest, SocketEntry>();
/** Objects of this isolate that hold sockets: a room spans them, as it spans a Node process. */
const liveHubs = new Set<HibernatingSockets>();

/**
 * The edge socket of a handler, or `undefined` (not at the edge, or not accepted here).
 * @internal
 */
export function socketEntryOf(handler: WebSocketHandler): SocketEntry | undefined {
  const e = entriesByRequest.get(handler.request);
  e?.bind(handler);
  return e;
}

/**
 * The open sockets in `room`, each once, with the hub that owns it.
 *
 * Every hub of the isolate is asked, since a call without a member (`broadcast(room)`)
 * does not say which object it comes from. A socket listed by several hubs (under
 * vitest-pool-workers a `ctx` answers for the object whose event is running) is taken once,
 * owned by the hub that holds its handler. A socket of another object cannot be written
 * from this one; its send fails and it is not counted as a recipient.
 * @internal
 */
export function roomSockets(room: string): Array<{ ws: HibernatableWebSocketLike; hub: HibernatingSockets }> {
  const found = new Map<HibernatableWebSocketLike, HibernatingSockets>();
  for (const hub of liveHubs) {
    for (const ws of hub.socketsIn(room)) {
      if (!found.has(ws) || hub._holds(ws)) found.set(ws, hub);
    }
  }
  return [...found].map(([ws, hub]) => ({ ws, hub }));
}

/**
 * Whether `handler` was rebuilt from its attachment after the object woke up (its `open()`
 * ran in an earlier life of the object). Useful in `initialize()`, the hook that runs on
 * rebuild.
 *
 * @example
 * override initialize() { if (isRebuiltSocket(this)) this.nick = socketState<{ nick: string }>(this)?.nick ?? "anon"; }
 */
export function isRebuiltSocket(handler: WebSocketHandler): boolean {
  return entriesByRequest.get(handler.request)?.rebuilt ?? false;
}

/** The core's transport over one hibernatable socket. */
class HibernatingTransport implements WebSocketTransport {
  readonly #entry: SocketEntry;
  constructor(entry: SocketEntry) {
    this.#entry = entry;
  }

  send(data: string | Uint8Array, binary: boolean): Promise<void> {
    const ws = this.#entry.ws;
    if (ws.readyState !== OPEN) return Promise.reject(new WebSocketClosedError());
    try {
      if (binary) ws.send(typeof data === "string" ? encoder.encode(data) : data);
      else ws.send(typeof data === "string" ? data : decoder.decode(data));
    } catch (e) {
      return Promise.reject(new WebSocketClosedError((e as Error).message));
    }
    return RESOLVED;
  }

  ping(_data: Uint8Array): void {
    throw new WebSocketNotSupportedError(
      "ping() is not supported on this host: the Workers runtime answers pings itself and cannot send them (use setWebSocketAutoResponse for a keep-alive)",
    );
  }

  close(code: number | null, reason: string | null): void {
    const entry = this.#entry;
    try {
      entry.update({ ...entry.attachment, closing: true });
    } catch {
      // Marking costs a few bytes; a full attachment still closes.
    }
    try {
      if (code === null) entry.ws.close();
      else entry.ws.close(code, reason ?? undefined);
    } catch (e) {
      genLog.debug("WebSocket close failed: %s", (e as Error).message);
    }
    // A peer that never answers must not keep the handler from its onClose.
    setTimeout(() => entry.hub._report(entry, null, null), CLOSE_TIMEOUT_MS);
  }

  abort(): void {
    const entry = this.#entry;
    if (entry.ws.readyState === OPEN) {
      try {
        entry.ws.close(1011, "");
      } catch {
        // Already closing.
      }
    }
    entry.hub._report(entry, null, null);
  }

  pause(): void {
    this.#entry.busy = true;
  }

  resume(): void {
    this.#entry.busy = false;
  }

  setNodelay(_value: boolean): void {}
}

/** The `HTTPConnection` of a rebuilt handshake: nothing is sent, the socket exists already. */
class RebuildConnection implements HTTPConnection {
  readonly #accept: (params: WebSocketAcceptParams) => WebSocketTransport;
  constructor(accept: (params: WebSocketAcceptParams) => WebSocketTransport) {
    this.#accept = accept;
  }
  upgradeWebSocket(params: WebSocketAcceptParams): WebSocketTransport {
    return this.#accept(params);
  }
  writeHeaders(_startLine: ResponseStartLine, _headers: HTTPHeaders, _chunk?: Chunk, _last?: boolean): Promise<void> {
    return RESOLVED;
  }
  write(_chunk: Chunk): Promise<void> {
    return RESOLVED;
  }
  finish(): void {}
  setCloseCallback(_callback: (() => void) | null): void {}
  abort(): void {}
}

/** What a hub needs of its Durable Object (a `CycloneDurableObject` is one). */
export interface SocketHubHost {
  readonly ctx: DurableObjectStateLike;
  readonly env: unknown;
  readonly storage: KeyStorage;
  readonly application: Application;
}

interface WebSocketPairLike {
  0: HibernatableWebSocketLike;
  1: HibernatableWebSocketLike;
}

function newWebSocketPair(): [client: unknown, server: HibernatableWebSocketLike] {
  const Pair = (globalThis as unknown as { WebSocketPair?: new () => WebSocketPairLike }).WebSocketPair;
  if (Pair === undefined) throw new WebSocketNotSupportedError("this runtime has no WebSocketPair");
  const pair = new Pair();
  return [pair[0], pair[1]];
}

/**
 * The hibernating WebSockets of one Durable Object: accepts them for the core's handlers,
 * routes the runtime's socket events to them, and rebuilds their handlers after a wake-up.
 * `CycloneDurableObject` owns one (`object.sockets`); applications rarely touch it.
 *
 * @example
 * // in a test, simulate an eviction: handlers are rebuilt on their sockets' next events
 * object.sockets.forgetHandlers();
 */
export class HibernatingSockets {
  readonly #host: SocketHubHost;
  readonly #entries = new Map<HibernatableWebSocketLike, SocketEntry>();

  constructor(host: SocketHubHost) {
    this.#host = host;
    // An object that wakes up with hibernated sockets serves broadcasts (say, from a POST
    // handler) before any of their handlers is rebuilt.
    if (host.ctx.getWebSockets().length > 0) liveHubs.add(this);
  }

  /** The object's state. */
  get ctx(): DurableObjectStateLike {
    return this.#host.ctx;
  }

  /**
   * Accepts the WebSocket of `request`: the fetch host's acceptor, which
   * `CycloneDurableObject.fetch` passes as `acceptWebSocket`.
   * @throws {WebSocketNotSupportedError} for ping settings or an `onPong` handler.
   *
   * @example
   * app.handleFetch(request, { ctx, storage, acceptWebSocket: object.sockets.accept });
   */
  readonly accept = (params: WebSocketAcceptParams, request: HTTPServerRequest): FetchWebSocketAccept => {
    refuseUnsupported(this.#host.application, request);
    const [client, server] = newWebSocketPair();
    const attachment: SocketAttachment = {
      v: 1,
      uri: request.uri,
      host: request.host,
      protocol: request.protocol,
      remoteIp: request.remoteIp,
      subprotocol: params.subprotocol,
      hasUser: false,
      rooms: [],
      hasState: false,
      closing: false,
    };
    const entry = new SocketEntry(this, server, request, attachment, effectiveMaxMessageSize(params.maxMessageSize), false);
    entry.events = params.events;
    const bytes = encodeAttachment(attachment);
    this.#host.ctx.acceptWebSocket(server);
    server.serializeAttachment(bytes);
    this.#register(entry);
    // Keep the handler's current user with the socket now, for after hibernation.
    if (params.handler !== undefined) entry.bind(params.handler);
    // The 101 is on its way once the handler finishes, in this same turn.
    queueMicrotask(() => params.events.open());
    return { transport: new HibernatingTransport(entry), webSocket: client };
  };

  #register(entry: SocketEntry): void {
    this.#entries.set(entry.ws, entry);
    entriesByRequest.set(entry.request, entry);
    liveHubs.add(this);
  }

  /**
   * The entry of `ws`, rebuilt from its attachment when this object has none in memory;
   * `undefined` for a socket Cyclone did not accept, or one that is closed (unless
   * `closing`: rebuilt to hear of its close).
   * @internal
   */
  entryFor(ws: HibernatableWebSocketLike, closing = false): SocketEntry | undefined {
    const e = this.#entries.get(ws);
    if (e !== undefined) return e;
    return this.#rebuild(ws, closing);
  }

  /**
   * The sockets of this object that are in `room` and not closing.
   * @internal
   */
  *socketsIn(room: string): Iterable<HibernatableWebSocketLike> {
    let sockets: HibernatableWebSocketLike[];
    try {
      sockets = this.#host.ctx.getWebSockets();
    } catch {
      // Another object's state, out of reach from the event that is running.
      return;
    }
    if (sockets.length === 0 && this.#entries.size === 0) liveHubs.delete(this);
    for (const ws of sockets) {
      if (ws.readyState !== OPEN) continue;
      const att = this.#entries.get(ws)?.attachment ?? decodeAttachment(ws.deserializeAttachment());
      if (att === null || att.closing || !att.rooms.includes(room)) continue;
      yield ws;
    }
  }

  /** @internal Whether this hub holds the handler of `ws`. */
  _holds(ws: HibernatableWebSocketLike): boolean {
    return this.#entries.has(ws);
  }

  /**
   * How many socket handlers this object holds in memory (live or rebuilt).
   *
   * @example
   * object.sockets.liveHandlerCount; // 0 right after a wake-up
   */
  get liveHandlerCount(): number {
    return this.#entries.size;
  }

  /**
   * Forgets every in-memory handler, as an eviction does; the sockets stay with the
   * runtime and are rebuilt on their next event. For tests of the rebuild path.
   *
   * @example
   * object.sockets.forgetHandlers();
   */
  forgetHandlers(): void {
    for (const e of this.#entries.values()) entriesByRequest.delete(e.request);
    this.#entries.clear();
  }

  // `closing`: rebuilt to hear of its close, so that onClose runs even for a handler that
  // was not rebuilt before its socket closed.
  #rebuild(ws: HibernatableWebSocketLike, closing: boolean): SocketEntry | undefined {
    let att: SocketAttachment | null;
    try {
      att = decodeAttachment(ws.deserializeAttachment());
    } catch {
      return undefined;
    }
    if (att === null || (ws.readyState !== OPEN && !closing)) return undefined;
    const host = this.#host;
    const headers = new HTTPHeaders({
      Host: att.host,
      Upgrade: "websocket",
      Connection: "Upgrade",
      "Sec-WebSocket-Version": "13",
      "Sec-WebSocket-Key": REBUILD_KEY,
    });
    if (att.subprotocol !== null) headers.set("Sec-WebSocket-Protocol", att.subprotocol);
    let entry: SocketEntry | undefined;
    const request = new HTTPServerRequest({
      method: "GET",
      uri: att.uri,
      version: "HTTP/1.1",
      headers,
      remoteIp: att.remoteIp,
      protocol: att.protocol,
      host: att.host,
      connection: new RebuildConnection((params) => {
        entry = new SocketEntry(this, ws, request, att, effectiveMaxMessageSize(params.maxMessageSize), true);
        entry.events = params.events;
        this.#register(entry);
        return new HibernatingTransport(entry);
      }),
    });
    request.env = host.env;
    request.executionContext = host.ctx;
    request.storage = host.storage;
    try {
      const route = host.application.startRequest(request).route;
      const cls = route.handlerClass as unknown as new (app: Application, req: HTTPServerRequest, kw: unknown) => WebSocketHandler;
      if (!(cls.prototype instanceof WebSocketHandler)) throw new Error(`${att.uri} no longer routes to a WebSocketHandler`);
      const handler = new cls(route.owner as Application, request, route.initArgs);
      handler._start(route.initArgs);
      const decode = (s: string, name?: string) => handler.decodeArgument(urlUnescapeBytes(s, false, true), name);
      handler.pathArgs = route.pathArgs.map((a) => (a === undefined ? undefined : decode(a)));
      const kw: Record<string, string> = {};
      for (const k in route.pathKwargs) kw[k] = decode(route.pathKwargs[k]!, k);
      handler.pathKwargs = kw;
      if (att.hasUser) handler.currentUser = att.user;
      // get() checks the (synthetic) handshake and takes the transport; prepare() and
      // open() are not run: this connection was opened in an earlier life of the object.
      if (Object.keys(kw).length > 0) handler.get(kw);
      else handler.get(...handler.pathArgs);
      if (entry === undefined) throw new Error(`the handler for ${att.uri} refused the rebuilt handshake`);
      entry.handler = handler;
      return entry;
    } catch (e) {
      genLog.error("Cannot rebuild the WebSocket handler for %s: %s", att.uri, e instanceof Error ? e.message : String(e));
      if (entry !== undefined) this.#entries.delete(ws);
      if (!closing) {
        try {
          ws.close(1011, "");
        } catch {
          // Already closing.
        }
      }
      return undefined;
    }
  }

  /**
   * The runtime's `webSocketMessage`: delivers to the handler (rebuilding it if needed),
   * or closes with 1009 above the size limit. Settles when the handler is idle again.
   *
   * @example
   * webSocketMessage(ws, message) { return this.sockets.message(ws, message); }
   */
  message(ws: HibernatableWebSocketLike, message: string | ArrayBuffer): Promise<void> {
    const entry = this.entryFor(ws);
    if (entry === undefined || entry.events === undefined || entry.reported) return RESOLVED;
    const size = typeof message === "string" ? utf8Length(message, entry.maxMessageSize) : message.byteLength;
    if (size > entry.maxMessageSize) {
      // As on Node: the socket is closed with 1009 and the message is not delivered.
      genLog.debug("WebSocket message of %d bytes exceeds the limit of %d", size, entry.maxMessageSize);
      new HibernatingTransport(entry).close(1009, "message too big");
      return RESOLVED;
    }
    entry.events.message(typeof message === "string" ? message : new Uint8Array(message));
    return entry.idle();
  }

  /**
   * The runtime's `webSocketClose`: the peer's close frame (or the connection's loss),
   * answered and reported to `onClose`.
   *
   * @example
   * webSocketClose(ws, code, reason) { return this.sockets.close(ws, code, reason); }
   */
  close(ws: HibernatableWebSocketLike, code: number, reason: string): Promise<void> {
    const entry = this.entryFor(ws, true);
    if (!(entry?.attachment.closing ?? false)) {
      // Answer the peer's close frame (runtimes before web_socket_auto_reply_to_close do not).
      try {
        ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
      } catch {
        // Already answered.
      }
    }
    if (entry === undefined) return RESOLVED;
    // 1005 (no status) and 1006 (dropped) are never on the wire: Tornado's None.
    this._report(entry, code === 1005 || code === 1006 ? null : code, reason === "" ? null : reason);
    return entry.idle();
  }

  /**
   * The runtime's `webSocketError`: the connection failed; `onClose` runs with no code.
   *
   * @example
   * webSocketError(ws, error) { return this.sockets.error(ws, error); }
   */
  error(ws: HibernatableWebSocketLike, error: unknown): Promise<void> {
    genLog.debug("WebSocket error: %s", error instanceof Error ? error.message : String(error));
    const entry = this.entryFor(ws, true);
    if (entry === undefined) return RESOLVED;
    this._report(entry, null, null);
    return entry.idle();
  }

  /** @internal Tells the handler its socket is gone, once, and forgets the socket. */
  _report(entry: SocketEntry, code: number | null, reason: string | null): void {
    if (entry.reported) return;
    entry.reported = true;
    this.#entries.delete(entry.ws);
    entry.events?.close(code, reason);
    if (this.#entries.size === 0 && this.#host.ctx.getWebSockets().every((w) => w === entry.ws || w.readyState !== OPEN)) {
      liveHubs.delete(this);
    }
  }
}

/**
 * The UTF-8 length of `s`, exact up to `limit + 1` (enough to compare with the limit)
 * without encoding short strings.
 */
function utf8Length(s: string, limit: number): number {
  // Each UTF-16 unit is at most 3 bytes of UTF-8.
  if (s.length * 3 <= limit) return s.length;
  return encoder.encode(s).length;
}

/** Refuses, at the handshake, the ping settings and `onPong`, which this host cannot honour. */
function refuseUnsupported(app: Application, request: HTTPServerRequest): void {
  const route = app.findHandler(request);
  if (route === null) return;
  const settings = (route.owner as Application).settings;
  const proto = (route.handlerClass as unknown as { prototype: WebSocketHandler }).prototype;
  const what =
    (settings.websocketPingInterval ?? 0) > 0
      ? "the websocketPingInterval setting"
      : settings.websocketPingTimeout !== undefined
        ? "the websocketPingTimeout setting"
        : proto.onPong !== WebSocketHandler.prototype.onPong
          ? "onPong"
          : null;
  if (what !== null) {
    throw new WebSocketNotSupportedError(
      `${what} is not supported on this host: the Workers runtime answers pings itself and cannot send them (use setWebSocketAutoResponse for a keep-alive)`,
    );
  }
}
