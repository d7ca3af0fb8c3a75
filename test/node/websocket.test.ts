/**
 * WebSocketHandler on the Node host, opening the connection: the handshake, origins,
 * prepare() and authentication, subprotocols and messages. A real HTTPServer on 127.0.0.1,
 * real clients (`websocketConnect` on `ws`, raw `net` for handshakes), cases after
 * Tornado's websocket_test.py.
 */
import { describe, expect, test } from "vitest";
import { createSignedValue, HTTPClientError } from "../../src/core/index.js";
import { genLog } from "../../src/core/log.js";
import { WebSocketError } from "../../src/core/websocket.js";
import { openWebSocketCount } from "../../src/node/websocket.js";
import { websocketConnect } from "../../src/node/websocket-client.js";
import { captureLog } from "./tcp-helpers.js";
import { SECRET, seen, serverClosed, useWebSocketServer } from "./websocket-app.js";
import { bodyOf, rawExchange, sleep, statusOf, upgradeRequest, within } from "./websocket-helpers.js";

const t = useWebSocketServer();
const connect = t.connect;

describe("handshake", () => {
  test("a plain GET to a WebSocket route is 400 with Tornado's message", async () => {
    const res = await fetch(`http://127.0.0.1:${t.port}/echo`);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('Can "Upgrade" only to "WebSocket".');
  });

  test("an Upgrade without Connection: Upgrade is 400", async () => {
    const answer = await rawExchange(t.port, upgradeRequest("/echo", t.port, { Connection: "keep-alive" }).replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"));
    expect(statusOf(answer)).toBe(400);
    expect(bodyOf(answer)).toBe('"Connection" must be "Upgrade".');
  });

  test("a missing Sec-WebSocket-Key is 400", async () => {
    const answer = await rawExchange(t.port, upgradeRequest("/echo", t.port, { "Sec-WebSocket-Key": "" }));
    expect(statusOf(answer)).toBe(400);
    expect(bodyOf(answer)).toBe("Missing/Invalid WebSocket headers");
  });

  test("a malformed Sec-WebSocket-Key is 400, logged as a warning", async () => {
    const log = captureLog(genLog);
    try {
      const answer = await rawExchange(t.port, upgradeRequest("/echo", t.port, { "Sec-WebSocket-Key": "short" }));
      expect(statusOf(answer)).toBe(400);
      expect(log.messages()).toContain("400 GET /echo (127.0.0.1): Invalid Sec-WebSocket-Key header");
    } finally {
      log.stop();
    }
  });

  test("an unknown protocol version is 426 naming the versions served", async () => {
    const answer = await rawExchange(t.port, upgradeRequest("/echo", t.port, { "Sec-WebSocket-Version": "12" }));
    expect(statusOf(answer)).toBe(426);
    expect(answer).toMatch(/\r\nSec-Websocket-Version: 7, 8, 13\r\n/i);
  });

  test("an upgrade request to an ordinary route gets the ordinary page, then the connection closes", async () => {
    const answer = await rawExchange(t.port, upgradeRequest("/plain", t.port));
    expect(statusOf(answer)).toBe(200);
    expect(bodyOf(answer)).toBe("plain page");
  });

  test("an unknown path is 404 for the client", async () => {
    const err = await websocketConnect(`${t.base}/notfound`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HTTPClientError);
    expect((err as HTTPClientError).code).toBe(404);
  });

  test("a 200 page is not a WebSocket for the client", async () => {
    const err = await websocketConnect(`${t.base}/plain`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebSocketError);
    expect((err as Error).message).toBe("Non-websocket response");
  });

  test("the 101 answers with the key's accept value", async () => {
    const key = "dGhlIHNhbXBsZSBub25jZQ==";
    const sock = await import("node:net").then((net) => net.connect(t.port, "127.0.0.1"));
    const head = await within(
      new Promise<string>((resolve) => {
        let buf = "";
        sock.on("data", (c: Buffer) => {
          buf += c.toString("latin1");
          if (buf.includes("\r\n\r\n")) resolve(buf);
        });
        sock.write(upgradeRequest("/echo", t.port, { "Sec-WebSocket-Key": key }));
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
  test("the same host and t.port is allowed", async () => {
    const conn = await connect("/echo", { headers: { Origin: `http://127.0.0.1:${t.port}` } });
    conn.close();
    await serverClosed.next();
  });

  test("the same host with a path is allowed", async () => {
    const conn = await connect("/echo", { headers: { Origin: `http://127.0.0.1:${t.port}/something` } });
    conn.close();
    await serverClosed.next();
  });

  test("another host is 403", async () => {
    const err = await websocketConnect(`${t.base}/echo`, { headers: { Origin: "http://somewhereelse.com" } }).catch((e: unknown) => e);
    expect((err as HTTPClientError).code).toBe(403);
  });

  test("a subdomain of this host is 403", async () => {
    const err = await websocketConnect(`${t.base}/echo`, {
      headers: { Origin: "http://subtenant.localhost", Host: "localhost" },
    }).catch((e: unknown) => e);
    expect((err as HTTPClientError).code).toBe(403);
  });

  test("a partial URL is 403", async () => {
    const err = await websocketConnect(`${t.base}/echo`, { headers: { Origin: `127.0.0.1:${t.port}` } }).catch((e: unknown) => e);
    expect((err as HTTPClientError).code).toBe(403);
  });

  test("the refusal body is Tornado's message", async () => {
    const answer = await rawExchange(t.port, upgradeRequest("/echo", t.port, { Origin: "http://evil.example" }));
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
    const raw = await RawWebSocket.connect(t.port, "/echo");
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
    const err = await websocketConnect(`${t.base}/auth`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HTTPClientError);
    expect((err as HTTPClientError).code).toBe(401);
    expect(openWebSocketCount(t.server)).toBe(0);
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
      const err = await websocketConnect(`${t.base}/current_user`, { headers }).catch((e: unknown) => e);
      expect((err as HTTPClientError).code).toBe(403);
    }
  });
});

describe("a client that leaves before the upgrade", () => {
  test("onClose runs once and open never does", async () => {
    seen.clear();
    const { default: net } = await import("node:net");
    const sock = net.connect(t.port, "127.0.0.1");
    sock.on("error", () => {});
    sock.write(upgradeRequest("/slow_prepare", t.port));
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

