// The template runtime on its own: PrecompiledLoader over a compiled-templates module, and
// the rule that the runtime entry never reaches the compiler (Workers cannot eval).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { DictLoader, ParseError, Template } from "../../src/core/template/compiler.js";
import {
  BaseTemplate,
  PRECOMPILED_FORMAT,
  PrecompiledLoader,
  TemplateError,
  TemplateNotFoundError,
} from "../../src/core/template/index.js";
import type { CompiledTemplate, PrecompiledModule } from "../../src/core/template/index.js";

/** Compiles sources into the shape `cyclone templates build` writes (minus the file). */
function precompile(sources: Record<string, string>, autoescape: string | null = "xhtmlEscape"): PrecompiledModule {
  const loader = new DictLoader(sources, { autoescape });
  const templates: Record<string, CompiledTemplate> = {};
  for (const name of Object.keys(sources)) templates[name] = loader.load(name).compiled;
  return { format: PRECOMPILED_FORMAT, autoescape, whitespace: null, templates };
}

describe("PrecompiledLoader", () => {
  const module = precompile({
    "base.html": "<h1>{% block title %}T{% end %}</h1>{% include 'part.html' %}",
    "page.html": "{% extends 'base.html' %}{% block title %}{{ title }}{% end %}",
    "part.html": "<p>{{ greeting }}</p>",
    "dir/a.html": "{% module Template('part.html') %}",
  });

  test("renders the module's templates, with extends and include resolved", () => {
    const loader = new PrecompiledLoader(module);
    expect(loader.load("page.html").generate({ title: "<Hi>", greeting: "yo" })).toBe("<h1>&lt;Hi&gt;</h1><p>yo</p>");
    expect(loader.load("page.html")).toBeInstanceOf(BaseTemplate);
  });

  test("adds its namespace under the render arguments", () => {
    const loader = new PrecompiledLoader(module, { namespace: { greeting: "default", title: "t" } });
    expect(loader.load("page.html").generate()).toBe("<h1>t</h1><p>default</p>");
    expect(loader.load("page.html").generate({ greeting: "given" })).toBe("<h1>t</h1><p>given</p>");
  });

  test("module calls reach other templates by name", () => {
    const loader: PrecompiledLoader = new PrecompiledLoader(module, {
      namespace: { _tt_modules: { Template: (name: string) => loader.load(name).generate({ greeting: "inner" }) } },
    });
    expect(loader.load("dir/a.html").generate()).toBe("<p>inner</p>");
  });

  test("caches templates and resolves relative names", () => {
    const loader = new PrecompiledLoader(module);
    expect(loader.load("a.html", "dir/x.html")).toBe(loader.load("dir/a.html"));
  });

  test("lists its templates and reports the build's options", () => {
    const loader = new PrecompiledLoader(module);
    expect(loader.names).toEqual(["base.html", "dir/a.html", "page.html", "part.html"]);
    expect(loader.autoescape).toBe("xhtmlEscape");
    expect(new PrecompiledLoader(precompile({ "a.txt": "{{ x }}" }, null)).autoescape).toBeNull();
  });

  test("a name the module lacks raises TemplateNotFoundError", () => {
    expect(() => new PrecompiledLoader(module).load("nope.html")).toThrow(TemplateNotFoundError);
    expect(() => new PrecompiledLoader(module).load("constructor")).toThrow(TemplateNotFoundError);
  });

  test("a module of another format is refused", () => {
    expect(() => new PrecompiledLoader({ ...module, format: 99 })).toThrow(TemplateError);
  });

  test("a compiled template cannot extend a precompiled one: there is no source to inline", () => {
    const loader = new PrecompiledLoader(module);
    expect(() => new Template("{% extends 'base.html' %}", { name: "x.html", loader })).toThrow(ParseError);
    expect(() => new Template("{% include 'part.html' %}", { name: "x.html", loader })).toThrow(/precompiled/);
  });

  test("run-time errors name the template and line, as with the compiler", () => {
    const loader = new PrecompiledLoader(precompile({ "e.html": "a\n{{ user.name }}" }));
    expect(() => loader.load("e.html").generate()).toThrow("ReferenceError: user is not defined at e.html:2");
  });
});

describe("the runtime entry", () => {
  test("never imports the compiler, acorn or a node: module", () => {
    const dir = path.resolve(import.meta.dirname, "../../src/core/template");
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, "utf8");
      for (const match of source.matchAll(/^(?:import|export)\b[^;]*?from\s+"([^"]+)"/gms)) {
        const spec = match[1]!;
        if (spec.startsWith(".")) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, ".ts")));
        else bare.add(spec);
      }
    };
    visit(path.join(dir, "index.ts"));
    const names = [...seen].map((f) => path.relative(dir, f)).sort();
    expect(names.filter((n) => !n.startsWith(".."))).toEqual(["errors.ts", "index.ts", "loader.ts", "runtime.ts", "whitespace.ts"]);
    // Outside the folder, only core modules (the escape functions and what they use).
    expect(names.filter((n) => n.startsWith("..")).every((n) => /^\.\.\/[\w-]+\.ts$/.test(n))).toBe(true);
    expect(names).toContain("../escape.ts");
    expect([...bare]).toEqual([]);
  });

  test("the compiler entry does reach the compiler (so the check above can tell)", () => {
    const source = readFileSync(path.resolve(import.meta.dirname, "../../src/core/template/compiler.ts"), "utf8");
    expect(source).toContain('from "./template.js"');
  });
});
