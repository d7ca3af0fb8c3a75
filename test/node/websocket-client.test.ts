/**
 * The WebSocket client (`websocketConnect`) against a real Cyclone server on 127.0.0.1,
 * and against a bare `ws` server where the test needs a peer that misbehaves.
 */
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { WebSocketServer } from "ws";
import { Application, HTTPTimeoutError } from "../../src/core/index.js";
import { WebSocketClosedError, WebSocketError, WebSocketHandler } from "../../src/core/websocket.js";
import { HTTPServer } from "../../src/node/httpserver.js";
import { closeWebSockets } from "../../src/node/websocket.js";
import { websocketConnect } from "../../src/node/websocket-client.js";
import { refusingPort } from "./tcp-helpers.js";
import { Signal, sleep, within } from "./websocket-helpers.js";

const closed = new Signal<[number | null, string | null]>();

class BurstHandler extends WebSocketHandler {
  override open() {
    for (let i = 0; i < 5; i++) void this.writeMessage(`m${i}`);
    this.close(1000, "done");
  }
  override onClose() {
    closed.push([this.closeCode, this.closeReason]);
  }
}

class EchoHandler extends WebSocketHandler {
  override onMessage(message: string | Uint8Array) {
    void this.writeMessage(message, typeof message !== "string").catch(() => {});
  }
  override onClose() {
    closed.push([this.closeCode, this.closeReason]);
  }
}

let server: HTTPServer;
let base = "";

beforeAll(async () => {
  server = new HTTPServer(new Application([["/burst", BurstHandler], ["/echo", EchoHandler]]));
  await server.listen(0, "127.0.0.1");
  base = `ws://127.0.0.1:${server.address()!.port}`;
});

afterAll(async () => {
  closeWebSockets(server);
  server.closeAllConnections();
  await within(server.stop(), 8000, "server stop");
});

describe("reading", () => {
  test("readMessage returns every message sent before the close, then null, then null again", async () => {
    const conn = await websocketConnect(`${base}/burst`);
    const got: Array<string | Uint8Array | null> = [];
    for (let i = 0; i < 7; i++) got.push(await within(conn.readMessage(), 5000));
    expect(got).toEqual(["m0", "m1", "m2", "m3", "m4", null, null]);
    expect(conn.closeCode).toBe(1000);
    expect(conn.closeReason).toBe("done");
    await closed.next();
  });

  test("a reader that is slower than the server still gets every message, in order", async () => {
    const conn = await websocketConnect(`${base}/burst`);
    await sleep(100);
    const got: Array<string | Uint8Array | null> = [];
    for (let i = 0; i < 6; i++) got.push(await within(conn.readMessage(), 5000));
    expect(got).toEqual(["m0", "m1", "m2", "m3", "m4", null]);
    await closed.next();
  });

  test("onMessage receives each message and then null; readMessage is refused", async () => {
    const got = new Signal<string | Uint8Array | null>();
    const conn = await websocketConnect(`${base}/burst`, { onMessage: (m) => got.push(m) });
    for (let i = 0; i < 5; i++) expect(await got.next()).toBe(`m${i}`);
    expect(await got.next()).toBeNull();
    await expect(conn.readMessage()).rejects.toBeInstanceOf(WebSocketError);
    await closed.next();
  });

  test("the closed promise resolves when the connection ends", async () => {
    const conn = await websocketConnect(`${base}/echo`);
    conn.close(4000, "client bye");
    await within(conn.closed, 5000);
    expect(conn.closeCode).toBe(4000);
    expect(await closed.next()).toEqual([4000, "client bye"]);
  });
});

describe("writing and closing", () => {
  test("writing after close() raises WebSocketClosedError", async () => {
    const conn = await websocketConnect(`${base}/echo`);
    conn.close();
    expect(() => conn.writeMessage("hello")).toThrow(WebSocketClosedError);
    expect(() => conn.ping()).toThrow(WebSocketClosedError);
    await closed.next();
  });

  test("close() without a code sends none; the server sees null", async () => {
    const conn = await websocketConnect(`${base}/echo`);
    conn.close();
    expect(await closed.next()).toEqual([null, null]);
  });

  test("a reserved close code or an oversized reason is a RangeError, and the connection stays open", async () => {
    const conn = await websocketConnect(`${base}/echo`);
    expect(() => conn.close(1006)).toThrow(RangeError);
    expect(() => conn.close(999)).toThrow(RangeError);
    expect(() => conn.close(1000, "x".repeat(124))).toThrow(RangeError);
    await conn.writeMessage("open");
    expect(await conn.readMessage()).toBe("open");
    conn.close(1000, "x".repeat(123));
    expect(await closed.next()).toEqual([1000, "x".repeat(123)]);
  });

  test("arrays are not messages", async () => {
    const conn = await websocketConnect(`${base}/echo`);
    expect(() => conn.writeMessage([1, 2] as unknown as Record<string, unknown>)).toThrow(TypeError);
    conn.close();
    await closed.next();
  });

  test("a ping over 125 bytes is a RangeError", async () => {
    const conn = await websocketConnect(`${base}/echo`);
    expect(() => conn.ping("x".repeat(126))).toThrow(RangeError);
    conn.close();
    await closed.next();
  });
});

describe("connecting", () => {
  test("a refused connection rejects with the socket error", async () => {
    const port = await refusingPort();
    const err = await websocketConnect(`ws://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
  });

  test("a server that never answers the handshake times out", async () => {
    const net = await import("node:net");
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const port = (silent.address() as AddressInfo).port;
      const err = await websocketConnect(`ws://127.0.0.1:${port}/`, { connectTimeout: 0.2 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HTTPTimeoutError);
      expect((err as Error).message).toBe("Timeout while connecting");
    } finally {
      silent.close();
    }
  });
});

describe("keep-alive pings", () => {
  test("the client pings on its interval and a silent server is closed after the timeout", async () => {
    // A bare ws server that never answers pings: the peer the timeout exists for.
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, autoPong: false });
    await new Promise<void>((r) => wss.once("listening", r));
    const pings = new Signal<string>();
    const serverSaw = new Signal<number>();
    wss.on("connection", (ws) => {
      ws.on("ping", () => pings.push("ping"));
      ws.on("close", (code) => serverSaw.push(code));
    });
    try {
      const port = (wss.address() as AddressInfo).port;
      const conn = await websocketConnect(`ws://127.0.0.1:${port}/`, { pingInterval: 0.05, pingTimeout: 0.15 });
      expect(await pings.next(2000)).toBe("ping");
      expect(await within(conn.readMessage(), 3000)).toBeNull();
      // Tornado 6.2 closes a timed-out peer without a status code.
      expect(await serverSaw.next()).toBe(1005);
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    }
  });

  test("pings answered in time keep the connection open", async () => {
    const conn = await websocketConnect(`${base}/echo`, { pingInterval: 0.05, pingTimeout: 0.15 });
    await sleep(400);
    await conn.writeMessage("alive");
    expect(await conn.readMessage()).toBe("alive");
    conn.close();
    await closed.next();
  });
});
