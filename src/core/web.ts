/**
 * Request handlers — Tornado's `tornado.web.RequestHandler` and its stock subclasses.
 *
 * A handler instance serves one request: `initialize` → `prepare` → the verb method
 * (`get`, `post`, …) → `finish` → `onFinish`. Methods may be sync or async; when an async
 * method settles the request finishes, unless the handler already did.
 * @module
 */

import type { Application } from "./application.js";
import { ClientDisconnectedError, Finish, HTTPError, MissingArgumentError } from "./errors.js";
import { urlUnescapeBytes } from "./escape.js";
import { jsonEncode } from "./escape-json.js";
import {
  type ArgumentMap,
  type Chunk,
  currentHttpDate,
  formatTimestamp,
  type HTTPServerRequest,
  HTTPHeaders,
  HTTPInputError,
  RESPONSES,
  type ResponseStartLine,
  utf8Length,
} from "./httputil.js";
import { appLog, genLog } from "./log.js";
import { type CookieOptions, formatSetCookie } from "./cookies.js";
import type { Locale } from "./locale.js";
import { feature, hasFeature } from "./features.js";
import { parseUrlencodedBody, refuseContentEncoding } from "./form-body.js";
import { type KeyStorage, stateKeyOf } from "./stateful.js";
import type { TemplateLoader } from "./uimodule.js";
import { sha1Hex } from "./sha1.js";
import type { InitArgs } from "./routing.js";
import { VERSION } from "./version.js";

/** A value `setHeader` accepts: text, a number, or a Date (formatted as an HTTP date). */
export type HeaderValue = string | number | Date;

/** What `write` accepts: text, bytes, or a plain object (sent as JSON). */
export type WriteChunk = string | Uint8Array | Record<string, unknown>;

/** Extra information for `writeError`: the exception that caused the error, if any. */
export interface ErrorInfo {
  readonly error?: unknown;
  readonly reason?: string;
}

const RESOLVED: Promise<void> = Promise.resolve();
const SERVER_HEADER = `CycloneServer/${VERSION}`;
const DEFAULT_ETAG = /^"[0-9a-f]{40}"$/;
const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
// Header values: tab, printable ASCII and obs-text; anything else could split the response.
const VALID_HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const VALID_HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const CONTROL_CHARS = /[\x00-\x08\x0e-\x1f]/g;
const ARG_DEFAULT: unique symbol = Symbol("ARG_DEFAULT");
const NO_TRANSFORMS: readonly OutputTransform[] = [];
// What a released response holds (see _releaseResponse): nothing, shared by every
// released handler, so it refuses writes (they could only be mistakes: the response is gone).
class ReleasedHeaders extends HTTPHeaders {
  override add(): void {
    throw new Error("The response was sent and released (WebSocket upgrade): its headers cannot change");
  }
  override set(): void {
    this.add();
  }
  override _setKnown(): void {
    this.add();
  }
  override delete(): boolean {
    this.add();
    return false;
  }
}
const RELEASED_HEADERS: HTTPHeaders = new ReleasedHeaders();
const NO_CHUNKS: Chunk[] = [];
const UNSET: unique symbol = Symbol("UNSET");
// One loader per template directory, shared by all handlers, as Tornado's.

/** @internal How a host drives a handler that streams its request body. */
export interface StreamingBody {
  /** Called once prepare() has finished (or the request ended early). */
  prepared(): void;
  /** Settles when the whole body has been delivered through dataReceived. */
  readonly done: Promise<void>;
}

/** Options of `setSignedCookie`: the cookie's options plus the signing version. */
export interface SignedCookieOptions extends CookieOptions {
  /** Signed-value format, 2 (default) or 1. */
  version?: 1 | 2;
}

/** Options of `getSignedCookie`. */
export interface GetSignedCookieOptions {
  /** Oldest accepted signature, in days (default 31). */
  maxAgeDays?: number;
  /** Oldest accepted format version (default 1). */
  minVersion?: 1 | 2;
}

/**
 * Rewrites a response on its way out (compression, for instance). Tornado's
 * `OutputTransform`; the application makes one per request from its `transforms`.
 */
export interface OutputTransform {
  /** Sees the status, headers and first chunk; may change the headers in place. */
  transformFirstChunk(statusCode: number, headers: HTTPHeaders, chunk: Chunk, finishing: boolean): [number, Chunk];
  /** Sees every later chunk. */
  transformChunk(chunk: Chunk, finishing: boolean): Chunk;
  /**
   * A content coding the host must apply to the body (set by the first chunk). The core
   * only decides; the host compresses with its runtime's encoder.
   */
  readonly contentEncoding?: "gzip" | undefined;
}

function isPromiseLike(x: unknown): x is PromiseLike<unknown> {
  return typeof x === "object" && x !== null && typeof (x as PromiseLike<unknown>).then === "function";
}

/** SHA-1 hex of a body given as its buffered chunks (text is hashed as UTF-8). */
export type EtagHasher = (chunks: readonly Chunk[]) => string;

// The portable hasher (sha1.ts); a host with a faster native hash may install its own.
let etagHasher: EtagHasher = sha1Hex;

/**
 * Replaces the SHA-1 used for default ETags. The Node host installs `node:crypto`'s,
 * several times faster on small bodies than the portable one Workers use.
 */
export function setEtagHasher(hasher: EtagHasher): void {
  etagHasher = hasher;
}

/** Methods every handler may be asked for; a handler narrows it with `SUPPORTED_METHODS`. */
const VERBS = ["get", "head", "post", "delete", "patch", "put", "options"] as const;

/**
 * Base class for HTTP request handlers. Tornado's `RequestHandler`.
 *
 * Subclasses override the verb methods they serve. Path arguments arrive as method
 * arguments: one string per unnamed group, or one object of named groups.
 *
 * @example
 * class StoryHandler extends RequestHandler {
 *   async get(storyId: string) {
 *     const story = await db.story(storyId);
 *     if (!story) throw new HTTPError(404);
 *     this.write({ id: storyId, title: story.title });
 *   }
 * }
 */
export class RequestHandler<Env = unknown> {
  /** The methods this handler accepts; others get 405. */
  static SUPPORTED_METHODS: readonly string[] = ["GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS"];

  readonly application: Application;
  readonly request: HTTPServerRequest;
  /** Decoded path arguments (unnamed groups), set before `prepare`. */
  pathArgs: Array<string | undefined> = [];
  /** Decoded named path arguments, set before `prepare`. */
  pathKwargs: Record<string, string> = {};

  #headers!: HTTPHeaders;
  #writeBuffer: Chunk[] = [];
  #allStrings = true;
  #statusCode = 200;
  #reason = "OK";
  #headersWritten = false;
  #finished = false;
  #autoFinish = true;
  #newCookies: string[] | undefined;
  #transforms: readonly OutputTransform[] = NO_TRANSFORMS;
  #currentUser: unknown = UNSET;
  #locale: Locale | undefined;
  #stream: StreamingBody | undefined;

  /**
   * Handlers are made by the application, one per request. The constructor only stores
   * its arguments: `clear()`, `setDefaultHeaders()` and `initialize()` run right after it
   * (from `_start`), once subclass fields exist — calling them from here would let class
   * field initializers wipe what `initialize` set.
   */
  constructor(application: Application, request: HTTPServerRequest, _kwargs: InitArgs = {}) {
    this.application = application;
    this.request = request;
  }

  /** @internal Runs Tornado's constructor steps: clear(), close callback, initialize(kwargs). */
  _start(kwargs: InitArgs): void {
    this.clear();
    // Only handlers that care about a vanished client pay for the close listener.
    if (this.onConnectionClose !== RequestHandler.prototype.onConnectionClose) {
      this.request.connection?.setCloseCallback(() => this.onConnectionClose());
    }
    this.initialize(kwargs);
  }

  /** The application's settings. */
  get settings(): Application["settings"] {
    return this.application.settings;
  }

  /**
   * The runtime's environment: on Workers, the bindings and secrets (`env`), typed by the
   * class's `Env` parameter; `undefined` on Node.
   *
   * @example
   * class Greet extends RequestHandler<{ GREETING: string }> {
   *   get() { this.write(this.env.GREETING); }
   * }
   */
  get env(): Env {
    return this.request.env as Env;
  }

  /**
   * Lets `promise` finish after the response is sent: the Workers `ctx.waitUntil`; on Node
   * the process simply carries on. A rejection is logged either way.
   *
   * @example
   * this.waitUntil(audit.record(this.currentUser));
   */
  waitUntil(promise: Promise<unknown>): void {
    const logged = promise.catch((e: unknown) => appLog.exception("Error in background task of %s", e, this.requestSummary()));
    const ctx = this.request.executionContext as { waitUntil?: (p: Promise<unknown>) => void } | undefined;
    if (typeof ctx?.waitUntil === "function") ctx.waitUntil(logged);
  }

  /**
   * Hook for subclass initialization, called with the rule's keyword arguments.
   *
   * @example
   * class ProfileHandler extends RequestHandler {
   *   declare db: Db;
   *   override initialize({ db }: { db: Db }) { this.db = db; }
   * }
   */
  initialize(_kwargs: InitArgs): void {}

  /** Called before the verb method, sync or async. May `finish()` to end the request early. */
  prepare(): void | Promise<void> {}

  /** Called after the response has been sent, for cleanup and logging. */
  onFinish(): void {}

  /** Called when the client closes the connection before the response finished (long polling). */
  onConnectionClose(): void {}

  /**
   * Receives a chunk of the request body, for handlers marked `streamRequestBody`. May be
   * async: the next chunk waits for it (back-pressure).
   */
  dataReceived(_chunk: Uint8Array): void | Promise<void> {
    throw new Error("dataReceived() must be overridden by handlers that stream the request body");
  }

  /** Override to set headers at the start of every response (and after `clear()`). */
  setDefaultHeaders(): void {}

  // The verb methods: each answers 405 unless overridden.
  get(..._args: never[]): unknown {
    throw this.#methodNotAllowed();
  }
  head(..._args: never[]): unknown {
    throw this.#methodNotAllowed();
  }
  post(..._args: never[]): unknown {
    throw this.#methodNotAllowed();
  }
  delete(..._args: never[]): unknown {
    throw this.#methodNotAllowed();
  }
  patch(..._args: never[]): unknown {
    throw this.#methodNotAllowed();
  }
  put(..._args: never[]): unknown {
    throw this.#methodNotAllowed();
  }
  options(..._args: never[]): unknown {
    throw this.#methodNotAllowed();
  }

  #methodNotAllowed(): HTTPError {
    return new HTTPError(405, null, { headers: { Allow: allowedMethods(this.constructor as typeof RequestHandler).join(", ") } });
  }

  /** Resets all headers and content for this response. */
  clear(): void {
    const h = new HTTPHeaders();
    h._setKnown("server", "Server", SERVER_HEADER);
    h._setKnown("content-type", "Content-Type", "text/html; charset=UTF-8");
    h._setKnown("date", "Date", currentHttpDate());
    this.#headers = h;
    this.setDefaultHeaders();
    this.#writeBuffer = [];
    this.#allStrings = true;
    this.#statusCode = 200;
    this.#reason = "OK";
  }

  /**
   * Sets the status code, and optionally a reason phrase (default: the standard one, or
   * "Unknown").
   */
  setStatus(statusCode: number, reason?: string): void {
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 999) {
      throw new RangeError(`Invalid status code ${statusCode}`);
    }
    this.#statusCode = statusCode;
    this.#reason = reason ?? RESPONSES[statusCode] ?? "Unknown";
  }

  /** The response's status code. */
  getStatus(): number {
    return this.#statusCode;
  }

  /** The response's reason phrase. */
  get reason(): string {
    return this.#reason;
  }

  /** Sets a response header, replacing any previous values. */
  setHeader(name: string, value: HeaderValue): void {
    this.#headers.set(checkHeaderName(name), convertHeaderValue(value));
  }

  /** Adds a response header; unlike `setHeader`, keeps previous values. */
  addHeader(name: string, value: HeaderValue): void {
    this.#headers.add(checkHeaderName(name), convertHeaderValue(value));
  }

  /** Removes a response header (the defaults too). */
  clearHeader(name: string): void {
    this.#headers.delete(name);
  }

  /** The response headers so far (read-only use; set them with `setHeader`). */
  get responseHeaders(): HTTPHeaders {
    return this.#headers;
  }

  /**
   * The value of the argument `name` from the query or the body, stripped of surrounding
   * whitespace unless `strip` is false. The last value wins when there are several.
   * @throws {MissingArgumentError} (400) when absent and no default is given.
   */
  getArgument(name: string): string;
  getArgument<D>(name: string, defaultValue: D, strip?: boolean): string | D;
  getArgument<D>(name: string, ...rest: [D?, boolean?]): string | D {
    // The argument count, not the value, says whether a default was given: undefined is one.
    return this.#getArgument(name, rest.length > 0 ? (rest[0] as D) : ARG_DEFAULT, this.request.arguments, rest[1] ?? true);
  }

  /** Every value of the argument `name` (query and body); an empty array when absent. */
  getArguments(name: string, strip = true): string[] {
    return this.#getArguments(name, this.request.arguments, strip);
  }

  /** As {@link getArgument}, from the query string only. */
  getQueryArgument(name: string): string;
  getQueryArgument<D>(name: string, defaultValue: D, strip?: boolean): string | D;
  getQueryArgument<D>(name: string, ...rest: [D?, boolean?]): string | D {
    // The argument count, not the value, says whether a default was given: undefined is one.
    return this.#getArgument(name, rest.length > 0 ? (rest[0] as D) : ARG_DEFAULT, this.request.queryArguments, rest[1] ?? true);
  }

  /** As {@link getArguments}, from the query string only. */
  getQueryArguments(name: string, strip = true): string[] {
    return this.#getArguments(name, this.request.queryArguments, strip);
  }

  /** As {@link getArgument}, from the request body only. */
  getBodyArgument(name: string): string;
  getBodyArgument<D>(name: string, defaultValue: D, strip?: boolean): string | D;
  getBodyArgument<D>(name: string, ...rest: [D?, boolean?]): string | D {
    // The argument count, not the value, says whether a default was given: undefined is one.
    return this.#getArgument(name, rest.length > 0 ? (rest[0] as D) : ARG_DEFAULT, this.request.bodyArguments, rest[1] ?? true);
  }

  /** As {@link getArguments}, from the request body only. */
  getBodyArguments(name: string, strip = true): string[] {
    return this.#getArguments(name, this.request.bodyArguments, strip);
  }

  #getArgument<D>(name: string, defaultValue: D | typeof ARG_DEFAULT, source: ArgumentMap, strip: boolean): string | D {
    const values = this.#getArguments(name, source, strip);
    if (values.length === 0) {
      if (defaultValue === ARG_DEFAULT) throw new MissingArgumentError(name);
      return defaultValue;
    }
    return values[values.length - 1]!;
  }

  #getArguments(name: string, source: ArgumentMap, strip: boolean): string[] {
    const raw = source[name];
    if (raw === undefined) return [];
    return raw.map((v) => {
      let s = this.decodeArgument(v, name).replace(CONTROL_CHARS, " ");
      if (strip) s = s.trim();
      return s;
    });
  }

  /**
   * Decodes an argument (or path argument) from the request's bytes. Override for another
   * encoding.
   * @throws {HTTPError} 400 when the bytes are not valid UTF-8.
   */
  decodeArgument(value: Uint8Array, name?: string): string {
    try {
      return strictDecoder.decode(value);
    } catch {
      const shown = Array.from(value.subarray(0, 40), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`)).join("");
      throw new HTTPError(400, "Invalid unicode in %s: %r", { args: [name ?? "url", shown] });
    }
  }

  /** The value of the request cookie `name`, or `defaultValue`. */
  getCookie(name: string): string | undefined;
  getCookie<D>(name: string, defaultValue: D): string | D;
  getCookie<D>(name: string, defaultValue?: D): string | D | undefined {
    const v = this.request.cookies[name];
    return v === undefined ? defaultValue : v;
  }

  /**
   * Sets a cookie to send with the response. Visible to `getCookie` from the next request.
   * Values that need it are quoted as Python does, so Tornado and Cyclone read each
   * other's cookies.
   * @throws {CookieError} for an illegal name, control characters, or `;` in an attribute.
   *
   * @example
   * this.setCookie("theme", "dark", { expiresDays: 365, httpOnly: true, sameSite: "Lax" });
   */
  setCookie(name: string, value: string, options: CookieOptions = {}): void {
    this.addSetCookie(formatSetCookie(name, value, options), name);
  }

  /** Deletes a cookie (same `path` and `domain` as when it was set). */
  clearCookie(name: string, options: Omit<CookieOptions, "expires" | "maxAge" | "expiresDays"> = {}): void {
    this.setCookie(name, "", { ...options, expires: new Date(Date.now() - 365 * 86_400_000) });
  }

  /** Deletes every cookie the client sent. */
  clearAllCookies(options: Omit<CookieOptions, "expires" | "maxAge" | "expiresDays"> = {}): void {
    for (const name of Object.keys(this.request.cookies)) this.clearCookie(name, options);
  }

  /**
   * Throws unless the application has the named setting, as Tornado's `require_setting`.
   * @throws {Error} naming the setting and the feature that needs it.
   */
  requireSetting(name: string, feature = "this feature"): void {
    if (this.settings[name] === undefined || this.settings[name] === null) {
      throw new Error(`You must define the '${name}' setting in your application to use ${feature}`);
    }
  }

  /**
   * Signs `value` with the `cookieSecret` setting (Tornado's format: a value Tornado signs
   * with the same secret verifies here, and the reverse).
   */
  createSignedValue(name: string, value: string | Uint8Array, version?: 1 | 2): string {
    return feature("signing", "createSignedValue()").createSignedValue(this, name, value, version);
  }

  /**
   * Signs and timestamps a cookie so it cannot be forged (default: expires in 30 days).
   * Read it back with {@link getSignedCookie}.
   *
   * @example
   * this.setSignedCookie("user", "alice");
   */
  setSignedCookie(name: string, value: string | Uint8Array, options: SignedCookieOptions = {}): void {
    const { version, ...cookieOptions } = options;
    cookieOptions.expiresDays ??= 30;
    this.setCookie(name, this.createSignedValue(name, value, version), cookieOptions);
  }

  /**
   * The value of a signed cookie if it verifies and is young enough, else `null`. Pass
   * `value` to check a signed value from elsewhere (a header, say).
   */
  getSignedCookie(name: string, value?: string, options: GetSignedCookieOptions = {}): string | null {
    return feature("signing", "getSignedCookie()").getSignedCookie(this, name, value, options);
  }

  /** The key version a signed cookie was signed with, or `null`. */
  getSignedCookieKeyVersion(name: string, value?: string): number | null {
    return feature("signing", "getSignedCookieKeyVersion()").getSignedCookieKeyVersion(this, value ?? this.getCookie(name));
  }

  /**
   * The signed-in user, from `getCurrentUser()` (resolved before `prepare`, sync or
   * async). Assign it to set it yourself.
   */
  get currentUser(): unknown {
    if (this.#currentUser === UNSET) {
      const u = this.getCurrentUser();
      if (isPromiseLike(u)) throw new Error("getCurrentUser() is async: read currentUser after prepare() starts");
      this.#currentUser = u;
    }
    return this.#currentUser;
  }
  set currentUser(user: unknown) {
    this.#currentUser = user;
  }

  /**
   * Override to say who is signed in (usually from a signed cookie). May be async: Cyclone
   * resolves it before `prepare()`. Return a falsy value for nobody.
   *
   * @example
   * override getCurrentUser() { return this.getSignedCookie("user"); }
   */
  getCurrentUser(): unknown {
    return null;
  }

  /** The URL `@authenticated` redirects to: the `loginUrl` setting. */
  getLoginUrl(): string {
    this.requireSetting("loginUrl", "@authenticated");
    return String(this.settings["loginUrl"]);
  }

  /**
   * The XSRF token for this user, setting the `_xsrf` cookie if the client has none. Put
   * it in forms (`xsrfFormHtml()`) or send it as `X-XSRFToken`.
   */
  get xsrfToken(): string {
    return feature("signing", "xsrfToken").xsrfToken(this);
  }

  /**
   * Checks that the `_xsrf` argument (or `X-XSRFToken` / `X-CSRFToken` header) matches the
   * `_xsrf` cookie. Runs before `prepare` for POST, PUT, PATCH and DELETE when the
   * `xsrfCookies` setting is on. Override to change the policy.
   * @throws {HTTPError} 403 when missing or wrong.
   */
  checkXsrfCookie(): void {
    feature("signing", "checkXsrfCookie()").checkXsrfCookie(this);
  }

  /** A hidden form field carrying the XSRF token: `<input type="hidden" name="_xsrf" value="…"/>`. */
  xsrfFormHtml(): string {
    return feature("signing", "xsrfFormHtml()").xsrfFormHtml(this);
  }

  /**
   * The user's locale: `getUserLocale()` if it gives one, else from `Accept-Language`.
   */
  get locale(): Locale {
    return (this.#locale ??= this.getUserLocale() ?? this.getBrowserLocale());
  }
  set locale(value: Locale) {
    this.#locale = value;
  }

  /** Override to choose the locale from the user's settings; `null` uses the browser's. */
  getUserLocale(): Locale | null {
    return null;
  }

  /** The locale from the `Accept-Language` header, or `Locale.get(defaultCode)`. */
  getBrowserLocale(defaultCode = "en_US"): Locale {
    return feature("locale", "getBrowserLocale()").browserLocale(this.request.headers.get("Accept-Language"), defaultCode);
  }

  /**
   * Renders the template `name` with `kwargs` and finishes the response with it, adding
   * the JavaScript and CSS that the page's UI modules asked for.
   *
   * @example
   * await this.render("story.html", { story });
   */
  render(name: string, kwargs: Record<string, unknown> = {}): Promise<void> {
    if (this.#finished) throw new Error("Cannot render() after finish()");
    return this.finish(feature("templates", "render()").render(this, name, kwargs));
  }

  /** Renders the template `name` with the handler's namespace plus `kwargs`, returning the text. */
  renderString(name: string, kwargs: Record<string, unknown> = {}): string {
    return feature("templates", "renderString()").renderString(this, name, kwargs);
  }

  /** The directory templates are loaded from: the `templatePath` setting. Override per handler. */
  getTemplatePath(): string | undefined {
    return this.settings["templatePath"] as string | undefined;
  }

  /**
   * Makes the loader for `templatePath`: the host's filesystem loader with the `autoescape`
   * and `templateWhitespace` settings. Override for another kind of loader.
   */
  createTemplateLoader(templatePath: string): TemplateLoader {
    return feature("templates", "createTemplateLoader()").createTemplateLoader(this, templatePath);
  }

  /**
   * The names every template rendered by this handler sees: `handler`, `request`,
   * `currentUser`, `locale`, `_` and `pgettext`, `staticUrl`, `xsrfFormHtml`, `reverseUrl`,
   * the UI methods, and `_tt_modules`/`modules` for `{% module %}`. Override to add more.
   */
  getTemplateNamespace(): Record<string, unknown> {
    return feature("templates", "getTemplateNamespace()").namespace(this);
  }

  /** The UI methods (bound to this handler) and modules, as templates see them. */
  get ui(): Record<string, unknown> {
    return feature("templates", "ui").ui(this);
  }

  /** The path of the rule named `name` (see `Application.reverseUrl`). */
  reverseUrl(name: string, ...args: unknown[]): string {
    return this.application.reverseUrl(name, ...args);
  }

  /**
   * A versioned URL for a static file (`/static/app.js?v=…`), for long browser caching.
   * Needs the `staticPath` setting (or a `staticHandlerClass` that knows its files).
   */
  staticUrl(path: string, includeHost?: boolean, includeVersion = true): string {
    this.requireSetting("staticPath", "staticUrl");
    const url = this.application.makeStaticUrl(path, includeVersion);
    const host = includeHost ?? (this as { includeHost?: boolean }).includeHost ?? false;
    return host ? `${this.request.protocol}://${this.request.host}${url}` : url;
  }

  /**
   * This request's state key, when the handler class is stateful (`@stateful`), else
   * `undefined`. On Workers, requests with the same key run in the same Durable Object.
   */
  get stateKey(): string | undefined {
    const args = this.pathArgs.filter((a): a is string => a !== undefined);
    return stateKeyOf(this.constructor, this.request, args, this.pathKwargs);
  }

  /**
   * Async key-value storage for this handler's state key: Durable Object storage on
   * Workers, memory on Node. For state that must survive the object's eviction.
   */
  get storage(): KeyStorage {
    return this.request.storage ?? this.application.storageFor(this.stateKey ?? "");
  }

  /** Adds a ready-made `Set-Cookie` value to send with the headers (cookie helpers use it). */
  protected addSetCookie(headerValue: string, name: string): void {
    const list = (this.#newCookies ??= []);
    const prefix = name + "=";
    // A later cookie of the same name replaces the earlier one, as Tornado's SimpleCookie.
    const i = list.findIndex((c) => c.startsWith(prefix));
    if (i !== -1) list.splice(i, 1);
    list.push(headerValue);
  }

  /**
   * Writes a chunk to the output buffer. A plain object is sent as JSON with an
   * `application/json` content type; arrays are refused (a JSON array is a script when
   * loaded cross-site in old browsers), as Tornado.
   * @throws {TypeError} for arrays and other unsupported values.
   */
  write(chunk: WriteChunk): void {
    if (this.#finished) throw new Error("Cannot write() after finish()");
    if (typeof chunk === "string") {
      this.#writeBuffer.push(chunk);
      return;
    }
    if (chunk instanceof Uint8Array) {
      this.#allStrings = false;
      this.#writeBuffer.push(chunk);
      return;
    }
    if (Array.isArray(chunk)) {
      throw new TypeError(
        "write() only accepts bytes, unicode, and dict objects. Lists not accepted for security reasons; see https://www.tornadoweb.org/en/stable/web.html#tornado.web.RequestHandler.write",
      );
    }
    if (typeof chunk !== "object" || chunk === null || Object.getPrototypeOf(chunk) !== Object.prototype && Object.getPrototypeOf(chunk) !== null) {
      throw new TypeError("write() only accepts bytes, unicode, and dict objects");
    }
    this.setHeader("Content-Type", "application/json; charset=UTF-8");
    this.#writeBuffer.push(jsonEncode(chunk));
  }

  /** Whether `finish()` has been called. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Whether the status line and headers have been sent. */
  get headersWritten(): boolean {
    return this.#headersWritten;
  }

  #takeBuffer(): Chunk {
    const buf = this.#writeBuffer;
    this.#writeBuffer = [];
    if (buf.length === 0) return "";
    if (buf.length === 1) return buf[0]!;
    // Strings are joined and left for the host to encode: cheaper than encoding each part.
    if (this.#allStrings) return buf.join("");
    let n = 0;
    const parts = buf.map((c) => (typeof c === "string" ? encoder.encode(c) : c));
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    n = 0;
    for (const p of parts) {
      out.set(p, n);
      n += p.length;
    }
    this.#allStrings = true;
    return out;
  }

  /**
   * Sends the buffered output to the client. The first flush sends the headers; later ones
   * stream chunks. Resolves when the host can take more (back-pressure).
   */
  flush(): Promise<void> {
    return this.#flush(false, this.#takeBuffer());
  }

  #flush(last: boolean, chunk: Chunk): Promise<void> {
    const conn = this.request.connection;
    if (conn === undefined) return RESOLVED;
    const transforms = this.#transforms;
    if (!this.#headersWritten) {
      this.#headersWritten = true;
      let contentEncoding: "gzip" | undefined;
      for (const t of transforms) {
        [this.#statusCode, chunk] = t.transformFirstChunk(this.#statusCode, this.#headers, chunk, last);
        contentEncoding ??= t.contentEncoding;
      }
      if (this.request.method === "HEAD") chunk = "";
      if (this.#newCookies) for (const c of this.#newCookies) this.#headers.add("Set-Cookie", c);
      const startLine: ResponseStartLine =
        contentEncoding === undefined
          ? { version: "HTTP/1.1", code: this.#statusCode, reason: this.#reason }
          : { version: "HTTP/1.1", code: this.#statusCode, reason: this.#reason, contentEncoding };
      return conn.writeHeaders(startLine, this.#headers, chunk, last);
    }
    for (const t of transforms) chunk = t.transformChunk(chunk, last);
    if (this.request.method === "HEAD" || chunk.length === 0) return RESOLVED;
    return conn.write(chunk);
  }

  /**
   * Finishes the response, writing `chunk` first if given. Adds Content-Length and an ETag
   * (answering 304 when the client already has it) when the headers have not been sent.
   * @throws {Error} when called twice.
   */
  finish(chunk?: WriteChunk): Promise<void> {
    if (this.#finished) throw new Error("finish() called twice");
    if (chunk !== undefined) this.write(chunk);
    let body = this.#takeBuffer();
    if (!this.#headersWritten) {
      const status = this.#statusCode;
      const method = this.request.method;
      if (status === 200 && (method === "GET" || method === "HEAD") && !this.#headers.has("Etag")) {
        this.#writeBuffer = [body];
        this.setEtagHeader();
        if (this.checkEtagHeader()) {
          body = "";
          this.setStatus(304);
        }
        this.#writeBuffer = [];
      }
      if (this.#statusCode === 204 || this.#statusCode === 304 || (this.#statusCode >= 100 && this.#statusCode < 200)) {
        body = "";
        this.#clearRepresentationHeaders();
      } else if (!this.#headers.has("Content-Length")) {
        this.#headers._setKnown("content-length", "Content-Length", String(typeof body === "string" ? utf8Length(body) : body.length));
      }
    }
    const conn = this.request.connection;
    conn?.setCloseCallback(null);
    const done = this.#flush(true, body);
    conn?.finish();
    this.#finished = true;
    this.request.markFinished();
    this.application.logRequest(this);
    try {
      this.onFinish();
    } catch (e) {
      appLog.exception("Exception in onFinish for %s", e, this.requestSummary());
    }
    return done;
  }

  /**
   * The bytes buffered so far, for `computeEtag` (only meaningful before `finish` sends them).
   */
  protected bufferedBody(): Uint8Array[] {
    return this.#writeBuffer.map((c) => (typeof c === "string" ? encoder.encode(c) : c));
  }

  /**
   * Computes the ETag for this response, or `null` for none. The default is the SHA-1 of
   * the body, as Tornado (so both give the same ETag for the same body). Override to use a
   * version number, or return `null` to send none.
   */
  computeEtag(): string | null {
    return `"${etagHasher(this.#writeBuffer)}"`;
  }

  /** Sets the ETag header from `computeEtag()` (when it gives one). */
  setEtagHeader(): void {
    const etag = this.computeEtag();
    if (etag === null) return;
    // The default ETag is quoted hex, safe by construction; an overridden computeEtag is
    // checked like any header value.
    if (DEFAULT_ETAG.test(etag)) this.#headers._setKnown("etag", "Etag", etag);
    else this.setHeader("Etag", etag);
  }

  /**
   * Whether the request's `If-None-Match` matches the response's ETag (weak comparison,
   * `*` matches anything). `finish` then answers 304.
   */
  checkEtagHeader(): boolean {
    const computed = this.#headers.get("Etag");
    if (computed === undefined) return false;
    const inm = this.request.headers.get("If-None-Match");
    if (inm === undefined) return false;
    const tags = inm.match(/\*|(?:W\/)?"[^"]*"/g) ?? [];
    if (tags.length === 0) return false;
    const strip = (t: string) => (t.startsWith("W/") ? t.slice(2) : t);
    if (tags[0] === "*") return true;
    const c = strip(computed);
    return tags.some((t) => strip(t) === c);
  }

  #clearRepresentationHeaders(): void {
    for (const h of ["Content-Encoding", "Content-Language", "Content-Type"]) this.clearHeader(h);
  }

  /**
   * Redirects to `url` (302, or 301 when `permanent`, or `status` in 300–399).
   * @throws {Error} when headers were already sent.
   */
  redirect(url: string, permanent = false, status?: number): void {
    if (this.#headersWritten) throw new Error("Cannot redirect after headers have been written");
    if (status === undefined) status = permanent ? 301 : 302;
    else if (status < 300 || status > 399) throw new RangeError(`Invalid redirect status ${status}`);
    this.setStatus(status);
    this.setHeader("Location", url);
    void this.finish();
  }

  /**
   * Sends an error response: clears the output, sets the status and calls `writeError`.
   * When headers were already sent it cannot send a page any more; it drops the connection
   * instead, so the client sees a failure rather than a truncated success.
   */
  sendError(statusCode = 500, info: ErrorInfo = {}): void {
    if (this.#headersWritten) {
      genLog.error("Cannot send error response after headers written");
      if (!this.#finished) {
        this.request.connection?.abort();
        this.#finished = true;
        this.request.markFinished();
        this.application.logRequest(this);
      }
      return;
    }
    this.clear();
    let reason = info.reason;
    if (info.error instanceof HTTPError && info.error.reason) reason = info.error.reason;
    this.setStatus(statusCode, reason);
    if (info.error instanceof HTTPError && info.error.headers) {
      for (const [k, v] of Object.entries(info.error.headers)) this.setHeader(k, v);
    }
    try {
      this.writeError(statusCode, info);
    } catch (e) {
      appLog.exception("Uncaught exception in writeError", e);
    }
    if (!this.#finished) void this.finish();
  }

  /**
   * Writes the error page. The default is a small HTML page; with the `serveTraceback`
   * setting (or `debug`) and an error, the stack as plain text. Override for custom pages.
   */
  writeError(statusCode: number, info: ErrorInfo = {}): void {
    if (this.settings.serveTraceback && info.error instanceof Error && info.error.stack) {
      this.setHeader("Content-Type", "text/plain; charset=UTF-8");
      void this.finish(info.error.stack);
      return;
    }
    const msg = escapeHtml(this.#reason);
    void this.finish(`<html><title>${statusCode}: ${msg}</title><body>${statusCode}: ${msg}</body></html>`);
  }

  /** Logs an exception from the handler: HTTPErrors as warnings, others with their stack. */
  logException(error: unknown): void {
    if (error instanceof HTTPError) {
      if (error.logMessage) {
        genLog.warning("%d %s: %s", error.statusCode, this.requestSummary(), formatLog(error.logMessage, error.args));
      }
    } else {
      appLog.exception("Uncaught exception %s\n%s", error, this.requestSummary(), String(this.request));
    }
  }

  /** "GET /path (1.2.3.4)", as used in log lines. */
  requestSummary(): string {
    return `${this.request.method} ${this.request.uri} (${this.request.remoteIp})`;
  }

  /**
   * Marks the request as answered by other code that took over the connection (a mounted
   * app): Cyclone writes nothing more for it and does not log it now.
   */
  protected markDetached(): void {
    this.request.connection?.setCloseCallback(null);
    this.#finished = true;
  }

  /**
   * @internal Drops the response's headers and buffer once they have been sent, for a
   * handler that outlives its response (a WebSocket's lives as long as the socket).
   */
  _releaseResponse(): void {
    if (!this.#finished) return;
    this.#headers = RELEASED_HEADERS;
    this.#writeBuffer = NO_CHUNKS;
    this.#newCookies = undefined;
  }

  /** Stops the automatic `finish()` after the verb method settles (for streaming handlers). */
  protected disableAutoFinish(): void {
    this.#autoFinish = false;
  }

  /** @internal Runs the request through prepare, the verb method and finish. */
  _execute(
    transforms: readonly OutputTransform[],
    pathArgs: Array<string | undefined>,
    pathKwargs: Record<string, string>,
    stream?: StreamingBody,
  ): Promise<void> | void {
    this.#transforms = transforms;
    this.#stream = stream;
    try {
      const ctor = this.constructor as typeof RequestHandler;
      const method = this.request.method;
      if (!ctor.SUPPORTED_METHODS.includes(method)) {
        throw new HTTPError(405, null, { headers: { Allow: allowedMethods(ctor).join(", ") } });
      }
      if (stream === undefined) this.#parseBody();
      // Application.startRequest already refused a path with a malformed escape (400).
      this.pathArgs = pathArgs.map((a) => (a === undefined ? undefined : this.decodeArgument(urlUnescapeBytes(a, false))));
      const kw: Record<string, string> = {};
      for (const k in pathKwargs) kw[k] = this.decodeArgument(urlUnescapeBytes(pathKwargs[k]!, false), k);
      this.pathKwargs = kw;
      if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS" && this.settings["xsrfCookies"]) {
        this.checkXsrfCookie();
      }
      // An async getCurrentUser is resolved before prepare(), Tornado's recommended pattern.
      if (this.getCurrentUser !== RequestHandler.prototype.getCurrentUser && this.#currentUser === UNSET) {
        const u = this.getCurrentUser();
        if (isPromiseLike(u)) {
          return (u as Promise<unknown>).then(
            (user) => {
              this.#currentUser = user;
              return this.#runPrepare();
            },
            (e: unknown) => this.#handleRequestException(e),
          );
        }
        this.#currentUser = u;
      }
      return this.#runPrepare();
    } catch (e) {
      this.#handleRequestException(e);
    }
  }

  #runPrepare(): Promise<void> | void {
    try {
      const p = this.prepare();
      if (isPromiseLike(p)) return (p as Promise<void>).then(() => this.#runMethod(), (e: unknown) => this.#handleRequestException(e));
      return this.#runMethod();
    } catch (e) {
      this.#handleRequestException(e);
    }
  }

  #runMethod(): Promise<void> | void {
    const stream = this.#stream;
    if (stream !== undefined) {
      this.#stream = undefined;
      stream.prepared();
      if (this.#finished) return;
      return stream.done.then(
        () => this.#runMethod(),
        (e: unknown) => {
          if (!(e instanceof ClientDisconnectedError)) return this.#handleRequestException(e);
          // Nobody is left to answer: release the connection without an error page.
          if (!this.#finished) {
            this.#finished = true;
            this.request.connection?.abort();
          }
        },
      );
    }
    if (this.#finished) return;
    try {
      const name = this.request.method.toLowerCase() as (typeof VERBS)[number];
      if (!VERBS.includes(name)) throw this.#methodNotAllowed();
      const fn = this[name] as (...a: unknown[]) => unknown;
      const hasKw = Object.keys(this.pathKwargs).length > 0;
      const r = hasKw ? fn.call(this, this.pathKwargs) : fn.apply(this, this.pathArgs);
      if (isPromiseLike(r)) {
        return (r as Promise<unknown>).then(
          () => this.#autoFinishNow(),
          (e: unknown) => this.#handleRequestException(e),
        );
      }
      this.#autoFinishNow();
    } catch (e) {
      this.#handleRequestException(e);
    }
  }

  #autoFinishNow(): void {
    if (this.#autoFinish && !this.#finished) void this.finish();
  }

  #parseBody(): void {
    const req = this.request;
    if (req.body.length === 0) return;
    const contentType = req.headers.get("Content-Type", "");
    try {
      if (contentType.startsWith("application/x-www-form-urlencoded")) {
        refuseContentEncoding(req.headers);
        parseUrlencodedBody(req.body, req.bodyArguments);
      } else if (contentType.startsWith("multipart/form-data")) {
        if (!hasFeature("multipart")) {
          warnMultipartMissing();
          return;
        }
        refuseContentEncoding(req.headers);
        feature("multipart", "A multipart/form-data body").parse(contentType, req.body, req.bodyArguments, req.files);
      } else {
        return;
      }
    } catch (e) {
      // The reason stays the standard one: the message quotes client bytes, unfit for a header.
      if (e instanceof HTTPInputError) throw new HTTPError(400, "Invalid body: %s", { args: [e.message] });
      throw e;
    }
    req.resetArguments();
  }

  #handleRequestException(e: unknown): void {
    // A streaming host waits for prepare(); an error before it must release the host too.
    const stream = this.#stream;
    this.#stream = undefined;
    stream?.prepared();
    try {
      if (e instanceof Finish) {
        if (!this.#finished) void this.finish(e.chunk);
        return;
      }
      try {
        this.logException(e);
      } catch (le) {
        appLog.exception("Error in exception logger", le);
      }
      if (this.#finished) return;
      this.sendError(e instanceof HTTPError ? e.statusCode : 500, { error: e });
    } catch (e2) {
      appLog.exception("Exception in exception handler", e2);
      if (!this.#finished) {
        this.request.connection?.abort();
        this.#finished = true;
      }
    }
  }
}

let multipartWarned = false;

// Without the multipart feature a multipart body stays unparsed, like any content type
// Cyclone does not know: failing the request would let any client fill the log.
function warnMultipartMissing(): void {
  if (multipartWarned) return;
  multipartWarned = true;
  genLog.warning('A multipart/form-data body was left unparsed: add import "cyclone/features/multipart" to parse such bodies');
}

function formatLog(msg: string, args: unknown[]): string {
  let i = 0;
  return msg.replace(/%[sdr]/g, (m) => (i < args.length ? String(args[i++]) : m));
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function checkHeaderName(name: string): string {
  if (!VALID_HEADER_NAME.test(name)) throw new TypeError(`Invalid header name ${JSON.stringify(name)}`);
  return name;
}

function convertHeaderValue(value: HeaderValue): string {
  if (typeof value === "number") return String(value);
  if (value instanceof Date) return formatTimestamp(value);
  if (typeof value !== "string") throw new TypeError(`Unsupported header value ${String(value)}`);
  if (!VALID_HEADER_VALUE.test(value)) throw new TypeError(`Unsafe header value ${JSON.stringify(value)}`);
  return value;
}

/** The methods a handler class both supports and implements, for the `Allow` header. */
export function allowedMethods(ctor: typeof RequestHandler): string[] {
  const base = RequestHandler.prototype as unknown as Record<string, unknown>;
  const proto = ctor.prototype as unknown as Record<string, unknown>;
  return ctor.SUPPORTED_METHODS.filter((m) => {
    const name = m.toLowerCase();
    return name in proto && proto[name] !== base[name];
  });
}

/**
 * Answers every request with `statusCode` (default 404). Tornado's `ErrorHandler`; also
 * what the application uses for unmatched paths.
 *
 * @example
 * new Application([["/old", ErrorHandler, { statusCode: 410 }]]);
 */
export class ErrorHandler extends RequestHandler {
  #status = 404;
  #reasonText: string | undefined;
  override initialize(kwargs: InitArgs): void {
    this.#status = typeof kwargs["statusCode"] === "number" ? kwargs["statusCode"] : 404;
    this.#reasonText = typeof kwargs["reason"] === "string" ? kwargs["reason"] : undefined;
  }
  override prepare(): void {
    throw new HTTPError(this.#status, null, this.#reasonText === undefined ? {} : { reason: this.#reasonText });
  }
  // An error page answers any method; the check in prepare() is what decides.
  static override SUPPORTED_METHODS: readonly string[] = ["GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS"];
}

/**
 * Redirects every request to `url` (301 by default). `{0}`, `{1}`… and `{name}` in `url`
 * are replaced by the path's groups, and the query string is kept. Tornado's
 * `RedirectHandler`.
 *
 * @example
 * new Application([["/a/(.*)", RedirectHandler, { url: "/b/{0}" }]]);
 */
export class RedirectHandler extends RequestHandler {
  #url = "/";
  #permanent = true;
  #status: number | undefined;
  override initialize(kwargs: InitArgs): void {
    this.#url = String(kwargs["url"] ?? "/");
    this.#permanent = kwargs["permanent"] !== false;
    this.#status = typeof kwargs["status"] === "number" ? kwargs["status"] : undefined;
  }
  override get(...args: Array<string | Record<string, string>>): void {
    const positional = args.filter((a): a is string => typeof a === "string");
    const named = (args.find((a) => typeof a === "object") as Record<string, string> | undefined) ?? {};
    let to = this.#url.replace(/\{(\w+)\}/g, (m, key: string) => {
      const v = /^\d+$/.test(key) ? positional[Number(key)] : named[key];
      return v === undefined ? m : v;
    });
    if (this.request.query) to += (to.includes("?") ? "&" : "?") + this.request.query;
    this.redirect(to, this.#permanent, this.#status);
  }
}
