// Node's filesystem template Loader, and the `cyclone templates build` CLI: its module,
// imported as a real ES module file, renders byte-identically to the runtime compiler.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.js";
import { buildTemplateModule, listTemplates } from "../../src/cli/templates.js";
import { PrecompiledLoader, TemplateError, TemplateNotFoundError } from "../../src/core/template/index.js";
import type { PrecompiledModule, TemplateNamespace } from "../../src/core/template/index.js";
import { Loader } from "../../src/node/template.js";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/templates");
const work = mkdtempSync(path.join(tmpdir(), "cyclone-templates-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const NAMESPACE: TemplateNamespace = {
  year: 2025,
  section: "Blog",
  title: "<Hello & welcome>",
  description: 'Say "hi"',
  siteName: "Cyclone",
  links: [
    { href: "/?a=1&b=2", text: "Home" },
    { href: "/about", text: "About <us>" },
  ],
  rows: [
    { name: "alpha<", amount: 50 },
    { name: "beta", amount: 75.25 },
  ],
  shout: (s: string) => s.toUpperCase(),
  _tt_modules: { Badge: (text: string) => `<span class="badge">${text.length}</span>` },
  numbers: [1, 2, 3, 4, 5, 6],
  name: "<Ann>",
  order: 42,
  link: "https://example.com/?q=a&b",
  jsonConfig: '{"debug":true}',
  greeting: "hi",
  // For partials/row.html rendered on its own.
  i: 1,
  row: { name: "solo", amount: 1 },
};

function captured(): { out: string[]; err: string[]; io: { stdout: (t: string) => void; stderr: (t: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t) => out.push(t), stderr: (t) => err.push(t) } };
}

let importCount = 0;
async function importModule(file: string): Promise<PrecompiledModule> {
  // A fresh URL per import: each build is a new module.
  const mod = (await import(`${pathToFileURL(file).href}?v=${++importCount}`)) as { default: PrecompiledModule };
  return mod.default;
}

describe("Loader (filesystem)", () => {
  test("renders a page three levels deep with relative includes", () => {
    const out = new Loader(FIXTURES).load("page.html").generate(NAMESPACE);
    expect(out).toContain("<title>Blog | &lt;Hello &amp; welcome&gt;</title>");
    expect(out).toContain('<meta name="description" content="Say &quot;hi&quot;">');
    expect(out).toContain('<a href="/?a=1&amp;b=2">Home</a><a href="/about">About &lt;us&gt;</a>');
    expect(out).toContain('<tr class="even"><td>alpha&lt;</td><td>50</td></tr>');
    expect(out).toContain('<tr class="odd"><td>beta</td><td>75.25</td></tr>');
    expect(out).toContain("<p>Total: 125.25</p>");
    expect(out).toContain("<p>big</p>");
    expect(out).toContain("QUIET &LT;HELLO &AMP; WELCOME&GT;");
    expect(out).toContain("[ReferenceError]");
    expect(out).toContain("<b>raw</b> {{ not a tag }} {% not a tag %} {# not a comment #}");
    expect(out).toContain('<span class="badge">17</span>');
    expect(out).toContain("<pre>\n  keep   this\n</pre>");
    expect(out).toContain("<footer>&copy; 2025</footer>");
  });

  test("reads UTF-8 files (Tornado's test_utf8_in_file)", () => {
    expect(new Loader(FIXTURES).load("utf8.html").generate({ name: "x" }).trim()).toBe("H\u00e9llo x");
  });

  test("caches compiled templates until reset()", () => {
    const root = mkdtempSync(path.join(work, "cache-"));
    writeFileSync(path.join(root, "a.html"), "one");
    const loader = new Loader(root);
    const first = loader.load("a.html");
    writeFileSync(path.join(root, "a.html"), "two");
    expect(loader.load("a.html")).toBe(first);
    expect(loader.load("a.html").generate()).toBe("one");
    loader.reset();
    expect(loader.load("a.html").generate()).toBe("two");
  });

  test("resolves names relative to the including file, within the root", () => {
    const loader = new Loader(FIXTURES);
    expect(loader.root).toBe(FIXTURES);
    expect(loader.resolvePath("nav.html", "partials/header.html")).toBe("partials/nav.html");
    expect(loader.resolvePath("../base.html", "partials/header.html")).toBe("base.html");
    expect(loader.resolvePath("base.html")).toBe("base.html");
    expect(loader.resolvePath("x.html", "<string>")).toBe("x.html");
  });

  test("a relative root directory is made absolute", () => {
    expect(path.isAbsolute(new Loader("some/dir").root)).toBe(true);
  });

  test("a missing file raises TemplateNotFoundError", () => {
    expect(() => new Loader(FIXTURES).load("missing.html")).toThrow(TemplateNotFoundError);
    expect(() => new Loader(FIXTURES).load("partials")).toThrow(TemplateNotFoundError);
  });

  test("options: namespace, autoescape and whitespace", () => {
    const loader = new Loader(FIXTURES, { namespace: { name: "<ns>" }, autoescape: null, whitespace: "oneline" });
    expect(loader.load("utf8.html").generate()).toBe("H\u00e9llo <ns> ");
  });

  test("a syntax error names the file and line", () => {
    const root = mkdtempSync(path.join(work, "syntax-"));
    writeFileSync(path.join(root, "bad.html"), "ok\n\n{% if x %}");
    expect(() => new Loader(root).load("bad.html")).toThrow("Missing {% end %} block for if at bad.html:3");
  });
});

describe("cyclone templates build", () => {
  test("lists templates recursively, sorted, skipping dot-files", () => {
    const root = mkdtempSync(path.join(work, "list-"));
    mkdirSync(path.join(root, "sub"));
    mkdirSync(path.join(root, ".hidden"));
    for (const f of ["b.html", "a.txt", "sub/c.html", ".DS_Store", ".hidden/x.html"]) writeFileSync(path.join(root, f), "x");
    expect(listTemplates(root)).toEqual(["a.txt", "b.html", "sub/c.html"]);
    expect(listTemplates(root, [".html"])).toEqual(["b.html", "sub/c.html"]);
  });

  test("the module renders every fixture byte-identically to the runtime compiler", async () => {
    const out = path.join(work, "gen", "templates.gen.js");
    const { out: stdout, io } = captured();
    expect(await main(["templates", "build", FIXTURES, "--out", out], io)).toBe(0);
    expect(stdout.join("")).toMatch(/compiled 10 template\(s\)/);

    const precompiled = new PrecompiledLoader(await importModule(out));
    const runtime = new Loader(FIXTURES);
    const names = listTemplates(FIXTURES);
    expect(precompiled.names).toEqual(names);
    for (const name of names) {
      const expected = runtime.load(name).generate(NAMESPACE);
      expect(precompiled.load(name).generate(NAMESPACE), name).toBe(expected);
      expect(expected.length, name).toBeGreaterThan(0);
    }
  });

  test("the module contains no eval and no new Function", () => {
    const { source } = buildTemplateModule(FIXTURES);
    expect(source).not.toMatch(/\beval\s*\(/);
    expect(source).not.toMatch(/new\s+Function|\bFunction\s*\(/);
    expect(source).toMatch(/^export const format = 1;$/m);
  });

  test("errors in precompiled templates name the template and line", async () => {
    const root = mkdtempSync(path.join(work, "rt-"));
    writeFileSync(path.join(root, "page.html"), "{% include 'part.html' %}");
    writeFileSync(path.join(root, "part.html"), "\n{{ user.name }}");
    const out = path.join(root, "..", `rt-${path.basename(root)}.js`);
    expect(await main(["templates", "build", root, "--out", out], captured().io)).toBe(0);
    const loader = new PrecompiledLoader(await importModule(out));
    expect(() => loader.load("page.html").generate()).toThrow(TemplateError);
    expect(() => loader.load("page.html").generate()).toThrow("ReferenceError: user is not defined at part.html:2 (via page.html:1)");
  });

  test("--autoescape, --whitespace and --ext shape the build", async () => {
    const root = mkdtempSync(path.join(work, "opts-"));
    writeFileSync(path.join(root, "a.html"), "  {{ v }}  \n\n  x");
    writeFileSync(path.join(root, "skip.md"), "# {{");
    const out = path.join(root, "..", `opts-${path.basename(root)}.mjs`);
    const args = ["templates", "build", root, `--out=${out}`, "--autoescape", "None", "--whitespace", "oneline", "--ext", "html"];
    expect(await main(args, captured().io)).toBe(0);
    const module = await importModule(out);
    expect(module.autoescape).toBeNull();
    expect(module.whitespace).toBe("oneline");
    expect(Object.keys(module.templates)).toEqual(["a.html"]);
    expect(new PrecompiledLoader(module).load("a.html").generate({ v: "<b>" })).toBe(" <b> x");
  });

  test("--types writes a declaration file beside the module", async () => {
    const root = mkdtempSync(path.join(work, "types-"));
    writeFileSync(path.join(root, "a.html"), "a");
    const out = path.join(root, "..", `types-${path.basename(root)}.js`);
    expect(await main(["templates", "build", root, "--out", out, "--types"], captured().io)).toBe(0);
    const dts = readFileSync(out.replace(/\.js$/, ".d.ts"), "utf8");
    expect(dts).toContain('import type { CompiledTemplate, PrecompiledModule } from "cyclone";');
    expect(dts).toContain("export default precompiled;");
  });

  test("a template syntax error fails the build with its name and line", async () => {
    const root = mkdtempSync(path.join(work, "bad-"));
    writeFileSync(path.join(root, "ok.html"), "fine");
    writeFileSync(path.join(root, "broken.html"), "line one\n{{ a + }}");
    const out = path.join(root, "..", `bad-${path.basename(root)}.js`);
    const { err, io } = captured();
    expect(await main(["templates", "build", root, "--out", out], io)).toBe(1);
    expect(err.join("")).toBe("cyclone: JavaScript syntax error: Unexpected token in {{ a + }} at broken.html:2\n");
  });

  test("usage errors exit with 2 and print the usage", async () => {
    for (const args of [[], ["templates", "build"], ["templates", "build", "dir"], ["templates", "build", "d", "--out"], ["nope"], ["templates", "build", "d", "--out", "x", "--whitespace", "tabs"], ["templates", "build", "d", "--out", "x", "--bogus"]]) {
      const { err, out, io } = captured();
      expect(await main(args, io), args.join(" ")).toBe(2);
      expect(err.join("") + out.join(""), args.join(" ")).toContain("Usage: cyclone");
    }
  });

  test("help prints the usage and succeeds", async () => {
    const { out, io } = captured();
    expect(await main(["help"], io)).toBe(0);
    expect(out.join("")).toContain("templates build <dir> --out <file>");
  });

  test("a missing template directory fails with the system's message", async () => {
    const { err, io } = captured();
    expect(await main(["templates", "build", path.join(work, "does-not-exist"), "--out", path.join(work, "x.js")], io)).toBe(1);
    expect(err.join("")).toMatch(/^cyclone: ENOENT/);
  });
});
