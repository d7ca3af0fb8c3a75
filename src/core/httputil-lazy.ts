/**
 * Where a lazy request `HTTPHeaders` reads from until it needs storage of its own: the Web
 * `Headers` of a fetch host's `Request`, or the `[name, value, name, value, …]` array a
 * socket host's parser produced (node:http's `rawHeaders`).
 *
 * Copying every request header into a map costs a call per header (on workerd each one a
 * crossing into the runtime), yet a request handler reads a handful of them at most. A
 * source answers `get`/`has`/`getList` straight from what the host already holds, exactly
 * as the copied map would; `HTTPHeaders` copies through `forEach` only when it is listed,
 * iterated or written to (see `HTTPHeaders.fromWebHeaders` and `HTTPHeaders.fromRawHeaders`).
 * @module
 */

/**
 * @internal The read side of a lazy `HTTPHeaders`. Each answer equals what the map that
 * `forEach` fills would give.
 */
export interface HeaderSource {
  /** The values of `name` (any case) joined as `HTTPHeaders.get` joins them, or `undefined`. */
  get(name: string): string | undefined;
  /** Every value of `name` (any case), in order; a fresh array. */
  getList(name: string): string[];
  /** Whether `name` (any case) is present. */
  has(name: string): boolean;
  /** Calls `add` for every `[name, value]` in the order the copy must keep. */
  forEach(add: (name: string, value: string) => void): void;
}

// A request's Set-Cookie means nothing to a server, and the fetch host has always left it
// out (Headers.get would join its values, which no HTTPHeaders answer ever did).
function isSetCookie(name: string): boolean {
  return name.length === 10 && name.toLowerCase() === "set-cookie";
}

/**
 * A Web `Headers` as a source. `Headers` already keeps one combined value per name (joined
 * with ", ", the form its `forEach` hands out), so `get` is one native call and returns
 * what a copy made by `forEach` would.
 */
export class WebHeadersSource implements HeaderSource {
  readonly #headers: Headers;

  constructor(headers: Headers) {
    this.#headers = headers;
  }

  get(name: string): string | undefined {
    if (isSetCookie(name)) return undefined;
    let v: string | null;
    try {
      v = this.#headers.get(name);
    } catch {
      // Headers refuses a name that is not a valid field name (undici throws, workerd
      // answers null): no field can have it, in the copy or in Tornado.
      return undefined;
    }
    return v === null ? undefined : v;
  }

  getList(name: string): string[] {
    const v = this.get(name);
    return v === undefined ? [] : [v];
  }

  has(name: string): boolean {
    if (isSetCookie(name)) return false;
    try {
      return this.#headers.has(name);
    } catch {
      // As in get.
      return false;
    }
  }

  forEach(add: (name: string, value: string) => void): void {
    this.#headers.forEach((value, name) => {
      if (name !== "set-cookie") add(name, value);
    });
  }
}

/**
 * A `[name, value, name, value, …]` array as a source, names as the client sent them and
 * decoded as Latin-1 (node:http's `rawHeaders`). Lookups scan it: a request has a few dozen headers at most, and comparing lengths first
 * skips nearly every one without touching its characters.
 */
export class RawHeadersSource implements HeaderSource {
  readonly #raw: readonly string[];

  constructor(raw: readonly string[]) {
    this.#raw = raw;
  }

  // The index of the first pair at or after `i` whose name is `name` in any case, or -1.
  #find(name: string, i: number): number {
    const raw = this.#raw;
    const n = name.length;
    let key: string | undefined;
    for (; i + 1 < raw.length; i += 2) {
      const k = raw[i]!;
      // Equal lower-case forms have equal lengths: only U+0130 changes length when
      // lower-cased, into a pair ending in U+0307, which no Latin-1 name can match.
      if (k.length !== n) continue;
      if (k === name || k.toLowerCase() === (key ??= name.toLowerCase())) return i;
    }
    return -1;
  }

  get(name: string): string | undefined {
    let i = this.#find(name, 0);
    if (i === -1) return undefined;
    let out = this.#raw[i + 1]!;
    while ((i = this.#find(name, i + 2)) !== -1) out += "," + this.#raw[i + 1]!;
    return out;
  }

  getList(name: string): string[] {
    const out: string[] = [];
    for (let i = this.#find(name, 0); i !== -1; i = this.#find(name, i + 2)) out.push(this.#raw[i + 1]!);
    return out;
  }

  has(name: string): boolean {
    return this.#find(name, 0) !== -1;
  }

  forEach(add: (name: string, value: string) => void): void {
    const raw = this.#raw;
    for (let i = 0; i + 1 < raw.length; i += 2) add(raw[i]!, raw[i + 1]!);
  }
}
