/**
 * Static files — Tornado's `StaticFileHandler`, `make_static_url` and the rules an
 * Application adds for its `staticPath` setting.
 *
 * The handler knows HTTP (ETag, Last-Modified/If-Modified-Since, a single `Range`, HEAD,
 * content types, versioned URLs with a ten-year cache) and nothing of disks: it reads
 * through a {@link StaticFileSource} that each host provides — files on Node
 * (`NodeFileSource` in `cyclone/node`), the Static Assets binding on Workers. The source is
 * taken from the rule's `source` argument, else the `staticFileSource` setting, else the
 * host's default ({@link setDefaultStaticFileSource}).
 *
 * Traversal is refused twice: lexically here (the normalised path must stay under the
 * root: `..`, `%2e%2e`, `%2f`, absolute paths → 403; NUL → 404) and by the source once
 * links are followed (`resolve`).
 *
 * **Subclassing** (as Tornado's): override `getContentType`, `getCacheTime`,
 * `setExtraHeaders`, `parseUrlPath`, `validateAbsolutePath`, and the static
 * `makeStaticUrl`, `getVersion`, `getContentVersion`, `getAbsolutePath`.
 * @module
 */

import type { ApplicationSettings } from "./application.js";
import { HTTPError } from "./errors.js";
import { genLog } from "./log.js";
import type { InitArgs, RuleSpec } from "./routing.js";
import { contentTypeFor, getContentRange, isInsideRoot, joinPath, normalizePath, parseHttpDate, parseRequestRange } from "./static-util.js";
import { RequestHandler } from "./web.js";

export { contentTypeFor, getContentRange, guessType, parseHttpDate, parseRequestRange } from "./static-util.js";

/** What a {@link StaticFileSource} knows of one path. */
export interface StaticFileStat {
  /** Size in bytes. */
  readonly size: number;
  /** Last modification time. */
  readonly mtime: Date;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
}

/**
 * Where static content comes from: the host's side of `StaticFileHandler`. Paths are the
 * handler's absolute paths (`getAbsolutePath(root, path)`: POSIX, normalised, already
 * checked lexically to be under `root`).
 *
 * @example
 * // An in-memory source, e.g. for assets bundled into a Worker:
 * const files = new Map([["/assets/app.css", new TextEncoder().encode("body{}")]]);
 * const memorySource: StaticFileSource = {
 *   resolve: (_root, p) => p,
 *   stat: (p) => {
 *     const b = files.get(p);
 *     return b ? { size: b.length, mtime: new Date(0), isFile: true, isDirectory: false } : null;
 *   },
 *   read: async function* (p, start = 0, end) { yield files.get(p)!.subarray(start, end); },
 *   hash: (p) => String(files.get(p)?.length ?? ""),
 * };
 */
export interface StaticFileSource {
  /**
   * Checks that `absolutePath` stays inside `root` once the source's own indirections
   * (symbolic links on a disk) are followed, and returns the path to stat and read; `null`
   * when it leaves the root (→ 403). A path that does not exist may be returned as is (its
   * `stat` then answers `null` → 404).
   */
  resolve(root: string, absolutePath: string): string | null | Promise<string | null>;
  /** What the path is, or `null` when it does not exist (→ 404). */
  stat(path: string): StaticFileStat | null | Promise<StaticFileStat | null>;
  /**
   * The bytes of `path` from `start` (default 0) to `end` (exclusive; default the end),
   * in chunks. Streamed: a large file must not be loaded whole.
   */
  read(path: string, start?: number, end?: number): AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;
  /**
   * A stable hash of the content, used for `?v=` and the ETag (Tornado 6.2: SHA-512 hex);
   * `null` when there is none. A synchronous answer lets `staticUrl` version a URL on
   * first use; a Promise is awaited by the handler, and `staticUrl` omits `?v=` until it
   * settles. Throwing is logged once ("Could not open static file") and cached as none.
   */
  hash(path: string): string | null | Promise<string | null>;
}

/** A static-file configuration mistake: no source, no `staticPath`. */
export class StaticFileError extends Error {
  override name = "StaticFileError";
}

/** The settings the static-file machinery reads (Tornado's `static_*` settings). */
export interface StaticSettings {
  /** Directory (root) of the static files; enables the static rules and `staticUrl`. */
  staticPath?: string;
  /** URL prefix of static files (default `/static/`). */
  staticUrlPrefix?: string;
  /** Handler class for static files (default {@link StaticFileHandler}). */
  staticHandlerClass?: typeof StaticFileHandler;
  /** Extra `initialize` arguments for it (e.g. `{ defaultFilename: "index.html" }`). */
  staticHandlerArgs?: InitArgs;
  /** Where the files come from; the Node host sets a `NodeFileSource`. */
  staticFileSource?: StaticFileSource;
  /** Cache content hashes (default true; `debug` turns it off). */
  staticHashCache?: boolean;
}

function settingsOf(settings: ApplicationSettings | StaticSettings): StaticSettings {
  return settings as StaticSettings;
}

let defaultSource: StaticFileSource | undefined;

/**
 * Sets the source used when neither the rule nor the settings name one. A host calls this
 * once when loaded (`cyclone/node` installs a `NodeFileSource`); `undefined` clears it.
 *
 * @example
 * setDefaultStaticFileSource(new NodeFileSource());
 */
export function setDefaultStaticFileSource(source: StaticFileSource | undefined): void {
  defaultSource = source;
}

/** The source installed by {@link setDefaultStaticFileSource}, if any. */
export function getDefaultStaticFileSource(): StaticFileSource | undefined {
  return defaultSource;
}

function sourceFromSettings(settings: ApplicationSettings | StaticSettings): StaticFileSource {
  const s = settingsOf(settings);
  const source = s.staticFileSource ?? (s.staticHandlerArgs?.["source"] as StaticFileSource | undefined) ?? defaultSource;
  if (source === undefined) {
    throw new StaticFileError("No static file source: set the staticFileSource setting (cyclone/node sets a NodeFileSource)");
  }
  return source;
}

function isThenable<T>(x: T | Promise<T>): x is Promise<T> {
  return typeof x === "object" && x !== null && typeof (x as Promise<T>).then === "function";
}

// Content hashes by absolute path, shared by every StaticFileHandler class as Tornado's
// class attribute; a pending Promise stands for a hash being computed.
const hashes = new Map<string, string | null | Promise<string | null>>();

/**
 * Serves static files from a directory (through a {@link StaticFileSource}). Tornado's
 * `StaticFileHandler`; rule arguments `{ path: root, defaultFilename?, source? }`.
 *
 * A URL with a `v` argument (as `staticUrl` makes) is cached by browsers for ten years.
 *
 * @example
 * new Application([
 *   ["/content/(.*)", StaticFileHandler, { path: "/var/www", defaultFilename: "index.html" }],
 * ], { staticFileSource: new NodeFileSource() });
 */
export class StaticFileHandler extends RequestHandler {
  /** Seconds a versioned URL may be cached: ten years. */
  static CACHE_MAX_AGE = 86400 * 365 * 10;

  /** The root directory (the `path` argument). */
  root = "";
  /** File served for a directory (its URL must end in `/`), if any. */
  defaultFilename: string | undefined;
  /** Where content comes from. */
  source!: StaticFileSource;
  /** The requested path, relative to the root (after `parseUrlPath`). */
  path = "";
  /** The validated path being served, as the source names it. */
  absolutePath: string | null = null;
  /** Last modification time, whole seconds. */
  modified: Date | null = null;

  #stat: StaticFileStat | null = null;
  #version: string | null = null;
  #clientGone = false;

  override initialize(kwargs: InitArgs): void {
    if (typeof kwargs["path"] !== "string") throw new StaticFileError("StaticFileHandler needs a path argument (the root directory)");
    this.root = kwargs["path"];
    const df = kwargs["defaultFilename"] ?? kwargs["default_filename"];
    this.defaultFilename = typeof df === "string" ? df : undefined;
    const source = (kwargs["source"] as StaticFileSource | undefined) ?? settingsOf(this.settings).staticFileSource ?? defaultSource;
    if (source === undefined) {
      throw new StaticFileError("StaticFileHandler has no source: pass { source } or set the staticFileSource setting");
    }
    this.source = source;
  }

  /** Forgets every cached content hash (Tornado's `reset`; done per request when `staticHashCache` is off). */
  static reset(): void {
    hashes.clear();
  }

  override onConnectionClose(): void {
    this.#clientGone = true;
  }

  override head(path: string): Promise<void> {
    return this.get(path, false);
  }

  override async get(path: string, includeBody = true): Promise<void> {
    this.path = this.parseUrlPath(path ?? "");
    const ctor = this.constructor as typeof StaticFileHandler;
    // Tornado resets the cache before every request in this mode (the debug default).
    if (settingsOf(this.settings).staticHashCache === false) ctor.reset();
    const absolutePath = ctor.getAbsolutePath(this.root, this.path);
    this.absolutePath = await this.validateAbsolutePath(this.root, absolutePath);
    if (this.absolutePath === null) return;

    this.modified = this.getModifiedTime();
    this.#version = await ctor.getCachedVersionAsync(this.absolutePath, this.source);
    this.setHeaders();
    if (this.shouldReturn304()) {
      this.setStatus(304);
      return;
    }

    const size = this.getContentSize();
    let start: number | null = null;
    let end: number | null = null;
    const rangeHeader = this.request.headers.get("Range");
    // RFC 7233: an invalid Range header is ignored, as if absent.
    const range = rangeHeader ? parseRequestRange(rangeHeader) : null;
    if (range !== null) {
      [start, end] = range;
      if (start !== null && start < 0) start = Math.max(0, start + size);
      if ((start !== null && (start >= size || (end !== null && start >= end))) || end === 0) {
        this.setStatus(416);
        this.setHeader("Content-Type", "text/plain");
        this.setHeader("Content-Range", `bytes */${size}`);
        return;
      }
      // Clients use a large end to cap their download; cap it at the file size.
      if (end !== null && end > size) end = size;
      // 206 only when less than the whole file was asked for: Chrome will not play audio
      // answered with a 206 to "bytes=0-".
      if (size !== (end || size) - (start ?? 0)) {
        this.setStatus(206);
        this.setHeader("Content-Range", getContentRange(start, end, size));
      }
    }
    const contentLength = start !== null && end !== null ? end - start : end !== null ? end : start !== null ? size - start : size;
    this.setHeader("Content-Length", contentLength);
    if (!includeBody) return;
    await this.#stream(this.absolutePath, start ?? undefined, end ?? undefined);
  }

  async #stream(path: string, start: number | undefined, end: number | undefined): Promise<void> {
    const content = this.getContent(path, start, end);
    if (Symbol.asyncIterator in content) {
      // Leaving the loop early closes the iterator, and with it the file.
      for await (const chunk of content) {
        if (this.#clientGone) return;
        this.write(chunk);
        await this.flush();
      }
      return;
    }
    // Not every runtime's ReadableStream is async-iterable; read those by hand.
    const reader = (content as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        if (this.#clientGone) return;
        const { done, value } = await reader.read();
        if (done) return;
        this.write(value);
        await this.flush();
      }
    } finally {
      // Stops the source reading on when the client went away or a write failed.
      reader.cancel().catch(() => {});
    }
  }

  /** The response's ETag: the content version, the same for a whole file and its ranges. */
  override computeEtag(): string | null {
    return this.#version ? `"${this.#version}"` : null;
  }

  /** Sets Accept-Ranges, ETag, Last-Modified, Content-Type and the cache headers. */
  setHeaders(): void {
    this.setHeader("Accept-Ranges", "bytes");
    this.setEtagHeader();
    if (this.modified !== null) this.setHeader("Last-Modified", this.modified);
    const contentType = this.getContentType();
    if (contentType) this.setHeader("Content-Type", contentType);
    const cacheTime = this.getCacheTime(this.path, this.modified, contentType);
    if (cacheTime > 0) {
      this.setHeader("Expires", new Date(Date.now() + cacheTime * 1000));
      this.setHeader("Cache-Control", "max-age=" + cacheTime);
    }
    this.setExtraHeaders(this.path);
  }

  /** Whether the client's copy is current: `If-None-Match` if sent, else `If-Modified-Since`. */
  shouldReturn304(): boolean {
    if (this.request.headers.get("If-None-Match")) return this.checkEtagHeader();
    const ims = this.request.headers.get("If-Modified-Since");
    if (ims !== undefined && this.modified !== null) {
      const since = parseHttpDate(ims);
      if (since !== null && since.getTime() >= this.modified.getTime()) return true;
    }
    return false;
  }

  /**
   * The lexical absolute location of `path` under `root` (Python's
   * `os.path.abspath(os.path.join(root, path))` on POSIX paths). Tornado's
   * `get_absolute_path`.
   *
   * @example
   * StaticFileHandler.getAbsolutePath("/srv/static", "css/../app.js"); // "/srv/static/app.js"
   */
  static getAbsolutePath(root: string, path: string): string {
    return normalizePath(joinPath(root, path));
  }

  /**
   * Checks `absolutePath` and returns the path to serve, or `null` after redirecting (a
   * directory URL without its `/` when `defaultFilename` is set). Tornado's
   * `validate_absolute_path`.
   * @throws {HTTPError} 403 outside the root or not a file, 404 when missing.
   */
  async validateAbsolutePath(root: string, absolutePath: string): Promise<string | null> {
    if (!isInsideRoot(root, absolutePath)) {
      throw new HTTPError(403, "%s is not in root static directory", { args: [this.path] });
    }
    // Python's os.path.exists answers False for a path with a NUL byte: a 404.
    if (absolutePath.includes("\0")) throw new HTTPError(404);
    let served = await this.source.resolve(root, absolutePath);
    if (served === null) throw new HTTPError(403, "%s is not in root static directory", { args: [this.path] });
    let stat = await this.source.stat(served);
    if (stat !== null && stat.isDirectory && this.defaultFilename !== undefined) {
      const reqPath = this.request.path;
      if (!reqPath.endsWith("/")) {
        // "//host/x/" would be a protocol-relative URL: an open redirect.
        if (reqPath.startsWith("//")) throw new HTTPError(403, "cannot redirect path with two initial slashes");
        this.redirect(reqPath + "/", true);
        return null;
      }
      const withDefault = normalizePath(joinPath(absolutePath, this.defaultFilename));
      if (!isInsideRoot(root, withDefault)) throw new HTTPError(403, "%s is not in root static directory", { args: [this.path] });
      served = await this.source.resolve(root, withDefault);
      if (served === null) throw new HTTPError(403, "%s is not in root static directory", { args: [this.path] });
      stat = await this.source.stat(served);
    }
    if (stat === null) throw new HTTPError(404);
    if (!stat.isFile) throw new HTTPError(403, "%s is not a file", { args: [this.path] });
    this.#stat = stat;
    return served;
  }

  /** The content of `absolutePath` from `start` to `end` (exclusive), from the source. */
  getContent(absolutePath: string, start?: number, end?: number): AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> {
    return this.source.read(absolutePath, start, end);
  }

  /** Size of the file being served. */
  getContentSize(): number {
    return this.#stat!.size;
  }

  /** Modification time of the file, truncated to whole seconds as Tornado (HTTP dates have no fractions). */
  getModifiedTime(): Date | null {
    const t = this.#stat?.mtime.getTime();
    return t === undefined || Number.isNaN(t) ? null : new Date(Math.floor(t / 1000) * 1000);
  }

  /** The Content-Type, guessed from the file name (see `contentTypeFor`). */
  getContentType(): string {
    return contentTypeFor(this.absolutePath ?? this.path);
  }

  /** Hook for headers of your own. */
  setExtraHeaders(_path: string): void {}

  /**
   * Seconds the response may be cached (`Cache-Control: max-age` and `Expires`): ten
   * years when the URL has a `v` argument, else 0 (no header; browser heuristics apply).
   */
  getCacheTime(_path: string, _modified: Date | null, _mimeType: string): number {
    return "v" in this.request.arguments ? (this.constructor as typeof StaticFileHandler).CACHE_MAX_AGE : 0;
  }

  /** Converts the URL path (prefix removed) to a path relative to the root. The inverse of `makeStaticUrl`. */
  parseUrlPath(urlPath: string): string {
    return urlPath;
  }

  /**
   * The URL of a static file, relative to the host, with `?v=<content hash>` unless
   * `includeVersion` is false or no hash is known. Tornado's `make_static_url`.
   *
   * @example
   * StaticFileHandler.makeStaticUrl(app.settings, "css/site.css"); // "/static/css/site.css?v=8d3f…"
   */
  static makeStaticUrl(settings: ApplicationSettings | StaticSettings, path: string, includeVersion = true): string {
    const url = (settingsOf(settings).staticUrlPrefix ?? "/static/") + path;
    if (!includeVersion) return url;
    const version = this.getVersion(settings, path);
    return version ? `${url}?v=${version}` : url;
  }

  /** The version string of a static path for URLs (the cached content hash), or `null`. */
  static getVersion(settings: ApplicationSettings | StaticSettings, path: string): string | null {
    const root = settingsOf(settings).staticPath;
    if (root === undefined) throw new StaticFileError("You must define the 'staticPath' setting in your application to use staticUrl");
    return this.getCachedVersion(this.getAbsolutePath(root, path), sourceFromSettings(settings));
  }

  /** The content version of a file: the source's hash. Override for another scheme. */
  static getContentVersion(absolutePath: string, source: StaticFileSource): string | null | Promise<string | null> {
    return source.hash(absolutePath);
  }

  /** The cached content version, computing it on first use; `null` while an async hash is pending. */
  static getCachedVersion(absolutePath: string, source: StaticFileSource): string | null {
    const cached = this.#lookupVersion(absolutePath, source);
    return isThenable(cached) ? null : cached;
  }

  /** As {@link getCachedVersion}, waiting for a hash being computed. */
  static getCachedVersionAsync(absolutePath: string, source: StaticFileSource): Promise<string | null> | string | null {
    return this.#lookupVersion(absolutePath, source);
  }

  static #lookupVersion(absolutePath: string, source: StaticFileSource): string | null | Promise<string | null> {
    const cached = hashes.get(absolutePath);
    if (cached !== undefined) return cached;
    const failed = (e: unknown): null => {
      genLog.error("Could not open static file %r: %s", absolutePath, e);
      hashes.set(absolutePath, null);
      return null;
    };
    let v: string | null | Promise<string | null>;
    try {
      v = this.getContentVersion(absolutePath, source);
    } catch (e) {
      return failed(e);
    }
    if (isThenable(v)) {
      const pending = v.then(
        (h) => {
          hashes.set(absolutePath, h || null);
          return h || null;
        },
        failed,
      );
      hashes.set(absolutePath, pending);
      return pending;
    }
    hashes.set(absolutePath, v || null);
    return v || null;
  }
}

/** Options of {@link staticUrl}. */
export interface StaticUrlOptions {
  /** Prepended to the URL, e.g. `https://example.com` (Tornado's `include_host`). */
  base?: string;
  /** Add `?v=<hash>` (default true). */
  includeVersion?: boolean;
}

/**
 * The URL of a static file, as `RequestHandler.staticUrl` (Tornado's `static_url`): the
 * `staticHandlerClass`'s `makeStaticUrl` for `path`, after `options.base`.
 * @throws {StaticFileError} when the `staticPath` setting is missing.
 *
 * @example
 * staticUrl(app.settings, "app.js");                        // "/static/app.js?v=…"
 * staticUrl(app.settings, "app.js", { base: "https://cdn.example.com" });
 */
export function staticUrl(settings: ApplicationSettings | StaticSettings, path: string, options: StaticUrlOptions = {}): string {
  const s = settingsOf(settings);
  if (!s.staticPath) throw new StaticFileError("You must define the 'staticPath' setting in your application to use staticUrl");
  const cls = s.staticHandlerClass ?? StaticFileHandler;
  return (options.base ?? "") + cls.makeStaticUrl(settings, path, options.includeVersion ?? true);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The rules Tornado's Application puts first when `staticPath` is set: `/robots.txt`,
 * `/favicon.ico` and `<staticUrlPrefix>(.*)`, served by `staticHandlerClass` with
 * `staticHandlerArgs` plus `{ path: staticPath }`. Empty without `staticPath`.
 *
 * @example
 * const rules = [...staticHandlerRules(settings), ...handlers];
 */
export function staticHandlerRules(settings: ApplicationSettings | StaticSettings): RuleSpec[] {
  const s = settingsOf(settings);
  if (!s.staticPath) return [];
  const cls = s.staticHandlerClass ?? StaticFileHandler;
  const args: InitArgs = { ...(s.staticHandlerArgs ?? {}), path: s.staticPath };
  const prefix = s.staticUrlPrefix ?? "/static/";
  return [
    ["/(robots\\.txt)", cls, args],
    ["/(favicon\\.ico)", cls, args],
    [escapeRegExp(prefix) + "(.*)", cls, args],
  ];
}
