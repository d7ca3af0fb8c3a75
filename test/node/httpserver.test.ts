/**
 * The Node host's HTTPServer: access logging, xheaders, limits and timeouts, keep-alive,
 * closed clients, and Application.listen — over real sockets on 127.0.0.1.
 */
import * as net from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import {
  accessLog,
  Application,
  appLog,
  HTTPServer,
  type HTTPServerOptions,
  type LogRecord,
  RequestHandler,
} from "../../src/node/index.js";

const servers: HTTPServer[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await s.stop();
  }
});

async function start(app: Application, options: HTTPServerOptions = {}): Promise<string> {
  const s = new HTTPServer(app, options);
  servers.push(s);
  await s.listen(0, "127.0.0.1");
  return `http://127.0.0.1:${s.address()!.port}`;
}

/** Collects what `logger` records while `fn` runs. */
async function captureLogs<T>(logger: typeof accessLog, fn: () => Promise<T>): Promise<{ result: T; records: LogRecord[] }> {
  const records: LogRecord[] = [];
  const h = (r: LogRecord) => records.push(r);
  const previous = logger.level;
  logger.setLevel("DEBUG");
  logger.addHandler(h);
  try {
    return { result: await fn(), records };
  } finally {
    logger.removeHandler(h);
    logger.level = previous;
  }
}

class InfoHandler extends RequestHandler {
  override get() {
    this.write({ remoteIp: this.request.remoteIp, protocol: this.request.protocol });
  }
}

class FailHandler extends RequestHandler {
  override get() {
    throw new Error("handler failed");
  }
}

describe("access log", () => {
  test("one line per request, as Tornado's log_request: status, method, uri, ip, ms", async () => {
    const base = await start(new Application([["/", InfoHandler]]));
    const { records } = await captureLogs(accessLog, async () => {
      await (await fetch(base + "/?a=1")).text();
      await (await fetch(base + "/missing")).text();
    });
    expect(records.map((r) => r.levelName)).toEqual(["INFO", "WARNING"]);
    expect(records[0]!.message).toMatch(/^200 GET \/\?a=1 \(127\.0\.0\.1\) \d+\.\d\dms$/);
    expect(records[1]!.message).toMatch(/^404 GET \/missing \(127\.0\.0\.1\) \d+\.\d\dms$/);
    expect(records[0]!.extra).toMatchObject({ status: 200, method: "GET", uri: "/?a=1", remoteIp: "127.0.0.1" });
  });

  test("a 500 is logged at ERROR, with the exception logged once on the application logger", async () => {
    const base = await start(new Application([["/", FailHandler]]));
    const app = await captureLogs(appLog, async () =>
      captureLogs(accessLog, async () => {
        const r = await fetch(base + "/");
        await r.text();
        return r.status;
      }),
    );
    expect(app.result.result).toBe(500);
    expect(app.result.records.map((r) => r.levelName)).toEqual(["ERROR"]);
    expect(app.records).toHaveLength(1);
    expect(app.records[0]!.message).toContain("Uncaught exception GET / (127.0.0.1)");
    expect((app.records[0]!.error as Error).message).toBe("handler failed");
  });

  test("the logFunction setting replaces the access line", async () => {
    const seen: string[] = [];
    const base = await start(new Application([["/", InfoHandler]], { logFunction: (h) => seen.push(`${h.getStatus()} ${h.request.uri}`) }));
    const { records } = await captureLogs(accessLog, async () => (await fetch(base + "/x?y")).text());
    expect(seen).toEqual(["404 /x?y"]);
    expect(records).toEqual([]);
  });

  test("nothing reaches a handler below the logger's level", async () => {
    const base = await start(new Application([["/", InfoHandler]]));
    const records: LogRecord[] = [];
    const h = (r: LogRecord) => records.push(r);
    accessLog.addHandler(h);
    accessLog.setLevel("WARNING");
    try {
      await (await fetch(base + "/")).text();
    } finally {
      accessLog.removeHandler(h);
      accessLog.level = 0;
    }
    expect(records).toEqual([]);
  });
});

describe("xheaders", () => {
  const app = () => new Application([["/", InfoHandler]]);

  test("off by default: forwarded headers are ignored", async () => {
    const base = await start(app());
    const r = await fetch(base + "/", { headers: { "X-Real-Ip": "4.4.4.4", "X-Scheme": "https" } });
    expect(await r.json()).toEqual({ remoteIp: "127.0.0.1", protocol: "http" });
  });

  test("X-Real-Ip and X-Scheme when on", async () => {
    const base = await start(app(), { xheaders: true });
    const r = await fetch(base + "/", { headers: { "X-Real-Ip": "4.4.4.4", "X-Scheme": "https" } });
    expect(await r.json()).toEqual({ remoteIp: "4.4.4.4", protocol: "https" });
  });

  test("X-Forwarded-For takes the last hop not in trustedDownstream; X-Forwarded-Proto's last value", async () => {
    const base = await start(app(), { xheaders: true, trustedDownstream: ["5.5.5.5"] });
    const r = await fetch(base + "/", { headers: { "X-Forwarded-For": "1.1.1.1, 2.2.2.2, 5.5.5.5", "X-Forwarded-Proto": "http, https" } });
    expect(await r.json()).toEqual({ remoteIp: "2.2.2.2", protocol: "https" });
  });

  test("an invalid address or scheme is ignored", async () => {
    const base = await start(app(), { xheaders: true });
    const r = await fetch(base + "/", { headers: { "X-Real-Ip": "not an ip", "X-Scheme": "gopher" } });
    expect(await r.json()).toEqual({ remoteIp: "127.0.0.1", protocol: "http" });
  });
});

describe("connections", () => {
  function rawRequest(port: number, data: string, idleMs: number): Promise<{ text: string; closedAfterMs: number }> {
    return new Promise((resolve) => {
      const sock = net.connect(port, "127.0.0.1");
      let text = "";
      const t0 = Date.now();
      const guard = setTimeout(() => sock.destroy(), idleMs);
      sock.on("data", (c: Buffer) => (text += c.toString("latin1")));
      sock.on("connect", () => sock.write(data));
      sock.on("error", () => {});
      sock.on("close", () => {
        clearTimeout(guard);
        resolve({ text, closedAfterMs: Date.now() - t0 });
      });
    });
  }

  test("an idle keep-alive connection is closed after idleConnectionTimeout", async () => {
    const base = await start(new Application([["/", InfoHandler]]), { idleConnectionTimeout: 0.3 });
    const port = Number(new URL(base).port);
    const r = await rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 5000);
    expect(r.text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(250);
    expect(r.closedAfterMs).toBeLessThan(4000);
  });

  test("a connection that never sends a request is closed after idleConnectionTimeout", async () => {
    const base = await start(new Application([["/", InfoHandler]]), { idleConnectionTimeout: 0.3 });
    const r = await rawRequest(Number(new URL(base).port), "", 5000);
    expect(r.text).toBe("");
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(250);
    expect(r.closedAfterMs).toBeLessThan(4000);
  });

  test("a response that takes longer than idleConnectionTimeout is still sent, then the connection idles", async () => {
    class SlowHandler extends RequestHandler {
      override async get() {
        await new Promise((r) => setTimeout(r, 700));
        this.write("late");
      }
    }
    const base = await start(new Application([["/", SlowHandler]]), { idleConnectionTimeout: 0.2 });
    const r = await rawRequest(Number(new URL(base).port), "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 5000);
    expect(r.text).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nlate$/);
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(850);
    expect(r.closedAfterMs).toBeLessThan(4000);
  });

  test("each request on a keep-alive connection starts the idle timeout again", async () => {
    const base = await start(new Application([["/", InfoHandler]]), { idleConnectionTimeout: 0.4 });
    const sock = net.connect(Number(new URL(base).port), "127.0.0.1");
    sock.on("error", () => {});
    let text = "";
    sock.on("data", (c: Buffer) => (text += c.toString("latin1")));
    const closed = new Promise<number>((resolve) => sock.on("close", () => resolve(Date.now())));
    const guard = setTimeout(() => sock.destroy(), 5000);
    const req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    const t0 = Date.now();
    // Three requests 250 ms apart: each comes before the 400 ms timeout runs out.
    for (let i = 0; i < 3; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 250));
      sock.write(req);
    }
    const closedAt = await closed;
    clearTimeout(guard);
    expect(text.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(3);
    expect(closedAt - t0).toBeGreaterThanOrEqual(500 + 350);
    expect(closedAt - t0).toBeLessThan(4000);
  });

  test("responses carry no Keep-Alive header, as Tornado's", async () => {
    const base = await start(new Application([["/", InfoHandler]]), { idleConnectionTimeout: 0.2 });
    const r = await rawRequest(Number(new URL(base).port), "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 5000);
    expect(r.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(r.text).not.toMatch(/^Keep-Alive:/im);
  });

  test("a client that never finishes its headers is closed after headerTimeout (slowloris)", async () => {
    const base = await start(new Application([["/", InfoHandler]]), { headerTimeout: 0.5 });
    const port = Number(new URL(base).port);
    const r = await rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ", 8000);
    expect(r.closedAfterMs).toBeLessThan(7000);
    expect(r.text === "" || r.text.startsWith("HTTP/1.1 408")).toBe(true);
  });

  test("several requests share one keep-alive connection", async () => {
    const base = await start(new Application([["/", InfoHandler]]));
    const port = Number(new URL(base).port);
    const req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    const r = await rawRequest(port, req + req + "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000);
    expect(r.text.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(3);
  });
});

describe("a client that goes away", () => {
  test("onConnectionClose fires for a request still waiting", async () => {
    let closed!: () => void;
    const sawClose = new Promise<void>((r) => (closed = r));
    class WaitHandler extends RequestHandler {
      override async get() {
        await sawClose;
      }
      override onConnectionClose() {
        closed();
      }
    }
    const base = await start(new Application([["/", WaitHandler]]));
    const ac = new AbortController();
    const pending = fetch(base + "/", { signal: ac.signal }).catch(() => "aborted");
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    expect(await pending).toBe("aborted");
    await sawClose;
  });

  test("an error after the headers were sent drops the connection instead of a truncated 200", async () => {
    class HalfHandler extends RequestHandler {
      override async get() {
        this.write("partial");
        await this.flush();
        throw new Error("mid-stream failure");
      }
    }
    const base = await start(new Application([["/", HalfHandler]]));
    const { records } = await captureLogs(appLog, async () => {
      const r = await fetch(base + "/");
      expect(r.status).toBe(200);
      await expect(r.text()).rejects.toThrow();
    });
    expect(records.length).toBeGreaterThanOrEqual(1);
  });
});

describe("Application.listen", () => {
  test("serves the app on the port, as Tornado's app.listen", async () => {
    const app = new Application([["/", InfoHandler]]);
    const server = app.listen(0, "127.0.0.1") as HTTPServer;
    servers.push(server);
    for (let i = 0; i < 50 && server.address() === null; i++) await new Promise((r) => setTimeout(r, 10));
    const r = await fetch(`http://127.0.0.1:${server.address()!.port}/`);
    expect(r.status).toBe(200);
    await r.text();
  });
});

describe("request headers as a handler sees them", () => {
  /** Sends `data` on a fresh connection and resolves with all the server sent until it closed. */
  function send(base: string, data: string): Promise<string> {
    return new Promise((resolve) => {
      const sock = net.connect(Number(new URL(base).port), "127.0.0.1");
      let text = "";
      const guard = setTimeout(() => sock.destroy(), 5000);
      sock.on("data", (c: Buffer) => (text += c.toString("latin1")));
      sock.on("connect", () => sock.write(data));
      sock.on("error", () => {});
      sock.on("close", () => {
        clearTimeout(guard);
        resolve(text);
      });
    });
  }
  const bodyOf = (response: string): unknown => JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4));

  class ShowHeaders extends RequestHandler {
    override get() {
      const h = this.request.headers;
      this.write({
        accept: h.get("ACCEPT") ?? null,
        acceptList: h.getList("accept"),
        hasEmpty: h.has("x-empty"),
        empty: h.get("X-Empty") ?? null,
        missing: h.get("X-Missing", "fallback"),
        host: this.request.host,
        pairs: [...h],
      });
    }
  }

  class Rewrite extends RequestHandler {
    override get() {
      const h = this.request.headers;
      const before = h.get("Accept");
      h.add("accept", "image/png");
      h.set("X-Empty", "filled");
      h.delete("User-Agent");
      this.write({ before, after: h.getList("Accept"), empty: h.get("x-empty"), agent: h.has("User-Agent"), size: h.size });
    }
  }

  class Body extends RequestHandler {
    override post() {
      this.write(new TextDecoder().decode(this.request.body));
    }
  }

  const REQUEST =
    "GET / HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: raw\r\naccept: text/html\r\nACCEPT: */*\r\n" +
    "X-Empty: \r\nConnection: close\r\n\r\n";

  test("repeated fields: get joins them with a comma in the order sent, getList keeps each", async () => {
    const base = await start(new Application([["/", ShowHeaders]]));
    expect(bodyOf(await send(base, REQUEST))).toMatchObject({
      accept: "text/html,*/*",
      acceptList: ["text/html", "*/*"],
      hasEmpty: true,
      empty: "",
      missing: "fallback",
      host: "example.com:8080",
    });
  });

  test("iteration gives every field in the order sent, names in Tornado's form", async () => {
    const base = await start(new Application([["/", ShowHeaders]]));
    expect((bodyOf(await send(base, REQUEST)) as { pairs: unknown }).pairs).toEqual([
      ["Host", "example.com:8080"],
      ["User-Agent", "raw"],
      ["Accept", "text/html"],
      ["Accept", "*/*"],
      ["X-Empty", ""],
      ["Connection", "close"],
    ]);
  });

  test("a handler may change them after reading them", async () => {
    const base = await start(new Application([["/", Rewrite]]));
    expect(bodyOf(await send(base, REQUEST))).toEqual({
      before: "text/html,*/*",
      after: ["text/html", "*/*", "image/png"],
      empty: "filled",
      agent: false,
      size: 4,
    });
  });

  test("Content-Length and Transfer-Encoding frame the body whatever their case", async () => {
    const base = await start(new Application([["/", Body]]));
    const lower = await send(base, "POST / HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\nConnection: close\r\n\r\nhello");
    expect(lower).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nhello$/);
    const chunked = await send(base, "POST / HTTP/1.1\r\nHost: x\r\nTRANSFER-ENCODING: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    expect(chunked).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nabc$/);
  });
});
