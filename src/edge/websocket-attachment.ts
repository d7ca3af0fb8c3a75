/**
 * What a hibernating WebSocket keeps in its attachment, and the platform limits around it.
 *
 * The Workers runtime keeps one small value per accepted socket (`serializeAttachment`)
 * while the Durable Object is evicted; it is all that is left of the connection's state
 * when the object wakes. Cyclone stores there what it needs to rebuild the socket's
 * handler: the request line (the route, hence the path arguments), the client address,
 * the selected subprotocol, the current user, the rooms the socket joined, and the state
 * the handler chose to keep (`keepSocketState`).
 *
 * The attachment is stored as UTF-8 JSON bytes, so its size is exact and known before the
 * runtime sees it: the platform caps a serialized attachment at 16,384 bytes (Cloudflare's
 * WebSocket docs, checked 2026; workerd 1.20260329 enforces the same number), and Cyclone
 * keeps a 64-byte margin for the runtime's envelope, leaving {@link MAX_ATTACHMENT_BYTES}
 * (16,320) bytes of JSON. Kept state must therefore be JSON: plain objects, arrays,
 * strings, finite numbers, booleans and `null`.
 * @module
 */

import { WebSocketError } from "../core/websocket.js";

/** The runtime's cap on one socket's serialized attachment, in bytes. */
export const PLATFORM_ATTACHMENT_LIMIT = 16_384;

/** Bytes of JSON an attachment may hold: the platform's cap less a 64-byte envelope margin. */
export const MAX_ATTACHMENT_BYTES = PLATFORM_ATTACHMENT_LIMIT - 64;

/**
 * The runtime's cap on one incoming WebSocket message: 32 MiB (Durable Objects limits,
 * checked 2026). A larger message closes the socket with 1009 before Cyclone sees it.
 */
export const PLATFORM_MAX_MESSAGE_SIZE = 32 * 1024 * 1024;

/**
 * The largest incoming message a socket accepts at the edge: the smaller of the handler's
 * `maxMessageSize` (the `websocketMaxMessageSize` setting, default 10 MiB) and the
 * platform's {@link PLATFORM_MAX_MESSAGE_SIZE}. A message above it closes the socket with
 * 1009, as on Node.
 *
 * @example
 * effectiveMaxMessageSize(64 * 1024 * 1024); // 33554432: the platform's cap wins
 */
export function effectiveMaxMessageSize(setting: number): number {
  return Math.min(setting, PLATFORM_MAX_MESSAGE_SIZE);
}

/**
 * Raised when a socket's attachment would exceed {@link MAX_ATTACHMENT_BYTES}: the state
 * being kept (or the rooms being joined) is refused and the previous attachment stays.
 * Keep large state in `handler.storage` and only its key in the socket.
 *
 * @example
 * try { keepSocketState(this, big); } catch (e) { if (e instanceof WebSocketAttachmentTooLargeError) await this.storage.put(key, big); }
 */
export class WebSocketAttachmentTooLargeError extends WebSocketError {
  override name = "WebSocketAttachmentTooLargeError";
  /** The size the attachment would have had, in bytes of JSON. */
  readonly size: number;
  /** The largest size allowed ({@link MAX_ATTACHMENT_BYTES}). */
  readonly limit: number;
  constructor(size: number, limit: number = MAX_ATTACHMENT_BYTES) {
    super(`WebSocket attachment would be ${size} bytes; a hibernating socket keeps at most ${limit} (keep larger state in storage)`);
    this.size = size;
    this.limit = limit;
  }
}

/**
 * Raised by what the Workers runtime cannot do for a WebSocket: it answers protocol pings
 * itself and gives a Worker no way to send one, so `ping()`, an `onPong` override and the
 * `websocketPingInterval`/`websocketPingTimeout` settings raise this at the edge. For an
 * app-level keep-alive, use `CycloneDurableObject.setWebSocketAutoResponse`.
 *
 * @example
 * try { this.ping(); } catch (e) { if (e instanceof WebSocketNotSupportedError) this.writeMessage("ping"); }
 */
export class WebSocketNotSupportedError extends WebSocketError {
  override name = "WebSocketNotSupportedError";
}

/** One socket's attachment, as Cyclone stores it. */
export interface SocketAttachment {
  /** Format version. */
  v: 1;
  /** The handshake's request URI (path and query): routing it again gives the handler and its path arguments. */
  uri: string;
  host: string;
  protocol: string;
  remoteIp: string;
  subprotocol: string | null;
  /** Whether `user` holds the captured `currentUser` (it may legitimately be `null`). */
  hasUser: boolean;
  user?: unknown;
  /** The rooms the socket is in. */
  rooms: string[];
  /** Whether `state` holds state the handler kept. */
  hasState: boolean;
  state?: unknown;
  /** The server started the closing handshake. */
  closing: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The bytes stored for `attachment`.
 * @throws {WebSocketAttachmentTooLargeError} above {@link MAX_ATTACHMENT_BYTES}.
 * @throws {TypeError} when kept state is not JSON (a BigInt, a cycle).
 * @internal
 */
export function encodeAttachment(attachment: SocketAttachment): Uint8Array {
  const bytes = encoder.encode(JSON.stringify(attachment));
  if (bytes.length > MAX_ATTACHMENT_BYTES) throw new WebSocketAttachmentTooLargeError(bytes.length);
  return bytes;
}

/**
 * The attachment stored by {@link encodeAttachment}, or `null` for a socket Cyclone did not
 * accept (or whose attachment is unreadable).
 * @internal
 */
export function decodeAttachment(raw: unknown): SocketAttachment | null {
  if (!(raw instanceof Uint8Array) && !(raw instanceof ArrayBuffer)) return null;
  try {
    const a = JSON.parse(decoder.decode(raw)) as SocketAttachment;
    return a !== null && typeof a === "object" && a.v === 1 ? a : null;
  } catch {
    return null;
  }
}
