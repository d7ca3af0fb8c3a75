/**
 * A stateful WebSocket room app for the behaviour suites, mounted under /ws/ by app.ts.
 * On Node every room lives in the process; on Workers each room runs in its own Durable
 * Object with hibernating sockets, so the same handler code is exercised across eviction.
 *
 * The socket speaks a small text protocol: `/nick NAME`, `/join ROOM`, `/leave ROOM`,
 * `/rooms`, `/who`, `/count`, `/pad N`, `/ping`, `/close CODE REASON`, `/throw`,
 * `/remind SECONDS TEXT` (a timer on the object's alarm: edge only); any other
 * text is broadcast to the room as `{type: "msg"}`; binary messages are echoed.
 */
import { Application, stateful, WebSocketHandler } from "../../src/core/index.js";
import { objectTimers } from "../../src/edge/timers.js";
import { isRebuiltSocket } from "../../src/edge/websocket.js";
import { keepSocketState, socketState } from "../../src/edge/websocket-rooms.js";

/** The largest message the room sockets accept (bytes). */
export const WS_APP_MAX_MESSAGE = 64 * 1024;

interface Kept {
  nick: string;
  pad?: string;
}

@stateful((_request, [room]) => `ws:${room!}`)
class RoomSocket extends WebSocketHandler {
  declare room: string;
  /** In memory only: gone when the object is evicted. */
  seen = 0;
  /** Set by initialize(), which runs for every instance, rebuilt ones included. */
  initialized = false;

  override initialize() {
    this.initialized = true;
  }

  override getCurrentUser(): unknown {
    return this.request.headers.get("X-User") ?? null;
  }

  override open(room: string) {
    this.room = room;
    keepSocketState(this, { nick: "anon" } satisfies Kept);
    this.join(room);
  }

  get #kept(): Kept {
    return socketState<Kept>(this) ?? { nick: "?" };
  }

  override async onMessage(message: string | Uint8Array) {
    this.seen++;
    const room = this.pathArgs[0]!;
    if (typeof message !== "string") {
      await this.writeMessage(message, true);
      return;
    }
    const [command, ...rest] = message.split(" ");
    const arg = rest.join(" ");
    switch (command) {
      case "/nick":
        keepSocketState(this, { ...this.#kept, nick: arg });
        await this.writeMessage({ type: "nick", nick: arg });
        return;
      case "/join":
        this.join(arg);
        await this.writeMessage({ type: "rooms", rooms: this.rooms });
        return;
      case "/leave":
        this.leave(arg);
        await this.writeMessage({ type: "rooms", rooms: this.rooms });
        return;
      case "/rooms":
        await this.writeMessage({ type: "rooms", rooms: this.rooms });
        return;
      case "/count":
        await this.writeMessage({ type: "count", count: this.roomRegistry.size(arg || room) });
        return;
      case "/who":
        await this.writeMessage({
          type: "who",
          user: this.currentUser as string | null,
          room,
          nick: this.#kept.nick,
          seen: this.seen,
          initialized: this.initialized,
          rebuilt: isRebuiltSocket(this),
        });
        return;
      case "/pad":
        try {
          keepSocketState(this, { ...this.#kept, pad: "x".repeat(Number(arg)) });
          await this.writeMessage({ type: "padded", length: Number(arg) });
        } catch (e) {
          const err = e as Error & { size?: number; limit?: number };
          await this.writeMessage({ type: "error", name: err.name, size: err.size ?? null, limit: err.limit ?? null });
        }
        return;
      case "/ping":
        try {
          this.ping("x");
          await this.writeMessage({ type: "pinged" });
        } catch (e) {
          await this.writeMessage({ type: "error", name: (e as Error).name, message: (e as Error).message });
        }
        return;
      case "/close":
        this.close(Number(rest[0]), rest.slice(1).join(" "));
        return;
      case "/remind":
        try {
          const h = objectTimers(this).callLater(Number(rest[0]), (text: string) => this.broadcast(room, { type: "reminder", text }), rest.slice(1).join(" "));
          await this.writeMessage({ type: "scheduled", deadline: h.deadline });
        } catch (e) {
          await this.writeMessage({ type: "error", name: (e as Error).name });
        }
        return;
      case "/throw":
        throw new Error("onMessage failed on purpose");
      default:
        this.broadcast(room, { type: "msg", from: this.#kept.nick, text: message });
    }
  }

  override onClose() {
    this.broadcast(this.pathArgs[0]!, { type: "gone", nick: this.#kept.nick, code: this.closeCode, reason: this.closeReason });
  }
}

/** A handler this host may refuse: it wants pongs. */
@stateful("ws-pong")
class PongSocket extends WebSocketHandler {
  override onMessage(message: string | Uint8Array) {
    return this.writeMessage(message);
  }
  override onPong() {}
}

/** An echo socket under an application with keep-alive pings. */
@stateful("ws-beat")
class BeatSocket extends WebSocketHandler {
  override onMessage(message: string | Uint8Array) {
    return this.writeMessage(message);
  }
}

/** The WebSocket application, mounted under /ws/. */
export function makeWebSocketApp(): Application {
  return new Application(
    [
      ["/ws/room/(\\w+)", RoomSocket],
      ["/ws/pong", PongSocket],
      ["/ws/beat", new Application([["/ws/beat", BeatSocket]], { websocketPingInterval: 30 })],
    ],
    { websocketMaxMessageSize: WS_APP_MAX_MESSAGE },
  );
}
