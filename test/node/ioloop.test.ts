// IOLoop: Tornado's tornado/test/ioloop_test.py, translated to Node,
// plus real-process checks that start() holds the process and idle pool threads do not.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { appLog, type LogRecord } from "../../src/core/log.js";
import { TimeoutError } from "../../src/core/timeout.js";
import { IOLoop, IOLoopError, type TimeoutHandle } from "../../src/node/ioloop.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A loop that collects its callbacks' exceptions instead of logging them. */
class RecordingLoop extends IOLoop {
  readonly errors: unknown[] = [];
  override handleCallbackException(_callback: unknown, error: unknown): void {
    this.errors.push(error);
  }
}

let loop: RecordingLoop;
beforeAll(() => {
  loop = new RecordingLoop();
});
afterEach(() => {
  if (loop.closed || loop.isRunning()) return;
  expect(loop.errors).toEqual([]);
});

function freshLoop(): RecordingLoop {
  return new RecordingLoop({ makeCurrent: false });
}

describe("current loop", () => {
  test("current() returns the same loop each time, and instance() is an alias", () => {
    IOLoop.clearCurrent();
    const a = IOLoop.current();
    expect(IOLoop.current()).toBe(a);
    expect(IOLoop.instance()).toBe(a);
    a.close();
  });

  test("current(false) does not create a loop", () => {
    IOLoop.clearCurrent();
    expect(IOLoop.current(false)).toBeUndefined();
  });

  test("a new loop becomes current unless asked not to", () => {
    const a = new IOLoop();
    expect(IOLoop.current()).toBe(a);
    const b = new IOLoop({ makeCurrent: false });
    expect(IOLoop.current()).toBe(a);
    b.makeCurrent();
    expect(IOLoop.current()).toBe(b);
    a.close();
    b.close();
    expect(IOLoop.current(false)).toBeUndefined();
  });

  test("runSync makes its loop current while fn runs", async () => {
    const own = freshLoop();
    const seen = await own.runSync(() => IOLoop.current());
    expect(seen).toBe(own);
    own.close();
  });
});

describe("addCallback", () => {
  test("runs callbacks in the order added, with their arguments", async () => {
    const l = freshLoop();
    const order: string[] = [];
    l.addCallback((x: string) => order.push(x), "a");
    l.addCallback((x: string, y: string) => order.push(x + y), "b", "c");
    l.spawnCallback((x: string) => order.push(x), "d");
    expect(order).toEqual([]);
    await nextTurn();
    expect(order).toEqual(["a", "bc", "d"]);
    l.close();
  });

  test("a callback added by a callback runs on a later turn, after those already queued", async () => {
    const l = freshLoop();
    const order: string[] = [];
    l.addCallback(() => {
      order.push("first");
      l.addCallback(() => order.push("added by first"));
    });
    l.addCallback(() => order.push("second"));
    await nextTurn();
    expect(order).toEqual(["first", "second"]);
    await nextTurn();
    expect(order).toEqual(["first", "second", "added by first"]);
    l.close();
  });

  test("a callback returning {} or [] does not spin (Tornado issue #1803)", async () => {
    const l = freshLoop();
    let runs = 0;
    l.addCallback(() => (runs++, {}));
    l.addCallback(() => (runs++, []));
    await sleep(20);
    expect(runs).toBe(2);
    l.close();
  });

  test("an exception is handed to handleCallbackException and later callbacks still run", async () => {
    const l = freshLoop();
    let after = false;
    l.addCallback(() => {
      throw new RangeError("boom");
    });
    l.addCallback(() => {
      after = true;
    });
    await nextTurn();
    expect(after).toBe(true);
    expect(l.errors).toHaveLength(1);
    expect((l.errors[0] as Error).message).toBe("boom");
    l.close();
  });

  test("a rejected promise returned by a callback is reported too", async () => {
    const l = freshLoop();
    l.spawnCallback(async () => {
      await null;
      throw new Error("async boom");
    });
    await sleep(5);
    expect(l.errors.map((e) => (e as Error).message)).toEqual(["async boom"]);
    l.close();
  });

  test("by default the exception is logged to appLog as 'Exception in callback'", async () => {
    const l = new IOLoop({ makeCurrent: false });
    const records: LogRecord[] = [];
    const handler = (r: LogRecord): void => void records.push(r);
    appLog.addHandler(handler);
    try {
      const failing = (): never => {
        throw new Error("logged");
      };
      l.addCallback(failing);
      await nextTurn();
    } finally {
      appLog.removeHandler(handler);
      l.close();
    }
    expect(records).toHaveLength(1);
    expect(records[0]!.levelName).toBe("ERROR");
    expect(records[0]!.message).toBe("Exception in callback <function failing>");
    expect((records[0]!.error as Error).message).toBe("logged");
  });

  test("callbacks added to a closed loop are dropped silently", async () => {
    const l = freshLoop();
    let ran = false;
    l.addCallback(() => (ran = true));
    l.close();
    for (let i = 0; i < 1000; i++) l.addCallback(() => (ran = true));
    await nextTurn();
    expect(ran).toBe(false);
  });
});

describe("addFuture", () => {
  test("runs the callback with the promise once it resolves", async () => {
    const l = freshLoop();
    const got = new Promise<unknown>((resolve) => l.addFuture(Promise.resolve(7), async (f) => resolve(await f)));
    expect(await got).toBe(7);
    l.close();
  });

  test("runs the callback with the promise once it rejects", async () => {
    const l = freshLoop();
    const failed = Promise.reject(new Error("nope"));
    const got = new Promise<unknown>((resolve) => l.addFuture(failed, (f) => f.catch((e: Error) => resolve(e.message))));
    expect(await got).toBe("nope");
    l.close();
  });
});

describe("timeouts", () => {
  test("time() is monotonic seconds", async () => {
    const t0 = loop.time();
    await sleep(50);
    const t1 = loop.time();
    expect(t1 - t0).toBeGreaterThanOrEqual(0.045);
    expect(t1 - t0).toBeLessThan(1);
  });

  test("callLater runs after the delay, not before (loose upper bound)", async () => {
    const start = loop.time();
    const elapsed = await new Promise<number>((resolve) => loop.callLater(0.05, () => resolve(loop.time() - start)));
    expect(elapsed).toBeGreaterThanOrEqual(0.05);
    expect(elapsed).toBeLessThan(0.5);
  });

  test("no timeout ever runs before its deadline", async () => {
    const early: number[] = [];
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const deadline = loop.time() + (i % 10) / 1000;
        return new Promise<void>((resolve) =>
          loop.callAt(deadline, () => {
            if (loop.time() < deadline) early.push(deadline - loop.time());
            resolve();
          }),
        );
      }),
    );
    expect(early).toEqual([]);
  });

  test("all timeout methods pass their arguments through", async () => {
    const results: number[] = [];
    const push = (n: number): void => void results.push(n);
    loop.addTimeout(loop.time(), push, 1);
    loop.addTimeout(new Date(), push, 2);
    loop.callAt(loop.time(), push, 3);
    loop.callLater(0, push, 4);
    await sleep(30);
    expect(results.sort()).toEqual([1, 2, 3, 4]);
  });

  test("addTimeout takes a Date deadline", async () => {
    const start = Date.now();
    const at = await new Promise<number>((resolve) => loop.addTimeout(new Date(start + 40), () => resolve(Date.now())));
    expect(at - start).toBeGreaterThanOrEqual(35);
    expect(at - start).toBeLessThan(500);
  });

  test("removeTimeout cancels a pending timeout", async () => {
    let ran = false;
    const handle = loop.callLater(0.01, () => (ran = true));
    loop.removeTimeout(handle);
    await sleep(40);
    expect(ran).toBe(false);
  });

  test("removeTimeout after the timeout ran, or twice, is harmless", async () => {
    let ran = false;
    const handle: TimeoutHandle = loop.callLater(0, () => (ran = true));
    await sleep(20);
    expect(ran).toBe(true);
    loop.removeTimeout(handle);
    loop.removeTimeout(handle);
  });

  test("a timeout can cancel another that is already due", async () => {
    const calls = [false, false];
    const now = loop.time();
    loop.addTimeout(now + 0.01, () => {
      calls[0] = true;
      loop.removeTimeout(t2);
    });
    const t2 = loop.addTimeout(now + 0.02, () => {
      calls[1] = true;
    });
    // Block the thread so both come due before the loop looks at either.
    const until = Date.now() + 30;
    while (Date.now() < until);
    await sleep(40);
    expect(calls).toEqual([true, false]);
  });

  test("adding and removing many timeouts leaves nothing behind", async () => {
    for (let i = 0; i < 2000; i++) loop.removeTimeout(loop.addTimeout(loop.time() + 3600, () => {}));
    await nextTurn();
  });

  test("every timeout method returns a handle with its deadline", () => {
    const t = loop.time();
    const handles = [loop.addTimeout(t + 10, () => {}), loop.callAt(t + 10, () => {}), loop.callLater(10, () => {})];
    for (const h of handles) {
      expect(h.deadline).toBeGreaterThanOrEqual(t + 10);
      loop.removeTimeout(h);
    }
  });

  test("a deadline beyond setTimeout's 24.8-day limit does not fire at once", async () => {
    let ran = false;
    const handle = loop.callLater(30 * 24 * 3600, () => (ran = true));
    await sleep(20);
    expect(ran).toBe(false);
    loop.removeTimeout(handle);
  });

  test("a non-numeric deadline is a TypeError", () => {
    expect(() => loop.callAt(Number.NaN, () => {})).toThrow(TypeError);
  });

  test("close() cancels pending timeouts, and later ones throw", async () => {
    const l = freshLoop();
    let ran = false;
    l.callLater(0.01, () => (ran = true));
    l.close();
    await sleep(30);
    expect(ran).toBe(false);
    expect(() => l.callLater(0, () => {})).toThrow(new IOLoopError("Event loop is closed"));
  });
});

describe("start and stop", () => {
  test("start() resolves when stop() is called", async () => {
    const l = freshLoop();
    l.callLater(0.02, () => l.stop());
    const t0 = performance.now();
    await l.start();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
    expect(l.isRunning()).toBe(false);
    l.close();
  });

  test("start() holds a ref'd handle until stop()", async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const l = freshLoop();
    const before = timers();
    const started = l.start();
    expect(timers()).toBe(before + 1);
    l.stop();
    await started;
    expect(timers()).toBe(before);
    l.close();
  });

  test("starting a running loop is an error, not a deadlock", async () => {
    const l = freshLoop();
    const started = l.start();
    await expect(l.start()).rejects.toThrow(new IOLoopError("This event loop is already running"));
    l.stop();
    await started;
    l.close();
  });

  test("stop() before start() makes the next start() return at once", async () => {
    const l = freshLoop();
    l.stop();
    await l.start();
    expect(l.isRunning()).toBe(false);
    l.close();
  });

  test("a running loop cannot be closed; a closed one cannot start", async () => {
    const l = freshLoop();
    const started = l.start();
    expect(() => l.close()).toThrow(new IOLoopError("Cannot close a running event loop"));
    l.stop();
    await started;
    l.close();
    await expect(l.start()).rejects.toThrow(new IOLoopError("Event loop is closed"));
  });
});

describe("runSync", () => {
  test("resolves with an async function's result", async () => {
    const l = freshLoop();
    expect(
      await l.runSync(async () => {
        await sleep(1);
        return 42;
      }),
    ).toBe(42);
    expect(l.isRunning()).toBe(false);
    l.close();
  });

  test("accepts a plain value (Tornado would raise BadYieldError)", async () => {
    const l = freshLoop();
    expect(await l.runSync(() => 42)).toBe(42);
    l.close();
  });

  test("rejects with what fn throws, sync or async", async () => {
    const l = freshLoop();
    await expect(
      l.runSync(() => {
        throw new RangeError("sync");
      }),
    ).rejects.toThrow(new RangeError("sync"));
    await expect(
      l.runSync(async () => {
        await null;
        throw new RangeError("async");
      }),
    ).rejects.toThrow(new RangeError("async"));
    l.close();
  });

  test("rejects with TimeoutError after the timeout, aborting fn's signal", async () => {
    const l = freshLoop();
    let signal: AbortSignal | undefined;
    const t0 = performance.now();
    const error = await l
      .runSync(
        async (s) => {
          signal = s;
          await sleep(1000);
        },
        { timeout: 0.05 },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe("Operation timed out after 0.05 seconds");
    expect(performance.now() - t0).toBeLessThan(500);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(error);
    expect(l.isRunning()).toBe(false);
    l.close();
  });

  test("rejects if the loop is stopped before fn finishes", async () => {
    const l = freshLoop();
    const error = await l
      .runSync(async () => {
        await sleep(10);
        IOLoop.current().stop();
        await sleep(1000);
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IOLoopError);
    expect((error as Error).message).toBe("Event loop stopped before Future completed.");
    l.close();
  });

  test("refuses to run on a loop that is already running", async () => {
    const l = freshLoop();
    const started = l.start();
    let ran = false;
    await expect(l.runSync(() => (ran = true))).rejects.toThrow(new IOLoopError("This event loop is already running"));
    expect(ran).toBe(false);
    l.stop();
    await started;
    l.close();
  });
});

describe("in a real process", () => {
  let outDir: string;

  beforeAll(async () => {
    // Worker threads and child processes run plain Node, so compile the sources first.
    outDir = await mkdtemp(join(tmpdir(), "cyclone-ioloop-"));
    const root = fileURLToPath(new URL("../../", import.meta.url));
    await promisify(execFile)(
      join(root, "node_modules/.bin/tsc"),
      [
        "--ignoreConfig",
        "--outDir",
        outDir,
        "--rootDir",
        join(root, "src"),
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--target",
        "es2022",
        "--types",
        "node",
        "--skipLibCheck",
        "--noCheck",
        join(root, "src/node/ioloop.ts"),
      ],
      { cwd: root, timeout: 60_000 },
    );
    await writeFile(join(outDir, "package.json"), '{"type":"module"}');
  });
  afterAll(() => rm(outDir, { recursive: true, force: true }));

  function runScript(source: string): { child: ReturnType<typeof spawn>; output: () => string; exited: Promise<number | null> } {
    const child = spawn(process.execPath, ["--input-type=module", "-e", source], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    setTimeout(() => child.kill("SIGKILL"), 15_000).unref();
    return { child, output: () => out, exited };
  }

  test("start() keeps the process alive until stop()", async () => {
    const ioloop = pathToFileURL(join(outDir, "node/ioloop.js")).href;
    const run = runScript(`
      import { IOLoop } from ${JSON.stringify(ioloop)};
      const loop = IOLoop.current();
      process.on("SIGUSR2", () => loop.stop());
      console.log("started");
      await loop.start();
      console.log("stopped");
    `);
    await sleep(700);
    expect(run.child.exitCode).toBeNull();
    expect(run.output()).toBe("started\n");
    run.child.kill("SIGUSR2");
    expect(await run.exited).toBe(0);
    expect(run.output()).toBe("started\nstopped\n");
  });

  test("the process exits once executor tasks are done: idle threads and handle ports hold nothing", async () => {
    const ioloop = pathToFileURL(join(outDir, "node/ioloop.js")).href;
    const work = new URL("../fixtures/executor/work.mjs", import.meta.url).href;
    const run = runScript(`
      import { IOLoop } from ${JSON.stringify(ioloop)};
      const loop = IOLoop.current();
      const handle = loop.createHandle();
      handle.register("progress", () => {});
      handle.createPort();
      const results = await Promise.all([1, 2, 3].map((n) => loop.runInExecutor(null, ${JSON.stringify(work)}, "double", n)));
      await loop.runInExecutor(null, ${JSON.stringify(work)}, "report", handle, 2);
      console.log(results.join(","));
    `);
    const t0 = performance.now();
    expect(await run.exited).toBe(0);
    expect(run.output()).toBe("2,4,6\n");
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});
