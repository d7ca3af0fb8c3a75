/**
 * Cyclone's chat demo: Tornado's chat, with rooms, on both hosts from one set of handlers.
 *
 * Sign in with a name (a signed cookie), join a room (`/room/<name>`), and talk. New
 * messages reach browsers over a WebSocket, or by long polling for clients that ask for it
 * (`?transport=poll`) or whose WebSocket fails. Each room keeps its last 200 messages in
 * its storage; a client that reconnects asks for what came after the last message it saw.
 * On Workers every room is a Durable Object (the handlers are `@stateful` by room name).
 */
import {
  Application,
  type ApplicationSettings,
  authenticated,
  HTTPError,
  RequestHandler,
  stateful,
  UIModule,
  url,
  WebSocketHandler,
  websocketRooms,
} from "cyclone";
import { type ChatMessage, room } from "./messages.js";

const ROOM_NAME = /^[A-Za-z0-9_-]{1,40}$/;
const MAX_MESSAGE = 2000;
const byRoom = (_request: unknown, [name]: readonly string[]) => name!;

/** Who is signed in: the signed `user` cookie. */
class BaseHandler extends RequestHandler {
  override getCurrentUser(): string | null {
    return this.getSignedCookie("user");
  }

  /** The room named in the path, checked. */
  roomName(name: string): string {
    if (!ROOM_NAME.test(name)) throw new HTTPError(404);
    return name;
  }

  /**
   * `next` from a form or a link when it is a path on this site, else `fallback`. Browsers
   * read `/\host`, `/<tab>/host` and a path that normalizes to `//host` as another site, so
   * the path is checked after parsing it as they do: never an open redirect.
   */
  localPath(next: string, fallback: string): string {
    const base = "http://chat.invalid";
    let url: URL;
    try {
      url = new URL(next, base);
    } catch {
      return fallback;
    }
    if (!next.startsWith("/") || url.origin !== base || url.pathname.startsWith("//")) return fallback;
    return url.pathname + url.search + url.hash;
  }

  /** The JSON a client gets for a message, with its HTML rendered by the Message module. */
  messageJson(message: ChatMessage): Record<string, unknown> {
    return { ...message, html: this.renderString("message.html", { message }) };
  }
}

class HomeHandler extends BaseHandler {
  override get() {
    this.redirect(this.reverseUrl("room", "lobby"));
  }
}

class LoginHandler extends BaseHandler {
  override get() {
    return this.render("login.html", { next: this.getArgument("next", "/"), error: null });
  }
  override post() {
    const name = this.getArgument("name", "").slice(0, 40);
    const next = this.getArgument("next", "/");
    if (!name) return this.render("login.html", { next, error: "Please choose a name." });
    this.setSignedCookie("user", name, { httpOnly: true, sameSite: "Lax" });
    this.redirect(this.localPath(next, "/"));
  }
}

class LogoutHandler extends BaseHandler {
  override post() {
    this.clearCookie("user");
    this.redirect(this.reverseUrl("login"));
  }
}

/** The room's page, with its history. */
@stateful(byRoom)
class RoomHandler extends BaseHandler {
  @authenticated
  override async get(name: string) {
    const r = room(this.roomName(name));
    await r.load(this.storage);
    return this.render("room.html", {
      room: r.name,
      messages: r.messages,
      cursor: r.messages[r.messages.length - 1]?.seq ?? 0,
      epoch: r.epoch,
    });
  }
}

/** A new message, from a form or a script (XSRF-checked). */
@stateful(byRoom)
class MessageNewHandler extends BaseHandler {
  @authenticated
  override async post(name: string) {
    const body = this.getArgument("body").slice(0, MAX_MESSAGE);
    if (!body) throw new HTTPError(400, "empty message");
    const r = room(this.roomName(name));
    const message = await r.add(this.storage, String(this.currentUser), body);
    const json = this.messageJson(message);
    websocketRooms(this.application).broadcast(`room:${r.name}`, { type: "message", message: json });
    const next = this.getArgument("next", null);
    if (next !== null) this.redirect(this.localPath(next, this.reverseUrl("room", r.name)));
    else this.write(json);
  }
}

/** Long polling: answers at once with messages after `cursor`, else waits for the next. */
@stateful(byRoom)
class MessageUpdatesHandler extends BaseHandler {
  #gone = false;

  @authenticated
  override async post(name: string) {
    const r = room(this.roomName(name));
    await r.load(this.storage);
    const cursor = Number(this.getArgument("cursor", "0")) || 0;
    const epoch = this.getArgument("epoch", "");
    let messages = r.since(cursor, epoch);
    // Wait in slices, so a client that left is noticed and its waiter released.
    for (let waited = 0; messages.length === 0 && waited < 25_000 && !this.#gone; waited += 5_000) {
      await r.condition.wait(5_000);
      messages = r.since(cursor, epoch);
    }
    if (this.#gone) return;
    this.write({ messages: messages.map((m) => this.messageJson(m)) });
  }

  override onConnectionClose() {
    this.#gone = true;
  }
}

/** The WebSocket: new messages pushed as they come; messages sent by the client are posted. */
@stateful(byRoom)
class RoomSocketHandler extends WebSocketHandler {
  name = "";

  override getCurrentUser(): string | null {
    return this.getSignedCookie("user");
  }

  override prepare() {
    if (!this.currentUser) throw new HTTPError(401);
  }

  override async open(name: string) {
    if (!ROOM_NAME.test(name)) {
      this.close(1008, "no such room");
      return;
    }
    this.name = name;
    const r = room(name);
    await r.load(this.storage);
    this.join(`room:${name}`);
    // Catch up: everything after the last message this client saw.
    const cursor = Number(this.getArgument("cursor", "0")) || 0;
    const missed = r.since(cursor, this.getArgument("epoch", ""));
    if (missed.length) await this.writeMessage({ type: "history", messages: missed.map((m) => this.#json(m)) });
  }

  override async onMessage(raw: string | Uint8Array) {
    if (typeof raw !== "string") return;
    let body = "";
    try {
      body = String((JSON.parse(raw) as { body?: unknown }).body ?? "").slice(0, MAX_MESSAGE);
    } catch {
      return;
    }
    if (!body) return;
    const message = await room(this.name).add(this.storage, String(this.currentUser), body);
    this.broadcast(`room:${this.name}`, { type: "message", message: this.#json(message) });
  }

  #json(message: ChatMessage): Record<string, unknown> {
    return { ...message, html: this.renderString("message.html", { message }) };
  }
}

/** `{% module Message(message) %}`: one message, as the page and the scripts show it. */
class MessageModule extends UIModule {
  override render(message: unknown) {
    return this.renderString("message.html", { message });
  }
}

/** Builds the chat application; each host passes where templates and static files come from. */
export function makeChatApp(settings: ApplicationSettings): Application {
  return new Application(
    [
      url("/", HomeHandler, {}, "home"),
      url("/auth/login", LoginHandler, {}, "login"),
      url("/auth/logout", LogoutHandler, {}, "logout"),
      url("/room/([A-Za-z0-9_-]+)", RoomHandler, {}, "room"),
      url("/room/([A-Za-z0-9_-]+)/message/new", MessageNewHandler, {}, "message-new"),
      url("/room/([A-Za-z0-9_-]+)/message/updates", MessageUpdatesHandler, {}, "message-updates"),
      url("/room/([A-Za-z0-9_-]+)/socket", RoomSocketHandler, {}, "socket"),
    ],
    {
      loginUrl: "/auth/login",
      xsrfCookies: true,
      uiModules: { Message: MessageModule },
      ...settings,
    },
  );
}
