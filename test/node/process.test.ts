/**
 * The process module (Tornado's tornado.process) and HTTPServer.bind + start(n), with real
 * processes: fixtures in test/fixtures/process/ run with `node` against the compiled host.
 * Every process started is killed at the end.
 */
import * as http from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import * as net from "node:net";
import {
  Application,
  bindUnixSocket,
  HTTPServer,
  RequestHandler,
  TCPServerStateError,
  cpuCount,
  taskId,
} from "../../src/node/index.js";
import { bindUnusedPort } from "../../src/node/testing.js";
import { compileNodeHost, killAll, removeCompiled, runScript } from "./process-harness.js";

let moduleUrl: string;
let outDir: string | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  ({ moduleUrl, outDir } = await compileNodeHost());
}, 60_000);

afterEach(async () => {
  killAll();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

afterAll(() => removeCompiled(outDir));

/** GET over a new connection (no keep-alive), so node:cluster hands each one to a child. */
function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error("request timed out")));
  });
}

describe("in this (single) process", () => {
  test("taskId() is null when nothing was forked", () => {
    expect(taskId()).toBeNull();
  });

  test("cpuCount() is the number of processors available", async () => {
    const os = await import("node:os");
    expect(cpuCount()).toBe(os.availableParallelism());
    expect(cpuCount()).toBeGreaterThanOrEqual(1);
  });
});

describe("forkProcesses", () => {
  test("each child gets its task id; the primary exits 0 once every child exited normally", async () => {
    const run = runScript("fork.mjs", moduleUrl, { CYCLONE_PROCESSES: "3", CYCLONE_CHILD: "exit" });
    const { code } = await run.exited;
    expect(code).toBe(0);
    const children = run.lines.filter((l) => l.startsWith("child "));
    expect(children.map((l) => l.split(" ")[1]).sort()).toEqual(["0", "1", "2"]);
    for (const l of children) expect(l).toMatch(/taskId=(\d)$/);
    for (const l of children) expect(l.split(" ")[1]).toBe(/taskId=(\d)$/.exec(l)![1]);
    // The script runs again in each child; taskId() is null only in the primary, before forking.
    expect(run.lines.filter((l) => l.startsWith("taskId-before null"))).toHaveLength(1);
    expect(run.lines).toContain("log INFO Starting 3 processes");
    expect(run.lines.filter((l) => /^log INFO child \d \(pid \d+\) exited normally$/.test(l))).toHaveLength(3);
  });

  test("0 forks one child per core", async () => {
    const run = runScript("fork.mjs", moduleUrl, { CYCLONE_PROCESSES: "0", CYCLONE_CHILD: "exit" });
    expect((await run.exited).code).toBe(0);
    expect(run.lines.filter((l) => l.startsWith("child "))).toHaveLength(cpuCount());
  });

  test("a child that exits with an error status is restarted with the same task id", async () => {
    const markers = await mkdtemp(join(tmpdir(), "cyclone-fork-"));
    dirs.push(markers);
    const run = runScript("fork.mjs", moduleUrl, { CYCLONE_PROCESSES: "2", CYCLONE_CHILD: "crash-once", CYCLONE_MARKERS: markers });
    expect((await run.exited).code).toBe(0);
    const restarts = run.lines.filter((l) => l.startsWith("log WARNING"));
    expect(restarts).toHaveLength(2);
    for (const l of restarts) expect(l).toMatch(/^log WARNING child [01] \(pid \d+\) exited with status 3, restarting$/);
    const ids = run.lines.filter((l) => l.startsWith("child ")).map((l) => l.split(" ")[1]);
    expect(ids.sort()).toEqual(["0", "0", "1", "1"]);
  });

  test("a child killed by a signal is restarted, and the signal's number is logged", async () => {
    const markers = await mkdtemp(join(tmpdir(), "cyclone-fork-"));
    dirs.push(markers);
    const run = runScript("fork.mjs", moduleUrl, {
      CYCLONE_PROCESSES: "1",
      CYCLONE_CHILD: "crash-once",
      CYCLONE_CRASH: "signal",
      CYCLONE_MARKERS: markers,
    });
    expect((await run.exited).code).toBe(0);
    expect(run.lines.filter((l) => l.startsWith("log WARNING"))).toEqual([
      expect.stringMatching(/^log WARNING child 0 \(pid \d+\) killed by signal 9, restarting$/),
    ]);
    expect(run.lines.filter((l) => l.startsWith("child 0 "))).toHaveLength(2);
  });

  test("more than maxRestarts restarts: the primary gives up with TooManyRestartsError", async () => {
    const run = runScript("fork.mjs", moduleUrl, { CYCLONE_PROCESSES: "1", CYCLONE_CHILD: "crash", CYCLONE_MAX_RESTARTS: "2" });
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    // The first run and two restarts; the third failure is one too many.
    expect(run.lines.filter((l) => l.startsWith("child 0 "))).toHaveLength(3);
    expect(run.lines.filter((l) => l.includes("exited with status 7, restarting"))).toHaveLength(3);
    expect(run.lines.join("\n")).toMatch(/TooManyRestartsError: Too many child restarts, giving up/);
  });
});

describe("HTTPServer.bind + start(n)", () => {
  test("two children share the port, each answering with its task id", async () => {
    const run = runScript("server.mjs", moduleUrl, { CYCLONE_PROCESSES: "2" });
    const listening = await run.waitForCount(/^listening /, 2);
    const ports = new Set(listening.map((l) => l.split(" ")[3]));
    expect(ports.size).toBe(1);
    const port = Number([...ports][0]);
    const seen = new Map<number, number>();
    // Round-robin spreads new connections over the children; a few suffice.
    for (let i = 0; i < 20 && seen.size < 2; i++) {
      const r = await get(port, "/");
      expect(r.status).toBe(200);
      const { taskId: id, pid } = JSON.parse(r.body) as { taskId: number; pid: number };
      seen.set(id, pid);
    }
    expect([...seen.keys()].sort()).toEqual([0, 1]);
    expect(new Set(seen.values()).size).toBe(2);
    run.child.kill("SIGTERM");
    expect((await run.exited).code).toBe(0);
  });

  test("a crashed child is replaced by a new one with the same task id, on the same port", async () => {
    const run = runScript("server.mjs", moduleUrl, { CYCLONE_PROCESSES: "2" });
    const first = await run.waitForCount(/^listening /, 2);
    const port = Number(first[0]!.split(" ")[3]);
    const before = run.lines.length;
    await get(port, "/crash?status=3").catch(() => undefined);
    const warning = await run.waitFor(/^log WARNING child \d \(pid \d+\) exited with status 3, restarting$/, before);
    const id = warning.split(" ")[3]!;
    const again = await run.waitFor(new RegExp(`^listening ${id} `), before);
    expect(again.split(" ")[3]).toBe(String(port));
    expect(first.map((l) => l.split(" ")[2])).not.toContain(again.split(" ")[2]);
    // Both task ids answer again.
    const ids = new Set<number>();
    for (let i = 0; i < 20 && ids.size < 2; i++) ids.add((JSON.parse((await get(port, "/")).body) as { taskId: number }).taskId);
    expect([...ids].sort()).toEqual([0, 1]);
    run.child.kill("SIGTERM");
    expect((await run.exited).code).toBe(0);
  });

  test("SIGTERM to the primary reaches every child; requests in flight finish first", async () => {
    const run = runScript("server.mjs", moduleUrl, { CYCLONE_PROCESSES: "2" });
    const port = Number((await run.waitForCount(/^listening /, 2))[0]!.split(" ")[3]);
    const slow = [get(port, "/slow?ms=800"), get(port, "/slow?ms=800")];
    await run.waitForCount(/^started /, 2);
    run.child.kill("SIGTERM");
    for (const r of await Promise.all(slow)) expect(r).toMatchObject({ status: 200, body: expect.stringMatching(/^done \d+$/) });
    expect((await run.exited).code).toBe(0);
  });
});

class HelloHandler extends RequestHandler {
  override get() {
    this.write(`hello over ${this.request.protocol}`);
  }
}

describe("TCPServer.bind + start(n)", () => {
  test("two children share the port, each serving a line protocol with its task id", async () => {
    const [probe, port] = await bindUnusedPort();
    await new Promise<void>((r) => probe.close(() => r()));
    const run = runScript("tcp-fork.mjs", moduleUrl, { CYCLONE_PORT: String(port) });
    const listening = await run.waitForCount(/^tcp-listening /, 2);
    expect(listening.map((l) => Number(l.split(" ")[1])).sort()).toEqual([0, 1]);
    const seen = new Set<string>();
    for (let i = 0; i < 20 && seen.size < 2; i++) {
      const answer = await new Promise<string>((resolve, reject) => {
        const sock = net.connect(port, "127.0.0.1");
        let data = "";
        sock.on("data", (c: Buffer) => {
          data += c.toString();
          if (data.endsWith("\n")) {
            sock.end();
            resolve(data.trim());
          }
        });
        sock.on("error", reject);
        sock.write(`ping ${i}\n`);
      });
      const [id, pid, ...rest] = answer.split(" ");
      expect(rest.join(" ")).toBe(`ping ${i}`);
      seen.add(`${id}:${pid}`);
    }
    expect(seen.size).toBe(2);
    run.child.kill("SIGTERM");
    expect((await run.exited).code).toBe(0);
  });
});

describe("HTTPServer.bind + start(1), and addSockets, in this process", () => {
  const servers: HTTPServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await s.stop();
    }
  });
  const make = (options = {}) => {
    const s = new HTTPServer(new Application([["/", HelloHandler]]), options);
    servers.push(s);
    return s;
  };

  test("bind records the address; start() listens on it", async () => {
    const server = make();
    await server.bind(0, "127.0.0.1");
    expect(server.address()).toBeNull();
    await server.start();
    const r = await get(server.address()!.port, "/");
    expect(r).toEqual({ status: 200, body: "hello over http" });
  });

  test("start() a second time is an error", async () => {
    const server = make();
    await server.start();
    await expect(server.start()).rejects.toThrow(new TCPServerStateError("HTTPServer.start() was already called"));
  });

  test("bind after start binds at once; every bound address is served", async () => {
    const server = make();
    await server.bind(0, "127.0.0.1");
    await server.start(1);
    const [probe, free] = await bindUnusedPort();
    probe.close();
    await server.bind(free, "127.0.0.1");
    expect((await get(server.address()!.port, "/")).status).toBe(200);
    expect((await get(free, "/")).status).toBe(200);
  });

  test("addSockets serves sockets made elsewhere, such as a Unix socket", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cyclone-unix-"));
    dirs.push(dir);
    const server = make();
    server.addSockets([await bindUnixSocket(join(dir, "http.sock"))]);
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ socketPath: join(dir, "http.sock"), path: "/", agent: false }, (res) => {
          let b = "";
          res.on("data", (c: Buffer) => (b += c.toString()));
          res.on("end", () => resolve(b));
        })
        .on("error", reject);
    });
    expect(body).toBe("hello over http");
  });

  test("a server fed only by addSockets still enforces the header timeout (slowloris)", async () => {
    const server = make({ headerTimeout: 0.2 });
    const [sock, port] = await bindUnusedPort();
    server.addSockets([sock]);
    const slow = net.connect(port, "127.0.0.1");
    slow.write("GET / HTTP/1.1\r\nHost: x\r\n");
    let data = "";
    slow.on("data", (d: Buffer) => (data += d.toString()));
    const started = Date.now();
    await new Promise((resolve) => slow.once("close", resolve));
    expect(data).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
