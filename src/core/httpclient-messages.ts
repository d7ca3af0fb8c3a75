/**
 * The messages of the HTTP client — Tornado's `HTTPRequest`, `HTTPResponse` and
 * `HTTPClientError` with its 599 subclasses — plus the client's request defaults.
 * `AsyncHTTPClient` (in `httpclient.ts`) re-exports all of them.
 * @module
 */

import { HTTPHeaders, RESPONSES, formatTimestamp } from "./httputil.js";
import { VERSION } from "./version.js";

/** Headers as accepted by {@link HTTPRequest}: `HTTPHeaders`, Web `Headers`, a record or pairs. */
export type HTTPHeadersInit =
  | HTTPHeaders
  | Headers
  | Record<string, string | string[]>
  | Iterable<readonly [string, string]>;

/** Options of an {@link HTTPRequest} (Tornado's `HTTPRequest` keyword arguments). */
export interface HTTPRequestOptions {
  /** HTTP method; default `GET`. */
  method?: string;
  /** Additional headers. The caller's object is never modified. */
  headers?: HTTPHeadersInit;
  /** Request body; a string is sent as UTF-8. Required for POST, PUT and PATCH. */
  body?: string | Uint8Array;
  /** Username for HTTP authentication. */
  authUsername?: string;
  /** Password for HTTP authentication (default empty). */
  authPassword?: string;
  /** Authentication mode; only `basic` (the default) is supported. */
  authMode?: string;
  /** Seconds to establish the connection; default 20, 0 for no limit. */
  connectTimeout?: number;
  /** Seconds for the whole request; default 20, 0 for no limit. */
  requestTimeout?: number;
  /** Sets `If-Modified-Since`: a `Date` or Unix time in seconds. */
  ifModifiedSince?: Date | number;
  /** Follow 301, 302, 303, 307 and 308 redirects; default `true`. */
  followRedirects?: boolean;
  /** How many redirects to follow at most; default 5. */
  maxRedirects?: number;
  /** `User-Agent` to send; default `Cyclone/<version>` unless the headers set one. */
  userAgent?: string;
  /** Ask for a gzip-compressed response and decompress it; default `true`. */
  decompressResponse?: boolean;
  /** Local IP address to bind the connection to. */
  networkInterface?: string;
  /** Receives the body chunk by chunk instead of `response.body`; may return a promise (back-pressure). */
  streamingCallback?: (chunk: Uint8Array) => void | Promise<void>;
  /** Receives the status line, each header line and a final `"\r\n"`, each ending in CRLF. */
  headerCallback?: (line: string) => void;
  /** Allow any method token, and bodies on any method; default `false`. */
  allowNonstandardMethods?: boolean;
  /** Verify the server's TLS certificate; default `true`. */
  validateCert?: boolean;
}

/** Options of {@link AsyncHTTPClient.fetch}: the request options plus `raiseError`. */
export interface FetchOptions extends HTTPRequestOptions {
  /** Raise {@link HTTPClientError} for a non-2xx response; default `true`. */
  raiseError?: boolean;
}

type RequestDefaults = Required<
  Pick<
    HTTPRequestOptions,
    | "connectTimeout"
    | "requestTimeout"
    | "followRedirects"
    | "maxRedirects"
    | "decompressResponse"
    | "allowNonstandardMethods"
    | "validateCert"
  >
>;

/**
 * Tornado's `HTTPRequest._DEFAULTS`: what an option left unset by the request and the
 * client's `defaults` falls back to.
 *
 * @example
 * REQUEST_DEFAULTS.requestTimeout; // 20 (seconds)
 */
export const REQUEST_DEFAULTS: Readonly<RequestDefaults> = Object.freeze({
  connectTimeout: 20,
  requestTimeout: 20,
  followRedirects: true,
  maxRedirects: 5,
  decompressResponse: true,
  allowNonstandardMethods: false,
  validateCert: true,
});

/**
 * The `User-Agent` sent when none is given, as Tornado sends `Tornado/<version>`.
 *
 * @example
 * DEFAULT_USER_AGENT; // "Cyclone/0.1.0"
 */
export const DEFAULT_USER_AGENT = `Cyclone/${VERSION}`;

const encoder = new TextEncoder();

/**
 * An HTTP request for {@link AsyncHTTPClient.fetch} — Tornado's `httpclient.HTTPRequest`.
 *
 * Options left unset take the client's defaults when fetched.
 *
 * @example
 * const request = new HTTPRequest("https://example.com/api", {
 *   method: "POST",
 *   body: JSON.stringify({ a: 1 }),
 *   headers: { "Content-Type": "application/json" },
 *   requestTimeout: 5,
 * });
 * const response = await new AsyncHTTPClient().fetch(request);
 */
export class HTTPRequest implements HTTPRequestOptions {
  url: string;
  method: string;
  headers: HTTPHeaders;
  body: Uint8Array | undefined;
  authUsername: string | undefined;
  authPassword: string | undefined;
  authMode: string | undefined;
  connectTimeout: number | undefined;
  requestTimeout: number | undefined;
  followRedirects: boolean | undefined;
  maxRedirects: number | undefined;
  userAgent: string | undefined;
  decompressResponse: boolean | undefined;
  networkInterface: string | undefined;
  streamingCallback: ((chunk: Uint8Array) => void | Promise<void>) | undefined;
  headerCallback: ((line: string) => void) | undefined;
  allowNonstandardMethods: boolean | undefined;
  validateCert: boolean | undefined;
  /** When the request was created, in Unix seconds (Tornado's `start_time`). */
  readonly startTime: number;

  constructor(url: string | URL, options: HTTPRequestOptions = {}) {
    this.url = String(url);
    this.method = options.method ?? "GET";
    this.headers = toHTTPHeaders(options.headers);
    if (options.ifModifiedSince !== undefined) {
      this.headers.set("If-Modified-Since", formatTimestamp(options.ifModifiedSince));
    }
    this.body = typeof options.body === "string" ? encoder.encode(options.body) : options.body;
    this.authUsername = options.authUsername;
    this.authPassword = options.authPassword;
    this.authMode = options.authMode;
    this.connectTimeout = options.connectTimeout;
    this.requestTimeout = options.requestTimeout;
    this.followRedirects = options.followRedirects;
    this.maxRedirects = options.maxRedirects;
    this.userAgent = options.userAgent;
    this.decompressResponse = options.decompressResponse;
    this.networkInterface = options.networkInterface;
    this.streamingCallback = options.streamingCallback;
    this.headerCallback = options.headerCallback;
    this.allowNonstandardMethods = options.allowNonstandardMethods;
    this.validateCert = options.validateCert;
    this.startTime = Date.now() / 1000;
  }
}

function toHTTPHeaders(init: HTTPHeadersInit | undefined): HTTPHeaders {
  if (init === undefined) return new HTTPHeaders();
  if (init instanceof HTTPHeaders) return init.copy();
  if (typeof Headers !== "undefined" && init instanceof Headers) {
    const headers = new HTTPHeaders();
    init.forEach((value, name) => headers.add(name, value));
    return headers;
  }
  return new HTTPHeaders(init as Record<string, string | string[]> | Iterable<readonly [string, string]>);
}

/** Fields of an {@link HTTPResponse} besides its request and code. */
export interface HTTPResponseInit {
  reason?: string;
  headers?: HTTPHeaders;
  body?: Uint8Array;
  effectiveUrl?: string;
  error?: Error;
  requestTime?: number;
  startTime?: number;
}

const decoder = new TextDecoder();

/**
 * The result of {@link AsyncHTTPClient.fetch} — Tornado's `httpclient.HTTPResponse`.
 *
 * @example
 * const response = await client.fetch("http://127.0.0.1:8888/api", { raiseError: false });
 * if (response.error) console.log(response.code, response.reason);
 * else console.log(response.json());
 */
export class HTTPResponse {
  /** The request as the caller made it (before any redirect). */
  readonly request: HTTPRequest;
  /** HTTP status code, e.g. 200 or 404; 599 when no response was received. */
  readonly code: number;
  /** Reason phrase of the status line (the standard one if the server sent none). */
  readonly reason: string;
  readonly headers: HTTPHeaders;
  /** The body; empty when a `streamingCallback` received it. */
  readonly body: Uint8Array;
  /** The final URL, after any redirects. */
  readonly effectiveUrl: string;
  /** An {@link HTTPClientError} for a non-2xx code, or the failure; `null` on success. */
  readonly error: Error | null;
  /** Seconds from the start of the (final) request to its last byte. */
  readonly requestTime: number | undefined;
  /** When the (final) request started, in Unix seconds. */
  readonly startTime: number | undefined;

  constructor(request: HTTPRequest, code: number, init: HTTPResponseInit = {}) {
    this.request = request;
    this.code = code;
    this.reason = init.reason || RESPONSES[code] || "Unknown";
    this.headers = init.headers ?? new HTTPHeaders();
    this.body = init.body ?? new Uint8Array(0);
    this.effectiveUrl = init.effectiveUrl ?? request.url;
    this.requestTime = init.requestTime;
    this.startTime = init.startTime;
    if (init.error !== undefined) this.error = init.error;
    else if (code < 200 || code >= 300) this.error = new HTTPClientError(code, this.reason, this);
    else this.error = null;
  }

  /**
   * Throws {@link error} if there is one (Tornado's `rethrow`).
   *
   * @example
   * response.rethrow(); // throws HTTPClientError for a 404
   */
  rethrow(): void {
    if (this.error) throw this.error;
  }

  /**
   * The body decoded as UTF-8 (invalid sequences become U+FFFD).
   *
   * @example
   * (await client.fetch(url)).text(); // "Hello world!"
   */
  text(): string {
    return decoder.decode(this.body);
  }

  /**
   * The body parsed as JSON; a `SyntaxError` if it is not JSON.
   *
   * @example
   * const data = (await client.fetch(url)).json() as { items: string[] };
   */
  json(): unknown {
    return JSON.parse(this.text());
  }

  /** A short description, e.g. `HTTPResponse(code=200,effectiveUrl="http://…")`. */
  toString(): string {
    return `HTTPResponse(code=${this.code},reason=${JSON.stringify(this.reason)},effectiveUrl=${JSON.stringify(this.effectiveUrl)})`;
  }
}

/**
 * An unsuccessful request — Tornado's `HTTPClientError` (alias `HTTPError`).
 *
 * `code` is the HTTP status, or 599 when no response was received (timeout, refused or
 * dropped connection; `cause` then holds the underlying error). `message` reads as
 * Tornado's `str(e)`: `HTTP 404: Not Found`. With `followRedirects: false`, a redirect
 * raises this too; its `response.headers.get("Location")` is the target.
 *
 * @example
 * try {
 *   await client.fetch(url);
 * } catch (e) {
 *   if (e instanceof HTTPClientError && e.code === 404) console.log("gone");
 * }
 */
export class HTTPClientError extends Error {
  override name = "HTTPClientError";
  readonly code: number;
  readonly response: HTTPResponse | undefined;

  constructor(code: number, message?: string, response?: HTTPResponse, options?: { cause?: unknown }) {
    super(`HTTP ${code}: ${message || RESPONSES[code] || "Unknown"}`, options);
    this.code = code;
    this.response = response;
  }
}

/**
 * A request that timed out (code 599) — Tornado's `HTTPTimeoutError`. Its message says
 * where: `Timeout while connecting`, `Timeout during request` or `Timeout in request queue`.
 *
 * @example
 * await client.fetch(url, { requestTimeout: 0.5 }); // may throw HTTPTimeoutError
 */
export class HTTPTimeoutError extends HTTPClientError {
  override name = "HTTPTimeoutError";
  constructor(message = "Timeout") {
    super(599);
    this.message = message;
  }
}

/**
 * The connection closed before the response was complete (code 599) — Tornado's
 * `HTTPStreamClosedError`.
 *
 * @example
 * if (e instanceof HTTPStreamClosedError) retryLater();
 */
export class HTTPStreamClosedError extends HTTPClientError {
  override name = "HTTPStreamClosedError";
  constructor(message = "Stream closed", options?: { cause?: unknown }) {
    super(599, undefined, undefined, options);
    this.message = message;
  }
}

/**
 * A request the client refuses to send: an unsupported URL scheme, unknown method,
 * a body where none belongs (or none where one must be), CR/LF in a header, an unknown
 * auth mode — Tornado's `ValueError`/`KeyError` from `fetch`.
 *
 * @example
 * await client.fetch(url, { method: "POST" }); // throws: POST needs a body
 */
export class InvalidRequestError extends Error {
  override name = "InvalidRequestError";
}

/**
 * An option the installed transport cannot honour on this host (for example
 * `decompressResponse: false` over `fetch`). Install a capable transport (the Node host
 * does) or drop the option.
 *
 * @example
 * try { await client.fetch(url, { validateCert: false }); }
 * catch (e) { if (e instanceof UnsupportedOptionError) console.log(e.option); }
 */
export class UnsupportedOptionError extends Error {
  override name = "UnsupportedOptionError";
  /** The option's name, e.g. `decompressResponse`. */
  readonly option: string;
  constructor(option: string, transport: string, detail: string) {
    super(`${option} is not supported by the ${transport} transport: ${detail}`);
    this.option = option;
  }
}

