/**
 * An application served on an unused 127.0.0.1 port for tests — the working parts of
 * Tornado's `AsyncHTTPTestCase` (and `AsyncHTTPSTestCase`), plus `bind_unused_port`,
 * `get_async_test_timeout` and a `gen_test`-style timeout.
 *
 * Framework-agnostic: `cyclone/node/testing` wires {@link HTTPTestServer} into Vitest's
 * hooks (`useHTTPTestServer`).
 * @module
 */

import type * as net from "node:net";
import type { Application } from "../core/application.js";
import { AsyncHTTPClient, type FetchOptions, type HTTPResponse } from "../core/httpclient.js";
import { TimeoutError } from "../core/timeout.js";
import { HTTPServer, type HTTPServerOptions } from "./httpserver.js";
import { bindSockets } from "./netutil.js";
import { closeWebSockets } from "./websocket.js";

/**
 * The timeout, in seconds, for async tests: `ASYNC_TEST_TIMEOUT` from the environment, or
 * 5. Tornado's `get_async_test_timeout`.
 *
 * @example
 * // ASYNC_TEST_TIMEOUT=30 npx vitest run
 * getAsyncTestTimeout(); // 30
 */
export function getAsyncTestTimeout(): number {
  const env = process.env["ASYNC_TEST_TIMEOUT"];
  if (env !== undefined && env.trim() !== "") {
    const n = Number(env);
    if (Number.isFinite(n)) return n;
  }
  return 5;
}

/**
 * Binds a listening socket to a free port on `address` (127.0.0.1 by default, never a name
 * to resolve) and resolves to `[server, port]`. Tornado's `bind_unused_port`. Hand the
 * server to `HTTPServer.addSockets` or `TCPServer.addSockets`, or close it.
 *
 * @example
 * const [sock, port] = await bindUnusedPort();
 * tcpServer.addSockets([sock]);
 * await TCPClient.connect("127.0.0.1", port);
 */
export async function bindUnusedPort(address = "127.0.0.1", reusePort = false): Promise<[net.Server, number]> {
  const [server] = await bindSockets(0, address, { family: 4, reusePort });
  return [server!, (server!.address() as net.AddressInfo).port];
}

/**
 * Wraps an async test body so it fails with a {@link TimeoutError} ("Async operation
 * timed out after 5 seconds") when it takes longer than `seconds` (default
 * {@link getAsyncTestTimeout}). Tornado's `gen_test(timeout=...)`.
 *
 * The body is not cancelled (JavaScript cannot do that): keep the test's own teardown able
 * to close what it opened.
 *
 * @example
 * test("answers quickly", withTimeout(async () => {
 *   const response = await server.fetch("/");
 *   expect(response.code).toBe(200);
 * }, 2));
 */
export function withTimeout<A extends unknown[]>(
  fn: (...args: A) => unknown,
  seconds: number = getAsyncTestTimeout(),
): (...args: A) => Promise<void> {
  return (...args: A) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new TimeoutError(`Async operation timed out after ${seconds} seconds`)),
        seconds * 1000,
      );
      Promise.resolve()
        .then(() => fn(...args))
        .then(
          () => {
            clearTimeout(timer);
            resolve();
          },
          (e: unknown) => {
            clearTimeout(timer);
            reject(e);
          },
        );
    });
}

/** Options of {@link HTTPTestServer}: those of `HTTPServer`, and where to listen. */
export interface HTTPTestServerOptions extends HTTPServerOptions {
  /** Address to listen on (default 127.0.0.1). */
  address?: string;
  /** Request defaults of the test's `httpClient` (e.g. `{ requestTimeout: 5 }`). */
  clientDefaults?: FetchOptions;
}

/**
 * Raised when a test server is used while it is not running (before `start`, after
 * `stop`, or outside the tests of a `useHTTPTestServer` block).
 *
 * @example
 * const server = new HTTPTestServer(app);
 * server.port; // TestServerNotRunningError
 */
export class TestServerNotRunningError extends Error {
  override name = "TestServerNotRunningError";
}

/**
 * An application served on an unused port for a test, with a client to fetch from it.
 * Tornado's `AsyncHTTPTestCase` (`AsyncHTTPSTestCase` with `ssl` options): `start()` is its
 * `setUp`, `stop()` its `tearDown`.
 *
 * @example
 * const server = await HTTPTestServer.start(new Application([["/", MainHandler]]));
 * try {
 *   const response = await server.fetch("/");
 *   expect(response.text()).toBe("Hello, world");
 * } finally {
 *   await server.stop();
 * }
 */
export class HTTPTestServer {
  readonly app: Application;
  /** The server under test. */
  readonly httpServer: HTTPServer;
  /** The client `fetch` uses. */
  readonly httpClient: AsyncHTTPClient;
  readonly #address: string;
  readonly #secure: boolean;
  #port: number | undefined;

  constructor(app: Application, options: HTTPTestServerOptions = {}) {
    const { address = "127.0.0.1", clientDefaults = {}, ...serverOptions } = options;
    this.app = app;
    this.#address = address;
    this.#secure = serverOptions.ssl !== undefined;
    this.httpServer = new HTTPServer(app, serverOptions);
    // As AsyncHTTPSTestCase: the test certificate is self-signed, so it is not verified.
    this.httpClient = new AsyncHTTPClient({ defaults: { ...(this.#secure ? { validateCert: false } : {}), ...clientDefaults } });
  }

  /**
   * Creates a test server for `app` and starts it.
   *
   * @example
   * const server = await HTTPTestServer.start(app, { xheaders: true });
   */
  static async start(app: Application, options: HTTPTestServerOptions = {}): Promise<HTTPTestServer> {
    const server = new HTTPTestServer(app, options);
    await server.start();
    return server;
  }

  /**
   * Starts listening on an unused port.
   *
   * @example
   * await server.start();
   */
  async start(): Promise<void> {
    const [socket, port] = await bindUnusedPort(this.#address);
    this.httpServer.addSockets([socket]);
    this.#port = port;
  }

  /** The port the server listens on. */
  get port(): number {
    if (this.#port === undefined) throw new TestServerNotRunningError("the test server is not running");
    return this.#port;
  }

  /** `"https"` with `ssl` options, else `"http"`. Tornado's `get_protocol`. */
  get protocol(): "http" | "https" {
    return this.#secure ? "https" : "http";
  }

  /**
   * The absolute URL of `path` on the test server. Tornado's `get_url`.
   *
   * @example
   * server.url("/login?next=%2F"); // "http://127.0.0.1:41234/login?next=%2F"
   */
  url(path: string): string {
    return `${this.protocol}://${this.#address}:${this.port}${path}`;
  }

  /**
   * Fetches `path` from the test server (an absolute `http://` or `https://` URL is fetched
   * as it is) and resolves to the {@link HTTPResponse}. Unlike `AsyncHTTPClient.fetch`,
   * `raiseError` defaults to `false`, so a 404 or a 500 is an ordinary response to assert
   * on, as in Tornado's `AsyncHTTPTestCase.fetch`. Connection failures and timeouts
   * still reject.
   *
   * @example
   * const response = await server.fetch("/items", { method: "POST", body: "name=x" });
   * expect(response.code).toBe(201);
   */
  fetch(path: string, options: FetchOptions = {}): Promise<HTTPResponse> {
    const url = /^https?:\/\//i.test(path) ? path : this.url(path);
    return this.httpClient.fetch(url, { raiseError: false, ...options });
  }

  /**
   * Stops the server: it stops listening, and every connection still open (keep-alive,
   * in flight, WebSockets) is closed. Calling it again does nothing.
   *
   * @example
   * await server.stop();
   */
  async stop(): Promise<void> {
    if (this.#port === undefined) return;
    this.#port = undefined;
    closeWebSockets(this.httpServer);
    this.httpServer.closeAllConnections();
    await this.httpServer.stop();
    this.httpClient.close();
  }
}
