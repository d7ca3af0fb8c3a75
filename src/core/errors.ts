/**
 * The exceptions a handler raises to end a request — Tornado's `HTTPError`, `Finish` and
 * `MissingArgumentError`, in one place.
 * @module
 */

import { RESPONSES } from "./httputil.js";
import { formatMessage } from "./log.js";

/** Options of {@link HTTPError}. */
export interface HTTPErrorOptions {
  /** The reason phrase for the status line (and the default error page). */
  reason?: string;
  /** Arguments substituted into `logMessage` (`%s` style), as Tornado's `*args`. */
  args?: unknown[];
  /** Headers to send with the error response (e.g. `Allow` with a 405). */
  headers?: Record<string, string>;
}

/**
 * An exception that ends the request with an HTTP error response. Tornado's `HTTPError`.
 *
 * `logMessage` is written to the log (never shown to the client); `reason` replaces the
 * standard reason phrase. Raising it from a handler is equivalent to `sendError(status)`.
 *
 * @example
 * throw new HTTPError(404, "no story %s", { args: [id] });
 * throw new HTTPError(429, null, { reason: "Slow Down" });
 */
export class HTTPError extends Error {
  override name = "HTTPError";
  readonly statusCode: number;
  readonly logMessage: string | null;
  readonly args: unknown[];
  readonly reason: string | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(statusCode = 500, logMessage: string | null = null, options: HTTPErrorOptions = {}) {
    const args = options.args ?? [];
    const reason = options.reason;
    super(`HTTP ${statusCode}: ${reason ?? RESPONSES[statusCode] ?? "Unknown"}${logMessage ? ` (${formatMessage(logMessage, args)})` : ""}`);
    this.statusCode = statusCode;
    this.logMessage = logMessage;
    this.args = args;
    this.reason = reason;
    this.headers = options.headers;
  }
}

/**
 * An exception that ends the request without producing an error response: the handler's
 * `finish()` is called (with `chunk`, if given). Tornado's `Finish`.
 *
 * @example
 * this.setStatus(401);
 * this.setHeader("WWW-Authenticate", 'Basic realm="x"');
 * throw new Finish();
 */
export class Finish extends Error {
  override name = "Finish";
  readonly chunk: string | Uint8Array | Record<string, unknown> | undefined;
  constructor(chunk?: string | Uint8Array | Record<string, unknown>) {
    super("Finish");
    this.chunk = chunk;
  }
}

/**
 * Raised by `getArgument` when a required argument is missing: a 400 response.
 * Tornado's `MissingArgumentError`.
 */
export class MissingArgumentError extends HTTPError {
  override name = "MissingArgumentError";
  readonly argName: string;
  constructor(argName: string) {
    super(400, `Missing argument ${argName}`);
    this.argName = argName;
  }
}

/**
 * The client went away before the request body was complete. A streaming handler waiting
 * for its body stops quietly, as Tornado's does on `StreamClosedError`.
 */
export class ClientDisconnectedError extends Error {
  override name = "ClientDisconnectedError";
  constructor(message = "client disconnected before the request body was complete") {
    super(message);
  }
}
