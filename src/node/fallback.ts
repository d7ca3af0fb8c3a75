/**
 * Mounting `(req, res)` applications on the Node host — Tornado's `FallbackHandler` over
 * `WSGIContainer`, for Node's own kind of app: Express, Koa's callback, a bare
 * `http.createServer` listener. The app gets the raw `node:http` request (its body
 * unread) and response, and answers however it likes.
 * @module
 */

import type * as http from "node:http";
import { HTTPError, type InitArgs, RequestHandler } from "../core/index.js";
import { NodeConnection } from "./httpserver-connection.js";

/** A Node request listener, as Express apps and `http.createServer` callbacks are. */
export type NodeRequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => unknown;

/**
 * Hands the request to a `(req, res)` app. Cyclone's own routes still come first; the
 * mounted app sees the original URL, headers and body stream. The access log gets one line
 * when the app's response finishes.
 *
 * @example
 * import express from "express";
 * const legacy = express();
 * legacy.get("/legacy/hello", (req, res) => res.send("hi from express"));
 * new Application([
 *   ["/", MainHandler],
 *   ["/legacy/.*", NodeFallbackHandler, { fallback: legacy }],
 * ]);
 */
export class NodeFallbackHandler extends RequestHandler {
  // The body stays unread for the mounted app: Cyclone must not consume it first, and the
  // host leaves the raw request untouched (not even paused).
  static streamRequestBody = true;
  static takesOverConnection = true;
  static override SUPPORTED_METHODS: readonly string[] = ["GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS"];
  #fallback!: NodeRequestListener;

  override initialize(kwargs: InitArgs): void {
    const f = kwargs["fallback"];
    if (typeof f !== "function") throw new TypeError("NodeFallbackHandler needs a fallback: a (req, res) function");
    this.#fallback = f as NodeRequestListener;
  }

  override prepare(): void {
    const conn = this.request.connection;
    if (!(conn instanceof NodeConnection)) {
      throw new HTTPError(500, "NodeFallbackHandler runs only on the Node host's HTTPServer");
    }
    const { req, res } = conn.detach();
    res.once("finish", () => {
      this.setStatus(res.statusCode, res.statusMessage || undefined);
      this.request.markFinished();
      this.application.logRequest(this);
    });
    this.markDetached();
    try {
      const r = this.#fallback(req, res);
      if (r instanceof Promise) r.catch((e: unknown) => this.#fail(res, e));
    } catch (e) {
      this.#fail(res, e);
    }
  }

  #fail(res: http.ServerResponse, e: unknown): void {
    this.logException(e);
    if (!res.headersSent) {
      res.writeHead(500, { "Content-Type": "text/html; charset=UTF-8", Connection: "close" });
      res.end("<html><title>500: Internal Server Error</title><body>500: Internal Server Error</body></html>");
    } else res.destroy();
  }
}
