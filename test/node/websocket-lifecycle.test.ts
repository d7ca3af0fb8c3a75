/**
 * WebSocketHandler on the Node host, the life of a connection: closing both ways, errors
 * in callbacks, the size limit, compression, pings, rooms and shutdown.
 */
import { describe, expect, test } from "vitest";
import { appLog } from "../../src/core/log.js";
import { WebSocketClosedError } from "../../src/core/websocket.js";
import { closeWebSockets, openWebSocketCount } from "../../src/node/websocket.js";
import { captureLog } from "./tcp-helpers.js";
import { seen, serverClosed, useWebSocketServer } from "./websocket-app.js";
import { rawExchange, statusOf, upgradeRequest, within } from "./websocket-helpers.js";

const t = useWebSocketServer();
const connect = t.connect;

describe("after the upgrade", () => {
  test("the handshake request stays readable, without its HTTP connection or response", async () => {
    const conn = await connect("/request_after_upgrade");
    const seenByOpen = JSON.parse((await conn.readMessage()) as string) as Record<string, unknown>;
    // The connection and the sent response would otherwise live as long as the socket.
    expect(seenByOpen).toEqual({
      path: "/request_after_upgrade",
      upgrade: "websocket",
      remoteIp: "127.0.0.1",
      connectionReleased: true,
      responseHeadersReleased: true,
      setHeaderError: "Method not supported for Web Sockets",
    });
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
    const raw = await RawWebSocket.connect(t.port, "/echo");
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

  test("an extension offer ws cannot accept is refused with 400, and the handler hears the close once", async () => {
    serverClosed.clear();
    const offer = { "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits=99" };
    const answer = await rawExchange(t.port, upgradeRequest("/compressed", t.port, offer));
    expect(statusOf(answer)).toBe(400);
    expect(await serverClosed.next()).toEqual([null, null]);
    await expect(serverClosed.next(100)).rejects.toThrow();
    expect(openWebSocketCount(t.server)).toBe(0);
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
    const ws = new WebSocket(`${t.base}/ping`, { autoPong: false });
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
    const res = await fetch(`http://127.0.0.1:${t.port}/notice/news`, { method: "POST", body: "" });
    expect(await res.json()).toEqual({ sent: 1 });
    expect(await a.readMessage()).toBe("notice from HTTP");
    a.close();
    await serverClosed.next();
  });
});

describe("shutdown", () => {
  test("closeWebSockets closes open sockets with 1001 so the server can stop", async () => {
    const conn = await connect("/echo");
    expect(openWebSocketCount(t.server)).toBe(1);
    closeWebSockets(t.server);
    expect(await conn.readMessage()).toBeNull();
    expect(conn.closeCode).toBe(1001);
    expect(await serverClosed.next()).toEqual([1001, null]);
    expect(openWebSocketCount(t.server)).toBe(0);
  });
});
