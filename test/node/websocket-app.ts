/**
 * The application and server the WebSocket handler tests share: one handler per behaviour
 * (after Tornado's websocket_test.py), a real HTTPServer on 127.0.0.1 per test file, and
 * the signals through which handlers report what they saw.
 * @module
 */
import { afterAll, beforeAll } from "vitest";
import { Application, HTTPError, RequestHandler } from "../../src/core/index.js";
import { WebSocketClosedError, WebSocketHandler, websocketRooms } from "../../src/core/websocket.js";
import { HTTPServer } from "../../src/node/httpserver.js";
import { closeWebSockets } from "../../src/node/websocket.js";
import { websocketConnect, type WebSocketClientConnection, type WebSocketConnectOptions } from "../../src/node/websocket-client.js";
import { Signal, sleep, within } from "./websocket-helpers.js";

/** [closeCode, closeReason] of every server-side onClose, in order. */
export const serverClosed = new Signal<[number | null, string | null]>();
/** Anything else a handler wants the test to see. */
export const seen = new Signal<unknown>();

class TestHandler extends WebSocketHandler {
  override onClose() {
    serverClosed.push([this.closeCode, this.closeReason]);
  }
}

class EchoHandler extends TestHandler {
  override async onMessage(message: string | Uint8Array) {
    try {
      await this.writeMessage(message, typeof message !== "string");
    } catch (e) {
      if (!(e instanceof WebSocketClosedError)) throw e;
    }
  }
}

class CompressedEchoHandler extends EchoHandler {
  override getCompressionOptions() {
    return {};
  }
}

class PathArgsHandler extends TestHandler {
  override open(arg: string) {
    void this.writeMessage(arg);
  }
}

class RequestAfterUpgradeHandler extends TestHandler {
  override open() {
    const r = this.request;
    let setHeaderError = "";
    try {
      this.setHeader("X-Late", "1");
    } catch (e) {
      setHeaderError = (e as Error).message;
    }
    void this.writeMessage({
      path: r.path,
      upgrade: r.headers.get("Upgrade"),
      remoteIp: r.remoteIp,
      connectionReleased: r.connection === undefined,
      responseHeadersReleased: this.responseHeaders.size === 0,
      setHeaderError,
    });
  }
}

class CloseReasonHandler extends TestHandler {
  override open() {
    this.close(1001, "goodbye");
  }
}

class AsyncOpenHandler extends TestHandler {
  #ready = false;
  override async open() {
    await sleep(50);
    this.#ready = true;
  }
  override onMessage(message: string | Uint8Array) {
    void this.writeMessage(`${String(message)} ready=${this.#ready}`);
  }
}

class OrderedHandler extends TestHandler {
  override async onMessage(message: string | Uint8Array) {
    // The first message takes longest: only strict ordering keeps the replies in order.
    await sleep(message === "1" ? 60 : 5);
    await this.writeMessage(`done ${String(message)}`);
  }
}

class AuthHandler extends TestHandler {
  override prepare() {
    if (this.getCookie("user") === undefined) throw new HTTPError(401);
    this.setHeader("X-Extra-Response-Header", "Extra-Response-Value");
    this.setCookie("seen", "yes");
  }
  override open() {
    void this.writeMessage(`hello ${this.getCookie("user")}`);
  }
}

/** Signed cookies and currentUser, resolved before prepare(), decide the upgrade. */
class CurrentUserHandler extends TestHandler {
  override async getCurrentUser() {
    await sleep(1);
    return this.getSignedCookie("user");
  }
  override prepare() {
    if (!this.currentUser) throw new HTTPError(403);
  }
  override open() {
    void this.writeMessage(`signed in as ${String(this.currentUser)}`);
  }
}

class SlowPrepareHandler extends TestHandler {
  override async prepare() {
    seen.push("preparing");
    await sleep(150);
  }
  override open() {
    seen.push("opened");
  }
}

class HeaderHandler extends TestHandler {
  override open() {
    void this.writeMessage(this.request.headers.get("X-Test", "missing"));
  }
}

class SubprotocolHandler extends TestHandler {
  override selectSubprotocol(protocols: string[]) {
    seen.push(protocols);
    return protocols.includes("goodproto") ? "goodproto" : null;
  }
  override open() {
    void this.writeMessage(`subprotocol=${this.selectedSubprotocol}`);
  }
}

class ErrorInOnMessageHandler extends TestHandler {
  override onMessage(): void {
    throw new Error("boom in onMessage");
  }
}

class ErrorInAsyncOpenHandler extends TestHandler {
  override async open() {
    await sleep(1);
    throw new Error("boom in open");
  }
}

class PingHandler extends TestHandler {
  override get pingInterval() {
    return 0.1;
  }
  override get pingTimeout() {
    return 0.3;
  }
  override onPong() {
    seen.push("pong");
  }
}

class ManualPingHandler extends TestHandler {
  override onPing(data: Uint8Array) {
    this.ping(data);
    void this.writeMessage(`got ping ${Buffer.from(data).toString()}`);
  }
  override onPong(data: Uint8Array) {
    void this.writeMessage(`got pong ${Buffer.from(data).toString()}`);
  }
}

class LimitHandler extends EchoHandler {
  override get maxMessageSize() {
    return 1024;
  }
}

class WriteAfterCloseHandler extends TestHandler {
  override open() {
    this.close();
    try {
      void this.writeMessage("too late");
      seen.push("no error");
    } catch (e) {
      seen.push(e);
    }
  }
}

class NodelayHandler extends TestHandler {
  override open() {
    this.setNodelay(true);
    void this.writeMessage("hello");
  }
}

class JsonHandler extends TestHandler {
  override onMessage(message: string | Uint8Array) {
    void this.writeMessage({ got: String(message), tag: "</script>" });
  }
}

class PlainHandler extends RequestHandler {
  override get() {
    this.write("plain page");
  }
}

class RoomHandler extends TestHandler {
  #room = "";
  override open(room: string) {
    this.#room = room;
    this.join(room);
    void this.writeMessage(`joined ${room} (${this.roomRegistry.size(room)})`);
  }
  override onMessage(message: string | Uint8Array) {
    if (message === "/part") {
      this.leave(this.#room);
      void this.writeMessage(`left ${this.#room}`);
      return;
    }
    const sent = this.broadcast(this.#room, { from: this.getQueryArgument("name"), text: String(message) }, { except: this });
    void this.writeMessage(`sent to ${sent}`);
  }
}

class NoticeHandler extends RequestHandler {
  override post(room: string) {
    this.write({ sent: websocketRooms(this.application).broadcast(room, "notice from HTTP") });
  }
}

export const SECRET = "websocket test secret";

/** The running server of one test file. */
export interface WebSocketTestServer {
  server: HTTPServer;
  port: number;
  base: string;
  connect(path: string, options?: WebSocketConnectOptions): Promise<WebSocketClientConnection>;
}

/** Starts the test application before the file's tests and stops it after them. */
export function useWebSocketServer(): WebSocketTestServer {
  const t: WebSocketTestServer = {
    server: undefined as unknown as HTTPServer,
    port: 0,
    base: "",
    connect: (path, options = {}) => within(websocketConnect(t.base + path, options), 5000, `connect ${path}`),
  };
  beforeAll(async () => {
    const app = new Application([
      ["/echo", EchoHandler],
      ["/compressed", CompressedEchoHandler],
      ["/path_args/(.*)", PathArgsHandler],
      ["/close_reason", CloseReasonHandler],
      ["/request_after_upgrade", RequestAfterUpgradeHandler],
      ["/async_open", AsyncOpenHandler],
      ["/ordered", OrderedHandler],
      ["/auth", AuthHandler],
      ["/header", HeaderHandler],
      ["/current_user", CurrentUserHandler],
      ["/slow_prepare", SlowPrepareHandler],
      ["/subprotocol", SubprotocolHandler],
      ["/error_in_on_message", ErrorInOnMessageHandler],
      ["/error_in_async_open", ErrorInAsyncOpenHandler],
      ["/ping", PingHandler],
      ["/manual_ping", ManualPingHandler],
      ["/limit", LimitHandler],
      ["/write_after_close", WriteAfterCloseHandler],
      ["/nodelay", NodelayHandler],
      ["/json", JsonHandler],
      ["/plain", PlainHandler],
      ["/room/(\\w+)", RoomHandler],
      ["/notice/(\\w+)", NoticeHandler],
    ], { cookieSecret: SECRET });
    t.server = new HTTPServer(app);
    await t.server.listen(0, "127.0.0.1");
    t.port = t.server.address()!.port;
    t.base = `ws://127.0.0.1:${t.port}`;
  });
  afterAll(async () => {
    closeWebSockets(t.server);
    t.server.closeAllConnections();
    await within(t.server.stop(), 8000, "server stop");
  });
  return t;
}
