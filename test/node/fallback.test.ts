/**
 * NodeFallbackHandler: `(req, res)` apps mounted inside a Cyclone app on the Node host — a
 * real Express app and a plain listener — over real sockets.
 */
import type * as http from "node:http";
// @ts-expect-error express ships no types here; it is used as a plain (req, res) app.
import express from "express";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectLog } from "../../src/node/testing-logs.js";
import { accessLog, Application, appLog, HTTPServer, type LogRecord, NodeFallbackHandler, RequestHandler } from "../../src/node/index.js";

class OwnHandler extends RequestHandler {
  override get() {
    this.write("cyclone's own");
  }
}

type Req = http.IncomingMessage & { body?: unknown; params: Record<string, string> };
type Res = http.ServerResponse & { send(b: unknown): void; status(n: number): Res; json(b: unknown): void };

const legacy = express();
legacy.use(express.json());
legacy.get("/legacy/hello/:name", (req: Req, res: Res) => res.send(`express says hi to ${req.params["name"]}`));
legacy.post("/legacy/echo", (req: Req, res: Res) => res.status(201).json({ got: req.body }));

let server: HTTPServer;
let base = "";

beforeAll(async () => {
  const app = new Application([
    ["/own", OwnHandler],
    ["/legacy/.*", NodeFallbackHandler, { fallback: legacy }],
    [
      "/raw/.*",
      NodeFallbackHandler,
      {
        fallback: (req: http.IncomingMessage, res: http.ServerResponse) => {
          let n = 0;
          req.on("data", (c: Buffer) => (n += c.length));
          req.on("end", () => {
            res.writeHead(200, { "Content-Type": "text/plain" });
            res.end(`raw listener read ${n} bytes of ${req.method} ${req.url}`);
          });
        },
      },
    ],
    ["/broken/.*", NodeFallbackHandler, { fallback: () => { throw new Error("listener failed"); } }],
  ]);
  server = new HTTPServer(app);
  await server.listen(0, "127.0.0.1");
  base = `http://127.0.0.1:${server.address()!.port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await server.stop();
});

describe("NodeFallbackHandler", () => {
  test("an Express app answers its routes; Cyclone's own routes still come first", async () => {
    expect(await (await fetch(base + "/legacy/hello/ann")).text()).toBe("express says hi to ann");
    expect(await (await fetch(base + "/own")).text()).toBe("cyclone's own");
  });

  test("the mounted app reads the request body itself (Cyclone leaves it unread)", async () => {
    const r = await fetch(base + "/legacy/echo", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ a: [1, 2] }) });
    expect(r.status).toBe(201);
    expect(await r.json()).toEqual({ got: { a: [1, 2] } });
    const raw = await fetch(base + "/raw/x?y=1", { method: "PUT", body: new Uint8Array(300_000) });
    expect(await raw.text()).toBe("raw listener read 300000 bytes of PUT /raw/x?y=1");
  });

  test("an Express 404 stays Express's", async () => {
    const r = await fetch(base + "/legacy/missing");
    expect(r.status).toBe(404);
    await r.text();
  });

  test("one access line per request, with the mounted app's status", async () => {
    const records: LogRecord[] = [];
    const h = (r: LogRecord) => records.push(r);
    accessLog.addHandler(h);
    accessLog.setLevel("INFO");
    try {
      await (await fetch(base + "/legacy/hello/bo")).text();
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      accessLog.removeHandler(h);
      accessLog.level = 0;
    }
    expect(records.map((r) => r.message.replace(/ [\d.]+ms$/, ""))).toEqual(["200 GET /legacy/hello/bo (127.0.0.1)"]);
  });

  test("a listener that throws gets a 500 page, logged once, and the server goes on", async () => {
    await expectLog(appLog, /^Uncaught exception GET \/broken\/x/, async () => {
      const r = await fetch(base + "/broken/x");
      expect(r.status).toBe(500);
      await r.text();
    });
    expect(await (await fetch(base + "/own")).text()).toBe("cyclone's own");
  });
});
