/**
 * Rooms for hibernating WebSockets, and the state a socket keeps through hibernation.
 *
 * The runtime fixes a socket's tags when it is accepted, so membership cannot live in
 * tags: `join`/`leave` write the socket's attachment, and a broadcast walks
 * `ctx.getWebSockets()` and sends to the sockets whose attachment names the room — without
 * rebuilding their handlers. A room lives in one object: a broadcast reaches the sockets
 * of the object the code runs in (the runtime lets no object write to another's sockets),
 * so name a room after the state key that owns it (the chat room's name), and reach
 * another room by a request to its key. Members that are not hibernating sockets (none at
 * the edge today) fall back to in-memory rooms.
 *
 * `keepSocketState(this, state)` stores JSON state in the socket; `socketState(this)` reads
 * it back, also after the object was evicted and the handler rebuilt. Off the edge (Node)
 * the same calls keep the state in memory, so handler code runs unchanged on both hosts.
 * @module
 */

import { Application } from "../core/application.js";
import {
  type BroadcastOptions,
  InMemoryWebSocketRooms,
  type WebSocketHandler,
  type WebSocketMessage,
  type WebSocketRooms,
} from "../core/websocket.js";
import { prepareMessage } from "../core/websocket-rooms.js";
import { roomSockets, socketEntryOf } from "./websocket.js";

const decoder = new TextDecoder();

/**
 * Rooms over the attachments of hibernating sockets. The Workers host installs one for
 * every application whose `websocketRooms` setting is unset.
 *
 * @example
 * new Application(rules, { websocketRooms: new HibernatingWebSocketRooms() });
 */
export class HibernatingWebSocketRooms implements WebSocketRooms {
  readonly #fallback = new InMemoryWebSocketRooms();

  join(room: string, member: WebSocketHandler): void {
    const e = socketEntryOf(member);
    if (e === undefined) return this.#fallback.join(room, member);
    if (e.attachment.rooms.includes(room)) return;
    e.update({ ...e.attachment, rooms: [...e.attachment.rooms, room] });
  }

  leave(room: string, member: WebSocketHandler): void {
    const e = socketEntryOf(member);
    if (e === undefined) return this.#fallback.leave(room, member);
    if (!e.attachment.rooms.includes(room)) return;
    e.update({ ...e.attachment, rooms: e.attachment.rooms.filter((r) => r !== room) });
  }

  leaveAll(member: WebSocketHandler): void {
    const e = socketEntryOf(member);
    if (e === undefined) return this.#fallback.leaveAll(member);
    if (e.attachment.rooms.length > 0) e.update({ ...e.attachment, rooms: [] });
  }

  roomsOf(member: WebSocketHandler): string[] {
    const e = socketEntryOf(member);
    return e === undefined ? this.#fallback.roomsOf(member) : [...e.attachment.rooms];
  }

  /** The handlers of the room's sockets, rebuilding those this object no longer holds. */
  members(room: string): WebSocketHandler[] {
    const out = this.#fallback.members(room);
    for (const { ws, hub } of roomSockets(room)) {
      const h = hub.entryFor(ws)?.handler;
      if (h !== undefined) out.push(h);
    }
    return out;
  }

  size(room: string): number {
    return this.#fallback.size(room) + roomSockets(room).length;
  }

  broadcast(room: string, message: WebSocketMessage, options: BroadcastOptions = {}): number {
    let sent = this.#fallback.broadcast(room, message, options);
    const data = prepareMessage(message);
    const binary = options.binary ?? false;
    // The runtime sends a string as text and bytes as binary: decode text once for all.
    const payload: string | Uint8Array = binary ? data : decoder.decode(data);
    const except = options.except ? socketEntryOf(options.except)?.ws : undefined;
    for (const { ws } of roomSockets(room)) {
      if (ws === except) continue;
      try {
        ws.send(payload);
        sent++;
      } catch {
        // Closed since, or another object's socket: not a recipient.
      }
    }
    return sent;
  }
}

const sharedRooms = new HibernatingWebSocketRooms();

/**
 * Makes `app` and the applications nested in its rules keep their rooms in hibernating
 * sockets, unless their `websocketRooms` setting names other rooms. The Workers host calls
 * it when it registers the application, so a broadcast from any handler (a POST, a timer)
 * reaches the sockets even before one of them is rebuilt.
 * @internal
 */
export function useHibernatingRooms(app: Application, seen: Set<unknown> = new Set()): void {
  if (seen.has(app)) return;
  seen.add(app);
  if (app.settings.websocketRooms === undefined) app.settings.websocketRooms = sharedRooms;
  const visit = (target: unknown): void => {
    if (typeof target !== "object" || target === null || seen.has(target)) return;
    if (target instanceof Application) {
      useHibernatingRooms(target, seen);
      return;
    }
    seen.add(target);
    const rules = (target as { rules?: unknown }).rules;
    if (Array.isArray(rules)) for (const r of rules) visit((r as { target?: unknown }).target);
  };
  visit(app.defaultRouter);
}

const memoryState = new WeakMap<WebSocketHandler, unknown>();

/**
 * Keeps `state` with the handler's socket: at the edge in its attachment, so it survives
 * the object's eviction and is there for the rebuilt handler; elsewhere in memory.
 * `state` must be JSON (see `MAX_ATTACHMENT_BYTES` for the size).
 * @throws {WebSocketAttachmentTooLargeError} when the attachment would be too large; the
 *   previous state stays.
 * @throws {TypeError} when `state` is not JSON-serializable.
 *
 * @example
 * override onMessage(text: string) { if (text.startsWith("/nick ")) keepSocketState(this, { nick: text.slice(6) }); }
 */
export function keepSocketState(handler: WebSocketHandler, state: unknown): void {
  const e = socketEntryOf(handler);
  if (e === undefined) {
    memoryState.set(handler, structuredClone(state));
    return;
  }
  // Round-trip through JSON now, so the live handler sees what a rebuilt one will.
  const json = JSON.parse(JSON.stringify(state ?? null)) as unknown;
  e.update({ ...e.attachment, hasState: true, state: json });
}

/**
 * The state last kept with {@link keepSocketState}, or `undefined`.
 *
 * @example
 * const nick = socketState<{ nick: string }>(this)?.nick ?? "anonymous";
 */
export function socketState<T = unknown>(handler: WebSocketHandler): T | undefined {
  const e = socketEntryOf(handler);
  if (e === undefined) return structuredClone(memoryState.get(handler)) as T | undefined;
  return e.attachment.hasState ? (structuredClone(e.attachment.state) as T) : undefined;
}
