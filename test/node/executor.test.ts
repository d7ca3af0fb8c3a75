// ThreadPoolExecutor and IOLoop.runInExecutor: tasks named by module and export run on
// worker threads; arguments, results and errors cross by structured clone.
import { afterAll, describe, expect, test } from "vitest";
import { fileURLToPath } from "node:url";
import { threadId } from "node:worker_threads";
import {
  BrokenWorkerError,
  CancelledError,
  ExecutorShutdownError,
  ThreadPoolExecutor,
  type Executor,
  type TaskModule,
} from "../../src/node/executor.js";
import { IOLoop, runInExecutor } from "../../src/node/ioloop.js";
import { RemoteLoop, UnknownCallbackError } from "../../src/node/loop-handle.js";

const WORK = new URL("../fixtures/executor/work.mjs", import.meta.url);

const pool = new ThreadPoolExecutor(2);
afterAll(() => pool.shutdown());

/** Runs `fn` with a loop whose callback exceptions are collected instead of logged. */
class RecordingLoop extends IOLoop {
  readonly errors: unknown[] = [];
  override handleCallbackException(_callback: unknown, error: unknown): void {
    this.errors.push(error);
  }
}

describe("results", () => {
  test("a task's return value comes back", async () => {
    expect(await pool.submit(WORK, "double", 21)).toBe(42);
  });

  test("an async task is awaited in the worker", async () => {
    expect(await pool.submit(WORK, "later", "slow", 20)).toBe("slow");
  });

  test("the task runs on another thread", async () => {
    const id = await pool.submit<number>(WORK, "whichThread");
    expect(id).not.toBe(threadId);
  });

  test("arguments and results are structured-cloned", async () => {
    const value = {
      map: new Map([["a", 1]]),
      when: new Date(0),
      bytes: new Uint8Array([1, 2, 3]),
      nested: { list: [1, "two", null], big: 10n },
    };
    const back = await pool.submit<typeof value>(WORK, "echo", value);
    expect(back).toEqual(value);
    expect(back).not.toBe(value);
    expect(back.map).toBeInstanceOf(Map);
    expect(back.when).toBeInstanceOf(Date);
    expect(back.bytes).toBeInstanceOf(Uint8Array);
    expect(await pool.submit(WORK, "describe", value)).toEqual({
      isMap: true,
      isDate: true,
      isBytes: true,
      mapSize: 1,
      byteSum: 6,
    });
  });

  test("the module may be given as an absolute path or a URL string", async () => {
    expect(await pool.submit(fileURLToPath(WORK), "double", 1)).toBe(2);
    expect(await pool.submit(WORK.href, "double", 2)).toBe(4);
  });

  test("builtin modules can serve as tasks", async () => {
    const digest = await pool.submit<Uint8Array>("node:crypto", "pbkdf2Sync", "pw", "salt", 1000, 16, "sha256");
    expect(digest).toBeInstanceOf(Uint8Array);
    expect(digest.byteLength).toBe(16);
  });

  test("tasks beyond the pool size wait for a free thread, in order", async () => {
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => pool.submit(WORK, "later", n, 5)));
    expect(results).toEqual([1, 2, 3, 4, 5]);
    expect(pool.threadCount).toBeLessThanOrEqual(2);
  });

  test("tasks run in parallel up to the pool size", async () => {
    // Each waits for the other: this only completes if both run at once.
    const shared = new SharedArrayBuffer(8);
    const both = await Promise.all([
      pool.submit(WORK, "rendezvous", shared, 0, 1),
      pool.submit(WORK, "rendezvous", shared, 1, 0),
    ]);
    expect(both).toEqual([0, 1]);
  });
});

describe("errors", () => {
  test("an Error keeps its class, message and stack", async () => {
    const error = await pool.submit(WORK, "failType", "bad input").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe("bad input");
    expect((error as TypeError).stack).toContain("failType");
    expect((error as TypeError).stack).toContain("work.mjs");
  });

  test("a custom error keeps its name, own properties and cause", async () => {
    const error = (await pool.submit(WORK, "failCustom").catch((e: unknown) => e)) as Error & { code: string };
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("HashError");
    expect(error.message).toBe("digest mismatch");
    expect(error.code).toBe("E_HASH");
    expect(error.cause).toBeInstanceOf(RangeError);
    expect((error.cause as Error).message).toBe("byte 7");
  });

  test("a rejected async task rejects", async () => {
    await expect(pool.submit(WORK, "failAsync")).rejects.toThrow("async failure");
  });

  test("a thrown non-Error comes back as itself", async () => {
    await expect(pool.submit(WORK, "throwString")).rejects.toBe("plain string");
  });

  test("a missing export is a TypeError naming it", async () => {
    await expect(pool.submit(WORK, "nope")).rejects.toThrow(new TypeError(`nope is not a function exported by ${WORK.href}`));
    await expect(pool.submit(WORK, "notAFunction")).rejects.toBeInstanceOf(TypeError);
  });

  test("a module that cannot be loaded rejects", async () => {
    const missing = new URL("../fixtures/executor/missing.mjs", import.meta.url);
    await expect(pool.submit(missing, "x")).rejects.toThrow(/Cannot find module/);
  });

  test("a relative module specifier is refused", async () => {
    await expect(pool.submit("./work.mjs", "double", 1)).rejects.toThrow(TypeError);
  });

  test("an argument that cannot be cloned rejects, and the pool keeps working", async () => {
    await expect(pool.submit(WORK, "echo", () => 1)).rejects.toThrow(/could not be cloned/);
    expect(await pool.submit(WORK, "double", 5)).toBe(10);
  });

  test("a result that cannot be cloned rejects", async () => {
    await expect(pool.submit(WORK, "returnFunction")).rejects.toThrow(/could not be cloned/);
  });

  test("a thread that exits mid-task rejects it with BrokenWorkerError, and is replaced", async () => {
    const own = new ThreadPoolExecutor(1);
    try {
      const error = await own.submit(WORK, "exitThread", 3).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BrokenWorkerError);
      expect((error as Error).message).toContain("exited with code 3 while running exitThread");
      expect(await own.submit(WORK, "double", 4)).toBe(8);
    } finally {
      await own.shutdown();
    }
  });
});

describe("shutdown", () => {
  test("submit after shutdown rejects with Python's message", async () => {
    const own = new ThreadPoolExecutor(1);
    await own.shutdown();
    await expect(own.submit(WORK, "double", 1)).rejects.toThrow(new ExecutorShutdownError());
    await expect(own.submit(WORK, "double", 1)).rejects.toThrow("cannot schedule new futures after shutdown");
  });

  test("shutdown lets accepted tasks finish, then ends the threads", async () => {
    const own = new ThreadPoolExecutor(1);
    const a = own.submit(WORK, "later", "a", 30);
    const b = own.submit(WORK, "later", "b", 10);
    await own.shutdown();
    expect(await a).toBe("a");
    expect(await b).toBe("b");
    expect(own.threadCount).toBe(0);
  });

  test("shutdown with cancelFutures rejects queued tasks with CancelledError", async () => {
    const own = new ThreadPoolExecutor(1);
    const running = own.submit(WORK, "later", "running", 30);
    const queued = own.submit(WORK, "later", "queued", 0).catch((e: unknown) => e);
    expect(own.pendingCount).toBe(1);
    await own.shutdown({ cancelFutures: true });
    expect(await running).toBe("running");
    expect(await queued).toBeInstanceOf(CancelledError);
  });

  test("a pool size below 1 is refused", () => {
    expect(() => new ThreadPoolExecutor(0)).toThrow(RangeError);
  });
});

describe("IOLoop.runInExecutor", () => {
  test("runs in the given executor", async () => {
    expect(await IOLoop.current().runInExecutor(pool, WORK, "double", 8)).toBe(16);
  });

  test("without an executor uses the loop's default pool, shut down by close()", async () => {
    const loop = new IOLoop({ makeCurrent: false });
    expect(await loop.runInExecutor(null, WORK, "double", 3)).toBe(6);
    expect(await runInExecutor(undefined, WORK, "double", 4)).toBe(8);
    loop.close();
    await expect(loop.runInExecutor(null, WORK, "double", 3)).rejects.toThrow("Event loop is closed");
  });

  test("setDefaultExecutor replaces the default", async () => {
    const submitted: string[] = [];
    class CountingExecutor implements Executor {
      submit<R>(module: TaskModule, exportName: string, ...args: unknown[]): Promise<R> {
        submitted.push(exportName);
        return pool.submit<R>(module, exportName, ...args);
      }
      shutdown(): Promise<void> {
        return Promise.resolve();
      }
    }
    const loop = new IOLoop({ makeCurrent: false });
    loop.setDefaultExecutor(new CountingExecutor());
    expect(await loop.runInExecutor(null, WORK, "double", 2)).toBe(4);
    expect(submitted).toEqual(["double"]);
    loop.close();
  });

  test("the loop keeps turning while a one-second CPU job runs", async () => {
    const ticks: number[] = [];
    const started = performance.now();
    const interval = setInterval(() => ticks.push(performance.now() - started), 20);
    try {
      const iterations = await IOLoop.current().runInExecutor<number>(pool, WORK, "spin", 1000);
      expect(iterations).toBeGreaterThan(0);
    } finally {
      clearInterval(interval);
    }
    // A blocked loop would tick once or not at all; 20 ms ticks over a second give ~50.
    expect(ticks.length).toBeGreaterThan(25);
    const gaps = ticks.slice(1).map((t, i) => t - ticks[i]!);
    expect(Math.max(...gaps)).toBeLessThan(250);
  });
});

describe("callbacks from worker threads", () => {
  test("a task hands named callbacks to the loop, before its result arrives", async () => {
    const loop = new RecordingLoop({ makeCurrent: false });
    const seen: Array<[number, unknown]> = [];
    const handle = loop.createHandle().register("progress", (i: number, detail: unknown) => {
      seen.push([i, detail]);
    });
    expect(await pool.submit(WORK, "report", handle, 3)).toBe("reported");
    // The callbacks were scheduled before the result resolved; they run on the next turn.
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([
      [0, { step: 0 }],
      [1, { step: 1 }],
      [2, { step: 2 }],
    ]);
    expect(loop.errors).toEqual([]);
    loop.close();
  });

  test("an unregistered name is reported through the loop", async () => {
    const loop = new RecordingLoop({ makeCurrent: false });
    const handle = loop.createHandle();
    expect(await pool.submit(WORK, "reportUnknown", handle)).toBe("sent");
    await new Promise((resolve) => setImmediate(resolve));
    expect(loop.errors).toHaveLength(1);
    expect(loop.errors[0]).toBeInstanceOf(UnknownCallbackError);
    expect((loop.errors[0] as Error).message).toBe("No callback registered as 'nobody-home' on this LoopHandle");
    loop.close();
  });

  test("a handle's port reaches the loop from any thread", async () => {
    const loop = new RecordingLoop({ makeCurrent: false });
    const handle = loop.createHandle();
    const echoed = new Promise<string>((resolve) => handle.register("echo", resolve));
    // A MessagePort argument is transferred to the worker, not cloned.
    expect(await pool.submit(WORK, "usePort", handle.createPort(), "over the port")).toBe("posted");
    expect(await echoed).toBe("over the port");
    expect(loop.errors).toEqual([]);
    handle.close();
    loop.close();
  });

  test("RemoteLoop speaks the port protocol", async () => {
    const loop = new IOLoop({ makeCurrent: false });
    const handle = loop.createHandle();
    const got = new Promise<unknown[]>((resolve) => handle.register("sum", (...n: number[]) => resolve(n)));
    const remote = new RemoteLoop(handle.createPort());
    remote.addCallback("sum", 1, 2, 3);
    expect(await got).toEqual([1, 2, 3]);
    remote.close();
    handle.close();
    loop.close();
  });

  test("a closed handle drops requests", async () => {
    const loop = new IOLoop({ makeCurrent: false });
    const handle = loop.createHandle();
    let calls = 0;
    handle.register("x", () => calls++);
    handle.close();
    handle.addCallback("x");
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(0);
    expect(() => handle.createPort()).toThrow(TypeError);
    loop.close();
  });
});
