/**
 * Testing helpers — `cyclone/node/testing`, Tornado's `tornado.testing` in Vitest form.
 *
 * - {@link useHTTPTestServer}: `AsyncHTTPTestCase` — inside a `describe`, serves an
 *   application on an unused 127.0.0.1 port for each test (or for the whole block) and
 *   stops it afterwards; `fetch(path)` resolves to the core's `HTTPResponse` with
 *   `raiseError: false`, `url(path)` builds addresses, `port` is the port.
 * - {@link bindUnusedPort}, {@link getAsyncTestTimeout}, {@link withTimeout} (`gen_test`).
 * - {@link ExpectLog} / {@link expectLog}: expected log lines, captured and suppressed;
 *   {@link expectNoUnexpectedLogs}: a test fails if it logs a warning or an error that no
 *   `ExpectLog` claimed, as Tornado's own test runner; {@link captureLogs} /
 *   {@link LogCapture} to assert on what was logged.
 *
 * This module imports `vitest` (for its hooks); the classes underneath
 * ({@link HTTPTestServer}, {@link ExpectLog}) do not depend on it.
 *
 * @example
 * import { describe, expect, test } from "vitest";
 * import { Application, RequestHandler } from "cyclone/node";
 * import { useHTTPTestServer } from "cyclone/node/testing";
 *
 * class MainHandler extends RequestHandler {
 *   get() { this.write("Hello, world"); }
 * }
 *
 * describe("hello", () => {
 *   const server = useHTTPTestServer(() => new Application([["/", MainHandler]]));
 *   test("says hello", async () => {
 *     const response = await server.fetch("/");
 *     expect(response.code).toBe(200);
 *     expect(response.text()).toBe("Hello, world");
 *   });
 * });
 * @module
 */

import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import type { Application } from "../core/application.js";
import type { FetchOptions, HTTPResponse } from "../core/httpclient.js";
import type { AsyncHTTPClient } from "../core/httpclient.js";
import type { HTTPServer } from "./httpserver.js";
import { type NoUnexpectedLogsOptions, UnexpectedLogCheck } from "./testing-logs.js";
import { HTTPTestServer, type HTTPTestServerOptions, TestServerNotRunningError } from "./testing-server.js";

export * from "./testing-logs.js";
export * from "./testing-server.js";

/** Options of {@link useHTTPTestServer}. */
export interface UseHTTPTestServerOptions extends HTTPTestServerOptions {
  /**
   * `"each"` (default, as Tornado's `setUp`/`tearDown`): a fresh application and server
   * for every test. `"all"`: one for the whole `describe` block (faster; tests share state).
   */
  scope?: "each" | "all";
}

/** What {@link useHTTPTestServer} returns: the running test server, read inside tests. */
export interface HTTPTestContext {
  /** The application of the current test. */
  readonly app: Application;
  /** The port the server listens on. */
  readonly port: number;
  /** `"http"`, or `"https"` with `ssl` options. */
  readonly protocol: "http" | "https";
  /** The server under test. */
  readonly httpServer: HTTPServer;
  /** The client `fetch` uses. */
  readonly httpClient: AsyncHTTPClient;
  /** The absolute URL of `path` on the server. Tornado's `get_url`. */
  url(path: string): string;
  /** Fetches `path` (or an absolute URL); `raiseError` defaults to false. Tornado's `fetch`. */
  fetch(path: string, options?: FetchOptions): Promise<HTTPResponse>;
}

/**
 * Serves the application `getApp` builds on an unused 127.0.0.1 port around each test of
 * the enclosing `describe` (or file), and stops it after — closing every connection left
 * open. Tornado's `AsyncHTTPTestCase` with `get_app`. Call it at the top of a `describe`
 * callback; read the returned object only inside tests and hooks.
 *
 * @example
 * describe("API", () => {
 *   const server = useHTTPTestServer(() => makeApp({ debug: false }), { xheaders: true });
 *   test("missing item", async () => {
 *     expect((await server.fetch("/items/9")).code).toBe(404);
 *   });
 *   test("redirect target", () => {
 *     expect(server.url("/a")).toBe(`http://127.0.0.1:${server.port}/a`);
 *   });
 * });
 */
export function useHTTPTestServer(
  getApp: () => Application | Promise<Application>,
  options: UseHTTPTestServerOptions = {},
): HTTPTestContext {
  const { scope = "each", ...serverOptions } = options;
  let current: HTTPTestServer | undefined;
  const running = (): HTTPTestServer => {
    if (current === undefined) {
      throw new TestServerNotRunningError("the test server runs only inside the tests of its describe block");
    }
    return current;
  };
  const setUp = async (): Promise<void> => {
    current = await HTTPTestServer.start(await getApp(), serverOptions);
  };
  const tearDown = async (): Promise<void> => {
    const s = current;
    current = undefined;
    await s?.stop();
  };
  if (scope === "all") {
    beforeAll(setUp);
    afterAll(tearDown);
  } else {
    beforeEach(setUp);
    afterEach(tearDown);
  }
  return {
    get app() {
      return running().app;
    },
    get port() {
      return running().port;
    },
    get protocol() {
      return running().protocol;
    },
    get httpServer() {
      return running().httpServer;
    },
    get httpClient() {
      return running().httpClient;
    },
    url: (path) => running().url(path),
    fetch: (path, fetchOptions) => running().fetch(path, fetchOptions),
  };
}

/**
 * Makes every test of the enclosing `describe` (or file) fail when it logs a record at
 * WARNING or above that no {@link ExpectLog} claimed — Tornado's test runner does the same
 * (and its own tests rely on it). The failure lists the records. Records an `ExpectLog`
 * swallowed never reach this check, nor do access lines (see `ignore`).
 *
 * @example
 * describe("errors", () => {
 *   expectNoUnexpectedLogs();
 *   const server = useHTTPTestServer(() => app);
 *   test("a 500 is logged once", async () => {
 *     await expectLog(appLog, "Uncaught exception", () => server.fetch("/fail"));
 *   });
 * });
 */
export function expectNoUnexpectedLogs(options: NoUnexpectedLogsOptions = {}): void {
  let check: UnexpectedLogCheck | undefined;
  beforeEach(() => {
    check = new UnexpectedLogCheck(options);
  });
  afterEach(() => {
    const c = check;
    check = undefined;
    c?.finish();
  });
}
