/**
 * Routing — Tornado's `tornado.routing`: rules, matchers, `url()`, and routers that find
 * the handler for a request.
 *
 * Patterns keep Tornado's semantics (a regular expression anchored at the start, `$`
 * appended, rules tried in declaration order) in JavaScript RegExp syntax. Python's
 * `(?P<name>…)` and `(?P=name)` are rewritten; other Python-only syntax is refused when the
 * rule is built. Lookups are indexed (a trie of path segments, see `routing-index.ts`) but
 * always answer what an ordered scan would. Patterns themselves live in `routing-pattern.ts`.
 * @module
 */

import type { HTTPServerRequest } from "./httputil.js";
import { appLog } from "./log.js";
import { buildIndex, isRouter, nextInTrie, type RouteIndex, trieMatch } from "./routing-index.js";
import { compile, type Matcher, type MatchResult, NO_ARGS, NO_KWARGS, PathMatches } from "./routing-pattern.js";

export {
  type Matcher,
  type MatchResult,
  PathMatches,
  RoutePatternError,
  type SegmentSpec,
  translatePattern,
} from "./routing-pattern.js";

/** Keyword arguments a rule passes to its handler's `initialize`. */
export type InitArgs = Record<string, unknown>;

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

function isReversible(x: unknown): x is ReversibleRouter {
  return isRouter(x) && typeof (x as ReversibleRouter).reverseUrl === "function";
}

/** Matches the request's host name against a pattern. Tornado's `HostMatches`. */
export class HostMatches implements Matcher {
  readonly hostPattern: RegExp;
  constructor(pattern: string | RegExp) {
    this.hostPattern = compile(pattern)[1];
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
    const index = (this.#index ??= buildIndex(this.rules));
    const path = request.path;
    const hit = index.resolved.get(path);
    if (hit !== undefined) return this.getTargetDelegate(hit, request, owner, { pathArgs: NO_ARGS, pathKwargs: NO_KWARGS });
    // Two ordered sources of candidates, merged by declaration index: the trie, asked again
    // only when its candidate's target (a nested router) declines, and the rules beside it.
    const rest = index.rest;
    let t = nextInTrie(index, path, -1);
    for (let k = 0; ; ) {
      const r = k < rest.length ? rest[k]! : Infinity;
      if (t === r) return null;
      const i = t < r ? t : r;
      const rule = index.rules[i]!;
      const m = (t < r ? trieMatch(index, i, path) : null) ?? rule.matcher.match(request);
      const found = m === null ? null : this.getTargetDelegate(rule, request, owner, m);
      if (found !== null) return found;
      if (i === t) t = nextInTrie(index, path, t);
      else k++;
    }
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
