/**
 * Tornado's handler decorators: `authenticated`, `addslash`, `removeslash` and
 * `streamRequestBody`. Each is a TC39-standard decorator and also a plain function (Node
 * 20 cannot run decorators untranspiled), so both forms below work:
 *
 * ```ts
 * class A extends RequestHandler { @authenticated get() { … } }
 * class B extends RequestHandler { get() { … } }
 * B.prototype.get = authenticated(B.prototype.get);   // Python's `get = authenticated(get)`
 * ```
 * @module
 */

import { urlEscape } from "./escape.js";
import { HTTPError } from "./errors.js";
import type { RequestHandler } from "./web.js";

type Method<This, Args extends unknown[], R> = (this: This, ...args: Args) => R;

// The wrapper returns nothing when the guard answered the request itself; the handler
// machinery treats that like a method that finished. Typed as the original method, so a
// decorated method keeps its signature.
function wrap<This extends RequestHandler, Args extends unknown[], R>(
  method: Method<This, Args, R>,
  guard: (handler: This) => boolean,
): Method<This, Args, R> {
  return function (this: This, ...args: Args): R {
    if (!guard(this)) return undefined as R;
    return method.call(this, ...args);
  };
}

/**
 * Requires a signed-in user (`currentUser`). GET and HEAD without one redirect to the
 * `loginUrl` setting with `next=` the requested URL; other methods get 403.
 *
 * @example
 * class ProfileHandler extends RequestHandler {
 *   @authenticated
 *   get() { this.write(`hello ${this.currentUser}`); }
 * }
 */
export function authenticated<This extends RequestHandler, Args extends unknown[], R>(
  method: Method<This, Args, R>,
  _context?: ClassMethodDecoratorContext<This, Method<This, Args, R>>,
): Method<This, Args, R> {
  return wrap(method, (handler) => {
    if (handler.currentUser) return true;
    const m = handler.request.method;
    if (m !== "GET" && m !== "HEAD") throw new HTTPError(403);
    let url = handler.getLoginUrl();
    if (!url.includes("?")) {
      const next = /^[a-z][a-z0-9+.-]*:/i.test(url) ? handler.request.fullUrl() : handler.request.uri;
      url += "?next=" + urlEscape(next);
    }
    handler.redirect(url);
    return false;
  });
}

/**
 * Removes a trailing slash: GET/HEAD redirect permanently to the path without it (query
 * kept); other methods get 404. `/` itself is left alone.
 */
export function removeslash<This extends RequestHandler, Args extends unknown[], R>(
  method: Method<This, Args, R>,
  _context?: ClassMethodDecoratorContext<This, Method<This, Args, R>>,
): Method<This, Args, R> {
  return wrap(method, (handler) => {
    const { path, query } = handler.request;
    if (!path.endsWith("/")) return true;
    const m = handler.request.method;
    if (m !== "GET" && m !== "HEAD") throw new HTTPError(404);
    let uri = path.replace(/\/+$/, "");
    if (!uri) return true;
    if (query) uri += "?" + query;
    handler.redirect(uri, true);
    return false;
  });
}

/**
 * Adds a trailing slash: GET/HEAD redirect permanently to the path with it (query kept);
 * other methods get 404.
 */
export function addslash<This extends RequestHandler, Args extends unknown[], R>(
  method: Method<This, Args, R>,
  _context?: ClassMethodDecoratorContext<This, Method<This, Args, R>>,
): Method<This, Args, R> {
  return wrap(method, (handler) => {
    const { path, query } = handler.request;
    if (path.endsWith("/")) return true;
    const m = handler.request.method;
    if (m !== "GET" && m !== "HEAD") throw new HTTPError(404);
    let uri = path + "/";
    if (query) uri += "?" + query;
    handler.redirect(uri, true);
    return false;
  });
}

/** A handler class that receives its body in chunks through `dataReceived`. */
export interface StreamingHandlerClass {
  streamRequestBody?: boolean;
}

/**
 * Marks a handler class as streaming its request body: `prepare()` runs when the headers
 * arrive, each chunk goes to `dataReceived(chunk)` as it comes (awaited, for
 * back-pressure), and the verb method runs once the body is complete. The body never sits
 * whole in memory. The plain form is `static streamRequestBody = true`.
 *
 * @example
 * @streamRequestBody
 * class UploadHandler extends RequestHandler {
 *   async dataReceived(chunk: Uint8Array) { await file.write(chunk); }
 *   put() { this.write("stored"); }
 * }
 */
export function streamRequestBody<C extends abstract new (...args: never[]) => RequestHandler>(
  cls: C,
  _context?: ClassDecoratorContext<C>,
): C {
  (cls as unknown as StreamingHandlerClass).streamRequestBody = true;
  return cls;
}
