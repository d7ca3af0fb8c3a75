/**
 * Lazy request headers: `HTTPHeaders.fromRawHeaders` (the Node host's `rawHeaders`) and
 * `HTTPHeaders.fromWebHeaders` (the fetch host's `Request.headers`) answer every method
 * exactly as the eager `HTTPHeaders` the hosts used to build from the same input — before
 * and after they copy, and whichever method comes first.
 */
import { describe, expect, test } from "vitest";
import { Application, HTTPHeaders, RequestHandler } from "../../src/core/index.js";

type Pairs = ReadonlyArray<readonly [string, string]>;

/** What the Node host built before: `add(name, value)` for every raw pair, in order. */
function eagerFromRaw(raw: readonly string[]): HTTPHeaders {
  const h = new HTTPHeaders();
  for (let i = 0; i < raw.length; i += 2) h.add(raw[i]!, raw[i + 1]!);
  return h;
}

/** What the fetch host built before: one `add` per `Headers.forEach` entry, Set-Cookie left out. */
function eagerFromWeb(headers: Headers): HTTPHeaders {
  const h = new HTTPHeaders();
  headers.forEach((v, k) => {
    if (k !== "set-cookie") h.add(k, v);
  });
  return h;
}

const flat = (pairs: Pairs): string[] => pairs.flatMap(([k, v]) => [k, v]);

/** A browser-like request: repeated fields, mixed case, an empty value, cookies, a value that looks like a name. */
const REQUEST: Pairs = [
  ["Host", "example.com:8080"],
  ["User-Agent", "Mozilla/5.0"],
  ["accept", "text/html"],
  ["Accept", "application/xhtml+xml"],
  ["ACCEPT", "*/*"],
  ["X-Empty", ""],
  ["Cookie", "a=1; b=2"],
  ["Set-Cookie", "s=1"],
  ["set-cookie", "t=2"],
  ["x-forwarded-for", "10.0.0.1, 10.0.0.2"],
  ["X-Forwarded-For", "10.0.0.3"],
  ["Via", "Host"],
];

/** Names to look up: present in other cases, absent, same length as a present one, odd. */
const NAMES = [
  "Host", "host", "HOST", "user-agent", "Accept", "accept", "X-Empty", "x-empty", "Cookie", "cookie",
  "Set-Cookie", "set-cookie", "X-Forwarded-For", "x-forwarded-for", "Hosx", "Content-Length", "", "x",
  "bad name", "Kelvin\u212A", "\u00c4ccept",
];

/** Every read method's answer for every name, and every listing. */
function reads(h: HTTPHeaders): unknown[] {
  const out: unknown[] = [];
  for (const n of NAMES) out.push([n, h.get(n), h.get(n, "fallback"), h.getList(n), h.getAll(n), h.has(n)]);
  return out;
}

function listings(h: HTTPHeaders): unknown[] {
  const lists: [string, readonly string[]][] = [];
  h.forEachList((n, v) => lists.push([n, [...v]]));
  return [h.size, [...h.keys()], [...h], h.getAllPairs(), h.toString(), [...h.copy()], lists];
}

describe("HTTPHeaders.fromRawHeaders", () => {
  const raw = flat(REQUEST);

  test("answers every lookup as the copied headers do, before copying anything", () => {
    expect(reads(HTTPHeaders.fromRawHeaders(raw))).toEqual(reads(eagerFromRaw(raw)));
  });

  test("lists, iterates and copies as the copied headers do", () => {
    expect(listings(HTTPHeaders.fromRawHeaders(raw))).toEqual(listings(eagerFromRaw(raw)));
  });

  test("lookups after a listing give the same answers as before it", () => {
    const h = HTTPHeaders.fromRawHeaders(raw);
    const before = reads(h);
    void h.size;
    expect(reads(h)).toEqual(before);
  });

  test("get joins repeated fields with a comma, in the order they came; getList keeps each", () => {
    const h = HTTPHeaders.fromRawHeaders(raw);
    expect(h.get("Accept")).toBe("text/html,application/xhtml+xml,*/*");
    expect(h.getList("accept")).toEqual(["text/html", "application/xhtml+xml", "*/*"]);
    expect(h.get("X-Forwarded-For")).toBe("10.0.0.1, 10.0.0.2,10.0.0.3");
  });

  test("a request's Set-Cookie is kept as sent, value by value", () => {
    const h = HTTPHeaders.fromRawHeaders(raw);
    expect(h.getList("Set-Cookie")).toEqual(["s=1", "t=2"]);
    expect(h.get("SET-COOKIE")).toBe("s=1,t=2");
  });

  test("values are never taken for names", () => {
    const h = HTTPHeaders.fromRawHeaders(["Via", "Host", "Host", "a.example"]);
    expect(h.getList("Host")).toEqual(["a.example"]);
    expect(h.has("via")).toBe(true);
  });

  test("an empty value is present, not absent", () => {
    const h = HTTPHeaders.fromRawHeaders(raw);
    expect(h.has("x-empty")).toBe(true);
    expect(h.get("X-Empty", "fallback")).toBe("");
    expect(h.getList("X-EMPTY")).toEqual([""]);
  });

  test("iteration names each field in Tornado's form, in the order the client sent them", () => {
    const h = HTTPHeaders.fromRawHeaders(["x-b", "1", "content-TYPE", "t", "X-B", "2"]);
    expect([...h]).toEqual([
      ["X-B", "1"],
      ["X-B", "2"],
      ["Content-Type", "t"],
    ]);
  });

  test("an empty array is headers with nothing in them", () => {
    const h = HTTPHeaders.fromRawHeaders([]);
    expect(h.get("Host")).toBeUndefined();
    expect(h.has("Host")).toBe(false);
    expect(h.size).toBe(0);
    expect([...h]).toEqual([]);
  });

  test("a getList answer is the caller's own: changing it changes nothing", () => {
    const h = HTTPHeaders.fromRawHeaders(raw);
    h.getList("Accept").push("changed");
    expect(h.getList("Accept")).toHaveLength(3);
  });
});

describe("writing to lazy headers", () => {
  const raw = flat(REQUEST);

  /** Runs `change` on a lazy and an eager instance, then expects every answer to agree. */
  function sameAfter(change: (h: HTTPHeaders) => void, readFirst: boolean): void {
    const lazy = HTTPHeaders.fromRawHeaders(raw);
    const eager = eagerFromRaw(raw);
    if (readFirst) {
      lazy.get("Accept");
      lazy.has("Host");
      lazy.getList("Cookie");
    }
    change(lazy);
    change(eager);
    expect(reads(lazy)).toEqual(reads(eager));
    expect(listings(lazy)).toEqual(listings(eager));
  }

  for (const readFirst of [false, true]) {
    const when = readFirst ? "after lookups" : "as the first call";
    test(`add keeps the values already there (${when})`, () => sameAfter((h) => h.add("accept", "image/png"), readFirst));
    test(`add of a new name appends it (${when})`, () => sameAfter((h) => h.add("X-New", "1"), readFirst));
    test(`set replaces every value (${when})`, () => sameAfter((h) => h.set("ACCEPT", "one"), readFirst));
    test(`delete removes every value (${when})`, () => sameAfter((h) => void h.delete("x-forwarded-for"), readFirst));
  }

  test("a write is seen by later lookups", () => {
    const h = HTTPHeaders.fromRawHeaders(raw);
    expect(h.get("Host")).toBe("example.com:8080");
    h.set("Host", "other");
    h.add("host", "more");
    expect(h.get("HOST")).toBe("other,more");
    expect(h.delete("Cookie")).toBe(true);
    expect(h.has("cookie")).toBe(false);
    expect(h.delete("Cookie")).toBe(false);
  });

  test("a copy is independent of the original, both ways", () => {
    const h = HTTPHeaders.fromRawHeaders(raw);
    const c = h.copy();
    c.add("Accept", "x/y");
    h.delete("Host");
    expect(h.getList("Accept")).toHaveLength(3);
    expect(c.getList("Accept")).toHaveLength(4);
    expect(c.get("Host")).toBe("example.com:8080");
  });
});

describe("HTTPHeaders.fromWebHeaders", () => {
  const web = () => new Headers(REQUEST as [string, string][]);

  test("answers every lookup as a copy made with forEach does, before copying anything", () => {
    expect(reads(HTTPHeaders.fromWebHeaders(web()))).toEqual(reads(eagerFromWeb(web())));
  });

  test("lists, iterates and copies as that copy does", () => {
    expect(listings(HTTPHeaders.fromWebHeaders(web()))).toEqual(listings(eagerFromWeb(web())));
  });

  test("a repeated field is the one value Headers combined, with a comma and a space", () => {
    const h = HTTPHeaders.fromWebHeaders(web());
    expect(h.get("Accept")).toBe("text/html, application/xhtml+xml, */*");
    expect(h.getList("accept")).toEqual(["text/html, application/xhtml+xml, */*"]);
  });

  test("Set-Cookie is absent, as the fetch host has always had it", () => {
    const h = HTTPHeaders.fromWebHeaders(web());
    expect(h.has("Set-Cookie")).toBe(false);
    expect(h.get("set-cookie")).toBeUndefined();
    expect(h.getList("SET-COOKIE")).toEqual([]);
    expect([...h.keys()]).not.toContain("Set-Cookie");
  });

  test("a name Headers refuses to look up is simply absent", () => {
    const h = HTTPHeaders.fromWebHeaders(web());
    expect(h.get("bad name")).toBeUndefined();
    expect(h.get("bad name", "fallback")).toBe("fallback");
    expect(h.has("bad name")).toBe(false);
    expect(h.getList("bad name")).toEqual([]);
    expect(h.get("Host")).toBe("example.com:8080");
  });

  test("writes after lookups agree with the copy", () => {
    const lazy = HTTPHeaders.fromWebHeaders(web());
    const eager = eagerFromWeb(web());
    lazy.get("Cookie");
    for (const h of [lazy, eager]) {
      h.add("Accept", "image/png");
      h.set("X-New", "1");
      h.delete("host");
    }
    expect(reads(lazy)).toEqual(reads(eager));
    expect(listings(lazy)).toEqual(listings(eager));
  });

  test("reads Headers as they are when asked, until it copies them", () => {
    const source = new Headers({ "X-A": "1" });
    const h = HTTPHeaders.fromWebHeaders(source);
    source.set("X-A", "2");
    expect(h.get("X-A")).toBe("2");
    expect([...h]).toEqual([["X-A", "2"]]);
    source.set("X-A", "3");
    expect(h.get("X-A")).toBe("2");
  });
});

class EchoHeaders extends RequestHandler {
  override get() {
    const h = this.request.headers;
    this.write({
      accept: h.get("accept") ?? null,
      acceptList: h.getList("Accept"),
      setCookie: h.get("Set-Cookie") ?? null,
      cookie: this.getCookie("b") ?? null,
      names: [...h.keys()],
      host: this.request.host,
    });
  }
}

describe("the fetch host's request headers", () => {
  test("a handler reads them as before: combined fields, no Set-Cookie, Tornado's names, cookies", async () => {
    const app = new Application([["/", EchoHeaders]]);
    const r = await app.fetch(new Request("http://example.com/", { headers: new Headers(REQUEST as [string, string][]) }));
    expect(await r.json()).toEqual({
      accept: "text/html, application/xhtml+xml, */*",
      acceptList: ["text/html, application/xhtml+xml, */*"],
      setCookie: null,
      cookie: "2",
      names: ["Accept", "Cookie", "Host", "User-Agent", "Via", "X-Empty", "X-Forwarded-For"],
      host: "example.com:8080",
    });
  });
});
