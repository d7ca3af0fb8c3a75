/**
 * Malformed WebSocket frames over a real socket, after a real handshake: each closes the
 * connection with the code RFC 6455 gives it, the handler hears of the close, and the
 * server keeps serving (a fresh client is echoed after every case).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Application } from "../../src/core/index.js";
import { WebSocketHandler } from "../../src/core/websocket.js";
import { HTTPServer } from "../../src/node/httpserver.js";
import { closeWebSockets } from "../../src/node/websocket.js";
import { websocketConnect } from "../../src/node/websocket-client.js";
import { RawWebSocket, Signal, within } from "./websocket-helpers.js";

const closed = new Signal<number | null>();
const received = new Signal<string | Uint8Array>();

class EchoHandler extends WebSocketHandler {
  override get maxMessageSize() {
    return 64 * 1024;
  }
  override onMessage(message: string | Uint8Array) {
    received.push(message);
    void this.writeMessage(message, typeof message !== "string").catch(() => {});
  }
  override onClose() {
    closed.push(this.closeCode);
  }
}

let server: HTTPServer;
let port = 0;

beforeAll(async () => {
  server = new HTTPServer(new Application([["/echo", EchoHandler]]));
  await server.listen(0, "127.0.0.1");
  port = server.address()!.port;
});

afterAll(async () => {
  closeWebSockets(server);
  server.closeAllConnections();
  await within(server.stop(), 8000, "server stop");
});

async function stillServes(): Promise<void> {
  const conn = await within(websocketConnect(`ws://127.0.0.1:${port}/echo`), 5000, "fresh connect");
  await conn.writeMessage("still here");
  expect(await conn.readMessage()).toBe("still here");
  expect(await received.next()).toBe("still here");
  conn.close();
  await closed.next();
}

const text = (s: string) => Buffer.from(s, "utf8");

/** Sends `bytes` on a fresh raw socket and answers the close code the server sent. */
async function closeCodeFor(bytes: Buffer): Promise<number | null | "no close frame"> {
  const raw = await RawWebSocket.connect(port, "/echo");
  raw.write(bytes);
  const code = await raw.readCloseCode();
  raw.socket.end();
  await raw.whenClosed();
  return code;
}

describe("the server closes with the RFC's code", () => {
  test.each([
    ["invalid UTF-8 in a text message", RawWebSocket.frame(1, Buffer.from([0x68, 0xc3, 0x28])), 1007],
    ["a UTF-8 sequence cut across fragments, left unfinished", Buffer.concat([RawWebSocket.frame(1, Buffer.from([0xe2, 0x82]), { fin: false }), RawWebSocket.frame(0, Buffer.from([0x41]))]), 1007],
    ["a declared length over the message limit", RawWebSocket.frame(2, Buffer.alloc(10), { length: 64 * 1024 + 1 }), 1009],
    ["fragments adding up to more than the limit", Buffer.concat([RawWebSocket.frame(2, Buffer.alloc(40_000), { fin: false }), RawWebSocket.frame(0, Buffer.alloc(40_000))]), 1009],
    ["a fragmented ping", RawWebSocket.frame(9, text("x"), { fin: false }), 1002],
    ["a ping longer than 125 bytes", RawWebSocket.frame(9, Buffer.alloc(126)), 1002],
    ["a close frame longer than 125 bytes", RawWebSocket.frame(8, Buffer.alloc(126)), 1002],
    ["an unmasked client frame", RawWebSocket.frame(1, text("hello"), { mask: false }), 1002],
    ["reserved opcode 3", RawWebSocket.frame(3, text("x")), 1002],
    ["reserved control opcode 0xB", RawWebSocket.frame(0xb, text("x")), 1002],
    ["a reserved bit without an extension", RawWebSocket.frame(1, text("x"), { rsv: 0x40 }), 1002],
    ["a continuation with nothing to continue", RawWebSocket.frame(0, text("x")), 1002],
    ["a new message before the fragmented one ended", Buffer.concat([RawWebSocket.frame(1, text("a"), { fin: false }), RawWebSocket.frame(1, text("b"))]), 1002],
    ["a close frame with a one-byte payload", RawWebSocket.frame(8, Buffer.from([3])), 1002],
    ["a close frame with a reserved code (1005)", RawWebSocket.frame(8, Buffer.from([0x03, 0xed])), 1002],
  ])("%s → %d, and the server keeps serving", async (_name, bytes, expected) => {
    expect(await closeCodeFor(bytes)).toBe(expected);
    // The handler is told, with no code of the peer's (it never sent a valid close).
    expect(await closed.next()).toBeNull();
    await stillServes();
  });

  test("a close frame with invalid UTF-8 in its reason → 1007", async () => {
    expect(await closeCodeFor(RawWebSocket.frame(8, Buffer.from([0x03, 0xe8, 0xff, 0xfe])))).toBe(1007);
    expect(await closed.next()).toBeNull();
    await stillServes();
  });
});

describe("connections that end badly", () => {
  test("a truncated frame followed by end of stream: the handler is told, nothing is delivered", async () => {
    const raw = await RawWebSocket.connect(port, "/echo");
    const whole = RawWebSocket.frame(1, text("never finished"));
    raw.write(whole.subarray(0, whole.length - 4));
    raw.socket.end();
    await raw.whenClosed();
    expect(await closed.next()).toBeNull();
    await stillServes();
  });

  test("a truncated header followed by a reset", async () => {
    const raw = await RawWebSocket.connect(port, "/echo");
    raw.write(Buffer.from([0x81]));
    raw.socket.resetAndDestroy();
    expect(await closed.next()).toBeNull();
    await stillServes();
  });

  test("a valid close is answered with the same code and ends the connection", async () => {
    const raw = await RawWebSocket.connect(port, "/echo");
    raw.write(RawWebSocket.frame(8, Buffer.from([0x0f, 0xa0, ...text("bye")])));
    expect(await raw.readCloseCode()).toBe(4000);
    await raw.whenClosed();
    expect(await closed.next()).toBe(4000);
  });

  test("a peer that never answers our close is dropped after 5 seconds", async () => {
    const raw = await RawWebSocket.connect(port, "/echo");
    closeWebSockets(server, 1001);
    expect(await raw.readCloseCode()).toBe(1001);
    const started = Date.now();
    await raw.whenClosed(8000);
    expect(Date.now() - started).toBeGreaterThan(4000);
    expect(await closed.next()).toBeNull();
    await stillServes();
  }, 15_000);

  test("a ping is answered with a pong carrying the same data", async () => {
    const raw = await RawWebSocket.connect(port, "/echo");
    raw.write(RawWebSocket.frame(9, text("ping data")));
    const f = await raw.readFrame();
    expect(f?.opcode).toBe(0xa);
    expect(f?.payload.toString()).toBe("ping data");
    raw.write(RawWebSocket.frame(8, Buffer.from([0x03, 0xe8])));
    expect(await raw.readCloseCode()).toBe(1000);
    expect(await closed.next()).toBe(1000);
  });

  test("a ping between the fragments of a message is answered, and the message arrives whole", async () => {
    const raw = await RawWebSocket.connect(port, "/echo");
    raw.write(RawWebSocket.frame(1, text("frag"), { fin: false }));
    raw.write(RawWebSocket.frame(9, text("p")));
    raw.write(RawWebSocket.frame(0, text("mented")));
    const pong = await raw.readFrame();
    expect(pong?.opcode).toBe(0xa);
    const echo = await raw.readFrame();
    expect(echo?.payload.toString()).toBe("fragmented");
    expect(await received.next()).toBe("fragmented");
    raw.socket.destroy();
    expect(await closed.next()).toBeNull();
  });
});
