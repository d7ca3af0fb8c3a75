/**
 * cyclone/node/testing: the test server (Tornado's AsyncHTTPTestCase), bindUnusedPort,
 * withTimeout (gen_test), ExpectLog and the unexpected-log check — used here the way a
 * user's test file would.
 */
import * as net from "node:net";
import { describe, expect, test } from "vitest";
import {
  accessLog,
  Application,
  appLog,
  genLog,
  getLogger,
  type LogRecord,
  RequestHandler,
  TimeoutError,
} from "../../src/node/index.js";
import {
  bindUnusedPort,
  captureLogs,
  ExpectLog,
  expectLog,
  expectNoUnexpectedLogs,
  getAsyncTestTimeout,
  HTTPTestServer,
  LogAssertionError,
  LogCapture,
  TestServerNotRunningError,
  UnexpectedLogCheck,
  useHTTPTestServer,
  withTimeout,
} from "../../src/node/testing.js";

class HelloHandler extends RequestHandler {
  override get() {
    this.write("Hello, world");
  }
  override post() {
    this.write(`posted ${this.getArgument("name")}`);
  }
}

class FailHandler extends RequestHandler {
  override get() {
    throw new Error("handler failed");
  }
}

const makeApp = () =>
  new Application([
    ["/", HelloHandler],
    ["/fail", FailHandler],
  ]);

describe("useHTTPTestServer", () => {
  expectNoUnexpectedLogs();
  const server = useHTTPTestServer(makeApp);
  const ports: number[] = [];

  test("fetch(path) resolves to the core's HTTPResponse", async () => {
    const response = await server.fetch("/");
    expect(response.code).toBe(200);
    expect(response.text()).toBe("Hello, world");
    expect(response.effectiveUrl).toBe(`http://127.0.0.1:${server.port}/`);
    ports.push(server.port);
  });

  test("fetch passes request options (method, body) to AsyncHTTPClient", async () => {
    const response = await server.fetch("/", { method: "POST", body: "name=cyclone" });
    expect(response.text()).toBe("posted cyclone");
    ports.push(server.port);
  });

  test("an error status is a response, not a rejection (raiseError is false)", async () => {
    const response = await server.fetch("/missing");
    expect(response.code).toBe(404);
    expect(response.error).not.toBeNull();
  });

  test("raiseError: true rejects as AsyncHTTPClient does", async () => {
    await expect(server.fetch("/missing", { raiseError: true })).rejects.toMatchObject({ code: 404 });
  });

  test("an absolute URL is fetched as it is", async () => {
    expect((await server.fetch(server.url("/"))).text()).toBe("Hello, world");
  });

  test("url(path) is the server's address on 127.0.0.1", () => {
    expect(server.url("/a?b=1")).toBe(`http://127.0.0.1:${server.port}/a?b=1`);
    expect(server.protocol).toBe("http");
  });

  test("each test gets its own server (scope 'each')", () => {
    expect(ports).toHaveLength(2);
    expect(ports[0]).not.toBe(ports[1]);
  });

  test("a failing handler's 500 is logged, and ExpectLog claims the log line", async () => {
    const response = await expectLog(appLog, "Uncaught exception", () => server.fetch("/fail"));
    expect(response.code).toBe(500);
  });
});

describe("useHTTPTestServer with scope 'all'", () => {
  const server = useHTTPTestServer(makeApp, { scope: "all" });
  let first: number | undefined;

  test("the server starts before the first test", () => {
    first = server.port;
    expect(first).toBeGreaterThan(0);
  });

  test("and is the same one in the next", () => {
    expect(server.port).toBe(first);
  });
});

describe("the test server outside tests", () => {
  const server = useHTTPTestServer(makeApp);
  // Read at collection time, outside any test: there is no server yet.
  let error: unknown;
  try {
    void server.port;
  } catch (e) {
    error = e;
  }

  test("reading it outside a test throws TestServerNotRunningError", () => {
    expect(error).toBeInstanceOf(TestServerNotRunningError);
  });
});

describe("HTTPTestServer", () => {
  test("stop() closes connections left open, and the port no longer accepts", async () => {
    const server = await HTTPTestServer.start(makeApp());
    const port = server.port;
    const idle = net.connect(port, "127.0.0.1");
    await new Promise((resolve) => idle.once("connect", resolve));
    const closed = new Promise((resolve) => idle.once("close", resolve));
    await server.stop();
    await closed;
    const refused = net.connect(port, "127.0.0.1");
    await expect(new Promise((_, reject) => refused.once("error", reject))).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(() => server.port).toThrow(TestServerNotRunningError);
    await server.stop();
  });
});

describe("bindUnusedPort", () => {
  test("binds 127.0.0.1 on a free port and answers [server, port]", async () => {
    const [server, port] = await bindUnusedPort();
    try {
      expect(server.address()).toMatchObject({ address: "127.0.0.1", port });
      expect(port).toBeGreaterThan(0);
      const [other, otherPort] = await bindUnusedPort();
      other.close();
      expect(otherPort).not.toBe(port);
    } finally {
      server.close();
    }
  });
});

describe("withTimeout", () => {
  test("passes through a body that finishes in time", async () => {
    let ran = false;
    await withTimeout(async () => {
      await new Promise((r) => setTimeout(r, 10));
      ran = true;
    }, 1)();
    expect(ran).toBe(true);
  });

  test("fails a body that takes too long with Tornado's message", async () => {
    const slow = withTimeout(() => new Promise((r) => setTimeout(r, 500)), 0.05);
    const error = await slow().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe("Async operation timed out after 0.05 seconds");
  });

  test("an error from the body is the test's error", async () => {
    await expect(withTimeout(() => Promise.reject(new RangeError("bad")), 1)()).rejects.toThrow(RangeError);
  });

  test("can wrap a test body directly", withTimeout(async () => {
    expect(await Promise.resolve(1)).toBe(1);
  }, 1));

  test("the default timeout comes from ASYNC_TEST_TIMEOUT, else 5 seconds", () => {
    const saved = process.env["ASYNC_TEST_TIMEOUT"];
    try {
      delete process.env["ASYNC_TEST_TIMEOUT"];
      expect(getAsyncTestTimeout()).toBe(5);
      process.env["ASYNC_TEST_TIMEOUT"] = "12.5";
      expect(getAsyncTestTimeout()).toBe(12.5);
      process.env["ASYNC_TEST_TIMEOUT"] = "soon";
      expect(getAsyncTestTimeout()).toBe(5);
    } finally {
      if (saved === undefined) delete process.env["ASYNC_TEST_TIMEOUT"];
      else process.env["ASYNC_TEST_TIMEOUT"] = saved;
    }
  });
});

describe("ExpectLog", () => {
  // Everything the root logger receives, to see what an ExpectLog lets through.
  function rootRecords(fn: () => void): LogRecord[] {
    const capture = new LogCapture(getLogger());
    try {
      fn();
    } finally {
      capture.stop();
    }
    return capture.records;
  }

  test("suppresses matching records and counts them", () => {
    let e!: ExpectLog;
    const seen = rootRecords(() => {
      e = new ExpectLog(genLog, /disk full/);
      genLog.warning("disk full on %s", "/var");
      genLog.warning("disk full again");
      e.finish();
    });
    expect(e.matched).toBe(2);
    expect(seen).toEqual([]);
  });

  test("lets other records through to the handlers they would have reached", () => {
    const seen = rootRecords(() => {
      const e = new ExpectLog(genLog, "expected");
      genLog.warning("something else");
      genLog.warning("expected");
      e.finish();
    });
    expect(seen.map((r) => r.message)).toEqual(["something else"]);
  });

  test("matches at the start of the message, as Python's re.match", () => {
    const e = new ExpectLog(genLog, "full", { required: false });
    const seen = rootRecords(() => genLog.warning("disk full"));
    e.finish();
    expect(e.matched).toBe(0);
    expect(seen).toHaveLength(1);
  });

  test("a required expectation with no match fails: 'did not get expected log message'", () => {
    const e = new ExpectLog(genLog, "never");
    expect(() => e.finish()).toThrow(new LogAssertionError("did not get expected log message"));
  });

  test("required: false does not fail", () => {
    expect(() => new ExpectLog(genLog, "never", { required: false }).finish()).not.toThrow();
  });

  test("works with `using`: checked when the block ends", () => {
    const run = () => {
      using _ = new ExpectLog(genLog, "never");
    };
    expect(run).toThrow(LogAssertionError);
    const ok = () => {
      using e = new ExpectLog(genLog, "seen");
      genLog.error("seen");
      return e.matched;
    };
    expect(ok()).toBe(1);
  });

  test("also sees records of descendant loggers, which propagate through it", () => {
    const e = new ExpectLog("cyclone", /^Uncaught/);
    const seen = rootRecords(() => appLog.error("Uncaught exception GET /"));
    e.finish();
    expect(e.matched).toBe(1);
    expect(seen).toEqual([]);
  });

  test("records whether a stack was logged (loggedStack)", () => {
    const e = new ExpectLog(appLog, "boom");
    appLog.exception("boom", new Error("inner"));
    e.finish();
    expect(e.loggedStack).toBe(true);
  });

  test("level: lowers the logger's level for the duration so the record is emitted", () => {
    expect(genLog.isEnabledFor(20)).toBe(false);
    const e = new ExpectLog(genLog, "detail", { level: "INFO" });
    genLog.info("detail");
    e.finish();
    expect(e.matched).toBe(1);
    expect(genLog.isEnabledFor(20)).toBe(false);
  });

  test("level: a match at another level is not claimed, and a warning says so", () => {
    let e!: ExpectLog;
    const seen = rootRecords(() => {
      e = new ExpectLog(genLog, "detail", { level: "INFO", required: false });
      genLog.warning("detail");
      e.finish();
    });
    expect(e.matched).toBe(0);
    expect(seen.map((r) => `${r.name} ${r.levelName} ${r.message}`)).toEqual([
      "cyclone.general WARNING detail",
      "cyclone.application WARNING Got expected log message 'detail' at unexpected level (INFO vs WARNING)",
    ]);
  });

  test("the logger's handlers and propagation are restored afterwards", () => {
    const handler = () => {};
    genLog.addHandler(handler);
    try {
      const e = new ExpectLog(genLog, "x", { required: false });
      e.finish();
      expect(genLog.handlers).toEqual([handler]);
      expect(genLog.propagate).toBe(true);
    } finally {
      genLog.removeHandler(handler);
    }
  });

  test("expectLog(fn): a throwing body's error wins and nothing is checked", async () => {
    await expect(expectLog(genLog, "never", () => Promise.reject(new RangeError("body")))).rejects.toThrow(RangeError);
    expect(genLog.propagate).toBe(true);
  });

  test("expectLog(fn): resolves to the body's result, or fails without a match", async () => {
    expect(await expectLog(genLog, "x", () => (genLog.warning("x"), 7))).toBe(7);
    await expect(expectLog(genLog, "x", () => 7)).rejects.toThrow(LogAssertionError);
  });
});

describe("captureLogs", () => {
  const server = useHTTPTestServer(makeApp);

  test("records what a logger emits at the level asked for", async () => {
    const { result, records } = await captureLogs(accessLog, () => server.fetch("/?a=1"), { level: "INFO" });
    expect(result.code).toBe(200);
    expect(records.map((r) => r.message)).toEqual([expect.stringMatching(/^200 GET \/\?a=1 \(127\.0\.0\.1\) \d+\.\d\dms$/)]);
    expect(accessLog.level).toBe(0);
  });
});

describe("UnexpectedLogCheck (what expectNoUnexpectedLogs runs around each test)", () => {
  test("fails listing the warnings and errors that no ExpectLog claimed", () => {
    const check = new UnexpectedLogCheck();
    const e = new ExpectLog(genLog, "claimed");
    genLog.warning("claimed");
    genLog.warning("unclaimed");
    appLog.error("broken");
    genLog.info("below the level");
    e.finish();
    expect(() => check.finish()).toThrow(
      new LogAssertionError("unexpected log output:\nWARNING cyclone.general: unclaimed\nERROR cyclone.application: broken"),
    );
  });

  test("passes when nothing unexpected was logged; access lines never count", () => {
    const check = new UnexpectedLogCheck();
    accessLog.warning("404 GET /missing (127.0.0.1) 0.40ms");
    expect(() => check.finish()).not.toThrow();
  });

  test("level and ignore are adjustable", () => {
    const check = new UnexpectedLogCheck({ level: "ERROR", ignore: ["cyclone.general"] });
    appLog.warning("a warning");
    genLog.error("ignored logger");
    expect(check.unexpected).toEqual([]);
    appLog.error("counted");
    expect(check.unexpected.map((r) => r.message)).toEqual(["counted"]);
    expect(() => check.finish()).toThrow(LogAssertionError);
  });
});
