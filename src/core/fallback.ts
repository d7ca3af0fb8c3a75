/**
 * Mounting other applications — Tornado's `FallbackHandler`, for fetch-style apps: a
 * request that reaches this handler is handed, as a Web `Request`, to another
 * application (an itty-router router, a Hono app, another Cyclone app's `fetch`), and its
 * `Response` is streamed back. The Node host adds `NodeFallbackHandler` (in `cyclone/node`)
 * for `(req, res)` apps such as Express.
 * @module
 */

import { HTTPError } from "./errors.js";
import type { InitArgs } from "./routing.js";
import { RequestHandler } from "./web.js";

/** A function that answers a Web Request, as fetch-style apps do. */
export type FetchFunction = (request: Request, ...extra: never[]) => unknown;

/**
 * A fetch-style application: a function, or an object with a `fetch` method (an
 * itty-router router, a Hono app, a Worker's default export). Structurally compatible with
 * itty-router's `IttyRouterType`.
 */
export type FetchApp = FetchFunction | { fetch(request: Request, ...extra: never[]): unknown };

/** Thrown when a mounted app answers something other than a `Response`. */
export class FallbackError extends Error {
  override name = "FallbackError";
}

const BODYLESS = new Set(["GET", "HEAD"]);

/**
 * Hands every request to a fetch-style application and sends back its `Response`,
 * streamed, as Tornado's `FallbackHandler` hands it to a WSGI app. The app sees the full
 * URL; an app that answers nothing (`undefined`, as an itty-router router does when no
 * route matches) gives 404.
 *
 * @example
 * import { Router } from "itty-router";
 * const api = Router();
 * api.get("/api/hello/:name", ({ params }) => new Response(`hi ${params.name}`));
 * new Application([
 *   ["/", MainHandler],
 *   ["/api/.*", FallbackHandler, { fallback: api }],
 * ]);
 */
export class FallbackHandler extends RequestHandler {
  static override SUPPORTED_METHODS: readonly string[] = ["GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS"];
  #fallback!: FetchApp;

  override initialize(kwargs: InitArgs): void {
    const f = kwargs["fallback"];
    if (typeof f !== "function" && (typeof f !== "object" || f === null || typeof (f as { fetch?: unknown }).fetch !== "function")) {
      throw new TypeError("FallbackHandler needs a fallback: a function or an object with fetch()");
    }
    this.#fallback = f as FetchApp;
  }

  /** The Web Request the mounted app receives. */
  toWebRequest(): Request {
    const r = this.request;
    const headers = new Headers();
    for (const [k, v] of r.headers) headers.append(k, v);
    return new Request(r.fullUrl(), {
      method: r.method,
      headers,
      ...(BODYLESS.has(r.method) || r.body.length === 0 ? {} : { body: r.body as BodyInit }),
    });
  }

  override async prepare(): Promise<void> {
    const f = this.#fallback;
    const request = this.toWebRequest();
    const env = this.request.env as never;
    const ctx = this.request.executionContext as never;
    const result = typeof f === "function" ? await f(request, env, ctx) : await f.fetch(request, env, ctx);
    if (result === undefined || result === null) throw new HTTPError(404);
    if (!(result instanceof Response)) throw new FallbackError(`The mounted app answered ${String(result)}, not a Response`);
    await this.#sendResponse(result);
  }

  async #sendResponse(res: Response): Promise<void> {
    this.clearHeader("Content-Type");
    this.clearHeader("Server");
    this.setStatus(res.status, res.statusText || undefined);
    res.headers.forEach((v, k) => {
      // Hop-by-hop framing is the connection's business, not the mounted app's.
      if (k === "transfer-encoding" || k === "connection" || k === "keep-alive") return;
      this.addHeader(k, v);
    });
    if (res.body === null || this.request.method === "HEAD") {
      await this.finish();
      return;
    }
    // Each chunk goes out as it comes (the app may be streaming), with back-pressure.
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      this.write(value);
      await this.flush();
    }
    await this.finish();
  }

  // The mounted app decides the body; no ETag of ours.
  override computeEtag(): string | null {
    return null;
  }
}
