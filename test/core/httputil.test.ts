/** The request model: HTTPHeaders, HTTPServerRequest, and the query/cookie parsers. */
import { describe, expect, test } from "vitest";
import {
  formatTimestamp,
  HTTPHeaders,
  HTTPInputError,
  HTTPServerRequest,
  parseCookie,
  parseQsBytes,
  splitHostAndPort,
} from "../../src/core/index.js";

const text = (b: Uint8Array[] | undefined) => b?.map((x) => new TextDecoder().decode(x));

describe("HTTPHeaders", () => {
  test("is case-insensitive and multi-valued; get joins with a comma", () => {
    const h = new HTTPHeaders();
    h.add("set-cookie", "a=1");
    h.add("Set-Cookie", "b=2");
    expect(h.get("SET-COOKIE")).toBe("a=1,b=2");
    expect(h.getList("set-cookie")).toEqual(["a=1", "b=2"]);
    expect(h.getAll("Set-cookie")).toEqual(["a=1", "b=2"]);
    expect(h.has("sEt-CoOkIe")).toBe(true);
  });

  test("set replaces, delete removes, a fallback answers for absent names", () => {
    const h = new HTTPHeaders({ "X-A": ["1", "2"] });
    h.set("x-a", "3");
    expect(h.getList("X-A")).toEqual(["3"]);
    expect(h.delete("X-a")).toBe(true);
    expect(h.get("X-A")).toBeUndefined();
    expect(h.get("X-A", "none")).toBe("none");
    expect(h.getList("X-A")).toEqual([]);
  });

  test("names are normalized to Tornado's form on output; iteration keeps insertion order", () => {
    const h = new HTTPHeaders();
    h.add("content-type", "text/plain");
    h.add("x-REQUESTED-with", "x");
    h.add("ETAG", '"e"');
    h.add("Content-Type", "again");
    expect([...h]).toEqual([
      ["Content-Type", "text/plain"],
      ["Content-Type", "again"],
      ["X-Requested-With", "x"],
      ["Etag", '"e"'],
    ]);
    expect([...h.keys()]).toEqual(["Content-Type", "X-Requested-With", "Etag"]);
  });

  test("parse reads a header block, joining continuation lines", () => {
    const h = HTTPHeaders.parse("Content-Type: text/html\r\nX-Long: a\r\n  b\r\nX-Multi: 1\r\nX-Multi: 2\r\n\r\n");
    expect(h.get("content-type")).toBe("text/html");
    expect(h.get("x-long")).toBe("a b");
    expect(h.getList("x-multi")).toEqual(["1", "2"]);
  });

  test("parse refuses a line without a colon", () => {
    expect(() => HTTPHeaders.parse("NoColonHere\r\n")).toThrow(HTTPInputError);
  });

  test("copy is independent", () => {
    const a = new HTTPHeaders({ A: "1" });
    const b = a.copy();
    b.add("A", "2");
    expect(a.getList("A")).toEqual(["1"]);
  });
});

describe("HTTPServerRequest", () => {
  test("splits the uri into path and query and parses arguments on first use", () => {
    const r = new HTTPServerRequest({ method: "GET", uri: "/p/a%20b?x=1&x=2&y=&z", host: "Example.COM:8080" });
    expect(r.path).toBe("/p/a%20b");
    expect(r.query).toBe("x=1&x=2&y=&z");
    expect(text(r.queryArguments["x"])).toEqual(["1", "2"]);
    expect(text(r.queryArguments["y"])).toEqual([""]);
    expect(text(r.queryArguments["z"])).toEqual([""]);
    expect(r.hostName).toBe("example.com");
    expect(r.fullUrl()).toBe("http://Example.COM:8080/p/a%20b?x=1&x=2&y=&z");
  });

  test("arguments merge query and body arguments", () => {
    const r = new HTTPServerRequest({ method: "POST", uri: "/?a=1" });
    r.bodyArguments = { a: [new TextEncoder().encode("2")], b: [new TextEncoder().encode("3")] };
    r.resetArguments();
    expect(text(r.arguments["a"])).toEqual(["1", "2"]);
    expect(text(r.arguments["b"])).toEqual(["3"]);
  });

  test("cookies are parsed from the Cookie header", () => {
    const r = new HTTPServerRequest({ method: "GET", uri: "/", headers: new HTTPHeaders({ Cookie: 'a=1; b="x\\"y"; c' }) });
    expect(r.cookies).toEqual({ a: "1", b: 'x"y', "": "c" });
  });

  test("requestTime counts until markFinished", async () => {
    const r = new HTTPServerRequest({ method: "GET", uri: "/" });
    await new Promise((res) => setTimeout(res, 20));
    r.markFinished();
    const t = r.requestTime();
    expect(t).toBeGreaterThanOrEqual(0.015);
    await new Promise((res) => setTimeout(res, 20));
    expect(r.requestTime()).toBe(t);
  });

  test("host defaults to the Host header; an IPv6 literal's brackets are removed from hostName", () => {
    const r = new HTTPServerRequest({ method: "GET", uri: "/", headers: new HTTPHeaders({ Host: "[::1]:8888" }) });
    expect(r.host).toBe("[::1]:8888");
    expect(r.hostName).toBe("::1");
    expect(splitHostAndPort("[::1]")).toEqual(["::1", undefined]);
  });
});

describe("parsers", () => {
  test("parseQsBytes keeps blanks, decodes + and %XX to bytes, keeps malformed escapes", () => {
    const a = parseQsBytes("a=1+2&b=%E2%98%83&c=%zz&&d");
    expect(text(a["a"])).toEqual(["1 2"]);
    expect(text(a["b"])).toEqual(["☃"]);
    expect(text(a["c"])).toEqual(["%zz"]);
    expect(text(a["d"])).toEqual([""]);
  });

  test("parseCookie follows browsers: last duplicate wins, quotes and octal escapes undone", () => {
    expect(parseCookie("a=1; a=2")).toEqual({ a: "2" });
    expect(parseCookie('q="a\\054b"')).toEqual({ q: "a,b" });
    expect(parseCookie("  spaced  =  value  ")).toEqual({ spaced: "value" });
  });

  test("formatTimestamp writes an IMF-fixdate", () => {
    expect(formatTimestamp(0)).toBe("Thu, 01 Jan 1970 00:00:00 GMT");
    expect(formatTimestamp(new Date(Date.UTC(2026, 10, 25, 4, 5, 6)))).toBe("Wed, 25 Nov 2026 04:05:06 GMT");
  });
});
