// Inheritance ({% extends %} and {% block %}), {% include %} and relative names, through
// DictLoader, as Tornado's template_test.py specifies them.
import { describe, expect, test } from "vitest";
import { DictLoader, ParseError, Template, TemplateNotFoundError } from "../../src/core/template/compiler.js";

describe("extends and block", () => {
  test("a child replaces its parent's blocks (Tornado's test_extends)", () => {
    const loader = new DictLoader({
      "base.html": "<title>{% block title %}default title{% end %}</title>\n<body>{% block body %}default body{% end %}</body>\n",
      "page.html": '{% extends "base.html" %}\n{% block title %}page title{% end %}\n{% block body %}page body{% end %}\n',
    });
    expect(loader.load("page.html").generate()).toBe("<title>page title</title>\n<body>page body</body>\n");
  });

  test("a block a child does not override keeps the parent's content", () => {
    const loader = new DictLoader({
      "base.html": "[{% block a %}A{% end %}|{% block b %}B{% end %}]",
      "page.html": "{% extends base.html %}{% block b %}b{% end %}",
    });
    expect(loader.load("page.html").generate()).toBe("[A|b]");
  });

  test("blocks are overridable through three levels", () => {
    const loader = new DictLoader({
      "base.html": "<{% block head %}H{% end %}|{% block body %}B{% end %}|{% block foot %}F{% end %}>",
      "middle.html": "{% extends 'base.html' %}{% block body %}mid({% block inner %}i{% end %}){% end %}{% block foot %}f{% end %}",
      "page.html": "{% extends 'middle.html' %}{% block inner %}page{% end %}{% block head %}h{% end %}",
    });
    expect(loader.load("base.html").generate()).toBe("<H|B|F>");
    expect(loader.load("middle.html").generate()).toBe("<H|mid(i)|f>");
    expect(loader.load("page.html").generate()).toBe("<h|mid(page)|f>");
  });

  test("the most derived definition wins at every level", () => {
    const loader = new DictLoader({
      "a.html": "{% block x %}a{% end %}",
      "b.html": "{% extends a.html %}{% block x %}b{% end %}",
      "c.html": "{% extends b.html %}{% block x %}c{% end %}",
    });
    expect(loader.load("c.html").generate()).toBe("c");
    expect(loader.load("b.html").generate()).toBe("b");
  });

  test("a child's content outside blocks is ignored, as in Tornado", () => {
    const loader = new DictLoader({
      "base.html": "{% block x %}{% end %}",
      "page.html": "ignored{% extends base.html %}{{ ignored() }}{% block x %}kept{% end %}",
    });
    expect(loader.load("page.html").generate()).toBe("kept");
  });

  test("blocks see the base's loop variables and the namespace", () => {
    const loader = new DictLoader({
      "base.html": "{% for student in students %}{% block student %}{{ student }}{% end %};{% end %}",
      "bold.html": "{% extends base.html %}{% block student %}<b>{{ student.toUpperCase() }}</b>{% end %}",
    });
    expect(loader.load("bold.html").generate({ students: ["ann", "bob"] })).toBe("<b>ANN</b>;<b>BOB</b>;");
  });

  test("a set in one block is visible in a later block of the same render", () => {
    const loader = new DictLoader({
      "base.html": "{% block a %}{% end %}{% block b %}{% end %}",
      "page.html": "{% extends base.html %}{% block a %}{% set shared = 7 %}{% end %}{% block b %}{{ shared }}{% end %}",
    });
    expect(loader.load("page.html").generate()).toBe("7");
  });

  test("extends without a loader is a parse error", () => {
    expect(() => new Template('{% extends "base.html" %}')).toThrow("{% extends %} block found, but no template loader");
  });

  test("extends inside another directive is a parse error", () => {
    expect(() => new Template("{% if true %}{% extends 'x' %}{% end %}")).toThrow(ParseError);
  });

  test("a template that extends itself is a parse error, not a stack overflow", () => {
    const loader = new DictLoader({ "a.html": "{% extends b.html %}", "b.html": "{% extends a.html %}" });
    expect(() => loader.load("a.html")).toThrow(ParseError);
  });

  test("extends missing a path is a parse error", () => {
    expect(() => new Template("{% extends '' %}")).toThrow("extends missing file path");
  });
});

describe("include", () => {
  test("inserts another template (Tornado's test_include)", () => {
    const loader = new DictLoader({ "index.html": '{% include "header.html" %}\nbody text', "header.html": "header text" });
    expect(loader.load("index.html").generate()).toBe("header text\nbody text");
  });

  test("the included template shares the includer's variables in both directions", () => {
    const loader = new DictLoader({
      "page.html": "{% set who = 'me' %}{% include 'part.html' %}{{ answer }}",
      "part.html": "{{ who }}:{% set answer = 42 %}",
    });
    expect(loader.load("page.html").generate()).toBe("me:42");
  });

  test("included in a loop, it sees the loop variable", () => {
    const loader = new DictLoader({ "list.html": "{% for item in items %}{% include 'item.html' %}{% end %}", "item.html": "<{{ item }}>" });
    expect(loader.load("list.html").generate({ items: [1, "&"] })).toBe("<1><&amp;>");
  });

  test("names resolve relative to the including template (Tornado's test_relative_load)", () => {
    const loader = new DictLoader({ "a/1.html": "{% include '2.html' %}", "a/2.html": "{% include '../b/3.html' %}", "b/3.html": "ok" });
    expect(loader.load("a/1.html").generate()).toBe("ok");
  });

  test("an included template's blocks can be overridden by a child", () => {
    const loader = new DictLoader({
      "base.html": "[{% include 'nav.html' %}]",
      "nav.html": "{% block nav %}default nav{% end %}",
      "page.html": "{% extends base.html %}{% block nav %}page nav{% end %}",
    });
    expect(loader.load("page.html").generate()).toBe("[page nav]");
  });

  test("a missing template raises TemplateNotFoundError", () => {
    const loader = new DictLoader({ "a.html": "{% include 'nope.html' %}" });
    expect(() => loader.load("a.html")).toThrow(TemplateNotFoundError);
    expect(() => loader.load("missing.html")).toThrow("Template not found: missing.html");
  });

  test("a template that includes itself is a parse error", () => {
    const loader = new DictLoader({ "a.html": "{% include b.html %}", "b.html": "{% include a.html %}" });
    expect(() => loader.load("a.html")).toThrow(/includes itself/);
  });

  test("include without a loader is a parse error", () => {
    expect(() => new Template("{% include 'x' %}")).toThrow("{% include %} block found, but no template loader");
  });
});

describe("DictLoader", () => {
  test("caches each template until reset()", () => {
    const dict: Record<string, string> = { "a.html": "one" };
    const loader = new DictLoader(dict);
    const first = loader.load("a.html");
    dict["a.html"] = "two";
    expect(loader.load("a.html")).toBe(first);
    expect(loader.load("a.html").generate()).toBe("one");
    loader.reset();
    expect(loader.load("a.html").generate()).toBe("two");
  });

  test("non-ASCII names work (Tornado's test_non_ascii_name)", () => {
    expect(new DictLoader({ "t\u00e9st.html": "hello" }).load("t\u00e9st.html").generate()).toBe("hello");
  });

  test("render arguments override the loader's namespace", () => {
    const loader = new DictLoader({ "a.txt": "{{ x }}{{ y }}" }, { namespace: { x: 1, y: 2 } });
    expect(loader.load("a.txt").generate({ y: 3 })).toBe("13");
  });

  test("resolvePath follows posix rules", () => {
    const loader = new DictLoader({});
    expect(loader.resolvePath("c.html", "a/b.html")).toBe("a/c.html");
    expect(loader.resolvePath("./c.html", "a/b/x.html")).toBe("a/b/c.html");
    expect(loader.resolvePath("../../c.html", "a/b/x.html")).toBe("c.html");
    expect(loader.resolvePath("/abs.html", "a/b.html")).toBe("/abs.html");
    expect(loader.resolvePath("c.html", "<string>")).toBe("c.html");
    expect(loader.resolvePath("c.html")).toBe("c.html");
  });
});
