/**
 * WebSockets at the edge: the behaviour app's /ws/ rooms (test/behaviour/ws-app.ts) served
 * by hibernating sockets in Durable Objects, through the Worker, inside workerd.
 *
 * Eviction is simulated, since vitest-pool-workers cannot evict an object: either the
 * object's in-memory handlers are dropped (`sockets.forgetHandlers()`, the runtime's own
 * instance keeps serving, so real client messages take the rebuild path), or a fresh
 * `CycloneDurableObject` is constructed over the same `ctx` inside `runInDurableObject`
 * (a new instance with nothing in memory, fed the runtime's sockets by hand).
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, test } from "vitest";
import { appLog, type LogRecord } from "../../src/core/log.js";
import { CycloneDurableObject } from "../../src/edge/durable.js";
import { MAX_ATTACHMENT_BYTES, effectiveMaxMessageSize, PLATFORM_MAX_MESSAGE_SIZE } from "../../src/edge/websocket-attachment.js";
import { connect, type TestSocket, upgrade } from "./websocket-client.js";

/** Runs `fn` while collecting what the application logger logs. */
async function expectAppLog(fn: () => Promise<void>): Promise<string[]> {
  const records: LogRecord[] = [];
  const capture = (r: LogRecord) => void records.push(r);
  appLog.addHandler(capture);
  try {
    await fn();
  } finally {
    appLog.removeHandler(capture);
  }
  return records.map((r) => `${r.message} ${r.error instanceof Error ? r.error.message : ""}`);
}

function stubFor(room: string): DurableObjectStub<never> {
  const ns = (env as unknown as { CYCLONE_OBJECTS: DurableObjectNamespace }).CYCLONE_OBJECTS;
  return ns.get(ns.idFromName(`ws:${room}`)) as unknown as DurableObjectStub<never>;
}

/** Runs `fn` inside the object that serves `room`, with the runtime's instance of it. */
function inObject<R>(room: string, fn: (object: CycloneDurableObject, state: DurableObjectState) => R | Promise<R>): Promise<R> {
  return runInDurableObject(stubFor(room), (instance, state) => fn(instance as unknown as CycloneDurableObject, state));
}

async function pair(room: string): Promise<[TestSocket, TestSocket]> {
  const a = await connect(`/ws/room/${room}`, { "X-User": "user-a" });
  const b = await connect(`/ws/room/${room}`, { "X-User": "user-b" });
  expect(await a.ask("/nick alice")).toEqual({ type: "nick", nick: "alice" });
  expect(await b.ask("/nick bob")).toEqual({ type: "nick", nick: "bob" });
  return [a, b];
}

describe("two clients in one room", () => {
  test("exchange messages through the object", async () => {
    const [a, b] = await pair("duo");
    a.ws.send("hello bob");
    expect(await b.json()).toEqual({ type: "msg", from: "alice", text: "hello bob" });
    expect(await a.json()).toEqual({ type: "msg", from: "alice", text: "hello bob" });
    b.ws.send("hi alice");
    expect(await a.json()).toEqual({ type: "msg", from: "bob", text: "hi alice" });
    expect(await b.json()).toEqual({ type: "msg", from: "bob", text: "hi alice" });
  });

  test("the handler sees its path arguments and current user", async () => {
    const [a] = await pair("who");
    expect(await a.ask("/who")).toMatchObject({ type: "who", user: "user-a", room: "who", nick: "alice", rebuilt: false });
  });

  test("binary messages are echoed as binary", async () => {
    const a = await connect("/ws/room/binary");
    a.ws.send(new Uint8Array([0, 1, 254, 255]));
    const m = await a.next();
    expect(m).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(m as ArrayBuffer)]).toEqual([0, 1, 254, 255]);
  });
});

describe("rooms", () => {
  test("join and leave are kept in the socket; a broadcast reaches only the room", async () => {
    const [a, b] = await pair("rooms");
    expect(await a.ask("/rooms")).toEqual({ type: "rooms", rooms: ["rooms"] });
    expect(await a.ask("/join side")).toEqual({ type: "rooms", rooms: ["rooms", "side"] });
    expect(await a.ask("/leave rooms")).toEqual({ type: "rooms", rooms: ["side"] });
    b.ws.send("only for the room");
    expect(await b.json()).toEqual({ type: "msg", from: "bob", text: "only for the room" });
    expect(await a.quiet()).toBe(true);
    expect(await b.ask("/count rooms")).toEqual({ type: "count", count: 1 });
    expect(await b.ask("/count side")).toEqual({ type: "count", count: 1 });
  });

  test("a socket that closes leaves its rooms", async () => {
    const [a, b] = await pair("leaving");
    expect(await b.ask("/count")).toEqual({ type: "count", count: 2 });
    a.ws.close(1000, "");
    expect(await b.json()).toMatchObject({ type: "gone", nick: "alice" });
    expect(await b.ask("/count")).toEqual({ type: "count", count: 1 });
  });
});

describe("close codes", () => {
  test("the client's code and reason reach onClose", async () => {
    const [a, b] = await pair("client_close");
    a.ws.close(4001, "done here");
    expect(await b.json()).toEqual({ type: "gone", nick: "alice", code: 4001, reason: "done here" });
  });

  test("a close without a code is onClose with closeCode null", async () => {
    const [a, b] = await pair("no_code");
    a.ws.close();
    expect(await b.json()).toEqual({ type: "gone", nick: "alice", code: null, reason: null });
  });

  test("the server's close code and reason reach the client", async () => {
    const [a, b] = await pair("server_close");
    a.ws.send("/close 4002 server says bye");
    expect(await a.closedWithin()).toEqual({ code: 4002, reason: "server says bye" });
    // The client answered with the same code: that is what onClose sees, as on Node.
    expect(await b.json()).toEqual({ type: "gone", nick: "alice", code: 4002, reason: "server says bye" });
  });

  test("a callback that throws closes the socket with 1011", async () => {
    const [a, b] = await pair("throws");
    const logged = await expectAppLog(async () => {
      a.ws.send("/throw");
      expect((await a.closedWithin()).code).toBe(1011);
      expect(await b.json()).toMatchObject({ type: "gone", nick: "alice" });
    });
    expect(logged.some((m) => m.startsWith("Uncaught exception") && m.includes("onMessage failed on purpose"))).toBe(true);
  });
});

describe("what this host does not do", () => {
  test("ping() raises WebSocketNotSupportedError", async () => {
    const a = await connect("/ws/room/ping");
    const reply = await a.ask("/ping");
    expect(reply).toMatchObject({ type: "error", name: "WebSocketNotSupportedError" });
    expect(reply["message"]).toContain("not supported on this host");
  });

  test("a handler with onPong is refused at the handshake (500)", async () => {
    const logged = await expectAppLog(async () => {
      const res = await upgrade("/ws/pong");
      expect(res.status).toBe(500);
      expect(res.webSocket).toBeNull();
    });
    expect(logged.some((m) => m.includes("onPong is not supported on this host"))).toBe(true);
  });

  test("the websocketPingInterval setting is refused at the handshake (500)", async () => {
    const logged = await expectAppLog(async () => {
      expect((await upgrade("/ws/beat")).status).toBe(500);
    });
    expect(logged.some((m) => m.includes("the websocketPingInterval setting is not supported on this host"))).toBe(true);
  });

  test("setWebSocketAutoResponse answers without the handler", async () => {
    const a = await connect("/ws/room/auto");
    await inObject("auto", (object) => object.setWebSocketAutoResponse("are you there", "yes"));
    a.ws.send("are you there");
    expect(await a.next()).toBe("yes");
    await inObject("auto", (object) => object.setWebSocketAutoResponse());
  });
});

describe("the message size cap", () => {
  // ws-app sets websocketMaxMessageSize to 64 KiB, below the platform's 32 MiB.
  const cap = 64 * 1024;

  test("a text message at the cap is delivered", async () => {
    const a = await connect("/ws/room/size_ok");
    a.ws.send("y".repeat(cap));
    expect(((await a.json())["text"] as string).length).toBe(cap);
  });

  test("a text message one byte over the cap closes the socket with 1009", async () => {
    const a = await connect("/ws/room/size_text");
    a.ws.send("é".repeat(cap / 2) + "y");
    expect((await a.closedWithin()).code).toBe(1009);
  });

  test("a binary message one byte over the cap closes the socket with 1009", async () => {
    const a = await connect("/ws/room/size_binary");
    a.ws.send(new Uint8Array(cap));
    expect((await a.next()) as ArrayBuffer).toHaveProperty("byteLength", cap);
    a.ws.send(new Uint8Array(cap + 1));
    expect((await a.closedWithin()).code).toBe(1009);
  });
});

describe("timers in a handler", () => {
  test("a callLater from onMessage fires on the object's alarm and reaches the room", async () => {
    const [a, b] = await pair("remind");
    const scheduled = await a.ask("/remind 0.05 stand-up time");
    expect(scheduled).toMatchObject({ type: "scheduled" });
    expect(await inObject("remind", (_o, state) => state.storage.getAlarm())).toBe(scheduled["deadline"]);
    await new Promise((r) => setTimeout(r, Math.max(0, (scheduled["deadline"] as number) - Date.now()) + 20));
    // The runtime may have fired the alarm already; either way the reminder is sent once.
    await runDurableObjectAlarm(stubFor("remind"));
    expect(await a.json()).toEqual({ type: "reminder", text: "stand-up time" });
    expect(await b.json()).toEqual({ type: "reminder", text: "stand-up time" });
    expect(await a.quiet()).toBe(true);
  });
});

describe("the platform's message cap", () => {
  test("the effective limit is the smaller of the setting and the platform's 32 MiB", () => {
    expect(PLATFORM_MAX_MESSAGE_SIZE).toBe(32 * 1024 * 1024);
    expect(effectiveMaxMessageSize(10 * 1024 * 1024)).toBe(10 * 1024 * 1024);
    expect(effectiveMaxMessageSize(64 * 1024 * 1024)).toBe(32 * 1024 * 1024);
  });
});

describe("the attachment cap", () => {
  test("state up to the cap is kept; one byte more is refused with a typed error and the old state stays", async () => {
    const a = await connect("/ws/room/cap");
    expect(await a.ask("/nick capper")).toEqual({ type: "nick", nick: "capper" });
    // Learn the attachment's size around the padding from a refusal, then fill it exactly.
    const probe = await a.ask(`/pad ${MAX_ATTACHMENT_BYTES}`);
    expect(probe).toMatchObject({ type: "error", name: "WebSocketAttachmentTooLargeError", limit: MAX_ATTACHMENT_BYTES });
    const fits = MAX_ATTACHMENT_BYTES - ((probe["size"] as number) - MAX_ATTACHMENT_BYTES);
    expect(await a.ask(`/pad ${fits + 1}`)).toEqual({
      type: "error",
      name: "WebSocketAttachmentTooLargeError",
      size: MAX_ATTACHMENT_BYTES + 1,
      limit: MAX_ATTACHMENT_BYTES,
    });
    expect(await a.ask(`/pad ${fits}`)).toEqual({ type: "padded", length: fits });
    // At the cap the attachment still holds the rooms and the user: the socket keeps working.
    expect(await a.ask("/who")).toMatchObject({ type: "who", nick: "capper" });
    a.ws.send("still here");
    expect(await a.json()).toEqual({ type: "msg", from: "capper", text: "still here" });
  });

  test("the cap is the platform's 16,384 bytes less a 64-byte margin", () => {
    expect(MAX_ATTACHMENT_BYTES).toBe(16_320);
  });
});

describe("after the object is evicted", () => {
  test("handlers are rebuilt from their attachments: state kept, memory gone, rooms intact", async () => {
    const [a, b] = await pair("evict");
    expect(await a.ask("/join lobby")).toEqual({ type: "rooms", rooms: ["evict", "lobby"] });
    expect(await a.ask("/who")).toMatchObject({ seen: 3, initialized: true, rebuilt: false });
    const live = await inObject("evict", (object) => {
      const n = object.sockets.liveHandlerCount;
      object.sockets.forgetHandlers();
      return [n, object.sockets.liveHandlerCount];
    });
    expect(live).toEqual([2, 0]);
    // A broadcast reaches both sockets before either handler is rebuilt...
    b.ws.send("anyone there?");
    expect(await a.json()).toEqual({ type: "msg", from: "bob", text: "anyone there?" });
    expect(await b.json()).toEqual({ type: "msg", from: "bob", text: "anyone there?" });
    // ...and each handler is a new instance (initialize() ran, the in-memory count restarted)
    // with its path arguments, user, state and rooms; open() did not run again, or the nick
    // would be back to "anon".
    expect(await a.ask("/who")).toEqual({ type: "who", user: "user-a", room: "evict", nick: "alice", seen: 1, initialized: true, rebuilt: true });
    expect(await a.ask("/rooms")).toEqual({ type: "rooms", rooms: ["evict", "lobby"] });
    expect(await b.ask("/who")).toEqual({ type: "who", user: "user-b", room: "evict", nick: "bob", seen: 2, initialized: true, rebuilt: true });
    expect(await inObject("evict", (object) => object.sockets.liveHandlerCount)).toBe(2);
    // Close codes reach the rebuilt handler's onClose.
    a.ws.close(4005, "after the wake-up");
    expect(await b.json()).toEqual({ type: "gone", nick: "alice", code: 4005, reason: "after the wake-up" });
  });

  test("a socket that closes before its handler is rebuilt still gets onClose", async () => {
    const [a, b] = await pair("evict_close");
    await inObject("evict_close", (object) => object.sockets.forgetHandlers());
    a.ws.close(4006, "gone while asleep");
    expect(await b.json()).toEqual({ type: "gone", nick: "alice", code: 4006, reason: "gone while asleep" });
  });

  test("a fresh object instance over the same state serves the sockets", async () => {
    const [a] = await pair("fresh");
    await inObject("fresh", async (object, state) => {
      const fresh = new CycloneDurableObject(state as never, object.env);
      await fresh.ready;
      expect(fresh.sockets.liveHandlerCount).toBe(0);
      const sockets = state.getWebSockets();
      expect(sockets).toHaveLength(2);
      for (const ws of sockets) await fresh.webSocketMessage(ws as never, "/who");
      expect(fresh.sockets.liveHandlerCount).toBe(2);
    });
    // Both replies go to their own clients; alice's is the rebuilt handler's.
    expect(await a.json()).toEqual({ type: "who", user: "user-a", room: "fresh", nick: "alice", seen: 1, initialized: true, rebuilt: true });
  });
});
