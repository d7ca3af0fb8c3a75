/**
 * The WebSocket room app of the behaviour suites (test/behaviour/ws-app.ts) on the Node
 * host, over real sockets on 127.0.0.1: the same handler code the edge tests run in
 * hibernating Durable Objects.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { HTTPServer, websocketConnect, type WebSocketClientConnection } from "../../src/node/index.js";
import { makeBehaviourApp } from "../behaviour/app.js";
import { WS_APP_MAX_MESSAGE } from "../behaviour/ws-app.js";

let server: HTTPServer;
let base = "";

beforeAll(async () => {
  server = new HTTPServer(makeBehaviourApp({ templatePath: join(import.meta.dirname, "..", "fixtures", "behaviour-templates") }));
  await server.listen(0, "127.0.0.1");
  base = `ws://127.0.0.1:${server.address()!.port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await server.stop();
});

function open(path: string, user?: string): Promise<WebSocketClientConnection> {
  return websocketConnect(base + path, user === undefined ? {} : { headers: { "X-User": user } });
}

async function read(conn: WebSocketClientConnection, ms = 3000): Promise<string | Uint8Array | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([conn.readMessage(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("no message")), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function ask(conn: WebSocketClientConnection, text: string): Promise<unknown> {
  await conn.writeMessage(text);
  return JSON.parse((await read(conn)) as string);
}

describe("the ws-app on Node", () => {
  test("two clients in one room exchange messages, with their kept state", async () => {
    const a = await open("/ws/room/node_duo", "user-a");
    const b = await open("/ws/room/node_duo", "user-b");
    expect(await ask(a, "/nick alice")).toEqual({ type: "nick", nick: "alice" });
    await a.writeMessage("hello bob");
    expect(JSON.parse((await read(b)) as string)).toEqual({ type: "msg", from: "alice", text: "hello bob" });
    expect(JSON.parse((await read(a)) as string)).toEqual({ type: "msg", from: "alice", text: "hello bob" });
    expect(await ask(a, "/who")).toEqual({ type: "who", user: "user-a", room: "node_duo", nick: "alice", seen: 3, initialized: true, rebuilt: false });
    a.close(4001, "done");
    expect(JSON.parse((await read(b)) as string)).toEqual({ type: "gone", nick: "alice", code: 4001, reason: "done" });
    b.close();
  });

  test("join, leave and room sizes", async () => {
    const a = await open("/ws/room/node_rooms");
    expect(await ask(a, "/join side")).toEqual({ type: "rooms", rooms: ["node_rooms", "side"] });
    expect(await ask(a, "/leave node_rooms")).toEqual({ type: "rooms", rooms: ["side"] });
    expect(await ask(a, "/count side")).toEqual({ type: "count", count: 1 });
    a.close();
  });

  test("object timers are for Durable Objects: refused here with a typed error", async () => {
    const a = await open("/ws/room/node_timer");
    expect(await ask(a, "/remind 1 later")).toEqual({ type: "error", name: "ObjectTimerError" });
    a.close();
  });

  test("ping() works on this host", async () => {
    const a = await open("/ws/room/node_ping");
    expect(await ask(a, "/ping")).toEqual({ type: "pinged" });
    a.close();
  });

  test("keep-alive pings and onPong are served on this host", async () => {
    const beat = await open("/ws/beat");
    await beat.writeMessage("echo");
    expect(await read(beat)).toBe("echo");
    beat.close();
    const pong = await open("/ws/pong");
    await pong.writeMessage("echo");
    expect(await read(pong)).toBe("echo");
    pong.close();
  });

  test("a message over websocketMaxMessageSize closes with 1009", async () => {
    const a = await open("/ws/room/node_size");
    await a.writeMessage(new Uint8Array(WS_APP_MAX_MESSAGE), true);
    expect(((await read(a)) as Uint8Array).length).toBe(WS_APP_MAX_MESSAGE);
    await a.writeMessage(new Uint8Array(WS_APP_MAX_MESSAGE + 1), true);
    expect(await read(a)).toBeNull();
    expect(a.closeCode).toBe(1009);
  });
});
