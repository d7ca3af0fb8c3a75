// Errors name the template and the line: syntax errors (ParseError) when compiling, and
// run-time errors (TemplateError) when rendering — Tornado's ParseErrorDetailTest and
// StackTraceTest, with messages in place of tracebacks.
import { describe, expect, test } from "vitest";
import { DictLoader, ParseError, Template, TemplateError } from "../../src/core/template/compiler.js";

function parseError(source: string, name = "t.html"): ParseError {
  try {
    new Template(source, { name });
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
  throw new Error("no ParseError raised");
}

function renderError(run: () => unknown): TemplateError {
  try {
    run();
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error("no TemplateError raised");
}

const fail = (): never => {
  throw new RangeError("boom");
};

describe("syntax errors", () => {
  test("name the template and line (Tornado's test_details)", () => {
    const loader = new DictLoader({ "foo.html": "\n\n{{" });
    let error: unknown;
    try {
      loader.load("foo.html");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ParseError);
    expect(error).toBeInstanceOf(TemplateError);
    const e = error as ParseError;
    expect(e.message).toBe("Missing end expression }} at foo.html:3");
    expect(e.filename).toBe("foo.html");
    expect(e.lineno).toBe(3);
    expect(e.reason).toBe("Missing end expression }}");
  });

  test("a ParseError made by hand keeps its plain message (Tornado's test_custom_parse_error)", () => {
    expect(new ParseError("asdf").message).toBe("asdf");
  });

  test.each([
    ["{{", "Missing end expression }} at t.html:1"],
    ["{%", "Missing end block %} at t.html:1"],
    ["{#", "Missing end comment #} at t.html:1"],
    ["{{ }}", "Empty expression at t.html:1"],
    ["{% %}", "Empty block tag ({% %}) at t.html:1"],
    ["{% end %}", "Extra {% end %} block at t.html:1"],
    ["\n{% if 1 %}", "Missing {% end %} block for if at t.html:2"],
    ["{% foo %}", "unknown operator: 'foo' at t.html:1"],
    ["{% else %}", "else outside {'if', 'for', 'while', 'try'} block at t.html:1"],
    ["{% if 1 %}{% except %}{% end %}", "except block cannot be attached to if block at t.html:1"],
    ["{% break %}", "break outside {'for', 'while'} block at t.html:1"],
    ["{% for i in [] %}{% apply f %}{% break %}{% end %}{% end %}", "break outside {'for', 'while'} block at t.html:1"],
    ["{% whitespace foo %}", "invalid whitespace mode foo at t.html:1"],
    ["{% set %}", "set missing statement at t.html:1"],
    ["{% include %}", "include missing file path at t.html:1"],
    ["{% block %}{% end %}", "block missing name at t.html:1"],
    ["{% apply %}{% end %}", "apply missing method name at t.html:1"],
    ["{% if 1 %}{% else %}{% elif 2 %}{% end %}", "elif block after else block at t.html:1"],
    ["{% try %}{% end %}", "try block needs an except or finally block at t.html:1"],
    ["{% try %}{% except %}{% except %}{% end %}", "only one except block is allowed (JavaScript has one catch) at t.html:1"],
    ["{% try %}{% else %}{% end %}", "else block in try needs an except block before it at t.html:1"],
  ])("%j raises %j", (source, message) => {
    expect(parseError(source).message).toBe(message);
  });

  test("JavaScript syntax errors name the directive and its line", () => {
    expect(parseError("a\n{{ x + }}").message).toBe("JavaScript syntax error: Unexpected token in {{ x + }} at t.html:2");
    expect(parseError("{% if x === %}{% end %}").message).toMatch(/^JavaScript syntax error: .* in \{% if x === %\} at t.html:1$/);
  });

  test("the line counts newlines inside a multi-line expression", () => {
    expect(parseError("\n{{ a +\n  b +\n  ) }}").lineno).toBe(4);
  });

  test.each([
    ["{% set x = = 1 %}", 1],
    ["\n{% for x in %}{% end %}", 2],
    ["\n\n{% for 1 in xs %}{% end %}", 3],
    ["{% for x of xs %}{% end %}", 1],
    ["{% while ) %}{% end %}", 1],
    ["{% if 1 %}\n{% elif ( %}{% end %}", 2],
    ["{% apply ( %}{% end %}", 1],
    ["\n{% raw ( %}", 2],
    ["{% module ( %}", 1],
    ["{% try %}\n{% except 1 %}{% end %}", 2],
    ["{% autoescape f( %}\n{{ x }}", 1],
    ["{{ x // comment }}", 1],
  ])("%j is a ParseError at line %i", (source, line) => {
    const e = parseError(source);
    expect(e.lineno).toBe(line);
    expect(e.filename).toBe("t.html");
  });

  test("code that would escape its directive is rejected", () => {
    expect(() => new Template("{{ 1) + (2 }}")).toThrow(ParseError);
    expect(() => new Template("{% set x = 1); evil(( %}")).toThrow(ParseError);
    expect(() => new Template("{% for x of y) {} for (z in w %}{% end %}")).toThrow(ParseError);
  });

  test("a declaration in set is rejected: set assigns", () => {
    expect(() => new Template("{% set let x = 1 %}")).toThrow(ParseError);
  });

  test("assigning a namespace name from a nested function is rejected at compile time", () => {
    const e = parseError("\n{{ xs.forEach((x) => { count += x }) }}");
    expect(e.message).toMatch(/^cannot assign to count/);
    expect(e.lineno).toBe(2);
  });

  test("arguments and eval cannot be used", () => {
    expect(parseError("{{ arguments[0] }}").message).toMatch(/arguments cannot be used/);
    expect(() => new Template("{{ eval('1') }}")).toThrow(ParseError);
  });
});

describe("run-time errors", () => {
  test("an error in an expression names its line (Tornado's test_error_line_number_expression)", () => {
    const loader = new DictLoader({ "test.html": "one\ntwo{{ nothing.x }}\nthree\n" });
    const e = renderError(() => loader.load("test.html").generate({ nothing: null }));
    expect(e.filename).toBe("test.html");
    expect(e.lineno).toBe(2);
    expect(e.cause).toBeInstanceOf(TypeError);
    expect(e.message).toMatch(/^TypeError: .* at test\.html:2$/);
  });

  test("an error in a directive names its line (Tornado's test_error_line_number_directive)", () => {
    const loader = new DictLoader({ "test.html": "one\ntwo{%if fail()%}\nthree{%end%}\n" });
    expect(renderError(() => loader.load("test.html").generate({ fail })).message).toBe("RangeError: boom at test.html:2");
  });

  test.each([
    ["{% if false %}\n{% elif fail() %}{% end %}", 2],
    ["{% while fail() %}{% end %}", 1],
    ["\n{% for x in fail() %}{% end %}", 2],
    ["{% for x in [1, 2] %}\n{% if x === 2 %}\n{{ fail() }}{% end %}{% end %}", 3],
    ["{% set y = 1 %}\n{% set y = fail() %}", 2],
    ["\n{% apply fail %}\nx{% end %}", 2],
    ["{% apply (s) => s %}\n{{ fail() }}{% end %}", 2],
    ["{% try %}{% finally %}\n{{ fail() }}{% end %}", 2],
    ["\n{% raw fail() %}", 2],
  ])("%j fails at line %i", (source, line) => {
    const e = renderError(() => new Template(source, { name: "r.txt" }).generate({ fail }));
    expect(e.message).toBe(`RangeError: boom at r.txt:${line}`);
  });

  test("an error in an include names the include chain (Tornado's test_error_line_number_include)", () => {
    const loader = new DictLoader({ "base.html": "{% include 'sub.html' %}", "sub.html": "{{ fail() }}" });
    expect(renderError(() => loader.load("base.html").generate({ fail })).message).toBe("RangeError: boom at sub.html:1 (via base.html:1)");
  });

  test("several levels of include (Tornado's test_multi_includes)", () => {
    const loader = new DictLoader({ "a.html": "{% include 'b.html' %}", "b.html": "{% include 'c.html' %}", "c.html": "{{ fail() }}" });
    const e = renderError(() => loader.load("a.html").generate({ fail }));
    expect(e.message).toContain("c.html:1 (via b.html:1, a.html:1)");
    expect(e.via).toBe("b.html:1, a.html:1");
  });

  test("an error in a base template's own code (Tornado's test_error_line_number_extends_base_error)", () => {
    const loader = new DictLoader({ "base.html": "{{ fail() }}", "sub.html": "{% extends 'base.html' %}" });
    expect(renderError(() => loader.load("sub.html").generate({ fail })).message).toBe("RangeError: boom at base.html:1");
  });

  test("an error in a child's block (Tornado's test_error_line_number_extends_sub_error)", () => {
    const loader = new DictLoader({
      "base.html": "{% block 'block' %}{% end %}",
      "sub.html": "\n{% extends 'base.html' %}\n{% block 'block' %}\n{{ fail() }}\n{% end %}\n",
    });
    expect(renderError(() => loader.load("sub.html").generate({ fail })).message).toContain("sub.html:4 (via base.html:1)");
  });

  test("an error in a template rendered by a module names both (Tornado's test_error_line_number_module)", () => {
    const loader: DictLoader = new DictLoader(
      { "base.html": "{% module Template('sub.html') %}", "sub.html": "{{ fail() }}" },
      { namespace: { fail, _tt_modules: { Template: (name: string) => loader.load(name).generate() } } },
    );
    const e = renderError(() => loader.load("base.html").generate());
    expect(e.message).toBe("RangeError: boom at sub.html:1, rendered from base.html:1");
    expect(e.templateStack).toEqual(["sub.html:1", "base.html:1"]);
    expect(e.cause).toBeInstanceOf(RangeError);
  });

  test("a thrown non-Error value is described", () => {
    const e = renderError(() =>
      new Template("{{ f() }}", { name: "x" }).generate({
        f: () => {
          throw "plain";
        },
      }),
    );
    expect(e.message).toBe("plain at x:1");
    expect(e.cause).toBe("plain");
  });
});

describe("unknown names", () => {
  test("raise a TemplateError naming the name, template and line", () => {
    const e = renderError(() => new Template("ok\n{{ user.name }}", { name: "page.html" }).generate());
    expect(e.message).toBe("ReferenceError: user is not defined at page.html:2");
    expect(e.cause).toBeInstanceOf(ReferenceError);
  });

  test("only when evaluated: an unknown name in a branch not taken is fine", () => {
    expect(new Template("{% if false %}{{ missing }}{% end %}ok").generate()).toBe("ok");
  });

  test("an unknown function, escape function or module is reported by name", () => {
    expect(() => new Template("{{ f(1) }}").generate()).toThrow("ReferenceError: f is not defined at <string>:1");
    expect(() => new Template("{% autoescape myEscape %}\n{{ 1 }}").generate()).toThrow("ReferenceError: myEscape is not defined at <string>:2");
  });

  test("a name given as undefined is defined", () => {
    expect(new Template("{{ x }}").generate({ x: undefined })).toBe("undefined");
  });
});
