/**
 * The application — Tornado's `tornado.web.Application`: the routing table, the settings,
 * and the entry points hosts call (`startRequest` for socket hosts, `fetch` for
 * fetch-style runtimes).
 * @module
 */

import { handleFetch, type FetchHandlerOptions } from "./fetch.js";
import type { HTTPServerRequest } from "./httputil.js";
import { accessLog, LogLevel } from "./log.js";
import {
  AnyMatches,
  DefaultHostMatches,
  HostMatches,
  type InitArgs,
  ReversibleRuleRouter,
  type RouteMatch,
  type RouteOwner,
  type Router,
  Rule,
  type RuleSpec,
} from "./routing.js";
import type { StreamingHandlerClass } from "./decorators.js";
import { feature, hasFeature } from "./features.js";
import type { StaticFileSource } from "./static.js";
import { type KeyStorage, MemoryKeyStorage } from "./stateful.js";
import { ErrorHandler, type OutputTransform, RequestHandler } from "./web.js";

/** A concrete handler class, as rules name them. */
export type HandlerClass = new (application: Application, request: HTTPServerRequest, kwargs?: InitArgs) => RequestHandler;

/** Makes one output transform per request (e.g. gzip). */
export type OutputTransformFactory = (request: HTTPServerRequest) => OutputTransform | null;

/**
 * Application settings, with Tornado's names in camelCase. Unknown keys are kept, so an
 * application may carry its own settings too.
 */
export interface ApplicationSettings {
  /** Development mode: turns on `serveTraceback`, `autoreload`, and turns off template/static caches. */
  debug?: boolean;
  /** Error pages show the stack trace. */
  serveTraceback?: boolean;
  autoreload?: boolean;
  compiledTemplateCache?: boolean;
  staticHashCache?: boolean;
  /** Replaces the access log line: called once per finished request. */
  logFunction?: (handler: RequestHandler) => void;
  /** Handler for unmatched paths (default: a 404 `ErrorHandler`). */
  defaultHandlerClass?: HandlerClass;
  defaultHandlerArgs?: InitArgs;
  /** The host name whose rules also serve requests without a matching host rule. */
  defaultHost?: string;
  /** Largest request body in bytes (default 100 MiB, as Tornado); larger → 413. */
  maxBodySize?: number;
  /** Largest request head in bytes (default 64 KiB, as Tornado); larger → 431. */
  maxHeaderSize?: number;
  /** Seconds an idle keep-alive connection stays open (default 3600, as Tornado). */
  idleConnectionTimeout?: number;
  /** Secret for signed cookies: a string, or `{ keyVersion: secret }` with `keyVersion`. */
  cookieSecret?: string | Uint8Array | Readonly<Record<number, string | Uint8Array>>;
  /** Which key of a `cookieSecret` map signs new values. */
  keyVersion?: number;
  /** Check an XSRF token on POST, PUT, PATCH and DELETE. */
  xsrfCookies?: boolean;
  /** XSRF token format: 2 (masked, default) or 1. */
  xsrfCookieVersion?: 1 | 2;
  /** Name of the XSRF cookie (default `_xsrf`). */
  xsrfCookieName?: string;
  /** Options of the XSRF cookie (e.g. `{ secure: true, sameSite: "Strict" }`). */
  xsrfCookieKwargs?: import("./cookies.js").CookieOptions;
  /** Where `@authenticated` sends users who are not signed in. */
  loginUrl?: string;
  /** Compress responses with gzip for clients that accept it (Tornado's `compress_response`). */
  compressResponse?: boolean;
  /** Directory of templates for `render` (Node host). */
  templatePath?: string;
  /** The loader `render` uses (e.g. a `PrecompiledLoader` on Workers); overrides templatePath. */
  templateLoader?: import("./uimodule.js").TemplateLoader;
  /** Escape function name for `{{ }}` (default `xhtmlEscape`); `null` turns it off. */
  autoescape?: string | null;
  /** Whitespace mode for templates: `all`, `single` or `oneline`. */
  templateWhitespace?: "all" | "single" | "oneline";
  /** UI modules for `{% module Name() %}`, by name. */
  uiModules?: Record<string, import("./uimodule.js").UIModuleClass>;
  /** Functions templates can call; each gets the handler first. */
  uiMethods?: Record<string, import("./uimodule.js").UIMethod>;
  /** Directory of static files, served under `staticUrlPrefix`. */
  staticPath?: string;
  /** URL prefix of static files (default `/static/`). */
  staticUrlPrefix?: string;
  /** The handler class for static files (default `StaticFileHandler`). */
  staticHandlerClass?: typeof import("./static.js").StaticFileHandler;
  /** Extra initialize() arguments for the static handler. */
  staticHandlerArgs?: InitArgs;
  /** Where static files are read from (Node: the disk by default; Workers: the assets binding). */
  staticFileSource?: StaticFileSource;
  [key: string]: unknown;
}

/** The limits every host applies, with Tornado's defaults. */
export const DEFAULT_LIMITS = {
  maxBodySize: 100 * 1024 * 1024,
  maxHeaderSize: 64 * 1024,
  idleConnectionTimeout: 3600,
} as const;

/** What `Application.listen` returns on a socket host. */
export interface ListeningServer {
  /** Stops accepting connections. */
  stop(): Promise<void>;
  /** The bound address, once listening. */
  address(): { address: string; port: number } | null;
}

/** Options for `Application.listen`, passed through to the host's HTTP server. */
export interface ListenOptions {
  xheaders?: boolean;
  [key: string]: unknown;
}

type ListenHost = (app: Application, port: number, address: string | undefined, options: ListenOptions) => ListeningServer;
let listenHost: ListenHost | undefined;

/**
 * Installs the function behind `Application.listen`. The Node host calls this when
 * `cyclone/node` is imported; the core itself has no sockets.
 */
export function registerListenHost(host: ListenHost): void {
  listenHost = host;
}

/**
 * What a host drives for one request once its headers are in: it feeds the body (or sets
 * `request.body`) and then calls `finish()`, which runs the handler.
 */
export class HandlerDelegate {
  constructor(
    readonly application: Application,
    readonly request: HTTPServerRequest,
    readonly route: RouteMatch,
  ) {}

  /** The handler class that will serve the request. */
  get handlerClass(): HandlerClass {
    return this.route.handlerClass as unknown as HandlerClass;
  }

  #handler: RequestHandler | undefined;
  #prepared: Promise<void> | undefined;
  #bodyDone: { resolve: () => void; reject: (e: unknown) => void } | undefined;

  /** Whether the handler takes its body in chunks (`streamRequestBody`). */
  get streamRequestBody(): boolean {
    return (this.route.handlerClass as StreamingHandlerClass).streamRequestBody === true;
  }

  #makeHandler(): RequestHandler | undefined {
    const owner = this.route.owner as Application;
    try {
      const handler = new this.handlerClass(owner, this.request, this.route.initArgs);
      handler._start(this.route.initArgs);
      return handler;
    } catch (e) {
      // A failing constructor or initialize() still gets a proper 500.
      const handler = new RequestHandler(owner, this.request);
      handler._start({});
      handler.logException(e);
      handler.sendError(500, { error: e });
      return undefined;
    }
  }

  /** Runs the handler with the whole body in `request.body`. Resolves when its method settles. */
  finish(): Promise<void> | void {
    const settings = (this.route.owner as Application).settings;
    // With the static hash cache off (debug), pages see fresh ?v= versions every time.
    if (settings.staticHashCache === false && hasFeature("static")) feature("static", "staticHashCache").resetHashes(settings);
    if (this.#bodyDone !== undefined) {
      this.#bodyDone.resolve();
      return;
    }
    const handler = this.#makeHandler();
    if (handler === undefined) return;
    return handler._execute((this.route.owner as Application).makeTransforms(this.request), this.route.pathArgs, this.route.pathKwargs);
  }

  /**
   * Starts a streaming handler as soon as the headers are in: `prepare()` runs now; the
   * host then feeds chunks with {@link dataReceived} (after {@link prepared} settles) and
   * calls {@link finish} when the body is complete, or {@link abortBody} if it fails.
   */
  startStreaming(): void {
    let release!: () => void;
    this.#prepared = new Promise((r) => (release = r));
    const done = new Promise<void>((resolve, reject) => (this.#bodyDone = { resolve, reject }));
    done.catch(() => {});
    const handler = this.#makeHandler();
    if (handler === undefined) {
      release();
      return;
    }
    this.#handler = handler;
    const run = handler._execute(
      (this.route.owner as Application).makeTransforms(this.request),
      this.route.pathArgs,
      this.route.pathKwargs,
      { prepared: release, done },
    );
    if (run !== undefined) run.catch(() => {});
  }

  /** Settles once a streaming handler's `prepare()` is done and it can take chunks. */
  get prepared(): Promise<void> {
    return this.#prepared ?? Promise.resolve();
  }

  /** Whether the handler has already finished the response (stop feeding it). */
  get handlerFinished(): boolean {
    return this.#handler === undefined || this.#handler.finished;
  }

  /** Delivers one chunk of the body to a streaming handler. */
  dataReceived(chunk: Uint8Array): Promise<void> | void {
    const h = this.#handler;
    if (h === undefined || h.finished) return;
    return h.dataReceived(chunk);
  }

  /** Tells a streaming handler its body failed (client gone, too large). */
  abortBody(error: unknown): void {
    this.#bodyDone?.reject(error);
  }
}

const MALFORMED_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
const NO_TRANSFORMS: readonly OutputTransform[] = [];



/**
 * A collection of request handlers that make up a web application. Tornado's
 * `Application`.
 *
 * Rules are tried in order; the first match wins. A rule's target may be a handler class,
 * another Application or router (nested routing), or a list of rules.
 *
 * @example
 * class MainHandler extends RequestHandler {
 *   get() { this.write("Hello, world"); }
 * }
 * const app = new Application([["/", MainHandler]]);
 * app.listen(8888);                        // Node host
 * export default app;                      // Workers host
 */
export class Application implements Router, RouteOwner {
  readonly settings: ApplicationSettings;
  /** Routes for any host (and for `defaultHost`). */
  readonly wildcardRouter: ReversibleRuleRouter;
  /** The top-level router: host rules first, then the wildcard router. */
  readonly defaultRouter: ReversibleRuleRouter;
  /** Output transforms applied to every response (e.g. gzip with `compressResponse`). */
  readonly transforms: OutputTransformFactory[] = [];

  constructor(handlers: readonly RuleSpec[] = [], settings: ApplicationSettings = {}) {
    const s: ApplicationSettings = { ...settings };
    if (s.debug) {
      s.autoreload ??= true;
      s.compiledTemplateCache ??= false;
      s.staticHashCache ??= false;
      s.serveTraceback ??= true;
    }
    this.settings = s;
    if (s.compressResponse || s["gzip"]) this.transforms.push(feature("gzip", "The compressResponse setting").transform);
    // As Tornado: with staticPath, the static rules (and robots.txt, favicon.ico) come first.
    if (s.staticPath !== undefined) handlers = [...feature("static", "The staticPath setting").rules(s), ...handlers];
    this.wildcardRouter = new ReversibleRuleRouter(handlers);
    this.defaultRouter = new ReversibleRuleRouter([new Rule(new AnyMatches(), this.wildcardRouter)]);
  }

  /**
   * Adds rules that apply only to requests whose host name matches `hostPattern`. Host
   * rules are tried in the order added, before the wildcard rules.
   *
   * @example
   * app.addHandlers("www\\.example\\.com", [["/", WwwHandler]]);
   */
  addHandlers(hostPattern: string, hostHandlers: readonly RuleSpec[]): void {
    const matcher = new HostMatches(hostPattern);
    const rule = new Rule(matcher, new ReversibleRuleRouter(hostHandlers));
    this.defaultRouter.insertRule(-1, rule);
    if (this.settings.defaultHost !== undefined) {
      this.wildcardRouter.addRules([new Rule(new DefaultHostMatches(this, matcher.hostPattern), hostHandlers as RuleSpec[])]);
    }
  }

  /** Appends rules to the wildcard router. Tornado's `wildcard_router.add_rules`. */
  addRules(rules: readonly RuleSpec[]): void {
    this.wildcardRouter.addRules(rules);
  }

  /**
   * The path of the rule named `name`, with `args` substituted (URL-escaped).
   * @throws {Error} when no rule has that name.
   *
   * @example
   * app.reverseUrl("story", 42); // "/story/42"
   */
  reverseUrl(name: string, ...args: unknown[]): string {
    const u = this.defaultRouter.reverseUrl(name, ...args);
    if (u !== null) return u;
    throw new Error(`${name} not found in named urls`);
  }

  /** Routes a request inside this application (as a nested router it answers for itself). */
  findHandler(request: HTTPServerRequest, _owner?: RouteOwner): RouteMatch | null {
    // Without host rules the top level is only "any host → wildcard rules": skip a level.
    if (this.defaultRouter.rules.length === 1) return this.wildcardRouter.findHandler(request, this);
    return this.defaultRouter.findHandler(request, this);
  }

  /**
   * Starts serving a request whose headers have arrived: picks the handler. Unmatched
   * paths go to `defaultHandlerClass` or a 404 `ErrorHandler`.
   */
  startRequest(request: HTTPServerRequest): HandlerDelegate {
    if (request.path.includes("%") && MALFORMED_ESCAPE.test(request.path)) {
      return this.#errorRoute(request, 400, "Malformed percent-encoding in path");
    }
    const route = this.findHandler(request);
    if (route !== null) return new HandlerDelegate(this, request, route);
    if (this.settings.defaultHandlerClass) {
      return new HandlerDelegate(this, request, {
        owner: this,
        handlerClass: this.settings.defaultHandlerClass,
        initArgs: this.settings.defaultHandlerArgs ?? {},
        pathArgs: [],
        pathKwargs: {},
      });
    }
    return this.#errorRoute(request, 404);
  }

  #errorRoute(request: HTTPServerRequest, statusCode: number, reason?: string): HandlerDelegate {
    return new HandlerDelegate(this, request, {
      owner: this,
      handlerClass: ErrorHandler,
      initArgs: reason === undefined ? { statusCode } : { statusCode, reason },
      pathArgs: [],
      pathKwargs: {},
    });
  }

  /** @internal The output transforms for one request. */
  makeTransforms(request: HTTPServerRequest): readonly OutputTransform[] {
    if (this.transforms.length === 0) return NO_TRANSFORMS;
    const out: OutputTransform[] = [];
    for (const f of this.transforms) {
      const t = f(request);
      if (t !== null) out.push(t);
    }
    return out;
  }

  /**
   * Writes the access log line for a finished request, as Tornado's `log_request`: INFO
   * below 400, WARNING below 500, ERROR above. The `logFunction` setting replaces it.
   */
  logRequest(handler: RequestHandler): void {
    const fn = this.settings.logFunction;
    if (fn !== undefined) {
      fn(handler);
      return;
    }
    const status = handler.getStatus();
    const level = status < 400 ? LogLevel.INFO : status < 500 ? LogLevel.WARNING : LogLevel.ERROR;
    // Formatting costs more than the level check; skip it when nobody listens.
    if (!accessLog.isEnabledFor(level)) return;
    const ms = 1000 * handler.request.requestTime();
    accessLog.logWithExtra(
      level,
      { status, method: handler.request.method, uri: handler.request.uri, remoteIp: handler.request.remoteIp, ms },
      "%d %s %.2fms",
      status,
      handler.requestSummary(),
      ms,
    );
  }

  /**
   * Serves a Web `Request`, answering a `Response`: the entry point on Workers and any
   * fetch-style runtime, and for in-process tests. Bound, so it can be passed around
   * (`router.all("/app/*", app.fetch)`).
   *
   * @example
   * const res = await app.fetch(new Request("http://localhost/"));
   */
  readonly fetch = (request: Request, env?: unknown, ctx?: unknown): Promise<Response> => {
    return handleFetch(this, request, { env, ctx });
  };

  /** As {@link fetch}, with host options (remote address, environment). */
  handleFetch(request: Request, options: FetchHandlerOptions): Promise<Response> {
    return handleFetch(this, request, options);
  }

  readonly #memoryStorage = new Map<string, MemoryKeyStorage>();

  /** The in-memory storage of one state key (the Node host's `handler.storage`). */
  storageFor(key: string): KeyStorage {
    let st = this.#memoryStorage.get(key);
    if (st === undefined) {
      st = new MemoryKeyStorage();
      this.#memoryStorage.set(key, st);
    }
    return st;
  }

  /**
   * The URL of a static file, with its version (`?v=`) so it can be cached for long.
   * Uses the `staticHandlerClass` setting's `makeStaticUrl`.
   */
  makeStaticUrl(path: string, includeVersion = true): string {
    return feature("static", "makeStaticUrl()").url(this.settings, path, includeVersion);
  }

  /**
   * Starts an HTTP server for this application on `port` (Node host). Tornado's
   * `Application.listen`.
   * @throws {Error} when no socket host is loaded (import from `cyclone/node`).
   */
  listen(port: number, address?: string, options: ListenOptions = {}): ListeningServer {
    if (listenHost === undefined) {
      throw new Error('Application.listen() needs the Node host: import { Application } from "cyclone/node"');
    }
    return listenHost(this, port, address, options);
  }
}
