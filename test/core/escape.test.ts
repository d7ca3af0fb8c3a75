// Specification of src/core/escape.ts (and escape-json.ts): Tornado's tornado.escape,
// checked against outputs of Tornado 6.2 (test/fixtures/tornado-vectors.json "escape",
// tornado-escape-extra.json) and the cases of tornado/test/escape_test.py.
import { describe, expect, it } from "vitest";
import extra from "../fixtures/tornado-escape-extra.json" with { type: "json" };
import vectors from "../fixtures/tornado-vectors.json" with { type: "json" };
import {
  JSONDecodeError,
  JSONEncodeError,
  jsonDecode,
  jsonEncode,
  linkify,
  type LinkifyOptions,
  MalformedEscapeError,
  recursiveUnicode,
  squeeze,
  toUnicode,
  UnicodeDecodeError,
  urlEscape,
  urlUnescape,
  urlUnescapeBytes,
  utf8,
  xhtmlEscape,
  xhtmlUnescape,
} from "../../src/core/escape.js";

const E = vectors.escape;
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const latin1Bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Tornado's keyword arguments, as stored in the fixture, to linkify's options. */
function linkifyOptions(kwargs: Record<string, unknown>): LinkifyOptions {
  const opts: LinkifyOptions = {};
  if ("shorten" in kwargs) opts.shorten = kwargs.shorten as boolean;
  if ("require_protocol" in kwargs) opts.requireProtocol = kwargs.require_protocol as boolean;
  if ("permitted_protocols" in kwargs) opts.permittedProtocols = kwargs.permitted_protocols as string[];
  if ("extra_params" in kwargs) opts.extraParams = kwargs.extra_params as string;
  return opts;
}

describe("fixture: Tornado 6.2's outputs", () => {
  it.each(E.xhtml_escape)("xhtmlEscape(%j)", (input, output) => {
    expect(xhtmlEscape(input)).toBe(output);
  });
  it.each(E.url_escape_plus)("urlEscape(%j)", (input, output) => {
    expect(urlEscape(input)).toBe(output);
    expect(urlUnescape(output)).toBe(input);
  });
  it.each(E.url_escape_noplus)("urlEscape(%j, false)", (input, output) => {
    expect(urlEscape(input, false)).toBe(output);
    expect(urlUnescape(output, false)).toBe(input);
  });
  it.each(E.json_encode)("jsonEncode(%j)", (input, output) => {
    expect(jsonEncode(input)).toBe(output);
    expect(jsonDecode(output)).toBe(input);
  });
  it.each(E.squeeze)("squeeze(%j)", (input, output) => {
    expect(squeeze(input)).toBe(output);
  });
  it.each(E.linkify)("linkify(%j)", (input, output) => {
    expect(linkify(input)).toBe(output);
  });
  it.each(E.linkify_shorten_extra)("linkify(%j, shortened, nofollow)", (input, output) => {
    expect(linkify(input, { shorten: true, extraParams: 'rel="nofollow"' })).toBe(output);
  });
  it.each(E.xhtml_unescape)("xhtmlUnescape(%j)", (input, output) => {
    expect(xhtmlUnescape(input)).toBe(output);
  });
});

describe("linkify", () => {
  it.each(extra.linkify.map((c) => [c.text.slice(0, 70), c] as const))("%j as Tornado", (_label, c) => {
    const text = c.bytes ? latin1Bytes(c.text) : c.text;
    expect(linkify(text, linkifyOptions(c.kwargs))).toBe(c.expected);
  });

  it("calls extraParams with each link's href", () => {
    const seen: string[] = [];
    const html = linkify("www.external-link.com and www.internal-link.com/blogs extra", {
      extraParams: (href) => {
        seen.push(href);
        return href.startsWith("http://www.internal-link.com") ? 'class="internal"' : 'rel="nofollow" class="external"';
      },
    });
    expect(html).toBe(
      '<a href="http://www.external-link.com" rel="nofollow" class="external">www.external-link.com</a>' +
        ' and <a href="http://www.internal-link.com/blogs" class="internal">www.internal-link.com/blogs</a> extra',
    );
    expect(seen).toEqual(["http://www.external-link.com", "http://www.internal-link.com/blogs"]);
  });

  it("strips what extraParams returns", () => {
    expect(linkify("www.external-link.com", { extraParams: () => '    rel="nofollow" class="external"  ' })).toBe(
      '<a href="http://www.external-link.com" rel="nofollow" class="external">www.external-link.com</a>',
    );
  });

  it("accepts protocols as any iterable", () => {
    expect(linkify("ftp://x.org", { permittedProtocols: new Set(["ftp"]) })).toBe('<a href="ftp://x.org">ftp://x.org</a>');
  });

  it("never links javascript: without slashes, even when permitted", () => {
    expect(linkify("javascript:alert(1)", { permittedProtocols: ["javascript"] })).toBe("javascript:alert(1)");
  });

  it("stays fast on hostile input", () => {
    const hostile = ["http://" + "a(".repeat(5000), "www." + ".".repeat(20000), "http://x.com/" + "&amp;".repeat(5000) + "!"];
    const start = performance.now();
    for (const text of hostile) linkify(text, { shorten: true });
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe("xhtmlEscape", () => {
  it.each([
    ["<foo>", "&lt;foo&gt;"],
    [`<>&"'`, "&lt;&gt;&amp;&quot;&#39;"],
    ["&amp;", "&amp;amp;"],
    ["<\u00e9>", "&lt;\u00e9&gt;"],
    ["plain", "plain"],
  ])("escapes %j as Tornado 6.2", (input, output) => {
    expect(xhtmlEscape(input)).toBe(output);
    expect(xhtmlUnescape(output)).toBe(input);
  });

  it("decodes bytes as UTF-8", () => {
    expect(xhtmlEscape(bytes(0x3c, 0xc3, 0xa9, 0x3e))).toBe("&lt;\u00e9&gt;");
  });

  it("converts other values with String()", () => {
    expect(xhtmlEscape(42)).toBe("42");
    expect(xhtmlEscape(null)).toBe("null");
  });

  it("returns an unchanged string as the same string", () => {
    const s = "nothing to escape here";
    expect(xhtmlEscape(s)).toBe(s);
  });
});

describe("xhtmlUnescape", () => {
  it.each(extra.xhtml_unescape)("%j as Tornado", (input, output) => {
    expect(xhtmlUnescape(input)).toBe(output);
  });

  it("leaves a number too large for Python's chr() as written, where Tornado raises", () => {
    expect(xhtmlUnescape("&#9999999999;")).toBe("&#9999999999;");
  });

  it("yields a lone surrogate for a surrogate's number, as Python's chr()", () => {
    expect(xhtmlUnescape("&#55296;")).toBe("\ud800");
  });

  it("accepts UTF-8 bytes", () => {
    expect(xhtmlUnescape(utf8("&eacute;\u00e9"))).toBe("\u00e9\u00e9");
  });

  it("throws UnicodeDecodeError for bytes that are not UTF-8", () => {
    expect(() => xhtmlUnescape(bytes(0xff))).toThrow(UnicodeDecodeError);
  });
});

describe("squeeze", () => {
  it.each(extra.squeeze)("%j as Tornado", (input, output) => {
    expect(squeeze(input)).toBe(output);
  });

  it("squeezes Tornado's own example", () => {
    expect(squeeze("sequences     of    whitespace   chars")).toBe("sequences of whitespace chars");
  });
});

describe("jsonEncode", () => {
  it.each(extra.json_encode)("%s as Tornado", (pythonJson, output) => {
    expect(jsonEncode(jsonDecode(pythonJson))).toBe(output);
  });

  it("writes Map keys as Python writes dict keys", () => {
    const m = new Map<unknown, unknown>([
      [1, "one"],
      [null, "n"],
      [2.5, "f"],
      [false, "f0"],
    ]);
    expect(jsonEncode(m)).toBe('{"1": "one", "null": "n", "2.5": "f", "false": "f0"}');
  });

  it("refuses a Map key Python would refuse", () => {
    expect(() => jsonEncode(new Map([[{}, 1]]))).toThrow(new JSONEncodeError("keys must be str, int, float, bool or None, not Object"));
  });

  it("escapes a lone surrogate as Python does", () => {
    expect(jsonEncode("a\ud800")).toBe('"a\\ud800"');
  });

  it("writes bigints as integers", () => {
    expect(jsonEncode([2n ** 70n])).toBe("[1180591620717411303424]");
  });

  it("honours toJSON, so dates become ISO strings", () => {
    expect(jsonEncode({ at: new Date(Date.UTC(2025, 0, 2, 3, 4, 5)) })).toBe('{"at": "2025-01-02T03:04:05.000Z"}');
  });

  it("leaves out undefined members and writes undefined items as null", () => {
    expect(jsonEncode({ a: undefined, b: [undefined, 1] })).toBe('{"b": [null, 1]}');
  });

  it("unwraps boxed primitives", () => {
    expect(jsonEncode([Object("s"), Object(1), Object(true)])).toBe('["s", 1, true]');
  });

  it("writes the own enumerable properties of class instances", () => {
    class Point {
      constructor(
        public x: number,
        public y: number,
      ) {}
    }
    expect(jsonEncode(new Point(1, 2))).toBe('{"x": 1, "y": 2}');
  });

  it.each([
    ["a function", () => 1, "Object of type function is not JSON serializable"],
    ["a symbol", Symbol("s"), "Object of type symbol is not JSON serializable"],
    ["a Set", new Set([1]), "Object of type Set is not JSON serializable"],
    ["bytes", bytes(1), "Object of type Uint8Array is not JSON serializable"],
    ["undefined", undefined, "Object of type undefined is not JSON serializable"],
  ])("refuses %s", (_label, value, message) => {
    expect(() => jsonEncode(value)).toThrow(new JSONEncodeError(message));
  });

  it("refuses a circular structure", () => {
    const a: unknown[] = [];
    a.push(a);
    expect(() => jsonEncode(a)).toThrow(new JSONEncodeError("Circular reference detected"));
  });

  it("allows the same object twice when it is not circular", () => {
    const shared = { x: 1 };
    expect(jsonEncode([shared, shared])).toBe('[{"x": 1}, {"x": 1}]');
  });
});

describe("jsonDecode", () => {
  it("reads text and UTF-8 bytes, returning text", () => {
    expect(jsonDecode('"foo"')).toBe("foo");
    expect(jsonDecode(utf8('"foo"'))).toBe("foo");
    expect(jsonDecode(utf8('"\u00e9"'))).toBe("\u00e9");
    expect(jsonDecode(jsonEncode("\u00e9"))).toBe("\u00e9");
  });

  it("reads Python's NaN and infinities", () => {
    const v = jsonDecode("[NaN, -Infinity, Infinity]") as number[];
    expect(v[0]).toBeNaN();
    expect(v.slice(1)).toEqual([-Infinity, Infinity]);
  });

  it("keeps a __proto__ key an ordinary member on the slow path", () => {
    const v = jsonDecode('{"__proto__": {"polluted": 1}, "n": NaN}') as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(["__proto__", "n"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ["utf-8 with BOM", [0xef, 0xbb, 0xbf, 0x5b, 0x31, 0x5d]],
    ["utf-16 LE BOM", [0xff, 0xfe, 0x5b, 0, 0x31, 0, 0x5d, 0]],
    ["utf-16 BE BOM", [0xfe, 0xff, 0, 0x5b, 0, 0x31, 0, 0x5d]],
    ["utf-16-le", [0x5b, 0, 0x31, 0, 0x5d, 0]],
    ["utf-16-be", [0, 0x5b, 0, 0x31, 0, 0x5d]],
    ["utf-32-le", [0x5b, 0, 0, 0, 0x31, 0, 0, 0, 0x5d, 0, 0, 0]],
    ["utf-32-be", [0, 0, 0, 0x5b, 0, 0, 0, 0x31, 0, 0, 0, 0x5d]],
    ["utf-32 BOM", [0xff, 0xfe, 0, 0, 0x5b, 0, 0, 0, 0x31, 0, 0, 0, 0x5d, 0, 0, 0]],
  ])("detects %s as Python does", (_label, data) => {
    expect(jsonDecode(new Uint8Array(data))).toEqual([1]);
  });

  it("detects two-byte UTF-16 documents", () => {
    expect(jsonDecode(bytes(0x31, 0))).toBe(1);
    expect(jsonDecode(bytes(0, 0x31))).toBe(1);
  });

  it("throws UnicodeDecodeError for bytes that are not UTF-8", () => {
    expect(() => jsonDecode(bytes(0x22, 0xff, 0x22))).toThrow(UnicodeDecodeError);
    expect(() => jsonDecode(bytes(0x5b, 0, 0x31, 0, 0x5d))).toThrow(UnicodeDecodeError);
  });

  // Messages and positions as Python 3.11's json.loads.
  it.each([
    ["", "Expecting value: line 1 column 1 (char 0)"],
    [" ", "Expecting value: line 1 column 2 (char 1)"],
    ["[1,", "Expecting value: line 1 column 4 (char 3)"],
    ['{"a" 1}', "Expecting ':' delimiter: line 1 column 6 (char 5)"],
    ['{"a":1,}', "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"],
    ["[1,]", "Expecting value: line 1 column 4 (char 3)"],
    ["[1 2]", "Expecting ',' delimiter: line 1 column 4 (char 3)"],
    ['"abc', "Unterminated string starting at: line 1 column 1 (char 0)"],
    ['"a\x01"', "Invalid control character at: line 1 column 3 (char 2)"],
    ['"\\x"', "Invalid \\escape: line 1 column 2 (char 1)"],
    ['"\\u12"', "Invalid \\uXXXX escape: line 1 column 3 (char 2)"],
    ["1 2", "Extra data: line 1 column 3 (char 2)"],
    ["nul", "Expecting value: line 1 column 1 (char 0)"],
    ["{1:2}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"],
    ["\ufeff1", "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"],
    ["-", "Expecting value: line 1 column 1 (char 0)"],
    ["01", "Extra data: line 1 column 2 (char 1)"],
    ['{"a":1 "b":2}', "Expecting ',' delimiter: line 1 column 8 (char 7)"],
    ["[1,\n  x]", "Expecting value: line 2 column 3 (char 6)"],
  ])("rejects %j", (input, message) => {
    expect(() => jsonDecode(input)).toThrow(JSONDecodeError);
    expect(() => jsonDecode(input)).toThrow(message);
  });

  it("gives the position as fields", () => {
    try {
      jsonDecode("[1,\n  x]");
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ msg: "Expecting value", pos: 6, lineno: 2, colno: 3 });
    }
  });
});

describe("url escaping, as Tornado's escape_test.py", () => {
  it("encodes text as UTF-8 and passes bytes through", () => {
    expect(urlEscape(utf8("\u00e9"))).toBe("%C3%A9");
    expect(urlEscape(bytes(0xe9))).toBe("%E9");
    expect(urlEscape("\u00e9")).toBe("%C3%A9");
  });

  it("unescapes to text or bytes", () => {
    expect(urlUnescape("%C3%A9")).toBe("\u00e9");
    expect(urlUnescapeBytes("%C3%A9")).toEqual(utf8("\u00e9"));
  });

  it("treats + as a space only with plus", () => {
    expect(urlEscape("+ #%")).toBe("%2B+%23%25");
    expect(urlEscape("+ #%", false)).toBe("%2B%20%23%25");
    expect(urlUnescape("%2B+%23%25")).toBe("+ #%");
    expect(urlUnescape("%2B%20%23%25", false)).toBe("+ #%");
    expect(urlUnescapeBytes("a+b", false)).toEqual(utf8("a+b"));
  });

  it("keeps a malformed escape, or throws in strict mode", () => {
    expect(urlUnescape("%zz%4")).toBe("%zz%4");
    expect(() => urlUnescapeBytes("%zz", true, true)).toThrow(MalformedEscapeError);
  });
});

describe("toUnicode and recursiveUnicode", () => {
  it("decodes bytes, passes text and null through", () => {
    expect(toUnicode(bytes(0xc3, 0xa9))).toBe("\u00e9");
    expect(toUnicode("x")).toBe("x");
    expect(toUnicode(null)).toBeNull();
  });

  it("throws UnicodeDecodeError for invalid UTF-8", () => {
    expect(() => toUnicode(bytes(0xc3))).toThrow(UnicodeDecodeError);
  });

  it("keeps a BOM, as Python's utf-8 codec does", () => {
    expect(toUnicode(bytes(0xef, 0xbb, 0xbf, 0x61))).toBe("\ufeffa");
  });

  it("converts bytes inside objects, arrays and maps", () => {
    const foo = utf8("foo");
    const bar = utf8("bar");
    expect(recursiveUnicode({ foo: bar })).toEqual({ foo: "bar" });
    expect(recursiveUnicode([foo, bar])).toEqual(["foo", "bar"]);
    expect(recursiveUnicode(new Map([[foo, [bar]]]))).toEqual(new Map([["foo", ["bar"]]]));
    expect(recursiveUnicode(foo)).toBe("foo");
    const args: Record<string, Uint8Array[]> = { name: [utf8("Ada")] };
    const text: Record<string, string[]> = recursiveUnicode(args);
    expect(text).toEqual({ name: ["Ada"] });
  });

  it("leaves other values alone", () => {
    const d = new Date(0);
    expect(recursiveUnicode([1, null, d, "s"])).toEqual([1, null, d, "s"]);
    expect(recursiveUnicode([d])[0]).toBe(d);
  });
});
