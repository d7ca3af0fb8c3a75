/**
 * A non-blocking HTTP client — Tornado's `tornado.httpclient`: {@link AsyncHTTPClient},
 * with {@link HTTPRequest}, {@link HTTPResponse} and {@link HTTPClientError} (defined in
 * `httpclient-messages.ts`, re-exported here).
 *
 * Behaviour follows Tornado's `simple_httpclient`: timeouts in **seconds** (default 20
 * each, 0 for none), redirects followed up to 5 times, `Accept-Encoding: gzip` with
 * transparent decompression, `User-Agent: Cyclone/<version>`, basic auth, `Connection:
 * close`, and 599 errors for timeouts and connection failures. Non-2xx responses raise
 * unless `raiseError: false`.
 *
 * The bytes travel through an {@link HTTPTransport}: by default the runtime's `fetch`; the
 * Node host installs one over `node:http` that also honours `connectTimeout`,
 * `decompressResponse: false`, `validateCert: false` and `networkInterface`. Where the
 * transport cannot honour an option, the fetch raises {@link UnsupportedOptionError}.
 * @module
 */

import {
  HTTPClientError,
  HTTPRequest,
  HTTPResponse,
  HTTPTimeoutError,
  InvalidRequestError,
  UnsupportedOptionError,
  DEFAULT_USER_AGENT,
  REQUEST_DEFAULTS,
  type FetchOptions,
  type HTTPRequestOptions,
} from "./httpclient-messages.js";
import {
  fetchTransport,
  iterateStream,
  toReadableStream,
  type HTTPTransport,
  type TransportResponse,
} from "./httpclient-transport.js";
import { HTTPHeaders } from "./httputil.js";
import { Semaphore } from "./locks.js";
import { TimeoutError } from "./timeout.js";

export * from "./httpclient-messages.js";
export {
  fetchTransport,
  type HTTPTransport,
  type HTTPTransportCapabilities,
  type TransportRequest,
  type TransportResponse,
} from "./httpclient-transport.js";

/** Options of an {@link AsyncHTTPClient}. */
export interface AsyncHTTPClientOptions {
  /** How requests reach the network; default the one set by {@link AsyncHTTPClient.configure}. */
  transport?: HTTPTransport;
  /** Defaults for request options, as Tornado's `defaults=dict(...)`. */
  defaults?: HTTPRequestOptions;
  /** Requests in flight at once; others wait in a queue. Default 10, as Tornado. */
  maxClients?: number;
}

let configured: { transport: HTTPTransport; defaults: HTTPRequestOptions } = {
  transport: fetchTransport,
  defaults: {},
};

/**
 * A non-blocking HTTP client — Tornado's `AsyncHTTPClient`.
 *
 * @example
 * const client = new AsyncHTTPClient();
 * try {
 *   const response = await client.fetch("http://www.example.com/");
 *   console.log(response.text());
 * } catch (e) {
 *   console.log(`Error: ${e}`);
 * }
 */
export class AsyncHTTPClient {
  readonly #transport: HTTPTransport;
  readonly #defaults: HTTPRequestOptions;
  readonly #slots: Semaphore;
  #closed = false;

  constructor(options: AsyncHTTPClientOptions = {}) {
    this.#transport = options.transport ?? configured.transport;
    this.#defaults = { ...configured.defaults, ...options.defaults };
    const maxClients = options.maxClients ?? 10;
    if (!(maxClients >= 1)) throw new RangeError("maxClients must be at least 1");
    this.#slots = new Semaphore(maxClients);
  }

  /**
   * Sets the transport and request defaults for clients created afterwards, as Tornado's
   * `AsyncHTTPClient.configure(None, defaults=...)`. The Node host calls this to install
   * its `node:http` transport.
   *
   * @example
   * AsyncHTTPClient.configure({ defaults: { userAgent: "MyUserAgent" } });
   */
  static configure(options: { transport?: HTTPTransport; defaults?: HTTPRequestOptions }): void {
    configured = {
      transport: options.transport ?? configured.transport,
      defaults: options.defaults ?? configured.defaults,
    };
  }

  /** The transport new clients use by default. */
  static get defaultTransport(): HTTPTransport {
    return configured.transport;
  }

  /** The transport this client sends through. */
  get transport(): HTTPTransport {
    return this.#transport;
  }

  /**
   * Frees the client; later fetches throw. Not needed in normal use.
   *
   * @example
   * client.close();
   */
  close(): void {
    this.#closed = true;
  }

  /**
   * Executes a request and resolves to its {@link HTTPResponse}.
   *
   * `request` is a URL (with `options` as the request options) or an {@link HTTPRequest}
   * (then only `raiseError` may be given). A non-2xx response rejects with
   * {@link HTTPClientError} unless `raiseError` is `false`; failures with no response
   * (code 599: timeouts, connection errors) and invalid requests always reject.
   *
   * @example
   * const response = await client.fetch("http://127.0.0.1:8888/", { requestTimeout: 5 });
   * const missing = await client.fetch("http://127.0.0.1:8888/nope", { raiseError: false });
   * missing.code; // 404
   */
  async fetch(request: string | URL | HTTPRequest, options: FetchOptions = {}): Promise<HTTPResponse> {
    if (this.#closed) throw new InvalidRequestError("fetch() called on closed AsyncHTTPClient");
    const { raiseError = true, ...requestOptions } = options;
    let req: HTTPRequest;
    if (request instanceof HTTPRequest) {
      if (Object.keys(requestOptions).length) {
        throw new InvalidRequestError("options can't be used if request is an HTTPRequest object");
      }
      req = request;
    } else {
      req = new HTTPRequest(request, requestOptions);
    }
    const response = await runExchange(req, this.#defaults, this.#transport, this.#slots);
    if (response.error) {
      const fromStatus = response.error instanceof HTTPClientError && response.error.response === response;
      if (raiseError || !fromStatus) throw response.error;
    }
    return response;
  }
}


const SUPPORTED_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
// RFC 9110 token: what a method or header name may contain.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// A header value must not smuggle a new line (RFC 9112 §2.2) or a NUL.
const UNSAFE_VALUE = /[\r\n\0]/;

/** The request options with the client's defaults and Tornado's filled in. */
interface Effective {
  connectTimeout: number;
  /** Whether the caller (request or client defaults) chose the connect timeout. */
  connectTimeoutExplicit: boolean;
  requestTimeout: number;
  followRedirects: boolean;
  decompressResponse: boolean;
  allowNonstandardMethods: boolean;
  validateCert: boolean;
  authMode: string | undefined;
  userAgent: string | undefined;
  networkInterface: string | undefined;
  streamingCallback: HTTPRequestOptions["streamingCallback"];
  headerCallback: HTTPRequestOptions["headerCallback"];
}

/** What changes from one redirect hop to the next. */
interface Hop {
  url: string;
  method: string;
  headers: HTTPHeaders;
  body: Uint8Array | undefined;
  authUsername: string | undefined;
  authPassword: string | undefined;
  maxRedirects: number;
}

// Marks an error thrown by user code (a callback), which must reach the caller unchanged.
class CallbackFailure {
  constructor(readonly error: unknown) {}
}

function effectiveOptions(req: HTTPRequest, defaults: HTTPRequestOptions): Effective {
  return {
    connectTimeout: req.connectTimeout ?? defaults.connectTimeout ?? REQUEST_DEFAULTS.connectTimeout,
    connectTimeoutExplicit: (req.connectTimeout ?? defaults.connectTimeout) !== undefined,
    requestTimeout: req.requestTimeout ?? defaults.requestTimeout ?? REQUEST_DEFAULTS.requestTimeout,
    followRedirects: req.followRedirects ?? defaults.followRedirects ?? REQUEST_DEFAULTS.followRedirects,
    decompressResponse:
      req.decompressResponse ?? defaults.decompressResponse ?? REQUEST_DEFAULTS.decompressResponse,
    allowNonstandardMethods:
      req.allowNonstandardMethods ?? defaults.allowNonstandardMethods ?? REQUEST_DEFAULTS.allowNonstandardMethods,
    validateCert: req.validateCert ?? defaults.validateCert ?? REQUEST_DEFAULTS.validateCert,
    authMode: req.authMode ?? defaults.authMode,
    userAgent: req.userAgent ?? defaults.userAgent,
    networkInterface: req.networkInterface ?? defaults.networkInterface,
    streamingCallback: req.streamingCallback ?? defaults.streamingCallback,
    headerCallback: req.headerCallback ?? defaults.headerCallback,
  };
}

/**
 * Runs a request to its final response, following redirects as Tornado's
 * `_HTTPConnection.finish` does. Each hop has its own timeouts and queue slot.
 */
async function runExchange(
  request: HTTPRequest,
  defaults: HTTPRequestOptions,
  transport: HTTPTransport,
  slots: Semaphore,
): Promise<HTTPResponse> {
  const options = effectiveOptions(request, defaults);
  let hop: Hop = {
    url: request.url,
    method: request.method,
    headers: request.headers.copy(),
    body: request.body,
    authUsername: request.authUsername ?? defaults.authUsername,
    authPassword: request.authPassword ?? defaults.authPassword,
    maxRedirects: request.maxRedirects ?? defaults.maxRedirects ?? REQUEST_DEFAULTS.maxRedirects,
  };
  for (;;) {
    const outcome = await runHop(request, hop, options, transport, slots);
    if (outcome instanceof HTTPResponse) return outcome;
    hop = outcome;
  }
}

function checkCapabilities(transport: HTTPTransport, options: Effective): void {
  const can = transport.capabilities;
  const { connectTimeout, requestTimeout } = options;
  // A connect limit at or above the request limit is enforced by the request timer anyway;
  // Tornado's built-in default (not chosen by the caller) yields to the runtime's own.
  if (
    !can.connectTimeout &&
    options.connectTimeoutExplicit &&
    connectTimeout > 0 &&
    (requestTimeout <= 0 || connectTimeout < requestTimeout)
  ) {
    throw new UnsupportedOptionError(
      "connectTimeout",
      transport.name,
      "it cannot time the connection apart from the request; use requestTimeout",
    );
  }
  if (!can.rawBody && !options.decompressResponse) {
    throw new UnsupportedOptionError("decompressResponse", transport.name, "it always decompresses bodies");
  }
  if (!can.insecureTls && !options.validateCert) {
    throw new UnsupportedOptionError("validateCert", transport.name, "it always verifies certificates");
  }
  if (!can.networkInterface && options.networkInterface !== undefined) {
    throw new UnsupportedOptionError("networkInterface", transport.name, "it cannot bind a local address");
  }
}

function basicAuth(username: string, password: string): string {
  // RFC 7617 §2.1: credentials are NFC-normalized, then UTF-8.
  const bytes = new TextEncoder().encode(`${username.normalize("NFC")}:${password.normalize("NFC")}`);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return "Basic " + btoa(binary);
}

/** Validates a hop and builds the URL and headers to send, as `_HTTPConnection.run`. */
function prepareHop(hop: Hop, options: Effective): { url: URL; headers: HTTPHeaders } {
  let url: URL;
  try {
    url = new URL(hop.url);
  } catch {
    throw new InvalidRequestError(`Invalid URL: ${hop.url}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidRequestError(`Unsupported url scheme: ${hop.url}`);
  }
  const method = hop.method;
  if (!TOKEN.test(method)) throw new InvalidRequestError(`invalid method ${JSON.stringify(method)}`);
  if (!SUPPORTED_METHODS.has(method) && !options.allowNonstandardMethods) {
    throw new InvalidRequestError(`unknown method ${method}`);
  }
  if (options.authMode !== undefined && options.authMode !== "basic") {
    throw new InvalidRequestError(`unsupported authMode ${options.authMode}`);
  }
  if (!options.allowNonstandardMethods) {
    // Some methods nearly always carry a body and others never do; Tornado refuses a mismatch.
    const bodyExpected = method === "POST" || method === "PATCH" || method === "PUT";
    const bodyPresent = hop.body !== undefined;
    if (bodyExpected !== bodyPresent) {
      throw new InvalidRequestError(
        `Body must ${bodyExpected ? "not " : ""}be undefined for method ${method} ` +
          "(unless allowNonstandardMethods is true)",
      );
    }
  }
  const headers = hop.headers;
  for (const [name, value] of headers) {
    if (!TOKEN.test(name)) throw new InvalidRequestError(`invalid header name ${JSON.stringify(name)}`);
    if (UNSAFE_VALUE.test(value)) throw new InvalidRequestError(`invalid header value for ${name}`);
  }
  if (!headers.has("Connection")) headers.set("Connection", "close");
  if (!headers.has("Host")) headers.set("Host", url.host);
  let username: string | undefined;
  let password = "";
  if (url.username !== "" || url.password !== "") {
    username = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } else if (hop.authUsername !== undefined) {
    username = hop.authUsername;
    password = hop.authPassword ?? "";
  }
  if (username !== undefined) headers.set("Authorization", basicAuth(username, password));
  if (options.userAgent !== undefined) headers.set("User-Agent", options.userAgent);
  else if (!headers.has("User-Agent")) headers.set("User-Agent", DEFAULT_USER_AGENT);
  if (hop.body !== undefined) headers.set("Content-Length", String(hop.body.byteLength));
  if (method === "POST" && !headers.has("Content-Type")) {
    headers.set("Content-Type", "application/x-www-form-urlencoded");
  }
  if (options.decompressResponse) headers.set("Accept-Encoding", "gzip");
  url.username = "";
  url.password = "";
  return { url, headers };
}

/** The next hop of a redirect, or `undefined` when the response is final. */
function redirectHop(hop: Hop, sent: URL, code: number, headers: HTTPHeaders, options: Effective): Hop | undefined {
  const location = headers.get("Location");
  if (!options.followRedirects || !REDIRECT_CODES.has(code) || hop.maxRedirects <= 0 || location === undefined) {
    return undefined;
  }
  const target = new URL(location, hop.url);
  const next: Hop = {
    url: target.href,
    method: hop.method,
    headers: hop.headers.copy(),
    body: hop.body,
    authUsername: hop.authUsername,
    authPassword: hop.authPassword,
    maxRedirects: hop.maxRedirects - 1,
  };
  if (target.protocol !== sent.protocol || target.host !== sent.host) {
    // Cross-origin: credentials must not leak to another server (as libcurl and Tornado).
    next.authUsername = undefined;
    next.authPassword = undefined;
    target.username = "";
    target.password = "";
    next.url = target.href;
    next.headers.delete("Authorization");
    next.headers.delete("Cookie");
  }
  next.headers.delete("Host");
  // RFC 7231 §6.4: 303 turns anything but HEAD into GET; 301/302 do so for POST, as browsers.
  if ((code === 303 && hop.method !== "HEAD") || ((code === 301 || code === 302) && hop.method === "POST")) {
    next.method = "GET";
    next.body = undefined;
    for (const name of ["Content-Length", "Content-Type", "Content-Encoding", "Transfer-Encoding"]) {
      next.headers.delete(name);
    }
  }
  return next;
}

function toClientError(error: unknown): unknown {
  if (error instanceof HTTPClientError || error instanceof InvalidRequestError) return error;
  if (error instanceof UnsupportedOptionError) return error;
  // fetch reports network failures as TypeError("fetch failed") with the socket error as cause.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new HTTPClientError(599, message, undefined, { cause: error });
}

async function runHop(
  original: HTTPRequest,
  hop: Hop,
  options: Effective,
  transport: HTTPTransport,
  slots: Semaphore,
): Promise<HTTPResponse | Hop> {
  checkCapabilities(transport, options);
  const { url, headers } = prepareHop(hop, options);
  const { connectTimeout, requestTimeout } = options;
  const limits = [connectTimeout, requestTimeout].filter((t) => t > 0);
  let slot;
  try {
    slot = await slots.acquire(limits.length ? Math.min(...limits) * 1000 : undefined);
  } catch (e) {
    if (e instanceof TimeoutError) throw new HTTPTimeoutError("Timeout in request queue");
    throw e;
  }
  const startTime = Date.now() / 1000;
  const started = performance.now();
  const controller = new AbortController();
  let connected = false;
  let timeoutError: HTTPTimeoutError | undefined;
  const timer =
    requestTimeout > 0
      ? setTimeout(() => {
          timeoutError = new HTTPTimeoutError(connected ? "Timeout during request" : "Timeout while connecting");
          controller.abort(timeoutError);
        }, requestTimeout * 1000)
      : undefined;
  try {
    const response = await transport.send({
      url,
      method: hop.method,
      headers,
      body: hop.body,
      connectTimeout,
      validateCert: options.validateCert,
      networkInterface: options.networkInterface,
      signal: controller.signal,
      onConnect: () => {
        connected = true;
      },
    });
    const responseHeaders = response.headers;
    const next = redirectHop({ ...hop, headers }, url, response.code, responseHeaders, options);
    if (next !== undefined) {
      // The redirect's own body is of no interest; drop it and free the connection.
      await response.body[Symbol.asyncIterator]().return?.();
      return next;
    }
    const reason = response.reason;
    if (options.headerCallback) {
      const callback = options.headerCallback;
      const lines = [`${response.version} ${response.code} ${reason}\r\n`];
      for (const [name, value] of responseHeaders) lines.push(`${name}: ${value}\r\n`);
      lines.push("\r\n");
      try {
        for (const line of lines) callback(line);
      } catch (e) {
        throw new CallbackFailure(e);
      }
    }
    const streaming = options.streamingCallback;
    const onChunk = streaming
      ? async (chunk: Uint8Array): Promise<void> => {
          try {
            await streaming(chunk);
          } catch (e) {
            throw new CallbackFailure(e);
          }
        }
      : undefined;
    const body = await readBody(response, options.decompressResponse, responseHeaders, onChunk);
    return new HTTPResponse(original, response.code, {
      reason,
      headers: responseHeaders,
      body,
      effectiveUrl: hop.url,
      requestTime: (performance.now() - started) / 1000,
      startTime,
    });
  } catch (e) {
    if (e instanceof CallbackFailure) throw e.error;
    if (timeoutError !== undefined) throw timeoutError;
    throw toClientError(e);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    controller.abort();
    slot.release();
  }
}

/** Reads a response body whole, or into `onChunk`, decompressing gzip as Tornado does. */
async function readBody(
  response: TransportResponse,
  decompress: boolean,
  headers: HTTPHeaders,
  onChunk: ((chunk: Uint8Array) => Promise<void>) | undefined,
): Promise<Uint8Array> {
  let chunks: AsyncIterable<Uint8Array> = response.body;
  const encoding = headers.get("Content-Encoding");
  if (decompress && encoding !== undefined) {
    const gzip = encoding.trim().toLowerCase() === "gzip";
    if (gzip && !response.decoded) {
      const gunzip = new DecompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>;
      chunks = iterateStream(toReadableStream(chunks).pipeThrough(gunzip));
    }
    if (gzip || response.decoded) {
      // As Tornado: the body no longer has that encoding, so record what was removed.
      headers.add("X-Consumed-Content-Encoding", encoding);
      headers.delete("Content-Encoding");
    }
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    if (onChunk) await onChunk(chunk);
    else {
      parts.push(chunk);
      size += chunk.byteLength;
    }
  }
  if (parts.length === 1) return parts[0]!;
  const body = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    body.set(part, offset);
    offset += part.byteLength;
  }
  return body;
}
