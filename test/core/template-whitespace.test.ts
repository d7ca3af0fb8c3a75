// Whitespace modes (all, single, oneline), chosen by file name, loader, option or
// directive — Tornado's whitespace tests, plus outputs checked against Tornado 6.2.
import { describe, expect, test } from "vitest";
import { DictLoader, Template, TemplateError, filterWhitespace } from "../../src/core/template/compiler.js";

describe("filterWhitespace", () => {
  test("all keeps everything", () => {
    expect(filterWhitespace("all", " \t a \n\n b ")).toBe(" \t a \n\n b ");
  });

  test("single collapses spaces and tabs, and runs around newlines to one newline", () => {
    expect(filterWhitespace("single", " a \t\n  \n b")).toBe(" a\nb");
  });

  test("oneline collapses every run to one space", () => {
    expect(filterWhitespace("oneline", " a \t\n  \n b ")).toBe(" a b ");
  });

  test("Python's whitespace, not JavaScript's: U+0085 and U+001C count, U+FEFF does not", () => {
    expect(filterWhitespace("oneline", "a\u0085\u001cb\ufeffc")).toBe("a b\ufeffc");
  });

  test("an unknown mode is an error", () => {
    expect(() => filterWhitespace("none", "")).toThrow(TemplateError);
  });
});

describe("whitespace in templates", () => {
  test("depends on the file name by default (Tornado's test_whitespace_by_filename)", () => {
    const loader = new DictLoader({
      "foo.html": "   \n\t\n asdf\t   ",
      "bar.js": " \n\n\n\t qwer     ",
      "baz.txt": "\t    zxcv\n\n",
      "include.html": "  {% include baz.txt %} \n ",
      "include.txt": "\t\t{% include foo.html %}    ",
    });
    expect(loader.load("foo.html").generate()).toBe("\nasdf ");
    expect(loader.load("bar.js").generate()).toBe("\nqwer ");
    expect(loader.load("baz.txt").generate()).toBe("\t    zxcv\n\n");
    // Each file keeps its own mode even when included in a file of the other kind.
    expect(loader.load("include.html").generate()).toBe(" \t    zxcv\n\n\n");
    expect(loader.load("include.txt").generate()).toBe("\t\t\nasdf     ");
  });

  test("a loader's mode applies to every file (Tornado's test_whitespace_by_loader)", () => {
    const templates = { "foo.html": "\t\tfoo\n\n", "bar.txt": "\t\tbar\n\n" };
    let loader = new DictLoader(templates, { whitespace: "all" });
    expect(loader.load("foo.html").generate()).toBe("\t\tfoo\n\n");
    expect(loader.load("bar.txt").generate()).toBe("\t\tbar\n\n");
    loader = new DictLoader(templates, { whitespace: "single" });
    expect(loader.load("foo.html").generate()).toBe(" foo\n");
    expect(loader.load("bar.txt").generate()).toBe(" bar\n");
    loader = new DictLoader(templates, { whitespace: "oneline" });
    expect(loader.load("foo.html").generate()).toBe(" foo ");
    expect(loader.load("bar.txt").generate()).toBe(" bar ");
  });

  test("the directive changes the mode for the rest of the file (Tornado's test_whitespace_directive)", () => {
    const loader = new DictLoader({
      "foo.html": `\
{% whitespace oneline %}
    {% for i in [0, 1, 2] %}
        {{ i }}
    {% end %}
{% whitespace all %}
    pre\tformatted
`,
    });
    expect(loader.load("foo.html").generate()).toBe("  0  1  2  \n    pre\tformatted\n");
  });

  test("text containing <pre> keeps its whitespace", () => {
    expect(new Template("  <pre>  a\n\n  </pre>  ", { name: "a.html" }).generate()).toBe("  <pre>  a\n\n  </pre>  ");
  });

  test("text is filtered piece by piece, around each directive", () => {
    expect(new Template("x {% for i in [1, 2] %} {{i}} \n\n {% end %}", { name: "a.html" }).generate()).toBe("x  1\n 2\n");
    expect(new Template("{% apply f %}  a  \n\n  b{% end %}", { name: "a.html" }).generate({ f: (s: string) => `[${s}]` })).toBe("[ a\nb]");
  });

  test("options: whitespace, and the deprecated compressWhitespace", () => {
    expect(new Template(" a \n\n b", { whitespace: "oneline" }).generate()).toBe(" a b");
    expect(new Template(" a \n\n b", { compressWhitespace: true }).generate()).toBe(" a\nb");
    expect(new Template(" a \n\n b", { name: "x.html", compressWhitespace: false }).generate()).toBe(" a \n\n b");
    expect(() => new Template("", { whitespace: "all", compressWhitespace: true })).toThrow("cannot set both whitespace and compressWhitespace");
  });

  test("an unknown mode in options is an error", () => {
    expect(() => new Template("", { whitespace: "tabs" as "all" })).toThrow("invalid whitespace mode tabs");
    expect(() => new DictLoader({}, { whitespace: "tabs" as "all" })).toThrow(TemplateError);
  });

  test("values are never filtered, only template text", () => {
    expect(new Template("{{ v }}", { whitespace: "oneline" }).generate({ v: "a  \n  b" })).toBe("a  \n  b");
  });
});
