/**
 * Routing — Tornado's `tornado.routing`: rules, matchers, `url()`, and routers that find
 * the handler for a request.
 *
 * Patterns keep Tornado's semantics (a regular expression anchored at the start, `$`
 * appended, rules tried in declaration order) in JavaScript RegExp syntax. Python's
 * `(?P<name>…)` and `(?P=name)` are rewritten; other Python-only syntax is refused when the
 * rule is built. Lookups are indexed (exact paths in a map, rules bucketed by their
 * literal first segment) but always answer what an ordered scan would.
 * @module
 */

import { urlEscape } from "./escape.js";
import type { HTTPServerRequest } from "./httputil.js";
import { appLog } from "./log.js";

/** Keyword arguments a rule passes to its handler's `initialize`. */
export type InitArgs = Record<string, unknown>;

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

/** The application a route resolves in: nested applications answer with themselves. */
export interface RouteOwner {
  readonly settings: object;
}

/** The handler a router chose, with what it needs to run. */
export interface RouteMatch {
  owner: RouteOwner;
  // A handler class; typed loosely here so routing does not depend on web.
  handlerClass: HandlerClassLike;
  initArgs: InitArgs;
  pathArgs: string[];
  pathKwargs: Record<string, string>;
}

/** Anything constructible that the web layer accepts as a handler class. */
export type HandlerClassLike = abstract new (...args: never[]) => unknown;

/** Finds the handler for a request. Tornado's `Router`. */
export interface Router {
  findHandler(request: HTTPServerRequest, owner: RouteOwner): RouteMatch | null;
}

/** A router that can also rebuild named URLs. Tornado's `ReversibleRouter`. */
export interface ReversibleRouter extends Router {
  reverseUrl(name: string, ...args: unknown[]): string | null;
}

/** Thrown when a route pattern cannot be used (e.g. Python-only regex syntax). */
export class RoutePatternError extends Error {
  override name = "RoutePatternError";
}

function isRouter(x: unknown): x is Router {
  return typeof x === "object" && x !== null && typeof (x as Router).findHandler === "function";
}

function isReversible(x: unknown): x is ReversibleRouter {
  return isRouter(x) && typeof (x as ReversibleRouter).reverseUrl === "function";
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

const META = new Set(["\\", "^", "$", ".", "|", "?", "*", "+", "(", ")", "[", "]", "{", "}"]);
const QUANTIFIERS = new Set(["?", "*", "{"]);

/**
 * The literal text every match of `source` starts with, and whether the whole pattern is
 * that literal (an exact path). A top-level `|` means no prefix is certain.
 */
function analyseLiteral(source: string): { prefix: string; exact: boolean } {
  if (hasTopLevelAlternation(source)) return { prefix: "", exact: false };
  let prefix = "";
  let i = 0;
  for (; i < source.length; i++) {
    const c = source[i]!;
    if (c === "\\") {
      const n = source[i + 1];
      if (n === undefined || /[A-Za-z0-9]/.test(n)) break;
      if (QUANTIFIERS.has(source[i + 2] ?? "")) break;
      prefix += n;
      i++;
      continue;
    }
    if (c === "$" && i === source.length - 1) return { prefix, exact: true };
    if (META.has(c)) break;
    // A quantifier that may match zero times makes this character optional.
    if (QUANTIFIERS.has(source[i + 1] ?? "")) break;
    prefix += c;
  }
  return { prefix, exact: false };
}

function hasTopLevelAlternation(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) return true;
  }
  return false;
}

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
  return lit === null ? null : { kind: "literal", text: lit };
}

/** Splits `^/a/(b+)/c$` into segments, or `null` when the pattern is not that simple. */
function parseSegments(source: string): SegmentSpec[] | null {
  let s = source.startsWith("^") ? source.slice(1) : source;
  if (!s.endsWith("$") || s.endsWith("\\$")) return null;
  s = s.slice(0, -1);
  if (!s.startsWith("/")) return null;
  const out: SegmentSpec[] = [{ kind: "literal", text: "" }];
  let cur = "";
  let depth = 0;
  let inClass = false;
  for (let i = 1; i < s.length; i++) {
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
    else if (c === "/" && depth === 0) {
      const seg = parseSegment(cur);
      if (seg === null) return null;
      out.push(seg);
      cur = "";
      continue;
    }
    cur += c;
  }
  const last = parseSegment(cur);
  if (last === null || depth !== 0 || inClass) return null;
  out.push(last);
  return out.some((x) => x.kind === "param") ? out : null;
}

const NO_ARGS: string[] = [];
const NO_KWARGS: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>);

/**
 * Matches `request.path` against a Tornado-style pattern. Tornado's `PathMatches`.
 *
 * @example
 * new PathMatches("/user/(\\d+)").match(req); // { pathArgs: ["42"], pathKwargs: {} }
 */
export class PathMatches implements Matcher {
  readonly regex: RegExp;
  /** The literal start of every matching path ("" when unknown). */
  readonly literalPrefix: string;
  /** The path when the pattern is a plain literal, else `null`. */
  readonly exactPath: string | null;
  /**
   * The pattern as path segments, when it is made only of literal segments and
   * single-segment groups (`([^/]+)`, `(\\d+)`, `(?<name>\\w+)`…); `null` otherwise. The
   * router matches such patterns segment by segment, without running the regex.
   */
  readonly segments: readonly SegmentSpec[] | null;
  readonly #hasNamedGroups: boolean;
  readonly #groupCount: number;
  readonly #reverseTemplate: string[] | null;

  constructor(pattern: string | RegExp) {
    let source = typeof pattern === "string" ? translatePattern(pattern) : pattern.source;
    if (!source.endsWith("$")) source += "$";
    // Wrapping keeps Python's re.match semantics: anchored at the start only, and a
    // top-level "a|b$" keeps its precedence.
    try {
      this.regex = new RegExp(`^(?:${source})`, typeof pattern === "string" ? "" : pattern.flags.replace(/[gy]/g, ""));
    } catch (e) {
      throw new RoutePatternError(`Invalid route pattern ${JSON.stringify(String(pattern))}: ${(e as Error).message}`);
    }
    const lit = analyseLiteral(source.startsWith("^") ? source.slice(1) : source);
    this.literalPrefix = typeof pattern === "string" ? lit.prefix : "";
    this.exactPath = typeof pattern === "string" && lit.exact ? lit.prefix : null;
    this.#groupCount = new RegExp(`${this.regex.source}|`).exec("")!.length - 1;
    this.#hasNamedGroups = /\(\?<[A-Za-z_$]/.test(source);
    this.#reverseTemplate = this.#findGroups(source);
    this.segments = typeof pattern === "string" ? parseSegments(source) : null;
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
    } else if (META.has(c)) {
      return null;
    } else out += c;
  }
  return out;
}

/** Matches the request's host name against a pattern. Tornado's `HostMatches`. */
export class HostMatches implements Matcher {
  readonly hostPattern: RegExp;
  constructor(pattern: string | RegExp) {
    let src = typeof pattern === "string" ? translatePattern(pattern) : pattern.source;
    if (!src.endsWith("$")) src += "$";
    this.hostPattern = new RegExp(`^(?:${src})`);
  }
  match(request: HTTPServerRequest): MatchResult | null {
    return this.hostPattern.test(request.hostName) ? { pathArgs: NO_ARGS, pathKwargs: NO_KWARGS } : null;
  }
}

/** Matches every request. Tornado's `AnyMatches`. */
export class AnyMatches implements Matcher {
  match(): MatchResult {
    return { pathArgs: NO_ARGS, pathKwargs: NO_KWARGS };
  }
}

/**
 * Matches requests without an `X-Real-Ip` header whose host is the application's
 * `defaultHost` setting. Tornado's `DefaultHostMatches`.
 */
export class DefaultHostMatches implements Matcher {
  constructor(
    readonly application: { readonly settings: { defaultHost?: string } },
    readonly hostPattern: RegExp,
  ) {}
  match(request: HTTPServerRequest): MatchResult | null {
    if (request.headers.has("X-Real-Ip")) return null;
    return this.hostPattern.test(this.application.settings.defaultHost ?? "")
      ? { pathArgs: NO_ARGS, pathKwargs: NO_KWARGS }
      : null;
  }
}

/** What a rule leads to: a handler class, a router (such as an Application), or more rules. */
export type RuleTarget = HandlerClassLike | Router | RuleSpec[];

/**
 * A routing rule: a matcher, a target, the target's keyword arguments, and an optional name
 * for {@link ReversibleRuleRouter.reverseUrl}. Tornado's `Rule`.
 */
export class Rule {
  constructor(
    readonly matcher: Matcher,
    public target: RuleTarget,
    readonly targetKwargs: InitArgs = {},
    readonly name: string | null = null,
  ) {}

  reverse(...args: unknown[]): string | null {
    return this.matcher.reverse ? this.matcher.reverse(...args) : null;
  }
}

/**
 * A path rule with a handler class — Tornado's `URLSpec`. Usually made with {@link url}.
 */
export class URLSpec extends Rule {
  declare readonly matcher: PathMatches;
  constructor(pattern: string | RegExp, handler: HandlerClassLike | Router, kwargs: InitArgs = {}, name: string | null = null) {
    super(new PathMatches(pattern), handler, kwargs, name);
  }
  get regex(): RegExp {
    return this.matcher.regex;
  }
  get handlerClass(): HandlerClassLike | Router {
    return this.target as HandlerClassLike | Router;
  }
  get kwargs(): InitArgs {
    return this.targetKwargs;
  }
}

/**
 * Makes a path rule, as Tornado's `url(pattern, handler, kwargs, name)`.
 *
 * @example
 * new Application([
 *   url("/", MainHandler, {}, "home"),
 *   url("/story/(\\d+)", StoryHandler, { db }, "story"),
 * ]);
 */
export function url(pattern: string | RegExp, handler: HandlerClassLike | Router, kwargs: InitArgs = {}, name: string | null = null): URLSpec {
  return new URLSpec(pattern, handler, kwargs, name);
}

/**
 * A rule as users write it: a `Rule`/`URLSpec`, or a tuple
 * `[pattern | Matcher, target, kwargs?, name?]`.
 */
export type RuleSpec =
  | Rule
  | readonly [string | RegExp | Matcher, RuleTarget]
  | readonly [string | RegExp | Matcher, RuleTarget, InitArgs]
  | readonly [string | RegExp | Matcher, RuleTarget, InitArgs, string];

interface IndexedRule {
  readonly rule: Rule;
  readonly i: number;
  readonly prefix: string;
}

interface SegmentNode {
  literal: Map<string, SegmentNode> | null;
  params: Array<{ test: RegExp | null; node: SegmentNode }>;
  /** Rules (by declaration index) whose pattern ends at this node. */
  ends: IndexedRule[];
}

interface RouteIndex {
  // Exact paths whose answer was worked out when the index was built.
  readonly resolved: Map<string, { rule: Rule }>;
  readonly exact: Map<string, IndexedRule[]>;
  readonly buckets: Map<string, IndexedRule[]>;
  readonly rest: IndexedRule[];
  /** Simple patterns (literal segments and one-segment groups), matched without regexes. */
  readonly trie: SegmentNode | null;
}

function newNode(): SegmentNode {
  return { literal: null, params: [], ends: [] };
}

// Collects every simple rule matching the path's segments (in any order; sorted after).
function walk(node: SegmentNode, segs: string[], i: number, out: IndexedRule[]): void {
  if (i === segs.length) {
    for (const r of node.ends) out.push(r);
    return;
  }
  const seg = segs[i]!;
  const next = node.literal?.get(seg);
  if (next !== undefined) walk(next, segs, i + 1, out);
  if (seg.length === 0) return;
  for (const p of node.params) {
    if (p.test === null || p.test.test(seg)) walk(p.node, segs, i + 1, out);
  }
}

// The match a simple rule gives for a path already split into segments.
function segmentMatch(specs: readonly SegmentSpec[], segs: string[]): MatchResult {
  const args: string[] = [];
  let kw: Record<string, string> | null = null;
  for (let i = 0; i < specs.length; i++) {
    const sp = specs[i]!;
    if (sp.kind !== "param") continue;
    if (sp.name !== null) (kw ??= Object.create(null) as Record<string, string>)[sp.name] = segs[i]!;
    else args.push(segs[i]!);
  }
  // As the regex does: with named groups present, only they are passed.
  return kw !== null ? { pathArgs: NO_ARGS, pathKwargs: kw } : { pathArgs: args.length ? args : NO_ARGS, pathKwargs: NO_KWARGS };
}

/**
 * A router over an ordered list of rules. Tornado's `RuleRouter`.
 *
 * The first rule (in declaration order) whose matcher matches and whose target accepts the
 * request wins; a nested router that finds nothing lets the scan go on.
 */
export class RuleRouter implements Router {
  readonly rules: Rule[] = [];
  #index: RouteIndex | null = null;

  constructor(rules?: readonly RuleSpec[]) {
    if (rules) this.addRules(rules);
  }

  /** Appends rules (tuples are turned into `Rule`s). */
  addRules(rules: readonly RuleSpec[]): void {
    for (const spec of rules) this.rules.push(this.processRule(this.makeRule(spec)));
    this.#index = null;
  }

  /** Inserts a rule at `position`; used by `Application.addHandlers`. */
  insertRule(position: number, spec: RuleSpec): void {
    this.rules.splice(position < 0 ? this.rules.length + position : position, 0, this.processRule(this.makeRule(spec)));
    this.#index = null;
  }

  protected makeRule(spec: RuleSpec): Rule {
    if (spec instanceof Rule) return spec;
    const [m, target, kwargs, name] = spec;
    if (typeof m === "string" || m instanceof RegExp) {
      if (!Array.isArray(target)) return new URLSpec(m, target as HandlerClassLike | Router, kwargs ?? {}, name ?? null);
      return new Rule(new PathMatches(m), target, kwargs ?? {}, name ?? null);
    }
    return new Rule(m, target, kwargs ?? {}, name ?? null);
  }

  /** Hook for subclasses to adjust a rule as it is added (nested rule lists become routers). */
  protected processRule(rule: Rule): Rule {
    if (Array.isArray(rule.target)) rule.target = this.createNestedRouter(rule.target as RuleSpec[]);
    return rule;
  }

  protected createNestedRouter(rules: RuleSpec[]): Router {
    return new RuleRouter(rules);
  }

  findHandler(request: HTTPServerRequest, owner: RouteOwner): RouteMatch | null {
    const index = (this.#index ??= this.#buildIndex());
    const path = request.path;
    const hit = index.resolved.get(path);
    if (hit !== undefined) return this.getTargetDelegate(hit.rule, request, owner, { pathArgs: NO_ARGS, pathKwargs: NO_KWARGS });

    // Simple patterns first found by segments, then merged in declaration order with the
    // candidates that need their regex.
    let segs: string[] | null = null;
    let simple: IndexedRule[] | null = null;
    if (index.trie !== null) {
      segs = path.split("/");
      const found: IndexedRule[] = [];
      walk(index.trie, segs, 0, found);
      if (found.length > 1) found.sort((x, y) => x.i - y.i);
      simple = found;
    }
    const ls = simple === null ? 0 : simple.length;
    let is = 0;

    const a = index.exact.get(path);
    const slash = path.indexOf("/", 1);
    const b = index.buckets.get(slash === -1 ? path.slice(1) : path.slice(1, slash));
    const c = index.rest;
    // Merge the three candidate lists by declaration order.
    let ia = 0;
    let ib = 0;
    let ic = 0;
    const la = a ? a.length : 0;
    const lb = b ? b.length : 0;
    const lc = c.length;
    while (ia < la || ib < lb || ic < lc || is < ls) {
      const ra = ia < la ? a![ia]!.i : Infinity;
      const rb = ib < lb ? b![ib]!.i : Infinity;
      const rc = ic < lc ? c[ic]!.i : Infinity;
      const rs = is < ls ? simple![is]!.i : Infinity;
      if (rs < ra && rs < rb && rs < rc) {
        const cand = simple![is++]!;
        const found = this.getTargetDelegate(cand.rule, request, owner, segmentMatch((cand.rule.matcher as PathMatches).segments!, segs!));
        if (found !== null) return found;
        continue;
      }
      let cand: IndexedRule;
      if (ra <= rb && ra <= rc) cand = a![ia++]!;
      else if (rb <= rc) cand = b![ib++]!;
      else cand = c[ic++]!;
      if (cand.prefix !== "" && !path.startsWith(cand.prefix)) continue;
      const m = cand.rule.matcher.match(request);
      if (m === null) continue;
      const found = this.getTargetDelegate(cand.rule, request, owner, m);
      if (found !== null) return found;
    }
    return null;
  }

  /** Turns a matched rule into a route: a handler class directly, or a nested router's answer. */
  protected getTargetDelegate(rule: Rule, request: HTTPServerRequest, owner: RouteOwner, m: MatchResult): RouteMatch | null {
    const target = rule.target;
    if (isRouter(target)) return target.findHandler(request, owner);
    return {
      owner,
      handlerClass: target as HandlerClassLike,
      initArgs: rule.targetKwargs,
      pathArgs: m.pathArgs,
      pathKwargs: m.pathKwargs,
    };
  }

  #buildIndex(): RouteIndex {
    const exact = new Map<string, IndexedRule[]>();
    const buckets = new Map<string, IndexedRule[]>();
    const rest: IndexedRule[] = [];
    let trie: SegmentNode | null = null;
    this.rules.forEach((rule, i) => {
      const m = rule.matcher;
      if (!(m instanceof PathMatches)) {
        rest.push({ rule, i, prefix: "" });
        return;
      }
      if (m.exactPath !== null) {
        const list = exact.get(m.exactPath) ?? [];
        list.push({ rule, i, prefix: m.exactPath });
        exact.set(m.exactPath, list);
        return;
      }
      if (m.segments !== null) {
        let node = (trie ??= newNode());
        for (const sp of m.segments) {
          if (sp.kind === "literal") {
            const lit = (node.literal ??= new Map());
            let child = lit.get(sp.text);
            if (child === undefined) lit.set(sp.text, (child = newNode()));
            node = child;
          } else {
            const src = sp.test === null ? null : sp.test.source;
            let p = node.params.find((x) => (x.test === null ? null : x.test.source) === src);
            if (p === undefined) node.params.push((p = { test: sp.test, node: newNode() }));
            node = p.node;
          }
        }
        node.ends.push({ rule, i, prefix: "" });
        return;
      }
      const p = m.literalPrefix;
      const second = p.indexOf("/", 1);
      if (p.startsWith("/") && second !== -1) {
        const key = p.slice(1, second);
        const list = buckets.get(key) ?? [];
        list.push({ rule, i, prefix: p });
        buckets.set(key, list);
      } else {
        rest.push({ rule, i, prefix: p });
      }
    });
    // For an exact path, the answer is fixed at build time when every rule before it that
    // could match is a plain path rule whose target is a handler class.
    const resolved = new Map<string, { rule: Rule }>();
    for (const [path, list] of exact) {
      const first = list[0]!;
      let answer: Rule | null = first.rule;
      for (let i = 0; i < first.i; i++) {
        const r = this.rules[i]!;
        if (!(r.matcher instanceof PathMatches)) {
          answer = null;
          break;
        }
        if (r.matcher.matchPath(path) === null) continue;
        answer = isRouter(r.target) ? null : r;
        break;
      }
      if (answer !== null && !isRouter(answer.target) && (answer.matcher as PathMatches).regex.exec(path)?.length === 1) {
        resolved.set(path, { rule: answer });
      }
    }
    return { resolved, exact, buckets, rest, trie };
  }
}

/**
 * A {@link RuleRouter} that can rebuild the URL of a named rule. Tornado's
 * `ReversibleRuleRouter`.
 */
export class ReversibleRuleRouter extends RuleRouter implements ReversibleRouter {
  readonly namedRules: Map<string, Rule>;

  constructor(rules?: readonly RuleSpec[]) {
    // Rules are added after the map exists: the base constructor would run too early.
    super();
    this.namedRules = new Map();
    if (rules) this.addRules(rules);
  }

  protected override processRule(rule: Rule): Rule {
    rule = super.processRule(rule);
    if (rule.name !== null) {
      if (this.namedRules.has(rule.name)) {
        // As Tornado: a duplicate name is allowed, and the latest wins, with a warning.
        appLog.warning("Multiple handlers named %s; replacing previous value", rule.name);
      }
      this.namedRules.set(rule.name, rule);
    }
    return rule;
  }

  protected override createNestedRouter(rules: RuleSpec[]): Router {
    return new ReversibleRuleRouter(rules);
  }

  reverseUrl(name: string, ...args: unknown[]): string | null {
    const rule = this.namedRules.get(name);
    if (rule !== undefined) return rule.reverse(...args);
    for (const r of this.rules) {
      if (isReversible(r.target)) {
        const u = r.target.reverseUrl(name, ...args);
        if (u !== null) return u;
      }
    }
    return null;
  }
}
