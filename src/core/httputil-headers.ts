/**
 * Request and response headers — Tornado's `httputil.HTTPHeaders` — and the error for bad
 * input from a client. A request's headers can be lazy: read in place from what the host
 * parsed (see httputil-lazy.ts) and copied only when listed or written to.
 * @module
 */

import { type HeaderSource, RawHeadersSource, WebHeadersSource } from "./httputil-lazy.js";

const normalizedNames = new Map<string, string>();

/**
 * Normalizes a header name to Tornado's canonical form: `content-type` → `Content-Type`.
 * Results are cached, since the same few names recur on every request.
 */
export function normalizeHeaderName(name: string): string {
  let n = normalizedNames.get(name);
  if (n === undefined) {
    n = name
      .split("-")
      .map((w) => (w.length ? w[0]!.toUpperCase() + w.slice(1).toLowerCase() : w))
      .join("-");
    if (normalizedNames.size < 1000) normalizedNames.set(name, n);
  }
  return n;
}

// The constructor argument that makes a lazy instance (fromWebHeaders/fromRawHeaders).
const LAZY: unique symbol = Symbol("LAZY");
const NO_ENTRIES = new Map<string, HeaderEntry>();

/**
 * A case-insensitive, multi-valued map of HTTP headers — Tornado's `HTTPHeaders`.
 *
 * `get` joins several values with a comma, `getList` returns them all; iteration yields
 * `[name, value]` for every value, in insertion order, with names in canonical form.
 *
 * @example
 * const h = new HTTPHeaders({ "content-type": "text/html" });
 * h.add("Set-Cookie", "A=B");
 * h.add("Set-Cookie", "C=D");
 * h.get("Content-Type");   // "text/html"
 * h.getList("set-cookie"); // ["A=B", "C=D"]
 */
export class HTTPHeaders implements Iterable<[string, string]> {
  // Keyed by lower-case name; each entry keeps the canonical name and all its values.
  // A lazy instance holds the shared empty NO_ENTRIES (never written: every write goes
  // through #own, which copies into a map of its own first) and answers reads from its
  // source until it copies: a request whose headers are only read allocates no map.
  #map: Map<string, HeaderEntry>;
  // What a request's headers are read from until they are listed or written to
  // (see fromWebHeaders/fromRawHeaders); cleared once copied into the map.
  #src: HeaderSource | undefined;

  constructor(init?: Record<string, string | string[]> | Iterable<readonly [string, string]>) {
    if ((init as unknown) === LAZY) {
      this.#map = NO_ENTRIES;
      return;
    }
    this.#map = new Map();
    if (init === undefined) return;
    if (Symbol.iterator in init) {
      for (const [k, v] of init as Iterable<readonly [string, string]>) this.add(k, v);
    } else {
      for (const [k, v] of Object.entries(init)) {
        if (Array.isArray(v)) for (const x of v) this.add(k, x);
        else this.add(k, v);
      }
    }
  }

  /**
   * Headers that read a Web `Headers` (a fetch host's `Request.headers`) in place and copy
   * it only when listed, iterated or written to: `get`/`has`/`getList` are one lookup in
   * `headers` each. Answers equal those of a copy made with `headers.forEach`, where each
   * name has one value (repeated fields combined with ", ") and `Set-Cookie` is left out.
   * Until the copy is made, a change to `headers` shows through.
   *
   * @example
   * const h = HTTPHeaders.fromWebHeaders(new Headers({ "content-type": "text/plain" }));
   * h.get("Content-Type"); // "text/plain"
   * [...h];                // [["Content-Type", "text/plain"]]
   */
  static fromWebHeaders(headers: Headers): HTTPHeaders {
    const h = new HTTPHeaders(LAZY as never);
    h.#src = new WebHeadersSource(headers);
    return h;
  }

  /**
   * Headers that read a `[name, value, name, value, …]` array (node:http's `rawHeaders`:
   * Latin-1 strings, names as sent) in place and copy it only when listed, iterated or
   * written to. Answers equal those of `add(name, value)` for every pair in order: a
   * repeated field has several values, and `get` joins them with ",". The array must not
   * change afterwards.
   *
   * @example
   * const h = HTTPHeaders.fromRawHeaders(["Host", "a.example", "Accept", "text/html", "accept", "image/png"]);
   * h.get("accept");     // "text/html,image/png"
   * h.getList("Accept"); // ["text/html", "image/png"]
   */
  static fromRawHeaders(raw: readonly string[]): HTTPHeaders {
    const h = new HTTPHeaders(LAZY as never);
    h.#src = new RawHeadersSource(raw);
    return h;
  }

  /**
   * Parses a header block (`Name: value` lines separated by CRLF or LF), as Tornado's
   * `HTTPHeaders.parse`. Continuation lines (obsolete line folding) are joined with a space.
   * @throws {HTTPInputError} on a line without a colon.
   */
  static parse(text: string): HTTPHeaders {
    const h = new HTTPHeaders();
    let last: string | null = null;
    for (const line of text.split(/\r?\n/)) {
      if (line === "") continue;
      if (line[0] === " " || line[0] === "\t") {
        if (last === null) throw new HTTPInputError("first header line cannot start with whitespace");
        const e = h.#map.get(last.toLowerCase())!;
        e.values[e.values.length - 1] += " " + line.trim();
        continue;
      }
      const colon = line.indexOf(":");
      if (colon <= 0) throw new HTTPInputError(`no colon in header line: ${JSON.stringify(line)}`);
      last = line.slice(0, colon);
      h.add(last, line.slice(colon + 1).trim());
    }
    return h;
  }

  // The map every listing and write works on; a lazy instance copies its source into it
  // on the first such call and reads only the map from then on.
  #own(): Map<string, HeaderEntry> {
    const src = this.#src;
    return src === undefined ? this.#map : this.#copySource(src);
  }

  #copySource(src: HeaderSource): Map<string, HeaderEntry> {
    const map = (this.#map = new Map());
    this.#src = undefined;
    src.forEach((name, value) => addTo(map, name, value));
    return map;
  }

  // Names are kept as first given and put in canonical form only on output: request
  // headers are looked up far more often than they are listed.

  /** Adds a value for `name`, keeping any values already there. */
  add(name: string, value: string): void {
    addTo(this.#own(), name, value);
  }

  /** Sets `name` to a single value, replacing any values it had. */
  set(name: string, value: string): void {
    const map = this.#own();
    const key = name.toLowerCase();
    const e = map.get(key);
    if (e) e.values = [value];
    else map.set(key, { name, values: [value] });
  }

  /**
   * @internal Sets a header whose lower-case key the caller already knows (the core's own
   * default headers), skipping the case folding.
   */
  _setKnown(key: string, name: string, value: string): void {
    this.#own().set(key, { name, values: [value] });
  }

  /** The values of `name` joined with `,`, or `undefined` (or `fallback`) when absent. */
  get(name: string): string | undefined;
  get<D>(name: string, fallback: D): string | D;
  get<D>(name: string, fallback?: D): string | D | undefined {
    const src = this.#src;
    if (src !== undefined) {
      const v = src.get(name);
      return v === undefined ? fallback : v;
    }
    const e = this.#map.get(name.toLowerCase());
    if (!e) return fallback;
    return e.values.length === 1 ? e.values[0] : e.values.join(",");
  }

  /** Every value of `name`, in order; an empty array when absent. Tornado's `get_list`. */
  getList(name: string): string[] {
    const src = this.#src;
    if (src !== undefined) return src.getList(name);
    const e = this.#map.get(name.toLowerCase());
    return e ? e.values.slice() : [];
  }

  /** Alias of {@link getList}, under the Web `Headers` name. */
  getAll(name: string): string[] {
    return this.getList(name);
  }

  /** Whether `name` has at least one value. */
  has(name: string): boolean {
    const src = this.#src;
    if (src !== undefined) return src.has(name);
    return this.#map.has(name.toLowerCase());
  }

  /** Removes every value of `name`. Returns whether it was present. */
  delete(name: string): boolean {
    return this.#own().delete(name.toLowerCase());
  }

  /** The number of distinct header names. */
  get size(): number {
    return this.#own().size;
  }

  /** Canonical header names, in insertion order. */
  *keys(): IterableIterator<string> {
    for (const e of this.#own().values()) yield normalizeHeaderName(e.name);
  }

  /** `[name, value]` for every value, in insertion order. Tornado's `get_all`. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (const e of this.#own().values()) {
      const name = normalizeHeaderName(e.name);
      for (const v of e.values) yield [name, v];
    }
  }

  /** Same as iterating the headers. */
  getAllPairs(): Array<[string, string]> {
    return [...this];
  }

  /** A copy of these headers. */
  copy(): HTTPHeaders {
    const h = new HTTPHeaders();
    const map = h.#map;
    for (const [k, e] of this.#own()) map.set(k, { name: e.name, values: e.values.slice() });
    return h;
  }

  /** Runs `fn` once per header name with the list of its values (hosts use this to write). */
  forEachList(fn: (name: string, values: readonly string[]) => void): void {
    for (const e of this.#own().values()) fn(normalizeHeaderName(e.name), e.values);
  }

  toString(): string {
    let s = "";
    for (const [k, v] of this) s += `${k}: ${v}\r\n`;
    return s;
  }
}

/** One header name's entry: the name as first given and every value in order. */
interface HeaderEntry {
  name: string;
  values: string[];
}

function addTo(map: Map<string, HeaderEntry>, name: string, value: string): void {
  const key = name.toLowerCase();
  const e = map.get(key);
  if (e) e.values.push(value);
  else map.set(key, { name, values: [value] });
}

/** Bad input from the client: a malformed request line, header or body. Tornado's `HTTPInputError`. */
export class HTTPInputError extends Error {
  override name = "HTTPInputError";
}
