/**
 * WebSocketHandler on the Node host: a real HTTPServer on 127.0.0.1, real clients
 * (`websocketConnect` on `ws`, raw `net` for handshakes), cases after Tornado's
 * websocket_test.py.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Application, createSignedValue, HTTPClientError, HTTPError, RequestHandler } from "../../src/core/index.js";
import { appLog, genLog } from "../../src/core/log.js";
import { WebSocketClosedError, WebSocketError, WebSocketHandler, websocketRooms } from "../../src/core/websocket.js";
import { HTTPServer } from "../../src/node/httpserver.js";
import { closeWebSockets, openWebSocketCount } from "../../src/node/websocket.js";
import { websocketConnect, type WebSocketConnectOptions } from "../../src/node/websocket-client.js";
import { captureLog } from "./tcp-helpers.js";
import { bodyOf, rawExchange, Signal, sleep, statusOf, upgradeRequest, within } from "./websocket-helpers.js";

/** [closeCode, closeReason] of every server-side onClose, in order. */
const serverClosed = new Signal<[number | null, string | null]>();
/** Anything else a handler wants the test to see. */
const seen = new Signal<unknown>();

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

const SECRET = "websocket test secret";
let app: Application;
let server: HTTPServer;
let port = 0;
let base = "";

beforeAll(async () => {
  app = new Application([
    ["/echo", EchoHandler],
    ["/compressed", CompressedEchoHandler],
    ["/path_args/(.*)", PathArgsHandler],
    ["/close_reason", CloseReasonHandler],
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
  server = new HTTPServer(app);
  await server.listen(0, "127.0.0.1");
  port = server.address()!.port;
  base = `ws://127.0.0.1:${port}`;
});

afterAll(async () => {
  closeWebSockets(server);
  server.closeAllConnections();
  await within(server.stop(), 8000, "server stop");
});

function connect(path: string, options: WebSocketConnectOptions = {}) {
  return within(websocketConnect(base + path, options), 5000, `connect ${path}`);
}

describe("handshake", () => {
  test("a plain GET to a WebSocket route is 400 with Tornado's message", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/echo`);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('Can "Upgrade" only to "WebSocket".');
  });

  test("an Upgrade without Connection: Upgrade is 400", async () => {
    const answer = await rawExchange(port, upgradeRequest("/echo", port, { Connection: "keep-alive" }).replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"));
    expect(statusOf(answer)).toBe(400);
    expect(bodyOf(answer)).toBe('"Connection" must be "Upgrade".');
  });

  test("a missing Sec-WebSocket-Key is 400", async () => {
    const answer = await rawExchange(port, upgradeRequest("/echo", port, { "Sec-WebSocket-Key": "" }));
    expect(statusOf(answer)).toBe(400);
    expect(bodyOf(answer)).toBe("Missing/Invalid WebSocket headers");
  });

  test("a malformed Sec-WebSocket-Key is 400, logged as a warning", async () => {
    const log = captureLog(genLog);
    try {
      const answer = await rawExchange(port, upgradeRequest("/echo", port, { "Sec-WebSocket-Key": "short" }));
      expect(statusOf(answer)).toBe(400);
      expect(log.messages()).toContain("400 GET /echo (127.0.0.1): Invalid Sec-WebSocket-Key header");
    } finally {
      log.stop();
    }
  });

  test("an unknown protocol version is 426 naming the versions served", async () => {
    const answer = await rawExchange(port, upgradeRequest("/echo", port, { "Sec-WebSocket-Version": "12" }));
    expect(statusOf(answer)).toBe(426);
    expect(answer).toMatch(/\r\nSec-Websocket-Version: 7, 8, 13\r\n/i);
  });

  test("an upgrade request to an ordinary route gets the ordinary page, then the connection closes", async () => {
    const answer = await rawExchange(port, upgradeRequest("/plain", port));
    expect(statusOf(answer)).toBe(200);
    expect(bodyOf(answer)).toBe("plain page");
  });

  test("an unknown path is 404 for the client", async () => {
    const err = await websocketConnect(`${base}/notfound`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HTTPClientError);
    expect((err as HTTPClientError).code).toBe(404);
  });

  test("a 200 page is not a WebSocket for the client", async () => {
    const err = await websocketConnect(`${base}/plain`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebSocketError);
    expect((err as Error).message).toBe("Non-websocket response");
  });

  test("the 101 answers with the key's accept value", async () => {
    const key = "dGhlIHNhbXBsZSBub25jZQ==";
    const sock = await import("node:net").then((net) => net.connect(port, "127.0.0.1"));
    const head = await within(
      new Promise<string>((resolve) => {
        let buf = "";
        sock.on("data", (c: Buffer) => {
          buf += c.toString("latin1");
          if (buf.includes("\r\n\r\n")) resolve(buf);
        });
        sock.write(upgradeRequest("/echo", port, { "Sec-WebSocket-Key": key }));
      }),
      5000,
    );
    sock.destroy();
    expect(head.startsWith("HTTP/1.1 101 Switching Protocols\r\n")).toBe(true);
    // RFC 6455's own example.
    expect(head).toContain("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    await serverClosed.next();
  });
});

describe("origin", () => {
  test("the same host and port is allowed", async () => {
    const conn = await connect("/echo", { headers: { Origin: `http://127.0.0.1:${port}` } });
    conn.close();
    await serverClosed.next();
  });

  test("the same host with a path is allowed", async () => {
    const conn = await connect("/echo", { headers: { Origin: `http://127.0.0.1:${port}/something` } });
    conn.close();
    await serverClosed.next();
  });

  test("another host is 403", async () => {
    const err = await websocketConnect(`${base}/echo`, { headers: { Origin: "http://somewhereelse.com" } }).catch((e: unknown) => e);
    expect((err as HTTPClientError).code).toBe(403);
  });

  test("a subdomain of this host is 403", async () => {
    const err = await websocketConnect(`${base}/echo`, {
      headers: { Origin: "http://subtenant.localhost", Host: "localhost" },
    }).catch((e: unknown) => e);
    expect((err as HTTPClientError).code).toBe(403);
  });

  test("a partial URL is 403", async () => {
    const err = await websocketConnect(`${base}/echo`, { headers: { Origin: `127.0.0.1:${port}` } }).catch((e: unknown) => e);
    expect((err as HTTPClientError).code).toBe(403);
  });

  test("the refusal body is Tornado's message", async () => {
    const answer = await rawExchange(port, upgradeRequest("/echo", port, { Origin: "http://evil.example" }));
    expect(statusOf(answer)).toBe(403);
    expect(bodyOf(answer)).toBe("Cross origin websockets not allowed");
  });
});

describe("messages", () => {
  test("text is echoed as text", async () => {
    const conn = await connect("/echo");
    await conn.writeMessage("hello \u00e9");
    expect(await conn.readMessage()).toBe("hello \u00e9");
    conn.close();
    await serverClosed.next();
  });

  test("bytes are echoed as bytes", async () => {
    const conn = await connect("/echo");
    await conn.writeMessage(new Uint8Array([104, 105, 0xe9]), true);
    const msg = await conn.readMessage();
    expect(msg).toBeInstanceOf(Uint8Array);
    expect([...(msg as Uint8Array)]).toEqual([104, 105, 0xe9]);
    conn.close();
    await serverClosed.next();
  });

  test("a plain object is sent as JSON text, escaped as Tornado's json_encode", async () => {
    const conn = await connect("/json");
    await conn.writeMessage("x");
    expect(await conn.readMessage()).toBe('{"got": "x", "tag": "<\\/script>"}');
    conn.close();
    await serverClosed.next();
  });

  test("messages of every size class survive: 0, 125, 126, 65535, 65536 bytes and 5 MiB", async () => {
    const conn = await connect("/echo");
    for (const n of [0, 125, 126, 65535, 65536, 5 * 1024 * 1024]) {
      const text = "x".repeat(n);
      await conn.writeMessage(text);
      expect((await within(conn.readMessage(), 10_000)) as string).toHaveLength(n);
    }
    conn.close();
    await serverClosed.next();
  });

  test("a message fragmented by the client arrives whole", async () => {
    const { RawWebSocket } = await import("./websocket-helpers.js");
    const raw = await RawWebSocket.connect(port, "/echo");
    raw.write(RawWebSocket.frame(1, Buffer.from("hel"), { fin: false }));
    raw.write(RawWebSocket.frame(0, Buffer.from("lo "), { fin: false }));
    raw.write(RawWebSocket.frame(0, Buffer.from("world")));
    const f = await raw.readFrame();
    expect(f?.opcode).toBe(1);
    expect(f?.payload.toString()).toBe("hello world");
    raw.socket.destroy();
    await serverClosed.next();
  });

  test("path arguments reach open()", async () => {
    const conn = await connect("/path_args/hello");
    expect(await conn.readMessage()).toBe("hello");
    conn.close();
    await serverClosed.next();
  });

  test("request headers from the client reach the handler", async () => {
    const conn = await connect("/header", { headers: { "X-Test": "hello" } });
    expect(await conn.readMessage()).toBe("hello");
    conn.close();
    await serverClosed.next();
  });

  test("messages wait until an async open() settles", async () => {
    const conn = await connect("/async_open");
    await conn.writeMessage("first");
    expect(await conn.readMessage()).toBe("first ready=true");
    conn.close();
    await serverClosed.next();
  });

  test("an async onMessage handles messages one at a time, in order", async () => {
    const conn = await connect("/ordered");
    await conn.writeMessage("1");
    await conn.writeMessage("2");
    await conn.writeMessage("3");
    expect(await conn.readMessage()).toBe("done 1");
    expect(await conn.readMessage()).toBe("done 2");
    expect(await conn.readMessage()).toBe("done 3");
    conn.close();
    await serverClosed.next();
  });

  test("setNodelay works once open", async () => {
    const conn = await connect("/nodelay");
    expect(await conn.readMessage()).toBe("hello");
    conn.close();
    await serverClosed.next();
  });
});

describe("prepare and authentication", () => {
  test("prepare() can refuse with 401 before the upgrade", async () => {
    const err = await websocketConnect(`${base}/auth`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HTTPClientError);
    expect((err as HTTPClientError).code).toBe(401);
    expect(openWebSocketCount(server)).toBe(0);
  });

  test("cookies are read before the upgrade; headers and cookies set in prepare() come with the 101", async () => {
    const conn = await connect("/auth", { headers: { Cookie: "user=ada" } });
    expect(await conn.readMessage()).toBe("hello ada");
    expect(conn.headers.get("X-Extra-Response-Header")).toBe("Extra-Response-Value");
    expect(conn.headers.get("Set-Cookie")).toMatch(/^seen=yes/);
    expect(conn.headers.get("Server")).toMatch(/^CycloneServer\//);
    conn.close();
    await serverClosed.next();
  });
});

describe("signed cookies and currentUser", () => {
  const signedCookieHeader = (user: string) => `user=${createSignedValue(SECRET, "user", user)}`;

  test("an async getCurrentUser from a signed cookie admits the user", async () => {
    const conn = await connect("/current_user", { headers: { Cookie: signedCookieHeader("ada") } });
    expect(await conn.readMessage()).toBe("signed in as ada");
    conn.close();
    await serverClosed.next();
  });

  test("without the cookie, or with a forged one, prepare() refuses with 403", async () => {
    for (const headers of [{}, { Cookie: "user=ada" }] as Array<Record<string, string>>) {
      const err = await websocketConnect(`${base}/current_user`, { headers }).catch((e: unknown) => e);
      expect((err as HTTPClientError).code).toBe(403);
    }
  });
});

describe("a client that leaves before the upgrade", () => {
  test("onClose runs once and open never does", async () => {
    seen.clear();
    const { default: net } = await import("node:net");
    const sock = net.connect(port, "127.0.0.1");
    sock.on("error", () => {});
    sock.write(upgradeRequest("/slow_prepare", port));
    expect(await seen.next()).toBe("preparing");
    sock.destroy();
    expect(await serverClosed.next()).toEqual([null, null]);
    await sleep(250);
    await expect(seen.next(50)).rejects.toThrow();
  });
});

describe("subprotocols", () => {
  test("the handler's choice is sent back and visible on both sides", async () => {
    const conn = await connect("/subprotocol", { subprotocols: ["badproto", "goodproto"] });
    expect(await seen.next()).toEqual(["badproto", "goodproto"]);
    expect(conn.selectedSubprotocol).toBe("goodproto");
    expect(await conn.readMessage()).toBe("subprotocol=goodproto");
    conn.close();
    await serverClosed.next();
  });

  test("no offer: selectSubprotocol sees an empty list and nothing is selected", async () => {
    const conn = await connect("/subprotocol");
    expect(await seen.next()).toEqual([]);
    expect(conn.selectedSubprotocol).toBeNull();
    expect(await conn.readMessage()).toBe("subprotocol=null");
    conn.close();
    await serverClosed.next();
  });
});

describe("closing", () => {
  test("the server's close code and reason reach the client, which echoes the code", async () => {
    const conn = await connect("/close_reason");
    expect(await conn.readMessage()).toBeNull();
    expect(conn.closeCode).toBe(1001);
    expect(conn.closeReason).toBe("goodbye");
    const [code] = await serverClosed.next();
    expect(code).toBe(1001);
  });

  test("the client's close code and reason reach onClose", async () => {
    const conn = await connect("/echo");
    conn.close(1001, "goodbye");
    expect(await serverClosed.next()).toEqual([1001, "goodbye"]);
    await within(conn.closed, 5000);
  });

  test("a dropped connection closes with no code", async () => {
    const { RawWebSocket } = await import("./websocket-helpers.js");
    const raw = await RawWebSocket.connect(port, "/echo");
    raw.socket.destroy();
    expect(await serverClosed.next()).toEqual([null, null]);
  });

  test("writing after close() raises WebSocketClosedError", async () => {
    const conn = await connect("/write_after_close");
    expect(await seen.next()).toBeInstanceOf(WebSocketClosedError);
    expect(await conn.readMessage()).toBeNull();
    await serverClosed.next();
  });

  test("the client cannot write after the server closed", async () => {
    const conn = await connect("/close_reason");
    expect(await conn.readMessage()).toBeNull();
    expect(() => conn.writeMessage("hello")).toThrow(WebSocketClosedError);
    await serverClosed.next();
  });

  test("an exception in onMessage is logged and drops the connection", async () => {
    const log = captureLog(appLog);
    try {
      const conn = await connect("/error_in_on_message");
      await conn.writeMessage("hello");
      expect(await conn.readMessage()).toBeNull();
      await serverClosed.next();
      expect(log.messages().some((m) => m.startsWith("Uncaught exception"))).toBe(true);
    } finally {
      log.stop();
    }
  });

  test("an exception in an async open() is logged and drops the connection", async () => {
    const log = captureLog(appLog);
    try {
      const conn = await connect("/error_in_async_open");
      expect(await conn.readMessage()).toBeNull();
      await serverClosed.next();
      expect(log.records.some((r) => String(r.message).startsWith("Uncaught exception"))).toBe(true);
    } finally {
      log.stop();
    }
  });
});

describe("size limit", () => {
  test("a message at the limit is accepted", async () => {
    const conn = await connect("/limit");
    await conn.writeMessage("x".repeat(1024));
    expect(await conn.readMessage()).toHaveLength(1024);
    conn.close();
    await serverClosed.next();
  });

  test("a message over the limit closes with 1009", async () => {
    const conn = await connect("/limit");
    await conn.writeMessage("x".repeat(1025));
    expect(await conn.readMessage()).toBeNull();
    expect(conn.closeCode).toBe(1009);
    await serverClosed.next();
  });

  test("the client's own limit closes with 1009 too", async () => {
    const conn = await connect("/echo", { maxMessageSize: 100 });
    await conn.writeMessage("y".repeat(101));
    expect(await conn.readMessage()).toBeNull();
    const [code] = await serverClosed.next();
    expect(code).toBe(1009);
  });
});

describe("compression", () => {
  test("permessage-deflate is negotiated when both sides want it", async () => {
    const conn = await connect("/compressed", { compression: {} });
    expect(conn.extensions).toMatch(/^permessage-deflate/);
    const text = "compress me ".repeat(1000);
    await conn.writeMessage(text);
    expect(await conn.readMessage()).toBe(text);
    conn.close();
    await serverClosed.next();
  });

  test("a handler without compression options refuses the offer", async () => {
    const conn = await connect("/echo", { compression: {} });
    expect(conn.extensions).toBe("");
    await conn.writeMessage("still works");
    expect(await conn.readMessage()).toBe("still works");
    conn.close();
    await serverClosed.next();
  });

  test("a client without compression is served uncompressed by a compressing handler", async () => {
    const conn = await connect("/compressed");
    expect(conn.extensions).toBe("");
    await conn.writeMessage("plain");
    expect(await conn.readMessage()).toBe("plain");
    conn.close();
    await serverClosed.next();
  });
});

describe("pings", () => {
  test("the server pings on its interval and sees the pongs", async () => {
    seen.clear();
    const conn = await connect("/ping");
    expect(await seen.next(2000)).toBe("pong");
    expect(await seen.next(2000)).toBe("pong");
    conn.close();
    await serverClosed.next();
    seen.clear();
  });

  test("a peer that stops answering pings is closed after the timeout", async () => {
    const { WebSocket } = await import("ws");
    const ws = new WebSocket(`${base}/ping`, { autoPong: false });
    const started = Date.now();
    const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    const code = await within(closed, 5000, "ping timeout close");
    // Interval 0.1 s, timeout 0.3 s: the first check that can fail is at about 0.4 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(code).toBe(1005);
    await serverClosed.next();
    seen.clear();
  });

  test("onPing sees the client's ping data and onPong the answer to ping()", async () => {
    const conn = await connect("/manual_ping");
    conn.ping("hello");
    expect(await conn.readMessage()).toBe("got ping hello");
    expect(await conn.readMessage()).toBe("got pong hello");
    conn.close();
    await serverClosed.next();
  });
});

describe("rooms", () => {
  test("a broadcast reaches every member but the sender, and no other room", async () => {
    const a = await connect("/room/lobby?name=a");
    expect(await a.readMessage()).toBe("joined lobby (1)");
    const b = await connect("/room/lobby?name=b");
    expect(await b.readMessage()).toBe("joined lobby (2)");
    const c = await connect("/room/lobby?name=c");
    expect(await c.readMessage()).toBe("joined lobby (3)");
    const other = await connect("/room/kitchen?name=d");
    expect(await other.readMessage()).toBe("joined kitchen (1)");

    await a.writeMessage("hi all");
    expect(await a.readMessage()).toBe("sent to 2");
    const expected = JSON.stringify({ from: "a", text: "hi all" }).replace(/,/g, ", ").replace(/":/g, '": ');
    expect(await b.readMessage()).toBe(expected);
    expect(await c.readMessage()).toBe(expected);

    await other.writeMessage("alone");
    expect(await other.readMessage()).toBe("sent to 0");

    for (const conn of [a, b, c, other]) conn.close();
    for (let i = 0; i < 4; i++) await serverClosed.next();
  });

  test("a closed socket leaves its rooms; leave() removes one at once", async () => {
    const a = await connect("/room/hall?name=a");
    expect(await a.readMessage()).toBe("joined hall (1)");
    const b = await connect("/room/hall?name=b");
    expect(await b.readMessage()).toBe("joined hall (2)");
    b.close();
    await serverClosed.next();
    await a.writeMessage("anyone?");
    expect(await a.readMessage()).toBe("sent to 0");
    await a.writeMessage("/part");
    expect(await a.readMessage()).toBe("left hall");
    const c = await connect("/room/hall?name=c");
    expect(await c.readMessage()).toBe("joined hall (1)");
    a.close();
    c.close();
    await serverClosed.next();
    await serverClosed.next();
  });

  test("an ordinary handler can broadcast to a room through websocketRooms()", async () => {
    const a = await connect("/room/news?name=a");
    expect(await a.readMessage()).toBe("joined news (1)");
    const res = await fetch(`http://127.0.0.1:${port}/notice/news`, { method: "POST", body: "" });
    expect(await res.json()).toEqual({ sent: 1 });
    expect(await a.readMessage()).toBe("notice from HTTP");
    a.close();
    await serverClosed.next();
  });
});

describe("shutdown", () => {
  test("closeWebSockets closes open sockets with 1001 so the server can stop", async () => {
    const conn = await connect("/echo");
    expect(openWebSocketCount(server)).toBe(1);
    closeWebSockets(server);
    expect(await conn.readMessage()).toBeNull();
    expect(conn.closeCode).toBe(1001);
    expect(await serverClosed.next()).toEqual([1001, null]);
    expect(openWebSocketCount(server)).toBe(0);
  });
});
