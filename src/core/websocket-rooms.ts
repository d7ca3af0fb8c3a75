/**
 * Rooms and broadcast for WebSockets — beyond Tornado: a named group of open sockets, and
 * one call that sends a message to all of them.
 *
 * The API is an interface so each host can keep rooms where its sockets live: in memory on
 * Node (this module's `InMemoryWebSocketRooms`), in Durable Objects at the edge. An
 * application uses the in-memory rooms unless its `websocketRooms` setting names another.
 * @module
 */

import type { Application } from "./application.js";
import { jsonEncode } from "./escape-json.js";
import type { WebSocketHandler, WebSocketMessage } from "./websocket.js";

/** Options of a broadcast. */
export interface BroadcastOptions {
  /** Send as a binary message (text is sent as UTF-8 bytes). Default false. */
  binary?: boolean;
  /** A member that must not get the message, typically the sender. */
  except?: WebSocketHandler | null;
}

/**
 * Where an application keeps its rooms. Membership ends by itself when a socket closes.
 *
 * @example
 * const rooms = websocketRooms(app);
 * rooms.broadcast("lobby", { type: "notice", text: "Restarting in 5 minutes" });
 */
export interface WebSocketRooms {
  /** Adds an open socket to `room` (no-op if it is in already). */
  join(room: string, member: WebSocketHandler): void;
  /** Removes a socket from `room` (no-op if it is not in it). */
  leave(room: string, member: WebSocketHandler): void;
  /** Removes a socket from every room (done on close). */
  leaveAll(member: WebSocketHandler): void;
  /** The rooms a socket is in. */
  roomsOf(member: WebSocketHandler): string[];
  /** The sockets in `room`, as a snapshot. */
  members(room: string): WebSocketHandler[];
  /** How many sockets are in `room`. */
  size(room: string): number;
  /**
   * Sends `message` to every open socket in `room` (objects as JSON), encoding it once.
   * Sockets that are closing are skipped. Returns how many sockets it was sent to.
   */
  broadcast(room: string, message: WebSocketMessage, options?: BroadcastOptions): number;
}

const encoder = new TextEncoder();

/**
 * Encodes a message once for many recipients: text and JSON become UTF-8 bytes, so every
 * socket gets the same buffer instead of encoding the string again.
 * @internal
 */
export function prepareMessage(message: WebSocketMessage): Uint8Array {
  if (typeof message === "string") return encoder.encode(message);
  if (message instanceof Uint8Array) return message;
  return encoder.encode(encodeJsonMessage(message));
}

/**
 * JSON for `writeMessage`: plain objects only, as Tornado accepts dicts only.
 * @throws {TypeError} for arrays and other values.
 * @internal
 */
export function encodeJsonMessage(message: unknown): string {
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    const kind = Array.isArray(message) ? "array" : message === null ? "null" : typeof message;
    throw new TypeError(`Expected bytes, unicode, or dict; got ${kind}`);
  }
  return jsonEncode(message);
}

/**
 * Rooms kept in this process's memory: the default on Node.
 *
 * @example
 * new Application(rules, { websocketRooms: new InMemoryWebSocketRooms() });
 */
export class InMemoryWebSocketRooms implements WebSocketRooms {
  readonly #rooms = new Map<string, Set<WebSocketHandler>>();
  // A member in one room (the usual case) maps to the room's name; only a member of
  // several gets a Set: at tens of thousands of sockets a Set each is measurable memory.
  readonly #memberRooms = new WeakMap<WebSocketHandler, string | Set<string>>();

  join(room: string, member: WebSocketHandler): void {
    let set = this.#rooms.get(room);
    if (set === undefined) this.#rooms.set(room, (set = new Set()));
    set.add(member);
    const mine = this.#memberRooms.get(member);
    if (mine === undefined) this.#memberRooms.set(member, room);
    else if (typeof mine === "string") {
      if (mine !== room) this.#memberRooms.set(member, new Set([mine, room]));
    } else mine.add(room);
  }

  leave(room: string, member: WebSocketHandler): void {
    const set = this.#rooms.get(room);
    if (set !== undefined && set.delete(member) && set.size === 0) this.#rooms.delete(room);
    const mine = this.#memberRooms.get(member);
    if (mine === room) this.#memberRooms.delete(member);
    else if (typeof mine === "object") mine.delete(room);
  }

  leaveAll(member: WebSocketHandler): void {
    const mine = this.#memberRooms.get(member);
    if (mine === undefined) return;
    for (const room of typeof mine === "string" ? [mine] : mine) {
      const set = this.#rooms.get(room);
      if (set !== undefined && set.delete(member) && set.size === 0) this.#rooms.delete(room);
    }
    this.#memberRooms.delete(member);
  }

  roomsOf(member: WebSocketHandler): string[] {
    const mine = this.#memberRooms.get(member);
    return mine === undefined ? [] : typeof mine === "string" ? [mine] : [...mine];
  }

  members(room: string): WebSocketHandler[] {
    const set = this.#rooms.get(room);
    return set === undefined ? [] : [...set];
  }

  size(room: string): number {
    return this.#rooms.get(room)?.size ?? 0;
  }

  broadcast(room: string, message: WebSocketMessage, options: BroadcastOptions = {}): number {
    const set = this.#rooms.get(room);
    if (set === undefined) return 0;
    const data = prepareMessage(message);
    const binary = options.binary ?? false;
    const except = options.except ?? null;
    let sent = 0;
    for (const member of set) {
      if (member !== except && member._sendPrepared(data, binary)) sent++;
    }
    return sent;
  }
}

const defaultRooms = new WeakMap<Application, WebSocketRooms>();

/**
 * The rooms of an application: its `websocketRooms` setting, or in-memory rooms made on
 * first use. Lets code outside a WebSocket handler (a POST handler, a timer) broadcast.
 *
 * @example
 * class PostHandler extends RequestHandler {
 *   post() {
 *     websocketRooms(this.application).broadcast("chat", { text: this.getArgument("text") });
 *   }
 * }
 */
export function websocketRooms(application: Application): WebSocketRooms {
  const configured = application.settings.websocketRooms;
  if (configured !== undefined) return configured;
  let rooms = defaultRooms.get(application);
  if (rooms === undefined) defaultRooms.set(application, (rooms = new InMemoryWebSocketRooms()));
  return rooms;
}
