/**
 * The core's WebSocket pieces on plain Node, without sockets: the handshake checks (through
 * `app.fetch`, whose connection cannot upgrade), origin parsing as Python's `urlparse`,
 * close-code rules, room bookkeeping, message encoding and the keep-alive heartbeat.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Application, HTTPError, HTTPServerRequest } from "../../src/core/index.js";
import { appLog, genLog, type LogRecord } from "../../src/core/log.js";
import {
  defaultPingTimeout,
  InMemoryWebSocketRooms,
  isValidCloseCode,
  originNetloc,
  WebSocketHandler,
  WebSocketHeartbeat,
  websocketRooms,
} from "../../src/core/websocket.js";
import { encodeJsonMessage, prepareMessage } from "../../src/core/websocket-rooms.js";

class EchoHandler extends WebSocketHandler {
  override onMessage(message: string | Uint8Array) {
    void this.writeMessage(message);
  }
}

class GuardedHandler extends WebSocketHandler {
  override prepare() {
    if (this.request.headers.get("Authorization") !== "Bearer ok") throw new HTTPError(401);
  }
}

class BadSubprotocolHandler extends WebSocketHandler {
  override selectSubprotocol() {
    return "never-offered";
  }
}

const app = new Application([
  ["/echo", EchoHandler],
  ["/guarded", GuardedHandler],
  ["/badproto", BadSubprotocolHandler],
]);

const HANDSHAKE = {
  Host: "example.com",
  Upgrade: "websocket",
  Connection: "Upgrade",
  "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
  "Sec-WebSocket-Version": "13",
};

// Refused handshakes log as Tornado does; the tests below read the records instead of stderr.
const records: LogRecord[] = [];
const keep = (r: LogRecord): void => {
  records.push(r);
};
beforeAll(() => {
  for (const l of [genLog, appLog]) {
    l.propagate = false;
    l.addHandler(keep);
  }
});
afterAll(() => {
  for (const l of [genLog, appLog]) {
    l.propagate = true;
    l.removeHandler(keep);
  }
});

function handshake(path: string, headers: Record<string, string | null> = {}): Promise<Response> {
  const h = new Headers();
  for (const [k, v] of Object.entries({ ...HANDSHAKE, ...headers })) if (v !== null) h.set(k, v);
  return app.fetch(new Request(`http://example.com${path}`, { headers: h }));
}

describe("handshake checks, in Tornado's order", () => {
  test("a GET without Upgrade is 400", async () => {
    const res = await handshake("/echo", { Upgrade: null, Connection: null });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('Can "Upgrade" only to "WebSocket".');
  });

  test("an Upgrade to another protocol is 400", async () => {
    const res = await handshake("/echo", { Upgrade: "h2c" });
    expect(res.status).toBe(400);
  });

  test("Upgrade is matched without regard to case", async () => {
    const res = await handshake("/echo", { Upgrade: "WebSocket" });
    expect(res.status).not.toBe(400);
  });

  test("Connection must list upgrade among its tokens", async () => {
    const res = await handshake("/echo", { Connection: "keep-alive" });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('"Connection" must be "Upgrade".');
    expect((await handshake("/echo", { Connection: "keep-alive, Upgrade" })).status).not.toBe(400);
  });

  test("a foreign Origin is 403; Sec-WebSocket-Origin counts when Origin is absent", async () => {
    const res = await handshake("/echo", { Origin: "http://evil.example" });
    expect(res.status).toBe(403);
    expect(await res.text()).toBe("Cross origin websockets not allowed");
    expect((await handshake("/echo", { "Sec-WebSocket-Origin": "http://evil.example" })).status).toBe(403);
    expect((await handshake("/echo", { Origin: "http://example.com" })).status).not.toBe(403);
  });

  test("an unknown version is 426 listing 7, 8 and 13", async () => {
    const res = await handshake("/echo", { "Sec-WebSocket-Version": "12" });
    expect(res.status).toBe(426);
    expect(res.headers.get("Sec-WebSocket-Version")).toBe("7, 8, 13");
  });

  test("a missing key is 400", async () => {
    const res = await handshake("/echo", { "Sec-WebSocket-Key": null });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe("Missing/Invalid WebSocket headers");
  });

  test("prepare() runs first: it can refuse with 401", async () => {
    expect((await handshake("/guarded")).status).toBe(401);
    expect((await handshake("/guarded", { Authorization: "Bearer ok" })).status).toBe(501);
  });

  test("a subprotocol the client did not offer is a server error", async () => {
    expect((await handshake("/badproto", { "Sec-WebSocket-Protocol": "a, b" })).status).toBe(500);
  });

  test("a valid handshake on a connection that cannot upgrade is 501, logged as a warning", async () => {
    records.length = 0;
    expect((await handshake("/echo")).status).toBe(501);
    expect(records.map((r) => r.message)).toContain("501 GET /echo (127.0.0.1): this host's connection cannot be upgraded to a WebSocket");
  });
});

describe("checkOrigin", () => {
  test("the netloc is what Python's urlparse calls it", () => {
    // Expected values from Python 3's urllib.parse.urlparse(origin).netloc.
    expect(originNetloc("http://127.0.0.1:8888")).toBe("127.0.0.1:8888");
    expect(originNetloc("http://Example.COM/path?x")).toBe("Example.COM");
    expect(originNetloc("https://user:pw@host:443/")).toBe("user:pw@host:443");
    expect(originNetloc("127.0.0.1:8888")).toBe("");
    expect(originNetloc("//host.example/x")).toBe("host.example");
    expect(originNetloc("null")).toBe("");
    expect(originNetloc("file:///etc/passwd")).toBe("");
    expect(originNetloc("http://h#frag")).toBe("h");
    expect(originNetloc("HTTP://H:80")).toBe("H:80");
  });

  test("the origin is lower-cased, the Host header is not (as Tornado)", async () => {
    expect((await handshake("/echo", { Origin: "http://EXAMPLE.com" })).status).not.toBe(403);
    expect((await handshake("/echo", { Host: "Example.com", Origin: "http://example.com" })).status).toBe(403);
  });

  test("a port must match too", async () => {
    expect((await handshake("/echo", { Origin: "http://example.com:8080" })).status).toBe(403);
  });
});

describe("close codes", () => {
  test("codes an endpoint may send", () => {
    for (const c of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999]) {
      expect(isValidCloseCode(c)).toBe(true);
    }
  });

  test("reserved, unassigned and malformed codes", () => {
    for (const c of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 1000.5, Number.NaN]) {
      expect(isValidCloseCode(c)).toBe(false);
    }
  });
});

describe("messages", () => {
  test("text and JSON are encoded once as UTF-8; bytes pass through", () => {
    expect([...prepareMessage("é")]).toEqual([0xc3, 0xa9]);
    expect(new TextDecoder().decode(prepareMessage({ a: 1 }))).toBe('{"a": 1}');
    const bytes = new Uint8Array([1, 2]);
    expect(prepareMessage(bytes)).toBe(bytes);
  });

  test("only plain objects are JSON messages", () => {
    expect(encodeJsonMessage({ tag: "</script>" })).toBe('{"tag": "<\\/script>"}');
    expect(() => encodeJsonMessage([1, 2])).toThrow(TypeError);
    expect(() => encodeJsonMessage(null)).toThrow(TypeError);
    expect(() => encodeJsonMessage(5)).toThrow(TypeError);
  });
});

describe("rooms bookkeeping", () => {
  function member(): WebSocketHandler {
    // A handler that was never upgraded: a member that cannot take messages.
    return new EchoHandler(app, new HTTPServerRequest({ method: "GET", uri: "/echo" }));
  }

  test("join, leave and leaveAll keep both directions in step; empty rooms vanish", () => {
    const rooms = new InMemoryWebSocketRooms();
    const a = member();
    const b = member();
    rooms.join("x", a);
    rooms.join("x", b);
    rooms.join("y", a);
    rooms.join("x", a);
    expect(rooms.size("x")).toBe(2);
    expect(rooms.roomsOf(a).sort()).toEqual(["x", "y"]);
    rooms.leave("x", b);
    expect(rooms.members("x")).toEqual([a]);
    expect(rooms.roomsOf(b)).toEqual([]);
    rooms.leaveAll(a);
    expect(rooms.size("x")).toBe(0);
    expect(rooms.size("y")).toBe(0);
    expect(rooms.roomsOf(a)).toEqual([]);
    rooms.leave("nowhere", a);
  });

  test("a member's rooms stay right as it goes from one room to two and back", () => {
    const rooms = new InMemoryWebSocketRooms();
    const a = member();
    rooms.join("x", a);
    rooms.leave("y", a);
    expect(rooms.roomsOf(a)).toEqual(["x"]);
    rooms.join("y", a);
    expect(rooms.roomsOf(a).sort()).toEqual(["x", "y"]);
    rooms.leave("x", a);
    expect(rooms.roomsOf(a)).toEqual(["y"]);
    expect(rooms.members("y")).toEqual([a]);
    rooms.leave("y", a);
    expect(rooms.roomsOf(a)).toEqual([]);
    rooms.join("z", a);
    rooms.leaveAll(a);
    expect(rooms.roomsOf(a)).toEqual([]);
    expect(rooms.size("z")).toBe(0);
  });

  test("a broadcast skips members that are not open and counts the rest", () => {
    const rooms = new InMemoryWebSocketRooms();
    rooms.join("x", member());
    expect(rooms.broadcast("x", "hello")).toBe(0);
    expect(rooms.broadcast("empty", "hello")).toBe(0);
  });

  test("each application has its own rooms unless a registry is configured", () => {
    const other = new Application([]);
    expect(websocketRooms(app)).toBe(websocketRooms(app));
    expect(websocketRooms(app)).not.toBe(websocketRooms(other));
    const shared = new InMemoryWebSocketRooms();
    expect(websocketRooms(new Application([], { websocketRooms: shared }))).toBe(shared);
  });
});

describe("heartbeat", () => {
  test("the default timeout is Tornado 6.2's max(3 × interval, 30 s)", () => {
    expect(defaultPingTimeout(1)).toBe(30);
    expect(defaultPingTimeout(20)).toBe(60);
  });

  test("pings go out on the interval while pongs come back", async () => {
    let pings = 0;
    let timedOut = false;
    const beat = new WebSocketHeartbeat(0.02, 0.06, () => {
      pings++;
      beat.pongReceived();
    }, () => (timedOut = true));
    beat.start();
    await new Promise((r) => setTimeout(r, 200));
    beat.stop();
    expect(pings).toBeGreaterThanOrEqual(3);
    expect(timedOut).toBe(false);
  });

  test("a peer without pongs is reported once, after the timeout", async () => {
    let pings = 0;
    let timeouts = 0;
    const started = Date.now();
    let at = 0;
    const beat = new WebSocketHeartbeat(0.02, 0.06, () => pings++, () => {
      timeouts++;
      at = Date.now() - started;
    });
    beat.start();
    await new Promise((r) => setTimeout(r, 250));
    beat.stop();
    expect(timeouts).toBe(1);
    expect(at).toBeGreaterThanOrEqual(60);
    expect(pings).toBeGreaterThanOrEqual(2);
  });

  test("an interval of 0 sends nothing", async () => {
    let pings = 0;
    const beat = new WebSocketHeartbeat(0, null, () => pings++, () => {});
    beat.start();
    await new Promise((r) => setTimeout(r, 50));
    beat.stop();
    expect(pings).toBe(0);
  });
});
