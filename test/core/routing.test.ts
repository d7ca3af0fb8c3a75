/**
 * Routing: Tornado's pattern semantics in JavaScript, reversal, refused Python syntax, and
 * the guarantee that the indexed router answers exactly what an ordered scan would.
 */
import { describe, expect, test } from "vitest";
import {
  Application,
  HostMatches,
  HTTPServerRequest,
  PathMatches,
  RequestHandler,
  RoutePatternError,
  Rule,
  RuleRouter,
  type RuleSpec,
  translatePattern,
  url,
} from "../../src/core/index.js";

const req = (uri: string, host = "127.0.0.1") => new HTTPServerRequest({ method: "GET", uri, host });
const owner = { settings: {} };

describe("patterns", () => {
  test("are anchored at the start and get $ appended, as Tornado's re.match", () => {
    const m = new PathMatches("/a");
    expect(m.matchPath("/a")).not.toBeNull();
    expect(m.matchPath("/ab")).toBeNull();
    expect(m.matchPath("/x/a")).toBeNull();
  });

  test("a top-level alternation keeps Python's precedence", () => {
    // Tornado appends $ to the last branch only: "/a|/b$" matches "/a..." too.
    const m = new PathMatches("/a|/b");
    expect(m.matchPath("/anything")).not.toBeNull();
    expect(m.matchPath("/b")).not.toBeNull();
    expect(m.matchPath("/bx")).toBeNull();
  });

  test("(?P<name>) and (?P=name) are rewritten", () => {
    expect(translatePattern("/(?P<id>\\d+)/(?P=id)")).toBe("/(?<id>\\d+)/\\k<id>");
    const m = new PathMatches("/(?P<id>\\d+)/(?P=id)");
    expect(m.matchPath("/12/12")?.pathKwargs).toEqual({ id: "12" });
    expect(m.matchPath("/12/13")).toBeNull();
  });

  test(":name is one path segment, positional", () => {
    expect(new PathMatches("/u/:id/x").matchPath("/u/42/x")?.pathArgs).toEqual(["42"]);
  });

  test("groups must be all named or all positional, as Tornado asserts", () => {
    expect(() => new PathMatches("/u/(?P<user>[^/]+)/(\\d+)")).toThrow(RoutePatternError);
    expect(() => new PathMatches("/u/(?P<user>[^/]+)/(\\d+)")).toThrow(/all named or all positional/);
    // Lookarounds and non-capturing groups are not groups.
    expect(new PathMatches("/u/(?<user>\\w+)(?:/x)?(?<=\\w)").matchPath("/u/ana/x")?.pathKwargs).toEqual({ user: "ana" });
  });

  test("a RegExp is used as written: no $ appended, flags kept, still anchored at the start", () => {
    expect(new PathMatches(/\/a/).matchPath("/ab")).not.toBeNull();
    expect(new PathMatches(/\/a/).matchPath("/x/a")).toBeNull();
    expect(new PathMatches(/\/a$/i).matchPath("/A")).not.toBeNull();
    expect(new PathMatches("/a").matchPath("/ab")).toBeNull();
  });

  test("a host pattern: $ appended to a string, a RegExp used as written", () => {
    const host = (h: string) => req("/", h);
    expect(new HostMatches("example\\.com").match(host("example.com"))).not.toBeNull();
    expect(new HostMatches("example\\.com").match(host("example.com.evil.org"))).toBeNull();
    expect(new HostMatches(/example\.com/).match(host("example.com.evil.org"))).not.toBeNull();
    expect(new HostMatches("example\\.com").match(host("www.example.com"))).toBeNull();
  });

  test("an unmatched optional group is undefined, as Tornado passes None", () => {
    expect(new PathMatches("/a(/b)?").matchPath("/a")?.pathArgs).toEqual([undefined]);
  });

  test.each([
    ["(?i)/abc"],
    ["/x\\Z"],
    ["\\A/x"],
    ["/(?#comment)x"],
    ["/(?(1)a|b)"],
    ["/a++"],
    ["/(?>a)"],
  ])("Python-only syntax %s is refused when the rule is built", (p) => {
    expect(() => new PathMatches(p)).toThrow(RoutePatternError);
  });

  test("an invalid regular expression is a RoutePatternError naming the pattern", () => {
    expect(() => new PathMatches("/(unclosed")).toThrow(/\/\(unclosed/);
  });
});

describe("reverse", () => {
  test("substitutes groups and escapes arguments (keeping /)", () => {
    expect(new PathMatches("/story/([0-9]+)").reverse(42)).toBe("/story/42");
    expect(new PathMatches("/f/(.*)").reverse("a b/c?d")).toBe("/f/a%20b/c%3Fd");
    expect(new PathMatches("/a\\.b/(\\w+)").reverse("x")).toBe("/a.b/x");
  });

  test("needs the right number of arguments", () => {
    expect(() => new PathMatches("/a/(\\d+)").reverse()).toThrow(RoutePatternError);
  });

  test("refuses patterns too complex to reverse", () => {
    expect(() => new PathMatches("/a/(?:x|y)").reverse()).toThrow(/Cannot reverse/);
    expect(() => new PathMatches("/a/((\\d+))").reverse(1)).toThrow(/Cannot reverse/);
    expect(() => new PathMatches("/a/\\d+").reverse()).toThrow(/Cannot reverse/);
  });
});

// A deterministic pseudo-random generator, so a failure can be replayed.
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

const SEGMENTS = ["repos", "users", "orgs", "a", "b", "issues", "1", "42", "x.y", "gists", "", "é", "%C3%A9", "x.json", "a_b-c~"];
const PATTERNS = [
  (s: string) => `/${s}`,
  (s: string) => `/${s}/`,
  (s: string) => `/${s}/([^/]+)`,
  (s: string) => `/${s}/(\\d+)/(\\w+)`,
  (s: string) => `/${s}.*`,
  (s: string) => `/${s}/?`,
  (s: string) => `/${s}(/.*)?`,
  (s: string) => `/(${s}|other)/x`,
  (s: string) => `/${s}/:id`,
  () => `/.*`,
  () => `/[a-z]+/(\\d+)`,
  (s: string) => `/${s}\\.json`,
  (s: string) => `/${s}|/x`,
  (s: string) => `/${s}s?/list`,
  (s: string) => `/${s}/(?<id>\\d+)`,
  (s: string) => `/${s}/(?P<name>[^/]+)/(?P<rest>[^/]+)`,
  (s: string) => `/([^/]+)/${s}`,
  (s: string) => `/${s}/([0-9a-f]+)/`,
  (s: string) => `/${s}/([^/.]+)\\.json`,
  () => `/([^/]+)/([^/]+)`,
  (s: string) => `/${s}/([^/.]+)`,
  (s: string) => `/${s}/([A-Za-z0-9_.~-]+)/(\\w+)`,
  (s: string) => `/${s}/b/(.*)`,
  (s: string) => `/${s}/(\\d+)/(.+)`,
  (s: string) => `/a\\/${s}`,
  (s: string) => `^/${s}/([^/]+)$`,
  (s: string) => `(.*)/${s}`,
];

class H extends RequestHandler {}

/** The ground truth: Tornado's ordered scan, each rule asked through its matcher's regex. */
function scan(rules: readonly Rule[], request: HTTPServerRequest): { handler: unknown; args: unknown; kwargs: unknown } | null {
  for (const rule of rules) {
    const m = rule.matcher.match(request);
    if (m === null) continue;
    if (rule.target instanceof RuleRouter) {
      const inner = scan(rule.target.rules, request);
      if (inner !== null) return inner;
      continue;
    }
    return { handler: rule.target, args: m.pathArgs, kwargs: { ...m.pathKwargs } };
  }
  return null;
}

describe("the indexed router", () => {
  test("answers exactly what an ordered scan answers, for random tables and paths", () => {
    const rand = rng(12345);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const pattern = () => pick(PATTERNS)(pick(SEGMENTS));
    let compared = 0;
    let hits = 0;
    for (let table = 0; table < 300; table++) {
      // Mostly path rules with handler classes; some RegExp objects, host rules and nested
      // routers (which may decline, letting the scan go on).
      const specs: RuleSpec[] = Array.from({ length: 1 + Math.floor(rand() * 30) }, (): RuleSpec => {
        const kind = rand();
        const handler = class extends H {};
        if (kind < 0.05) return [new RegExp(translatePattern(pattern())), handler];
        if (kind < 0.1) return new Rule(new HostMatches(pick(["127\\.0\\.0\\.1", "example\\.com"])), handler);
        if (kind < 0.18) return [pattern(), Array.from({ length: 1 + Math.floor(rand() * 3) }, () => url(pattern(), class extends H {}))];
        return url(pattern(), handler);
      });
      const router = new RuleRouter(specs);
      for (let k = 0; k < 60; k++) {
        const path = rand() < 0.02 ? "*" : "/" + Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(SEGMENTS)).join("/");
        const request = req(path, pick(["127.0.0.1", "example.com:8888", "other.org"]));
        const want = scan(router.rules, request);
        const got = router.findHandler(request, owner);
        const gotAnswer = got === null ? null : { handler: got.handlerClass, args: got.pathArgs, kwargs: { ...got.pathKwargs } };
        if (want?.handler !== gotAnswer?.handler) {
          const table = router.rules.map((r) => (r.matcher instanceof PathMatches ? r.matcher.regex.source : r.matcher.constructor.name));
          throw new Error(`table ${JSON.stringify(table)} path ${path}: the scan and the index disagree`);
        }
        expect(gotAnswer).toEqual(want);
        compared++;
        if (want !== null) hits++;
      }
    }
    expect(compared).toBe(18000);
    // Both outcomes are well represented, or the comparison would prove little.
    expect(hits).toBeGreaterThan(4000);
    expect(compared - hits).toBeGreaterThan(4000);
  });

  test("a nested router that finds nothing lets the scan go on", () => {
    class A extends H {}
    class B extends H {}
    const router = new RuleRouter([
      ["/api/.*", [["/api/v1", A]]],
      ["/api/v2", B],
    ]);
    expect(router.findHandler(req("/api/v1"), owner)?.handlerClass).toBe(A);
    expect(router.findHandler(req("/api/v2"), owner)?.handlerClass).toBe(B);
  });

  test("an earlier pattern wins over a later exact path it also matches", () => {
    class A extends H {}
    class B extends H {}
    const router = new RuleRouter([
      ["/(.*)", A],
      ["/x", B],
    ]);
    expect(router.findHandler(req("/x"), owner)).toMatchObject({ handlerClass: A, pathArgs: ["x"] });
  });

  test("a regex rule under a literal start keeps its place in declaration order", () => {
    class A extends H {}
    class B extends H {}
    class C extends H {}
    const router = new RuleRouter([
      ["/static/b", A],
      ["/static/(.*)", B],
      ["/static/([^/]+)", C],
    ]);
    expect(router.findHandler(req("/static/b"), owner)?.handlerClass).toBe(A);
    expect(router.findHandler(req("/static/c"), owner)).toMatchObject({ handlerClass: B, pathArgs: ["c"] });
    expect(router.findHandler(req("/static/"), owner)).toMatchObject({ handlerClass: B, pathArgs: [""] });
    expect(router.findHandler(req("/static"), owner)).toBeNull();
  });

  test("a one-segment group accepts what its regex accepts, non-ASCII included", () => {
    class W extends H {}
    class N extends H {}
    const router = new RuleRouter([
      ["/w/(\\w+)", W],
      ["/n/([^/.]+)", N],
    ]);
    expect(router.findHandler(req("/w/abc_9"), owner)?.pathArgs).toEqual(["abc_9"]);
    // JavaScript's \w (no u flag) is ASCII only; paths normally arrive percent-encoded anyway.
    expect(router.findHandler(req("/w/é"), owner)).toBeNull();
    expect(router.findHandler(req("/w/%C3%A9"), owner)).toBeNull();
    expect(router.findHandler(req("/n/é"), owner)?.pathArgs).toEqual(["é"]);
    expect(router.findHandler(req("/n/a.b"), owner)).toBeNull();
    expect(router.findHandler(req("/n/"), owner)).toBeNull();
  });

  test("named groups are passed as keyword arguments", () => {
    class A extends H {}
    const router = new RuleRouter([["/u/(?P<user>[^/]+)/(?P<n>\\d+)", A]]);
    const got = router.findHandler(req("/u/ana/7"), owner);
    expect(got?.pathArgs).toEqual([]);
    expect({ ...got?.pathKwargs }).toEqual({ user: "ana", n: "7" });
  });

  test("an escaped slash in a pattern is a slash in the path", () => {
    class A extends H {}
    const router = new RuleRouter([["/a\\/b/(\\d+)", A]]);
    expect(router.findHandler(req("/a/b/3"), owner)?.pathArgs).toEqual(["3"]);
  });

  test("a nested router under a regex rule that declines lets the scan go on", () => {
    class A extends H {}
    class B extends H {}
    const router = new RuleRouter([
      ["/a.*", [["/a/only", A]]],
      ["/a/(\\w+)", B],
    ]);
    expect(router.findHandler(req("/a/only"), owner)?.handlerClass).toBe(A);
    expect(router.findHandler(req("/a/other"), owner)).toMatchObject({ handlerClass: B, pathArgs: ["other"] });
  });

  test("a path that does not start with / reaches only the rules that can match it", () => {
    class A extends H {}
    class B extends H {}
    const router = new RuleRouter([
      ["/(.*)", A],
      ["\\*", B],
    ]);
    expect(router.findHandler(req("*"), owner)?.handlerClass).toBe(B);
  });

  test("rules added later are found (the index is rebuilt)", () => {
    class A extends H {}
    const router = new RuleRouter([]);
    expect(router.findHandler(req("/late"), owner)).toBeNull();
    router.addRules([["/late", A]]);
    expect(router.findHandler(req("/late"), owner)?.handlerClass).toBe(A);
  });
});

describe("Application routing", () => {
  class Any extends H {}
  class Www extends H {}

  test("host rules are tried before the wildcard rules, by host name without port", () => {
    const app = new Application([["/", Any]]);
    app.addHandlers("www\\.example\\.com", [["/", Www]]);
    expect(app.findHandler(req("/", "www.example.com:8888"))?.handlerClass).toBe(Www);
    expect(app.findHandler(req("/", "other.org"))?.handlerClass).toBe(Any);
  });

  test("with defaultHost, an unknown host gets that host's rules after the wildcard ones, unless X-Real-Ip is set", () => {
    const app = new Application([["/any", Any]], { defaultHost: "www.example.com" });
    app.addHandlers("www\\.example\\.com", [["/", Www]]);
    expect(app.findHandler(req("/", "unknown.org"))?.handlerClass).toBe(Www);
    expect(app.findHandler(req("/any", "unknown.org"))?.handlerClass).toBe(Any);
    const proxied = new HTTPServerRequest({ method: "GET", uri: "/", host: "unknown.org" });
    proxied.headers.add("X-Real-Ip", "10.0.0.1");
    expect(app.findHandler(proxied)).toBeNull();
  });

  test("a nested application answers for its own routes, as their owner", () => {
    const inner = new Application([["/api/(\\d+)", Www]]);
    const app = new Application([
      ["/api/.*", inner],
      ["/api/x", Any],
    ]);
    const got = app.findHandler(req("/api/7"));
    expect(got).toMatchObject({ handlerClass: Www, pathArgs: ["7"] });
    expect(got?.owner).toBe(inner);
    // The inner application finds nothing for /api/x: the outer scan goes on.
    expect(app.findHandler(req("/api/x"))?.handlerClass).toBe(Any);
  });

  test("reverseUrl finds names in nested rule lists and host rules", () => {
    const app = new Application([["/v1/.*", [url("/v1/item/(\\d+)", Any, {}, "item")]]]);
    app.addHandlers("www\\.example\\.com", [url("/home", Www, {}, "home")]);
    expect(app.reverseUrl("item", 5)).toBe("/v1/item/5");
    expect(app.reverseUrl("home")).toBe("/home");
    expect(() => app.reverseUrl("missing")).toThrow("missing not found in named urls");
  });
});
