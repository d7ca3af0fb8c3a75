/**
 * The seam between the core's `WebSocketHandler` and a host's WebSocket implementation.
 *
 * The core validates the handshake, runs `prepare()` and picks the subprotocol; the host
 * speaks the wire protocol (framing, masking, permessage-deflate, UTF-8 checks, size
 * limits). A host offers this by giving its `HTTPConnection` an `upgradeWebSocket` method;
 * the Node host does it on the `ws` package, the Workers host on the runtime's sockets.
 * @module
 */

import type { WebSocketHandler } from "./websocket.js";
import type { HTTPConnection } from "./httputil.js";

/**
 * permessage-deflate settings, as Tornado's `get_compression_options()` dict. Returning an
 * object (even an empty one) from `getCompressionOptions` turns compression on.
 */
export interface WebSocketCompressionOptions {
  /** zlib level, 0–9 (default 6, Tornado's `compression_level`). */
  compressionLevel?: number;
  /** zlib memory level, 1–9 (default 8, Tornado's `mem_level`). */
  memLevel?: number;
  /**
   * Messages smaller than this many bytes are sent uncompressed. Tornado compresses every
   * message, so the default is 0.
   */
  threshold?: number;
}

/** Callbacks a transport reports to, in the order the peer's frames arrive. */
export interface WebSocketTransportEvents {
  /** The opening handshake has been sent: the socket is open. */
  open(): void;
  /** A whole message: text as a string, binary as bytes. */
  message(data: string | Uint8Array): void;
  /** A ping from the peer (the transport has already answered it). */
  ping(data: Uint8Array): void;
  /** A pong from the peer. */
  pong(data: Uint8Array): void;
  /**
   * The connection is gone. `code` and `reason` are what the peer's close frame carried,
   * `null` when it carried none or the connection dropped without one.
   */
  close(code: number | null, reason: string | null): void;
}

/** What the core asks of the host when it accepts a WebSocket. */
export interface WebSocketAcceptParams {
  /** The subprotocol the handler selected, sent back in `Sec-WebSocket-Protocol`. */
  readonly subprotocol: string | null;
  /** permessage-deflate settings, or `null` to refuse compression. */
  readonly compression: WebSocketCompressionOptions | null;
  /** Largest incoming message in bytes; a larger one closes the socket with 1009. */
  readonly maxMessageSize: number;
  /** Where the transport reports what happens on the socket. */
  readonly events: WebSocketTransportEvents;
  /**
   * The handler being upgraded, for hosts that must keep what it knows (the Workers host
   * stores its current user with the socket, for after hibernation).
   */
  readonly handler?: WebSocketHandler;
}

/**
 * One accepted WebSocket as the host runs it. Methods never throw for a closed socket:
 * the core checks its own state first and raises `WebSocketClosedError` itself.
 */
export interface WebSocketTransport {
  /**
   * Sends a message. A `Uint8Array` with `binary` false is text already encoded as UTF-8
   * (broadcast encodes once for every recipient). Resolves once the data is handed to the
   * network; rejects when the socket closes first.
   */
  send(data: string | Uint8Array, binary: boolean): Promise<void>;
  /** Sends a ping frame (at most 125 bytes; the core checks). */
  ping(data: Uint8Array): void;
  /**
   * Starts the closing handshake. The host drops the connection if the peer has not
   * answered within a few seconds (5, as Tornado).
   */
  close(code: number | null, reason: string | null): void;
  /** Drops the connection at once, without a closing handshake. */
  abort(): void;
  /** Stops reading from the peer (back-pressure while the handler is busy). */
  pause(): void;
  /** Reads from the peer again. */
  resume(): void;
  /** Turns Nagle's algorithm off (`true`) or on. */
  setNodelay(value: boolean): void;
}

/**
 * The optional part of a host's `HTTPConnection` that accepts WebSockets. The core calls
 * `upgradeWebSocket` first, then finishes the handler with status 101: the host sends the
 * 101 response with the handler's headers (cookies, custom headers) added to its own
 * handshake headers, and reports `open` once the socket is live.
 */
export interface WebSocketUpgradable {
  /**
   * Prepares to accept the WebSocket of this request.
   * @throws {HTTPError} when the host refuses the handshake (e.g. a malformed key); the
   *   handler then answers with that error instead of upgrading.
   */
  upgradeWebSocket(params: WebSocketAcceptParams): WebSocketTransport;
}

/**
 * Whether a host connection can accept WebSockets.
 *
 * @example
 * if (canUpgradeWebSocket(request.connection)) request.connection.upgradeWebSocket(params);
 */
export function canUpgradeWebSocket(connection: HTTPConnection | undefined): connection is HTTPConnection & WebSocketUpgradable {
  return connection !== undefined && typeof (connection as Partial<WebSocketUpgradable>).upgradeWebSocket === "function";
}
