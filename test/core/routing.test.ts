/**
 * Routing: Tornado's pattern semantics in JavaScript, reversal, refused Python syntax, and
 * the guarantee that the indexed router answers exactly what an ordered scan would.
 */
import { describe, expect, test } from "vitest";
import {
  HTTPServerRequest,
  PathMatches,
  RequestHandler,
  RoutePatternError,
  RuleRouter,
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

class H extends RequestHandler {}

// A deterministic pseudo-random generator, so a failure can be replayed.
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

const SEGMENTS = ["repos", "users", "orgs", "a", "b", "issues", "1", "42", "x.y", "gists", ""];
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
  (s: string) => `/${s}/(?P<name>[^/]+)/([^/]+)`,
  (s: string) => `/([^/]+)/${s}`,
  (s: string) => `/${s}/([0-9a-f]+)/`,
  (s: string) => `/${s}/([^/.]+)\\.json`,
  () => `/([^/]+)/([^/]+)`,
];

describe("the indexed router", () => {
  test("answers exactly what an ordered scan answers, for random tables and paths", () => {
    const rand = rng(12345);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    let compared = 0;
    for (let table = 0; table < 200; table++) {
      const patterns = Array.from({ length: 1 + Math.floor(rand() * 30) }, () => pick(PATTERNS)(pick(SEGMENTS)));
      const handlers = patterns.map(() => class extends H {});
      const router = new RuleRouter(patterns.map((p, i) => url(p, handlers[i]!)));
      const regexes = patterns.map((p) => new PathMatches(p));
      for (let k = 0; k < 60; k++) {
        const path = "/" + Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(SEGMENTS)).join("/");
        const expected = regexes.findIndex((m) => m.matchPath(path) !== null);
        const got = router.findHandler(req(path), owner);
        const gotIndex = got === null ? -1 : handlers.indexOf(got.handlerClass as typeof H);
        if (gotIndex !== expected) {
          throw new Error(`table ${JSON.stringify(patterns)} path ${path}: scan says ${expected}, index says ${gotIndex}`);
        }
        if (got !== null) {
          const want = regexes[expected]!.matchPath(path)!;
          expect(got.pathArgs).toEqual(want.pathArgs);
          expect({ ...got.pathKwargs }).toEqual({ ...want.pathKwargs });
        }
        compared++;
      }
    }
    expect(compared).toBe(12000);
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

  test("rules added later are found (the index is rebuilt)", () => {
    class A extends H {}
    const router = new RuleRouter([]);
    expect(router.findHandler(req("/late"), owner)).toBeNull();
    router.addRules([["/late", A]]);
    expect(router.findHandler(req("/late"), owner)?.handlerClass).toBe(A);
  });
});
