/**
 * Route patterns — Tornado's `PathMatches` and the pattern analysis behind it: Python
 * regex syntax translated to JavaScript (or refused), the literal text a pattern starts
 * with, and whether a pattern is simple enough to be matched segment by segment.
 * @module
 */

import { urlEscape } from "./escape.js";
import type { HTTPServerRequest } from "./httputil.js";

/** What a successful match hands to the router: raw (still percent-encoded) path arguments. */
export interface MatchResult {
  pathArgs: string[];
  pathKwargs: Record<string, string>;
}

/** Decides whether a rule applies to a request. Tornado's `Matcher`. */
export interface Matcher {
  match(request: HTTPServerRequest): MatchResult | null;
  /** Rebuilds a URL from arguments, or `null` when this matcher cannot. */
  reverse?(...args: unknown[]): string | null;
}

/**
 * Thrown when a route pattern cannot be used (e.g. Python-only regex syntax), or a URL
 * cannot be rebuilt from it.
 *
 * @example
 * try { url("(?i)/about", AboutHandler); }
 * catch (e) { if (e instanceof RoutePatternError) console.error(e.message); }
 */
export class RoutePatternError extends Error {
  override name = "RoutePatternError";
}

const PYTHON_ONLY: Array<[RegExp, string]> = [
  [/\(\?[aiLmsux]+\)/, "inline flags such as (?i) are Python-only; use a character class instead"],
  [/\(\?[aiLmsux-]+:/, "scoped inline flags such as (?i:...) are Python-only"],
  [/\\A/, "\\A is Python-only; the pattern is already anchored at the start"],
  [/\\Z/, "\\Z is Python-only; use $"],
  [/\(\?#/, "(?#...) comments are Python-only"],
  [/\(\?\(/, "conditional groups (?(id)yes|no) are Python-only"],
  [/[*+?}][+]/, "possessive quantifiers are Python-only"],
  [/\(\?>/, "atomic groups (?>...) are Python-only"],
];

/**
 * Translates a Tornado route pattern to JavaScript RegExp source: `(?P<name>` → `(?<name>`,
 * `(?P=name)` → `\k<name>`, `/:name` → `/([^/]+)`. Python-only syntax is refused with a
 * {@link RoutePatternError} that says what to write instead.
 *
 * @example
 * translatePattern("/(?P<id>\\d+)/:slug"); // "/(?<id>\\d+)/([^/]+)"
 */
export function translatePattern(pattern: string): string {
  for (const [re, why] of PYTHON_ONLY) {
    if (re.test(pattern)) throw new RoutePatternError(`Route pattern ${JSON.stringify(pattern)}: ${why}`);
  }
  return pattern
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, "(?<$1>")
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, "\\k<$1>")
    .replace(/\/:([A-Za-z_]\w*)/g, "/([^/]+)");
}

// Characters with a meaning in a regex, outside a class.
const META = /[\\^$.|?*+()[\]{}]/;
/** One segment of a simple path pattern: a literal, or a group matching one whole segment. */
export type SegmentSpec =
  | { readonly kind: "literal"; readonly text: string }
  | { readonly kind: "param"; readonly test: RegExp | null; readonly name: string | null };

// Group bodies that can never match "/", so a group is exactly one path segment.
const SEGMENT_PARAM = /^(?:\[\^[^\]]*\/[^\]]*\]|\\d|\\w|\[[A-Za-z0-9_.~-]+\])\+$/;

function parseSegment(text: string): SegmentSpec | null {
  if (text.startsWith("(")) {
    if (!text.endsWith(")")) return null;
    let inner = text.slice(1, -1);
    let name: string | null = null;
    const named = /^\?<([A-Za-z_$][\w$]*)>/.exec(inner);
    if (named) {
      name = named[1]!;
      inner = inner.slice(named[0].length);
    } else if (inner.startsWith("?")) return null;
    if (!SEGMENT_PARAM.test(inner)) return null;
    return { kind: "param", test: inner === "[^/]+" ? null : new RegExp(`^(?:${inner})$`), name };
  }
  const lit = reUnescape(text);
  // An escaped "/" inside a literal would never meet a segment, which holds none.
  return lit === null || lit.includes("/") ? null : { kind: "literal", text: lit };
}

/**
 * Compiles a route or host pattern as Tornado does: a string is translated from Python
 * syntax and gets `$` appended unless it ends with one; a RegExp is used as written (its
 * flags kept, but `g` and `y`, which would make matching stateful). Either way the regex is
 * anchored at the start only, as Python's `re.match`, and a top-level `a|b$` keeps its
 * precedence. Returns the source (before anchoring) and the regex.
 * @throws {RoutePatternError} for Python-only syntax or an invalid regular expression.
 *
 * @example
 * compile("/a")[1].test("/a/b");  // false: "$" was appended
 * compile(/\/a/)[1].test("/a/b"); // true: a RegExp is used as written
 */
export function compile(pattern: string | RegExp): [source: string, regex: RegExp] {
  const str = typeof pattern === "string";
  let source = str ? translatePattern(pattern) : pattern.source;
  if (str && !source.endsWith("$")) source += "$";
  try {
    return [source, new RegExp(`^(?:${source})`, str ? "" : pattern.flags.replace(/[gy]/g, ""))];
  } catch (e) {
    throw new RoutePatternError(`Invalid route pattern ${JSON.stringify(String(pattern))}: ${(e as Error).message}`);
  }
}

/**
 * What the router can know of a pattern without its regex: the literal whole segments every
 * match starts with (`/static/` for `/static/(.*)`; "" when even the leading `/` is not
 * certain), and the pattern as segments when it is simple (see `PathMatches.segments`).
 */
function analyse(source: string): [prefix: string, segments: SegmentSpec[] | null] {
  const s = source.startsWith("^") ? source.slice(1) : source;
  const parts: string[] = [];
  let cur = "";
  let depth = 0;
  let inClass = false;
  // Set at a top-level "/" that is optional or repeated: no "/" after it splits reliably.
  let cut = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\") {
      cur += c + (s[i + 1] ?? "");
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") inClass = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (depth === 0 && c === "|") return ["", null];
    else if (depth === 0 && c === "/" && !cut) {
      cut = "?*{".includes(s[i + 1] || "/");
      if (!cut) {
        parts.push(cur);
        cur = "";
        continue;
      }
    }
    cur += c;
  }
  parts.push(cur);
  if (parts[0] !== "" || parts.length < 2) return ["", null];
  let prefix = "/";
  for (let k = 1; k < parts.length - 1; k++) {
    const lit = reUnescape(parts[k]!);
    if (lit === null) break;
    prefix += lit + "/";
  }
  // Simple: every segment a literal or a one-segment group, and the end anchored by "$".
  const last = parts.pop()!;
  if (cut || !/[^\\]\$$|^\$$/.test(last)) return [prefix, null];
  parts.push(last.slice(0, -1));
  const segments: SegmentSpec[] = [];
  for (const part of parts) {
    const seg = part === "" ? { kind: "literal" as const, text: "" } : parseSegment(part);
    if (seg === null) return [prefix, null];
    segments.push(seg);
  }
  return [prefix, segments];
}

// The shared "nothing captured" values: most matches capture nothing, and allocate nothing.
export const NO_ARGS: string[] = [];
export const NO_KWARGS: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>);

/**
 * Matches `request.path` against a Tornado-style pattern. Tornado's `PathMatches`: a
 * string pattern gets `$` appended (unless it ends with one), a RegExp is used as written;
 * both are anchored at the start only, as Python's `re.match`. Groups must be all named or
 * all positional ({@link RoutePatternError} otherwise, as Tornado asserts).
 *
 * @example
 * new PathMatches("/user/(\\d+)").match(req); // { pathArgs: ["42"], pathKwargs: {} }
 */
export class PathMatches implements Matcher {
  readonly regex: RegExp;
  /** The literal whole segments every matching path starts with (`/a/` for `/a/b.*`; "" when unknown). */
  readonly literalPrefix: string;
  /** The path when the pattern is a plain literal path (`/a/b`), else `null`. */
  readonly exactPath: string | null;
  /**
   * The pattern as path segments (the first is the empty text before the leading `/`), when
   * it is made only of literal segments and single-segment groups (`([^/]+)`, `(\\d+)`,
   * `(?<name>\\w+)`…); `null` otherwise. The router matches such patterns segment by
   * segment, without running the regex.
   */
  readonly segments: readonly SegmentSpec[] | null;
  readonly #hasNamedGroups: boolean;
  readonly #groupCount: number;
  readonly #reverseTemplate: string[] | null;

  constructor(pattern: string | RegExp) {
    const [source, regex] = compile(pattern);
    this.regex = regex;
    const [prefix, segments] = typeof pattern === "string" ? analyse(source) : ["", null];
    this.literalPrefix = prefix;
    this.segments = segments;
    this.exactPath = segments?.every((x) => x.kind === "literal") ? segments.map((x) => (x as { text: string }).text).join("/") : null;
    // An empty alternative always matches: the match lists every group, named or not.
    const all = new RegExp(`${this.regex.source}|`).exec("")!;
    this.#groupCount = all.length - 1;
    const named = Object.keys(all.groups ?? {}).length;
    if (named > 0 && named !== this.#groupCount) {
      throw new RoutePatternError(`groups in url regexes must either be all named or all positional: ${JSON.stringify(String(pattern))}`);
    }
    this.#hasNamedGroups = named > 0;
    this.#reverseTemplate = this.#findGroups(source);
  }

  match(request: HTTPServerRequest): MatchResult | null {
    return this.matchPath(request.path);
  }

  /** Matches a bare path. */
  matchPath(path: string): MatchResult | null {
    if (this.exactPath !== null) return path === this.exactPath ? { pathArgs: NO_ARGS, pathKwargs: NO_KWARGS } : null;
    const m = this.regex.exec(path);
    if (m === null) return null;
    if (this.#hasNamedGroups) {
      const kw: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const [k, v] of Object.entries(m.groups ?? {})) if (v !== undefined) kw[k] = v;
      return { pathArgs: NO_ARGS, pathKwargs: kw };
    }
    if (m.length === 1) return { pathArgs: NO_ARGS, pathKwargs: NO_KWARGS };
    // Unmatched optional groups come through as undefined, as Tornado passes None.
    return { pathArgs: m.slice(1) as string[], pathKwargs: NO_KWARGS };
  }

  /**
   * Builds a path from arguments (URL-escaped, `/` kept), as Tornado's `PathMatches.reverse`.
   * @throws {RoutePatternError} when the pattern is too complex to reverse or the
   * argument count is wrong.
   */
  reverse(...args: unknown[]): string {
    const t = this.#reverseTemplate;
    if (t === null) throw new RoutePatternError(`Cannot reverse url regex ${this.regex.source}`);
    if (args.length !== this.#groupCount) {
      throw new RoutePatternError(`required number of arguments not found: expected ${this.#groupCount}, got ${args.length}`);
    }
    let out = t[0]!;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      out += urlEscape(a instanceof Uint8Array ? a : String(a), false) + t[i + 1]!;
    }
    return out;
  }

  // Splits a simple pattern into the literal pieces between its groups; null when the
  // pattern has nested or non-capturing groups, or escapes that are not literals.
  #findGroups(source: string): string[] | null {
    let p = source;
    if (p.startsWith("^")) p = p.slice(1);
    if (p.endsWith("$")) p = p.slice(0, -1);
    if (this.#groupCount !== (p.match(/\(/g) ?? []).length) return null;
    const pieces: string[] = [];
    const fragments = p.split("(");
    for (let i = 0; i < fragments.length; i++) {
      const f = fragments[i]!;
      const lit = i === 0 ? f : f.includes(")") ? f.slice(f.indexOf(")") + 1) : null;
      if (lit === null) return null;
      const u = reUnescape(lit);
      if (u === null) return null;
      pieces.push(u);
    }
    return pieces;
  }
}

// Removes backslash escapes from literal regex text; null if it holds regex syntax.
function reUnescape(s: string): string | null {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\") {
      const n = s[i + 1];
      if (n === undefined || /[A-Za-z0-9]/.test(n)) return null;
      out += n;
      i++;
    } else if (META.test(c)) {
      return null;
    } else out += c;
  }
  return out;
}
