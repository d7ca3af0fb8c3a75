/**
 * Graceful shutdown: a real server process (test/fixtures/process/server.mjs) receives
 * SIGTERM with requests in flight, and in-process cases of installGracefulShutdown and
 * HTTPServer.drain (WebSockets, timeouts, onShutdown, signal handlers). Every process
 * started is killed at the end.
 */
import * as http from "node:http";
import * as net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  Application,
  genLog,
  HTTPServer,
  installGracefulShutdown,
  type IOStream,
  RequestHandler,
  TCPServer,
  websocketConnect,
  WebSocketHandler,
} from "../../src/node/index.js";
import { bindUnusedPort, ExpectLog, expectNoUnexpectedLogs, HTTPTestServer } from "../../src/node/testing.js";
import { compileNodeHost, killAll, removeCompiled, runScript } from "./process-harness.js";

interface Answer {
  status: number;
  body: string;
  connection: string | undefined;
}

/** GET over a new connection. */
function get(port: number, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, body, connection: res.headers.connection }));
    });
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error("request timed out")));
  });
}

/** Connects and resolves with the error code, or "connected". */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.on("error", () => {});
      s.destroy();
      resolve("connected");
    });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** A keep-alive connection that made one request and now sits idle; resolves when the server closes it. */
async function idleConnection(port: number): Promise<{ closed: Promise<number> }> {
  const sock = net.connect(port, "127.0.0.1");
  await new Promise((resolve) => sock.once("connect", resolve));
  sock.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  await new Promise<void>((resolve) => {
    let data = "";
    const onData = (d: Buffer) => {
      data += d.toString("latin1");
      const head = data.indexOf("\r\n\r\n");
      const m = /content-length: (\d+)/i.exec(data);
      if (head !== -1 && m && data.length >= head + 4 + Number(m[1])) {
        sock.off("data", onData);
        resolve();
      }
    };
    sock.on("data", onData);
  });
  sock.on("error", () => {});
  return { closed: new Promise((resolve) => sock.once("close", () => resolve(Date.now()))) };
}

describe("a real server process on SIGTERM", () => {
  let moduleUrl: string;
  let outDir: string | undefined;

  beforeAll(async () => {
    ({ moduleUrl, outDir } = await compileNodeHost());
  }, 60_000);
  afterEach(() => killAll());
  afterAll(() => removeCompiled(outDir));

  test("every request in flight completes with 200 and the process exits 0; new connections are refused", async () => {
    const run = runScript("server.mjs", moduleUrl);
    const port = Number((await run.waitFor(/^listening /)).split(" ")[3]);
    const inFlight = [1, 2, 3, 4].map((i) => get(port, `/slow?ms=1000&i=${i}`));
    // If an assertion fails first, the process is killed: those failures are not the news.
    for (const p of inFlight) p.catch(() => {});
    await run.waitForCount(/^started /, 4);
    const from = run.lines.length;
    run.child.kill("SIGTERM");
    await run.waitFor(/^log INFO SIGTERM: shutting down, waiting up to 10 s for requests in flight$/, from);
    // The listening socket closes at the end of the child's current loop turn: poll briefly.
    let outcome = await tryConnect(port);
    for (let i = 0; i < 20 && outcome !== "ECONNREFUSED"; i++) {
      await new Promise((r) => setTimeout(r, 25));
      outcome = await tryConnect(port);
    }
    expect(outcome).toBe("ECONNREFUSED");
    const answers = await Promise.all(inFlight);
    for (const a of answers) {
      expect(a).toEqual({ status: 200, body: `done ${run.child.pid}`, connection: "close" });
    }
    expect(await run.exited).toEqual({ code: 0, signal: null });
  });

  test("an idle keep-alive connection is closed at once, not when the slow requests end", async () => {
    const run = runScript("server.mjs", moduleUrl);
    const port = Number((await run.waitFor(/^listening /)).split(" ")[3]);
    const idle = await idleConnection(port);
    const slow = get(port, "/slow?ms=1500").then((a) => ({ ...a, at: Date.now() }));
    await run.waitFor(/^started /);
    run.child.kill("SIGTERM");
    const [closedAt, answer] = await Promise.all([idle.closed, slow]);
    expect(answer.status).toBe(200);
    expect(answer.at - closedAt).toBeGreaterThan(500);
    expect((await run.exited).code).toBe(0);
  });

  test("a request still running at the timeout is cut off, and the exit status is 1", async () => {
    const run = runScript("server.mjs", moduleUrl, { CYCLONE_TIMEOUT: "0.5" });
    const port = Number((await run.waitFor(/^listening /)).split(" ")[3]);
    const slow = get(port, "/slow?ms=20000").then(
      () => "answered",
      (e: NodeJS.ErrnoException) => e.code ?? e.message,
    );
    await run.waitFor(/^started /);
    const sent = Date.now();
    run.child.kill("SIGTERM");
    expect(await slow).toBe("ECONNRESET");
    expect((await run.exited).code).toBe(1);
    expect(Date.now() - sent).toBeLessThan(5000);
    expect(run.lines).toContain("log WARNING Shutdown timed out after 0.5 s: connections still open were closed");
  });
});

class SlowHandler extends RequestHandler {
  override async get() {
    await new Promise((r) => setTimeout(r, Number(this.getArgument("ms", "300"))));
    this.write("done");
  }
}

class EchoWebSocket extends WebSocketHandler {
  override onMessage(message: string | Uint8Array) {
    return this.writeMessage(message);
  }
}

const makeApp = () =>
  new Application([
    ["/slow", SlowHandler],
    ["/ws", EchoWebSocket],
  ]);

describe("installGracefulShutdown in process (exit: false)", () => {
  expectNoUnexpectedLogs();
  const servers: HTTPTestServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
  });
  const start = async () => {
    const s = await HTTPTestServer.start(makeApp());
    servers.push(s);
    return s;
  };

  test("WebSockets are closed with 1001 (going away) and the shutdown is clean", async () => {
    const s = await start();
    const ws = await websocketConnect(`ws://127.0.0.1:${s.port}/ws`);
    await ws.writeMessage("hi");
    expect(await ws.readMessage()).toBe("hi");
    const handle = installGracefulShutdown(s.httpServer, { exit: false, signals: [] });
    const result = await handle.shutdown();
    expect(await ws.readMessage()).toBeNull();
    expect(ws.closeCode).toBe(1001);
    expect(result).toEqual({ signal: null, clean: true });
  });

  test("a request in flight finishes first; shutdown() twice is one shutdown; done resolves", async () => {
    const s = await start();
    const answer = get(s.port, "/slow?ms=300");
    await new Promise((r) => setTimeout(r, 100));
    const handle = installGracefulShutdown([s.httpServer], { exit: false, signals: [] });
    expect(handle.shuttingDown).toBe(false);
    const first = handle.shutdown();
    expect(handle.shuttingDown).toBe(true);
    expect(handle.shutdown()).toBe(first);
    expect(await answer).toEqual({ status: 200, body: "done", connection: "close" });
    expect(await handle.done).toEqual({ signal: null, clean: true });
    expect(s.httpServer.connectionCount).toBe(0);
  });

  test("timeout 0 cuts a request in flight off: the result is not clean", async () => {
    const s = await start();
    const answer = get(s.port, "/slow?ms=5000").catch((e: NodeJS.ErrnoException) => e.code);
    await new Promise((r) => setTimeout(r, 100));
    const handle = installGracefulShutdown(s.httpServer, { exit: false, signals: [], timeout: 0 });
    const expectation = new ExpectLog(genLog, "Shutdown timed out after 0 s");
    const result = await handle.shutdown();
    expectation.finish();
    expect(result.clean).toBe(false);
    expect(await answer).toBe("ECONNRESET");
  });

  test("onShutdown runs after the servers drained, with the result", async () => {
    const s = await start();
    const order: string[] = [];
    const handle = installGracefulShutdown(s.httpServer, {
      exit: false,
      signals: [],
      onShutdown: (r) => {
        order.push(`onShutdown clean=${r.clean} connections=${s.httpServer.connectionCount}`);
      },
    });
    await handle.shutdown();
    expect(order).toEqual(["onShutdown clean=true connections=0"]);
  });

  test("an onShutdown that throws is logged and makes the shutdown unclean", async () => {
    const s = await start();
    const handle = installGracefulShutdown(s.httpServer, {
      exit: false,
      signals: [],
      onShutdown: () => Promise.reject(new Error("pool would not close")),
    });
    const expectation = new ExpectLog(genLog, "Error in onShutdown");
    expect((await handle.shutdown()).clean).toBe(false);
    expectation.finish();
  });

  test("a signal starts it; the handlers are removed by uninstall()", async () => {
    const s = await start();
    const before = process.listenerCount("SIGUSR2");
    const handle = installGracefulShutdown(s.httpServer, { exit: false, signals: ["SIGUSR2"] });
    expect(process.listenerCount("SIGUSR2")).toBe(before + 1);
    process.kill(process.pid, "SIGUSR2");
    expect(await handle.done).toEqual({ signal: "SIGUSR2", clean: true });
    expect(await tryConnect(s.port)).toBe("ECONNREFUSED");
    handle.uninstall();
    expect(process.listenerCount("SIGUSR2")).toBe(before);
  });

  test("a server without drain (TCPServer) is stopped", async () => {
    class Greeter extends TCPServer {
      override async handleStream(stream: IOStream) {
        await stream.write("hello\n");
        stream.close();
      }
    }
    const tcp = new Greeter();
    const [sock, port] = await bindUnusedPort();
    tcp.addSockets([sock]);
    const handle = installGracefulShutdown(tcp, { exit: false, signals: [] });
    expect(await handle.shutdown()).toEqual({ signal: null, clean: true });
    expect(await tryConnect(port)).toBe("ECONNREFUSED");
  });

  test("a negative timeout is refused", () => {
    expect(() => installGracefulShutdown([], { exit: false, signals: [], timeout: -1 })).toThrow(RangeError);
  });
});

describe("HTTPServer.drain", () => {
  test("with nothing open it resolves true at once and the port is closed", async () => {
    const server = new HTTPServer(makeApp());
    await server.listen(0, "127.0.0.1");
    const port = server.address()!.port;
    expect(await server.drain(5)).toBe(true);
    expect(server.draining).toBe(true);
    expect(await tryConnect(port)).toBe("ECONNREFUSED");
  });
});
