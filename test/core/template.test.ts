// The template language: every directive, as Tornado's template_test.py specifies it, with
// JavaScript expressions in place of Python ones.
import { describe, expect, test } from "vitest";
import { DictLoader, ParseError, Template } from "../../src/core/template/compiler.js";
import type { TemplateNamespace } from "../../src/core/template/compiler.js";

const render = (source: string, namespace: TemplateNamespace = {}, name?: string): string =>
  new Template(source, name === undefined ? {} : { name }).generate(namespace);

const upper = (s: string): string => s.toUpperCase();

describe("expressions", () => {
  test("a name from the namespace is substituted", () => {
    expect(render("Hello {{ name }}!", { name: "Ben" })).toBe("Hello Ben!");
  });

  test("any JavaScript expression is evaluated", () => {
    expect(render("2 + 2 = {{ 2 + 2 }}")).toBe("2 + 2 = 4");
    expect(render("{{ [1, 2, 3].map((x) => x * 2).join(',') }}")).toBe("2,4,6");
    expect(render("{{ `t${1 + 1}` }}")).toBe("t2");
    expect(render("{{ a?.b ?? 'none' }}", { a: null })).toBe("none");
  });

  test("a non-string value is converted with String()", () => {
    expect(render("{{ n }} {{ b }} {{ z }} {{ u }} {{ arr }}", { n: 1.5, b: true, z: null, u: undefined, arr: [1, 2] })).toBe(
      "1.5 true null undefined 1,2",
    );
  });

  test("a bytes value is output as UTF-8 text (Tornado's test_bytes)", () => {
    expect(render("Hello {{ name }}!", { name: new TextEncoder().encode("B\u00e9n") })).toBe("Hello B\u00e9n!");
  });

  test("an apply function may return bytes (Tornado's test_bytes_apply)", () => {
    const up = (s: string): Uint8Array => new TextEncoder().encode(s.toUpperCase());
    expect(render("{% apply up %}foo \u00e9{% end %}", { up })).toBe("FOO \u00c9");
  });

  test("a sequence expression outputs its last value", () => {
    expect(render("{{ 1, 2 }}")).toBe("2");
  });

  test("unicode in the template and in string literals is kept", () => {
    expect(render("\u00e9")).toBe("\u00e9");
    expect(render('{{ "\u00e9" }}')).toBe("\u00e9");
  });

  test("bytes are decoded as UTF-8", () => {
    expect(new Template(new TextEncoder().encode("H\u00e9llo {{ n }}")).generate({ n: 1 })).toBe("H\u00e9llo 1");
  });

  test("globals such as Math, JSON and Object are visible", () => {
    expect(render("{{ Math.max(1, 3) }} {{ JSON.stringify({a: 1}) }} {{ Object.keys({x: 1, y: 2}).length }}", {}, "t.txt")).toBe(
      '3 {&quot;a&quot;:1} 2',
    );
  });

  test("the namespace shadows a global of the same name", () => {
    expect(render("{{ Math }}", { Math: "mine" })).toBe("mine");
  });

  test("a shorthand property reads the namespace", () => {
    expect(render("{{ JSON.stringify({ name }) }}", { name: "x" })).toBe("{&quot;name&quot;:&quot;x&quot;}");
  });

  test("typeof of an unknown name is 'undefined', not an error", () => {
    expect(render("{{ typeof nothing }}")).toBe("undefined");
    expect(render("{% if typeof user !== 'undefined' %}{{ user }}{% else %}anon{% end %}")).toBe("anon");
  });

  test("a function's parameters shadow namespace names", () => {
    expect(render("{{ items.map((x) => x + 1).join(' ') }} {{ x }}", { items: [1, 2], x: "outer" })).toBe("2 3 outer");
  });

  test("functions in the namespace are called (Tornado's test_custom_namespace)", () => {
    const loader = new DictLoader({ "test.html": "{{ inc(5) }}" }, { namespace: { inc: (x: number) => x + 1 } });
    expect(loader.load("test.html").generate()).toBe("6");
  });

  test("undefined, NaN and Infinity are the global values", () => {
    expect(render("{{ undefined }} {{ NaN }} {{ -Infinity }}", { undefined: "x", NaN: "y" })).toBe("undefined NaN -Infinity");
  });
});

describe("comments and literal escapes", () => {
  test("{# #} is removed", () => {
    expect(render("Hello{# TODO i18n #} {{ name }}!", { name: "Ben" })).toBe("Hello Ben!");
  });

  test("{% comment %} is removed up to its %}", () => {
    expect(render("{% comment blah blah %}foo")).toBe("foo");
  });

  test("{{! {%! {#! produce the literal braces", () => {
    expect(render("{{!")).toBe("{{");
    expect(render("{%!")).toBe("{%");
    expect(render("{#!")).toBe("{#");
    expect(render("{{ 'expr' }} {{!jquery expr}}")).toBe("expr {{jquery expr}}");
  });

  test("with three curlies the innermost two open the directive", () => {
    expect(render("{{{ 1 }}}")).toBe("{1}");
  });

  test("a lone brace, or one at the end, is text", () => {
    expect(render("a { b }")).toBe("a { b }");
    expect(render("a{")).toBe("a{");
  });
});

describe("if / elif / else", () => {
  test("chooses the first true branch (Tornado's test_if)", () => {
    const t = new Template("{% if x > 4 %}yes{% else %}no{% end %}");
    expect(t.generate({ x: 5 })).toBe("yes");
    expect(t.generate({ x: 3 })).toBe("no");
  });

  test("elif chains", () => {
    const t = new Template("{% if x === 1 %}one{% elif x === 2 %}two{% elif x === 3 %}three{% else %}many{% end %}");
    expect([1, 2, 3, 4].map((x) => t.generate({ x }))).toEqual(["one", "two", "three", "many"]);
  });

  test("empty bodies are allowed", () => {
    expect(render("{% if true %}{% else %}{% end %}")).toBe("");
  });
});

describe("for and while", () => {
  test("for iterates values (for...of)", () => {
    expect(render("{% for x in items %}[{{ x }}]{% end %}", { items: ["a", "b"] })).toBe("[a][b]");
    expect(render("{% for ch in 'abc' %}{{ ch }}.{% end %}")).toBe("a.b.c.");
    expect(render("{% for x in new Set([1, 1, 2]) %}{{ x }}{% end %}")).toBe("12");
  });

  test("destructuring targets work", () => {
    const d = { a: 1, b: 2 };
    expect(render("{% for [k, v] in Object.entries(d) %}{{ k }}={{ v }};{% end %}", { d })).toBe("a=1;b=2;");
    expect(render("{% for {name, n = 0} in people %}{{ name }}{{ n }} {% end %}", { people: [{ name: "x", n: 1 }, { name: "y" }] })).toBe(
      "x1 y0 ",
    );
  });

  test("a bare list of targets unpacks, as Python's tuple targets", () => {
    expect(render("{% for k, v in Object.entries(d) %}{{ k }}{{ v }}{% end %}", { d: { a: 1 } })).toBe("a1");
  });

  test("an `in` inside brackets does not split the loop", () => {
    expect(render("{% for x in ('a' in o ? [1] : [2]) %}{{ x }}{% end %}", { o: { a: 1 } })).toBe("1");
  });

  test("the loop variable stays visible after the loop, as in Python", () => {
    expect(render("{% for x in [1, 2, 3] %}{% end %}{{ x }}")).toBe("3");
  });

  test("break and continue (Tornado's test_break_continue)", () => {
    const t = new Template(`\
{% for i in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] %}
    {% if i == 2 %}
        {% continue %}
    {% end %}
    {{ i }}
    {% if i == 6 %}
        {% break %}
    {% end %}
{% end %}`);
    expect(t.generate().split(/\s+/).join("")).toBe("013456");
  });

  test("for ... else runs the else part unless the loop broke, as in Python", () => {
    const t = new Template("{% for x in xs %}{{ x }}{% if x === stop %}{% break %}{% end %}{% else %}!{% end %}");
    expect(t.generate({ xs: [1, 2, 3], stop: 2 })).toBe("12");
    expect(t.generate({ xs: [1, 2, 3], stop: 9 })).toBe("123!");
    expect(t.generate({ xs: [], stop: 9 })).toBe("!");
  });

  test("a break in an inner loop leaves the outer loop's else alone", () => {
    expect(render("{% for a in [1, 2] %}{% for b in [1, 2] %}{% break %}{% end %}{{ a }}{% else %}E{% end %}")).toBe("12E");
  });

  test("while loops, with break, continue and else", () => {
    expect(render("{% set i = 0 %}{% while i < 5 %}{% set i++ %}{% if i === 2 %}{% continue %}{% end %}{{ i }}{% end %}")).toBe("1345");
    expect(render("{% set i = 0 %}{% while true %}{% set i++ %}{% if i > 2 %}{% break %}{% end %}{{ i }}{% end %}")).toBe("12");
    expect(render("{% set i = 0 %}{% while i < 2 %}{% set i++ %}{% else %}done{{ i }}{% end %}")).toBe("done2");
  });

  test("whitespace inside tags is allowed (Tornado's test_manual_minimize_whitespace)", () => {
    const loader = new DictLoader({
      "foo.txt": `\
{% for i in items
  %}{% if i > 0 %}, {% end %}{#
  #}{{i
  }}{% end
%}`,
    });
    expect(loader.load("foo.txt").generate({ items: [0, 1, 2, 3, 4] })).toBe("0, 1, 2, 3, 4");
  });
});

describe("set", () => {
  test("assigns a local visible after the block it sits in", () => {
    expect(render("{% if true %}{% set x = 5 %}{% end %}{{ x }}")).toBe("5");
  });

  test("a set name shadows the namespace everywhere in the template, as Python locals do", () => {
    expect(render("{{ x }}{% set x = 2 %}{{ x }}", { x: 1 })).toBe("undefined2");
  });

  test("compound assignment, increments, destructuring and method calls", () => {
    expect(render("{% set n = 1 %}{% set n += 2 %}{% set n++ %}{{ n }}")).toBe("4");
    expect(render("{% set [a, b] = [1, 2] %}{{ a + b }}")).toBe("3");
    expect(render("{% set {p, q} = obj %}{{ p }}{{ q }}", { obj: { p: "P", q: "Q" } })).toBe("PQ");
    expect(render("{% set list.push(3) %}{{ list }}", { list: [1, 2] })).toBe("1,2,3");
  });

  test("a set variable can be assigned from a function inside the template", () => {
    expect(render("{% set total = 0 %}{% set xs.forEach((x) => { total += x }) %}{{ total }}", { xs: [1, 2, 3] })).toBe("6");
  });

  test("a loop variable is shared by closures, as in Python", () => {
    expect(render("{% set fs = [] %}{% for x in [1, 2] %}{% set fs.push(() => x) %}{% end %}{{ fs.map((f) => f()) }}")).toBe("2,2");
  });
});

describe("try / except / else / finally", () => {
  const check = (x: number): number => {
    if (x === 0) throw new RangeError("zero");
    return 1 / x;
  };

  test("runs else and finally when nothing raised (Tornado's test_try)", () => {
    const t = new Template(`{% try %}
try{% set y = check(x) %}
{% except %}-except
{% else %}-else
{% finally %}-finally
{% end %}`);
    expect(t.generate({ x: 1, check })).toBe("\ntry\n-else\n-finally\n");
    expect(t.generate({ x: 0, check })).toBe("\ntry-except\n-finally\n");
  });

  test("except can bind the error", () => {
    expect(render("{% try %}{{ check(0) }}{% except e %}{{ e.message }}{% end %}", { check })).toBe("zero");
    expect(render("{% try %}{{ check(0) }}{% except {name} %}{{ name }}{% end %}", { check })).toBe("RangeError");
  });

  test("an unknown name can be caught like Python's NameError", () => {
    expect(render("{% try %}{{ nope }}{% except e %}{{ e.name }}{% end %}")).toBe("ReferenceError");
  });

  test("an error in the else part is not caught by except", () => {
    const t = new Template("{% try %}a{% except %}E{% else %}{{ check(0) }}{% finally %}F{% end %}");
    expect(() => t.generate({ check })).toThrow(/zero/);
  });

  test("try with only finally", () => {
    expect(render("{% try %}a{% finally %}b{% end %}")).toBe("ab");
  });

  test("a break inside try skips the else part", () => {
    expect(render("{% for i in [1] %}{% try %}{% break %}{% except %}{% else %}else{% end %}{% end %}x")).toBe("x");
  });
});

describe("apply", () => {
  test("applies a function to the block's output (Tornado's test_apply)", () => {
    expect(render("{% apply upper %}foo{% end %}", { upper })).toBe("FOO");
    expect(render("{% apply upper %}foo \u00e9{% end %}", { upper })).toBe("FOO \u00c9");
  });

  test("the function can be any expression", () => {
    expect(render("{% apply (s) => `[${s}]` %}x{{ 1 }}{% end %}")).toBe("[x1]");
  });

  test("an apply block reads the enclosing template's variables", () => {
    expect(render("{% set a = 'v' %}{% apply upper %}{{ a }}{% end %}", { upper })).toBe("V");
  });

  test("names set inside an apply block are its own, as in Tornado's nested function", () => {
    expect(render("{% apply upper %}{% set inner = 'x' %}{{ inner }}{% end %}{{ typeof inner }}", { upper })).toBe("Xundefined");
  });

  test("nested apply blocks", () => {
    expect(render("{% apply upper %}a{% apply (s) => s + s %}b{% end %}{% end %}", { upper })).toBe("ABB");
  });
});

describe("raw and module", () => {
  test("raw outputs without escaping", () => {
    expect(render("{{ h }} {% raw h %}", { h: "<b>" })).toBe("&lt;b&gt; <b>");
  });

  test("module calls _tt_modules.Name(...) and does not escape the result", () => {
    const _tt_modules = { Badge: (text: string, cls: string) => `<span class="${cls}">${text}</span>` };
    expect(render("{% module Badge('new', 'b') %}", { _tt_modules })).toBe('<span class="b">new</span>');
  });

  test("module without _tt_modules in the namespace fails at the module's line", () => {
    expect(() => new Template("a\n{% module X() %}", { name: "m.html" }).generate()).toThrow(
      "ReferenceError: _tt_modules is not defined at m.html:2",
    );
  });
});

describe("unsupported Python directives", () => {
  test("import and from are parse errors with a hint", () => {
    expect(() => new Template("{% import os %}")).toThrow(ParseError);
    expect(() => new Template("{% from x import y %}")).toThrow(/namespace/);
  });
});
