/**
 * HTTP utilities shared by both hosts — Tornado's `tornado.httputil`.
 *
 * `HTTPServerRequest` (one request as the application sees it), the `HTTPConnection`
 * interface each host implements, and the parsing helpers for query strings, urlencoded
 * bodies and cookies. `HTTPHeaders` lives in httputil-headers.ts and is exported from here.
 * @module
 */

import { urlUnescapeBytes } from "./escape.js";
import { HTTPHeaders } from "./httputil-headers.js";
import type { KeyStorage } from "./stateful.js";

export { HTTPHeaders, HTTPInputError, normalizeHeaderName } from "./httputil-headers.js";

/** The standard reason phrase of each status code, as Python's `http.client.responses`. */
export const RESPONSES: Readonly<Record<number, string>> = {
  100: "Continue", 101: "Switching Protocols", 102: "Processing", 103: "Early Hints",
  200: "OK", 201: "Created", 202: "Accepted", 203: "Non-Authoritative Information",
  204: "No Content", 205: "Reset Content", 206: "Partial Content", 207: "Multi-Status",
  208: "Already Reported", 226: "IM Used",
  300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other",
  304: "Not Modified", 305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect",
  400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
  404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
  407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict", 410: "Gone",
  411: "Length Required", 412: "Precondition Failed", 413: "Request Entity Too Large",
  414: "Request-URI Too Long", 415: "Unsupported Media Type",
  416: "Requested Range Not Satisfiable", 417: "Expectation Failed", 418: "I'm a Teapot",
  421: "Misdirected Request", 422: "Unprocessable Entity", 423: "Locked",
  424: "Failed Dependency", 425: "Too Early", 426: "Upgrade Required",
  428: "Precondition Required", 429: "Too Many Requests",
  431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons",
  500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
  503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
  506: "Variant Also Negotiates", 507: "Insufficient Storage", 508: "Loop Detected",
  510: "Not Extended", 511: "Network Authentication Required",
};

/** The status line of a response. Tornado's `ResponseStartLine`. */
export interface ResponseStartLine {
  readonly version: string;
  readonly code: number;
  readonly reason: string;
  /**
   * When set, the host compresses the body with this coding; the core has already set
   * `Content-Encoding` and removed `Content-Length`.
   */
  readonly contentEncoding?: "gzip";
}

/** A chunk of response body: text (sent as UTF-8) or bytes. */
export type Chunk = string | Uint8Array;

/**
 * What a host gives the core to answer one request — Tornado's `HTTPConnection`.
 *
 * Writes return a Promise that settles when the host can take more (back-pressure); a host
 * with nothing to wait for returns an already-resolved one.
 */
export interface HTTPConnection {
  /**
   * Writes the status line and headers, and optionally the first chunk of body. `last`
   * says the chunk is the whole body and `finish()` follows at once, so the host may send
   * everything in one go.
   */
  writeHeaders(startLine: ResponseStartLine, headers: HTTPHeaders, chunk?: Chunk, last?: boolean): Promise<void>;
  /** Writes a chunk of body (chunked transfer when no Content-Length was set). */
  write(chunk: Chunk): Promise<void>;
  /** Ends the response. */
  finish(): void;
  /** Registers a callback for when the client goes away first (`null` clears it). */
  setCloseCallback(callback: (() => void) | null): void;
  /** Drops the connection at once, e.g. when an error happens after headers were sent. */
  abort(): void;
  /**
   * Changes the largest body accepted for this request, from a streaming handler's
   * `prepare()` (Tornado's `set_max_body_size`): an upload handler may take more than the
   * server buffers for ordinary requests.
   */
  setMaxBodySize?(bytes: number): void;
}

/** An uploaded file from a `multipart/form-data` body. Tornado's `HTTPFile`. */
export interface HTTPFile {
  readonly filename: string;
  readonly body: Uint8Array;
  readonly contentType: string;
}

/** Arguments by name; each value is the raw bytes, as Tornado keeps them. */
export type ArgumentMap = Record<string, Uint8Array[]>;

/**
 * Parses a query string (or urlencoded body) into an {@link ArgumentMap}, keeping blank
 * values, as Tornado's `parse_qs_bytes(qs, keep_blank_values=True)`.
 */
export function parseQsBytes(qs: string, into: ArgumentMap = Object.create(null) as ArgumentMap): ArgumentMap {
  if (qs === "") return into;
  let start = 0;
  while (start <= qs.length) {
    let end = qs.indexOf("&", start);
    if (end === -1) end = qs.length;
    if (end > start) {
      const pair = qs.slice(start, end);
      const eq = pair.indexOf("=");
      const rawName = eq === -1 ? pair : pair.slice(0, eq);
      const rawValue = eq === -1 ? "" : pair.slice(eq + 1);
      // Python decodes names as latin-1 strings; for ASCII names this is the same as UTF-8.
      const name = bytesToLatin1OrUtf8(urlUnescapeBytes(rawName));
      const list = into[name];
      const value = urlUnescapeBytes(rawValue);
      if (list) list.push(value);
      else into[name] = [value];
    }
    start = end + 1;
  }
  return into;
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function bytesToLatin1OrUtf8(b: Uint8Array): string {
  try {
    return strictDecoder.decode(b);
  } catch {
    let s = "";
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
}

/**
 * Parses a `Cookie` header into a map of names to values, as Tornado's `parse_cookie`
 * (browser behaviour: `;`-separated, optional `"`-quoting, last duplicate wins).
 */
export function parseCookie(header: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const chunk of header.split(";")) {
    const eq = chunk.indexOf("=");
    let key: string;
    let val: string;
    if (eq === -1) {
      key = "";
      val = chunk;
    } else {
      key = chunk.slice(0, eq);
      val = chunk.slice(eq + 1);
    }
    key = key.trim();
    val = val.trim();
    if (key === "" && val === "") continue;
    out[key] = cookieUnquote(val);
  }
  return out;
}

/** Undoes the quoting of a cookie value as Python's `http.cookies._unquote`. */
export function cookieUnquote(v: string): string {
  if (v.length < 2 || v[0] !== '"' || v[v.length - 1] !== '"') return v;
  v = v.slice(1, -1);
  return v.replace(/\\(?:([0-3][0-7][0-7])|(.))/g, (_m, oct: string | undefined, ch: string | undefined) =>
    oct !== undefined ? String.fromCharCode(parseInt(oct, 8)) : ch!,
  );
}

/** Splits `host[:port]` into the host name (IPv6 brackets removed) and the port text. */
export function splitHostAndPort(netloc: string): [string, string | undefined] {
  const m = /^(.+):(\d+)$/.exec(netloc);
  let host = m ? m[1]! : netloc;
  const port = m ? m[2] : undefined;
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return [host, port];
}

/** What a host knows about a request when it hands it to the core. */
export interface HTTPServerRequestInit {
  method: string;
  uri: string;
  version?: string;
  headers?: HTTPHeaders;
  body?: Uint8Array;
  remoteIp?: string;
  protocol?: string;
  host?: string;
  connection?: HTTPConnection;
  /** Start time in milliseconds (`performance.now()` scale); defaults to now. */
  startTime?: number;
}

const EMPTY_BODY = new Uint8Array(0);
const now: () => number =
  typeof performance !== "undefined" && typeof performance.now === "function"
    ? () => performance.now()
    : () => Date.now();

/**
 * One HTTP request as the application sees it — Tornado's `HTTPServerRequest`.
 *
 * Query arguments and cookies are parsed on first use, so a handler that never reads them
 * pays nothing for them.
 *
 * @example
 * const req = new HTTPServerRequest({ method: "GET", uri: "/a?b=1" });
 * req.path;                 // "/a"
 * req.queryArguments["b"];  // [Uint8Array [49]]
 */
export class HTTPServerRequest {
  method: string;
  uri: string;
  version: string;
  headers: HTTPHeaders;
  body: Uint8Array;
  remoteIp: string;
  protocol: string;
  path: string;
  query: string;
  connection: HTTPConnection | undefined;
  /** Per-key storage the host provides (a Durable Object's); see `RequestHandler.storage`. */
  storage: KeyStorage | undefined;
  /** The runtime's environment (Workers: bindings and secrets), when the host has one. */
  env: unknown;
  /** The runtime's execution context (Workers: `waitUntil`), when the host has one. */
  executionContext: unknown;

  #startTime: number;
  #finishTime: number | undefined;
  #host: string;
  #hostName: string | undefined;
  #queryArguments: ArgumentMap | undefined;
  #arguments: ArgumentMap | undefined;
  #cookies: Record<string, string> | undefined;
  // Made on first use: most requests (GETs, WebSocket handshakes, long polls) have no body,
  // and two empty objects per request held for a socket's life are measurable.
  #files: Record<string, HTTPFile[]> | undefined;
  #bodyArguments: ArgumentMap | undefined;

  constructor(init: HTTPServerRequestInit) {
    this.method = init.method;
    this.uri = init.uri;
    this.version = init.version ?? "HTTP/1.1";
    this.headers = init.headers ?? new HTTPHeaders();
    this.body = init.body ?? EMPTY_BODY;
    this.remoteIp = init.remoteIp ?? "127.0.0.1";
    this.protocol = init.protocol ?? "http";
    this.#host = init.host ?? this.headers.get("Host") ?? "127.0.0.1";
    this.connection = init.connection;
    const q = this.uri.indexOf("?");
    this.path = q === -1 ? this.uri : this.uri.slice(0, q);
    this.query = q === -1 ? "" : this.uri.slice(q + 1);
    this.#startTime = init.startTime ?? now();
  }

  /** The `Host` the client asked for (with port, if any). */
  get host(): string {
    return this.#host;
  }
  set host(value: string) {
    this.#host = value;
    this.#hostName = undefined;
  }

  /** The host without its port, lower-cased (IPv6 brackets removed). Computed on first use. */
  get hostName(): string {
    return (this.#hostName ??= splitHostAndPort(this.#host.toLowerCase())[0]);
  }
  set hostName(value: string) {
    this.#hostName = value;
  }

  /** Uploaded files by argument name (from `multipart/form-data`). */
  get files(): Record<string, HTTPFile[]> {
    return (this.#files ??= Object.create(null) as Record<string, HTTPFile[]>);
  }
  set files(v: Record<string, HTTPFile[]>) {
    this.#files = v;
  }

  /** Arguments from the body (urlencoded or multipart), set once the body is parsed. */
  get bodyArguments(): ArgumentMap {
    return (this.#bodyArguments ??= Object.create(null) as ArgumentMap);
  }
  set bodyArguments(v: ArgumentMap) {
    this.#bodyArguments = v;
    this.#arguments = undefined;
  }

  /** Arguments from the query string. */
  get queryArguments(): ArgumentMap {
    return (this.#queryArguments ??= parseQsBytes(this.query));
  }
  set queryArguments(v: ArgumentMap) {
    this.#queryArguments = v;
    this.#arguments = undefined;
  }

  /** Query and body arguments together (query values first). */
  get arguments(): ArgumentMap {
    if (this.#arguments === undefined) {
      const all: ArgumentMap = Object.create(null) as ArgumentMap;
      for (const [k, v] of Object.entries(this.queryArguments)) all[k] = v.slice();
      for (const [k, v] of Object.entries(this.#bodyArguments ?? {})) {
        const list = all[k];
        if (list) list.push(...v);
        else all[k] = v.slice();
      }
      this.#arguments = all;
    }
    return this.#arguments;
  }
  set arguments(v: ArgumentMap) {
    this.#arguments = v;
  }

  /** Forgets the merged argument map after the body arguments changed. */
  resetArguments(): void {
    this.#arguments = undefined;
  }

  /** The request's cookies, parsed from the `Cookie` header on first use. */
  get cookies(): Record<string, string> {
    if (this.#cookies === undefined) {
      const h = this.headers.get("Cookie");
      this.#cookies = h === undefined ? (Object.create(null) as Record<string, string>) : parseCookie(h);
    }
    return this.#cookies;
  }

  /** The full URL of this request: protocol, host and uri. */
  fullUrl(): string {
    return `${this.protocol}://${this.host}${this.uri}`;
  }

  /** Seconds this request has taken so far, or took once finished. */
  requestTime(): number {
    return ((this.#finishTime ?? now()) - this.#startTime) / 1000;
  }

  /** Called by the core when the response is complete, to fix {@link requestTime}. */
  markFinished(): void {
    this.#finishTime = now();
  }

  toString(): string {
    return `HTTPServerRequest(protocol=${this.protocol}, host=${this.host}, method=${this.method}, uri=${this.uri}, version=${this.version}, remoteIp=${this.remoteIp})`;
  }
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Formats a time for an HTTP header (RFC 7231 IMF-fixdate), as Tornado's `format_timestamp`.
 * Accepts a Date or Unix seconds.
 *
 * @example
 * formatTimestamp(0); // "Thu, 01 Jan 1970 00:00:00 GMT"
 */
export function formatTimestamp(ts: Date | number): string {
  const d = typeof ts === "number" ? new Date(ts * 1000) : ts;
  const p = (n: number) => (n < 10 ? "0" + n : String(n));
  return `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} GMT`;
}

let cachedDateSecond = -1;
let cachedDate = "";

/** The current time formatted for a `Date` header, recomputed at most once a second. */
export function currentHttpDate(): string {
  const ms = Date.now();
  const sec = (ms / 1000) | 0;
  // Formatting a date costs far more than a comparison; one string serves a whole second.
  if (sec !== cachedDateSecond) {
    cachedDateSecond = sec;
    cachedDate = formatTimestamp(new Date(sec * 1000));
  }
  return cachedDate;
}

/** The UTF-8 length of a string, without encoding it. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2;
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}
