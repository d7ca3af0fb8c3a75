// Autoescaping (Tornado's AutoEscapeTest, with xhtmlEscape for xhtml_escape) and an XSS
// corpus: nothing a value contains ever gets out of {{ }} as markup.
import { describe, expect, test } from "vitest";
import { xhtmlEscape } from "../../src/core/escape.js";
import { DictLoader, Template } from "../../src/core/template/compiler.js";

const templates = {
  "escaped.html": "{% autoescape xhtmlEscape %}{{ name }}",
  "unescaped.html": "{% autoescape None %}{{ name }}",
  "unescaped_null.html": "{% autoescape null %}{{ name }}",
  "default.html": "{{ name }}",
  "include.html": "escaped: {% include 'escaped.html' %}\nunescaped: {% include 'unescaped.html' %}\ndefault: {% include 'default.html' %}\n",
  "escaped_block.html": "{% autoescape xhtmlEscape %}{% block name %}base: {{ name }}{% end %}",
  "unescaped_block.html": "{% autoescape None %}{% block name %}base: {{ name }}{% end %}",
  "escaped_extends_unescaped.html": '{% autoescape xhtmlEscape %}{% extends "unescaped_block.html" %}',
  "escaped_overrides_unescaped.html": '{% autoescape xhtmlEscape %}{% extends "unescaped_block.html" %}{% block name %}extended: {{ name }}{% end %}',
  "unescaped_extends_escaped.html": '{% autoescape None %}{% extends "escaped_block.html" %}',
  "unescaped_overrides_escaped.html": '{% autoescape None %}{% extends "escaped_block.html" %}{% block name %}extended: {{ name }}{% end %}',
  "raw_expression.html": "{% autoescape xhtmlEscape %}expr: {{ name }}\nraw: {% raw name %}",
};

describe("autoescape", () => {
  test("is xhtmlEscape by default, for every {{ }}", () => {
    expect(new Template("{{ x }}").generate({ x: `<a href="x">'&'</a>` })).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect(new Template("{{ x }}").autoescape).toBe("xhtmlEscape");
  });

  test("a loader with autoescape null escapes only where a template asks (Tornado's test_default_off)", () => {
    const loader = new DictLoader(templates, { autoescape: null });
    const name = "Bobby <table>s";
    expect(loader.load("escaped.html").generate({ name })).toBe("Bobby &lt;table&gt;s");
    expect(loader.load("unescaped.html").generate({ name })).toBe("Bobby <table>s");
    expect(loader.load("default.html").generate({ name })).toBe("Bobby <table>s");
    expect(loader.load("include.html").generate({ name })).toBe(
      "escaped: Bobby &lt;table&gt;s\nunescaped: Bobby <table>s\ndefault: Bobby <table>s\n",
    );
  });

  test("a loader with autoescape on (Tornado's test_default_on)", () => {
    const loader = new DictLoader(templates, { autoescape: "xhtmlEscape" });
    const name = "Bobby <table>s";
    expect(loader.load("escaped.html").generate({ name })).toBe("Bobby &lt;table&gt;s");
    expect(loader.load("unescaped.html").generate({ name })).toBe("Bobby <table>s");
    expect(loader.load("unescaped_null.html").generate({ name })).toBe("Bobby <table>s");
    expect(loader.load("default.html").generate({ name })).toBe("Bobby &lt;table&gt;s");
    expect(loader.load("include.html").generate({ name })).toBe(
      "escaped: Bobby &lt;table&gt;s\nunescaped: Bobby <table>s\ndefault: Bobby &lt;table&gt;s\n",
    );
  });

  test("a block uses the autoescape of the file that defines it (Tornado's test_unextended_block and test_extended_block)", () => {
    const loader = new DictLoader(templates);
    const render = (n: string): string => loader.load(n).generate({ name: "<script>" });
    expect(render("escaped_block.html")).toBe("base: &lt;script&gt;");
    expect(render("unescaped_block.html")).toBe("base: <script>");
    expect(render("escaped_extends_unescaped.html")).toBe("base: <script>");
    expect(render("escaped_overrides_unescaped.html")).toBe("extended: &lt;script&gt;");
    expect(render("unescaped_extends_escaped.html")).toBe("base: &lt;script&gt;");
    expect(render("unescaped_overrides_escaped.html")).toBe("extended: <script>");
  });

  test("raw skips escaping (Tornado's test_raw_expression)", () => {
    const loader = new DictLoader(templates);
    expect(loader.load("raw_expression.html").generate({ name: '<>&"' })).toBe('expr: &lt;&gt;&amp;&quot;\nraw: <>&"');
  });

  test("a custom escape function receives the value as a string (Tornado's test_custom_escape)", () => {
    const received: unknown[] = [];
    const jsEscape = (s: unknown): string => {
      received.push(s);
      return JSON.stringify(s);
    };
    const loader = new DictLoader({ "foo.js": "{% autoescape jsEscape %}s = {{ name }}\n" });
    const render = (name: unknown): string => loader.load("foo.js").generate({ jsEscape, name });
    expect(render("<html>")).toBe('s = "<html>"\n');
    expect(render("';sys.exit()")).toBe(`s = "';sys.exit()"\n`);
    expect(render(["not a string"])).toBe('s = "not a string"\n');
    expect(received.every((s) => typeof s === "string")).toBe(true);
  });

  test("the directive applies to the whole file, the last one winning, as in Tornado", () => {
    expect(new Template("{{ x }}{% autoescape None %}{{ x }}").generate({ x: "<" })).toBe("<<");
  });

  test("the Template option sets it, and the namespace can replace the escape function", () => {
    expect(new Template("{{ x }}", { autoescape: null }).generate({ x: "<" })).toBe("<");
    expect(new Template("{{ x }}", { autoescape: "urlEscape" }).generate({ x: "a b&" })).toBe("a+b%26");
    expect(new Template("{{ x }}").generate({ x: "<", xhtmlEscape: () => "replaced" })).toBe("replaced");
  });

  test("Tornado's escape functions are in every namespace", () => {
    expect(new Template("{% raw escape('<') %} {% raw xhtmlEscape('>') %} {% raw urlEscape('a b') %}").generate()).toBe("&lt; &gt; a+b");
    expect(new Template("{% raw jsonEncode('</script>') %}|{% raw squeeze(' a  b ') %}").generate()).toBe('"<\\/script>"|a b');
    expect(new Template("{% raw linkify('see http://x.com') %}").generate()).toBe('see <a href="http://x.com">http://x.com</a>');
  });
});

// Payloads from the usual XSS filter-evasion lists, plus values that try to look like
// template syntax or smuggle markup through String conversion.
const PAYLOADS: unknown[] = [
  "<script>alert(1)</script>",
  '"><script>alert(1)</script>',
  "'><img src=x onerror=alert(1)>",
  "' onmouseover='alert(1)",
  '" onfocus="alert(1)" autofocus="',
  "javascript:alert(1)//<",
  "<svg/onload=alert(1)>",
  "<<SCRIPT>alert('XSS');//<</SCRIPT>",
  "&lt;script&gt;",
  "&#60;script&#62;",
  "</textarea><script>alert(1)</script>",
  "<!--<img src=x onerror=alert(1)//-->",
  "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
  "\u003cscript\u003e",
  "<scr\u0000ipt>",
  "{{ 7 * 7 }}",
  "{% raw '<b>' %}",
  "${'<b>'}",
  "`<b>`",
  "_tt_o += '<b>'",
  ["<b>", "</b>"],
  { toString: () => "<i onclick='x'>" },
  { [Symbol.toPrimitive]: () => '"><b>' },
  new String("<u>"),
  "\"'<>&".repeat(50),
];

describe("XSS corpus", () => {
  const contexts = [
    new Template("<p>{{ v }}</p>"),
    new Template('<a title="{{ v }}">x</a>'),
    new Template("<a title='{{ v }}'>x</a>"),
    new Template("<textarea>{{ v }}</textarea>"),
    new Template("{% for item in [v, v] %}<li>{{ item }}</li>{% end %}"),
    new Template("{% set copy = v %}{% if true %}{{ copy }}{% end %}"),
  ];

  test.each(PAYLOADS.map((p, i) => [i, p]))("payload %i never escapes through {{ }}", (_i, payload) => {
    for (const t of contexts) {
      const out = t.generate({ v: payload });
      const inserted = out.replace(/^<p>|<\/p>$|^<a title=["']|["']>x<\/a>$|^<textarea>|<\/textarea>$|<\/?li>/g, "");
      expect(inserted).not.toMatch(/[<>"']/);
      // Every & starts one of the entities xhtmlEscape writes.
      expect(inserted.replace(/&(amp|lt|gt|quot|#39);/g, "")).not.toContain("&");
      expect(out).toContain(xhtmlEscape(String(payload)));
    }
  });

  test("a value that looks like template syntax stays text", () => {
    expect(new Template("{{ v }}").generate({ v: "{{ 7 * 7 }}" })).toBe("{{ 7 * 7 }}");
  });

  test("namespace keys that look like generated names cannot change the output", () => {
    expect(new Template("{{ v }}").generate({ v: "<", _tt_o: "<b>", _tt_s: () => "<b>", _tt_U: 1 })).toBe("&lt;");
  });
});
