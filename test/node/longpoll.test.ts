/**
 * Long polling on the Node host: a handler that awaits a `Condition` keeps its request
 * open; a client that leaves reaches it as `onConnectionClose`, which withdraws the wait,
 * so thousands of clients coming and going leave no waiter and no handler behind. Real
 * HTTPServer on 127.0.0.1, raw `net` clients.
 */
import net from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { Application, RequestHandler } from "../../src/core/index.js";
import { Condition } from "../../src/core/locks.js";
import { appLog, genLog, type LogRecord } from "../../src/core/log.js";
import { HTTPServer } from "../../src/node/httpserver.js";
import { sleep, within } from "./websocket-helpers.js";

/** The chat room of Tornado's long-polling demo, reduced to one message slot. */
const room = { condition: new Condition(), latest: "" };

/** Handlers made (initialize), settled (finished or left), how they ended, and reclaimed. */
const handlers = { created: 0, settled: 0, clientLeft: 0, finished: 0, collected: 0 };
const collected = new FinalizationRegistry<undefined>(() => handlers.collected++);
const live = (): number => handlers.created - handlers.settled;

class PollHandler extends RequestHandler {
  readonly #left = new AbortController();
  #settled = false;

  override initialize(): void {
    handlers.created++;
    collected.register(this, undefined);
  }

  override async get(): Promise<void> {
    try {
      await room.condition.wait(undefined, this.#left.signal);
    } catch (e) {
      // Nobody is left to answer; anything else is a real error.
      if (this.#left.signal.aborted) return;
      throw e;
    }
    this.write({ message: room.latest });
  }

  override onConnectionClose(): void {
    handlers.clientLeft++;
    this.#left.abort();
    this.#settle();
  }

  override onFinish(): void {
    handlers.finished++;
    this.#settle();
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    handlers.settled++;
  }
}

let server: HTTPServer;
let port = 0;
const problems: LogRecord[] = [];
const recordProblem = (r: LogRecord): void => {
  if (r.level >= 30) problems.push(r);
};

beforeAll(async () => {
  server = new HTTPServer(new Application([["/poll", PollHandler]]));
  await server.listen(0, "127.0.0.1");
  port = server.address()!.port;
  genLog.addHandler(recordProblem);
  appLog.addHandler(recordProblem);
});

afterAll(async () => {
  genLog.removeHandler(recordProblem);
  appLog.removeHandler(recordProblem);
  server.closeAllConnections();
  await within(server.stop(), 5000, "server stop");
});

afterEach(() => {
  // Nothing the server did while clients came and went was worth a warning.
  expect(problems.map((r) => r.message)).toEqual([]);
});

/** A raw HTTP client: sends `GET /poll` and collects what comes back. */
interface PollClient {
  socket: net.Socket;
  text: string;
  connected: Promise<void>;
}

function poll(): PollClient {
  const socket = net.connect(port, "127.0.0.1");
  const client: PollClient = {
    socket,
    text: "",
    connected: new Promise((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
    }),
  };
  socket.setEncoding("utf8");
  socket.on("data", (d: string) => (client.text += d));
  socket.on("error", () => {});
  socket.write("GET /poll HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  return client;
}

/** Waits (bounded) until `check` holds; fails with what it last saw. */
async function until(check: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await sleep(5);
  }
}

const state = (): string =>
  `waiters=${room.condition.waiterCount} live=${live()} created=${handlers.created} left=${handlers.clientLeft} finished=${handlers.finished}`;

/** Opens `n` polls and waits until the server holds every one of them in the Condition. */
async function openPolls(n: number): Promise<PollClient[]> {
  const before = room.condition.waiterCount;
  const clients = Array.from({ length: n }, poll);
  await within(Promise.all(clients.map((c) => c.connected)), 10_000, "connects");
  await until(() => room.condition.waiterCount === before + n, 10_000, () => `${n} more waiters (${state()})`);
  return clients;
}

/** Forces a full garbage collection (V8's `gc`, exposed for this process only). */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

describe("long polling", () => {
  test("a waiting request stays open until the Condition is notified", async () => {
    room.latest = "first";
    const [client] = await openPolls(1);
    await sleep(50);
    expect(client!.text).toBe("");
    room.condition.notifyAll();
    await until(() => client!.text.endsWith('{"message": "first"}'), 3000, () => `the answer, got ${JSON.stringify(client!.text)}`);
    expect(client!.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    client!.socket.destroy();
    await until(() => live() === 0, 3000, state);
  });

  test("a client that leaves reaches onConnectionClose, which withdraws its wait", async () => {
    const left = handlers.clientLeft;
    const [leaving, staying] = await openPolls(2);
    leaving!.socket.destroy();
    await until(() => handlers.clientLeft === left + 1, 3000, state);
    expect(room.condition.waiterCount).toBe(1);
    expect(live()).toBe(1);
    room.latest = "for the one who stayed";
    room.condition.notifyAll();
    await until(() => staying!.text.includes("for the one who stayed"), 3000, () => staying!.text);
    staying!.socket.destroy();
    await until(() => live() === 0, 3000, state);
  });

  test("one message wakes every waiter and every client gets it", async () => {
    const clients = await openPolls(500);
    room.latest = "wake up";
    room.condition.notifyAll();
    expect(room.condition.waiterCount).toBe(0);
    await until(
      () => clients.every((c) => c.text.endsWith('{"message": "wake up"}')),
      10_000,
      () => `all answers (${clients.filter((c) => c.text.includes("wake up")).length} of 500)`,
    );
    for (const c of clients) {
      expect(c.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      c.socket.destroy();
    }
    await until(() => live() === 0, 5000, state);
  });

  test("after 10,000 clients come and go, no waiter and no handler is left", async () => {
    const total = 10_000;
    const batch = 500;
    const start = { created: handlers.created, left: handlers.clientLeft, collected: handlers.collected };
    const deadline = Date.now() + 60_000;
    for (let i = 0; i < total / batch; i++) {
      expect(Date.now()).toBeLessThan(deadline);
      const clients = await openPolls(batch);
      // Half the batches leave politely (FIN), half abruptly (RST).
      for (const c of clients) {
        if (i % 2 === 0) c.socket.destroy();
        else c.socket.resetAndDestroy();
      }
      await until(() => room.condition.waiterCount === 0 && live() === 0, 10_000, () => `batch ${i} to drain (${state()})`);
    }
    expect(handlers.created - start.created).toBe(total);
    expect(handlers.clientLeft - start.left).toBe(total);
    expect(room.condition.waiterCount).toBe(0);
    expect(live()).toBe(0);
    // Nothing holds the handlers any more: the collector reclaims them. Finalizers run
    // at the collector's discretion, so ask for most, not all.
    for (let i = 0; i < 20 && handlers.collected - start.collected < total / 2; i++) {
      collectGarbage();
      await sleep(20);
    }
    expect(handlers.collected - start.collected).toBeGreaterThanOrEqual(total / 2);
  }, 90_000);
});
