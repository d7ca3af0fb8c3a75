/**
 * The same templates render byte-identically on Node and in the wrangler-built Worker.
 *
 * The templates under test/fixtures/smoke-templates (three levels of inheritance, includes,
 * loops, escapes, UI modules with assets, an autoescape-off text file, a template that fails)
 * are compiled by the CLI's writeTemplateModule into the Worker's generated module; wrangler
 * builds the Worker (test/smoke/templates-worker) as `wrangler deploy` would, and plain
 * Miniflare serves the bundle, with eval and new Function forbidden as in production. A
 * Node HTTPServer serves the same application with `templatePath`, compiling the same files
 * at run time. Every page must come back with the same bytes and headers from both.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { writeTemplateModule } from "../../src/cli/templates.js";
import { HTTPServer } from "../../src/node/index.js";
import { makeTemplateApp } from "./templates-worker/app.js";

const run = promisify(execFile);
const WORKER_DIR = join(import.meta.dirname, "templates-worker");
const TEMPLATES = join(import.meta.dirname, "..", "fixtures", "smoke-templates");
const GENERATED = join(WORKER_DIR, "generated", "templates.gen.js");

let outdir = "";
let bundle = "";
let names: string[] = [];
let mf: Miniflare;
let server: HTTPServer;
let nodeBase = "";

beforeAll(async () => {
  names = writeTemplateModule(TEMPLATES, GENERATED);
  outdir = await mkdtemp(join(tmpdir(), "cyclone-smoke-templates-"));
  await run(
    join("node_modules", ".bin", "wrangler"),
    ["deploy", "--dry-run", "--config", join(WORKER_DIR, "wrangler.toml"), "--outdir", outdir],
    { env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" }, timeout: 90_000 },
  );
  bundle = await readFile(join(outdir, "worker.js"), "utf8");
  mf = new Miniflare({
    modules: true,
    scriptPath: join(outdir, "worker.js"),
    modulesRoot: outdir,
    compatibilityDate: "2026-03-29",
    compatibilityFlags: ["enable_request_signal"],
  });
  server = new HTTPServer(makeTemplateApp({ templatePath: TEMPLATES }));
  await server.listen(0, "127.0.0.1");
  nodeBase = `http://127.0.0.1:${server.address()!.port}`;
});

afterAll(async () => {
  await mf?.dispose();
  if (server) {
    server.closeAllConnections();
    await server.stop();
  }
  if (outdir) await rm(outdir, { recursive: true, force: true });
  // The module only; its committed .d.ts stays for the type checker.
  await rm(GENERATED, { force: true });
});

interface Page {
  status: number;
  contentType: string | null;
  etag: string | null;
  bytes: Buffer;
  text: string;
}

/** What both Miniflare's and Node's fetch responses have (their Response types differ). */
interface AnyResponse {
  status: number;
  headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}

async function read(response: AnyResponse): Promise<Page> {
  const bytes = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    etag: response.headers.get("etag"),
    bytes,
    text: bytes.toString("utf8"),
  };
}

/** The page at `path` from the Worker in Miniflare and from the Node server. */
async function bothHosts(path: string): Promise<{ worker: Page; node: Page }> {
  const worker = await read(await mf.dispatchFetch(`http://localhost${path}`));
  const node = await read(await fetch(`${nodeBase}${path}`, { signal: AbortSignal.timeout(10_000) }));
  return { worker, node };
}

function expectSame(worker: Page, node: Page): void {
  expect(worker.text).toBe(node.text);
  expect(Buffer.compare(worker.bytes, node.bytes)).toBe(0);
  expect(worker.status).toBe(node.status);
  expect(worker.contentType).toBe(node.contentType);
  expect(worker.etag).toBe(node.etag);
}

describe("the Worker bundle", () => {
  test("the CLI compiled every template file into the Worker's module", () => {
    expect(names).toEqual([
      "base.html",
      "broken.html",
      "email.txt",
      "layout.html",
      "page.html",
      "partials/broken-part.html",
      "partials/card.html",
      "partials/nav.html",
      "partials/row.html",
    ]);
  });

  test("holds the precompiled templates", () => {
    expect(bundle).toContain('"partials/card.html"');
    expect(bundle).toContain("_tt_o +=");
  });

  test("contains no eval and no new Function", () => {
    expect(bundle).not.toMatch(/\bnew Function\s*\(/);
    expect(bundle).not.toMatch(/[^.\w]eval\s*\(/);
  });

  test("does not contain the template compiler or its JavaScript parser", () => {
    expect(bundle).not.toMatch(/acorn/i);
    // Messages only the compiler (parser, code generator) can raise.
    expect(bundle).not.toContain("but no template loader");
    expect(bundle).not.toContain("JavaScript error in the compiled template");
  });
});

describe("the same templates on Node and in the Worker", () => {
  test("a page three levels deep with includes, loops, escapes and modules is byte-identical", async () => {
    const { worker, node } = await bothHosts("/page");
    expect(node.status).toBe(200);
    expect(node.text).toContain("<title>Smoke &amp; &lt;Mirrors&gt; | &lt;Hello &amp; &#39;welcome&#39;&gt;</title>");
    expect(node.text).toContain('<tr class="odd"><td>béta</td><td>75.25</td><td>-</td></tr>');
    expect(node.text).toContain("<p>Total: 125.75</p>");
    expect(node.text).toContain('<div class="card"><h2>&lt;Hello');
    expect(node.text).toContain('<style type="text/css">\n.card { border: 1px solid; }\nmark.hl { background: yellow; }\n</style>');
    expect(node.text).toContain('<script src="https://cdn.example.com/hl.js" type="text/javascript"></script>');
    expect(node.text).toContain("<pre>\n  keep   this\n    indentation\n</pre>");
    expect(node.text).toContain("世界 🌀");
    expectSame(worker, node);
  });

  test("request input is escaped the same way on both hosts", async () => {
    const q = encodeURIComponent(`<script>alert('x')</script> & "é"`);
    const { worker, node } = await bothHosts(`/page?q=${q}`);
    expect(node.text).toContain("You searched for &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;é&quot;");
    expect(node.text).toContain('<mark class="hl">&lt;script&gt;');
    expect(node.text).not.toContain("<script>alert('x')");
    expectSame(worker, node);
  });

  test("a text template with autoescape off and whitespace kept is byte-identical", async () => {
    const { worker, node } = await bothHosts("/email");
    expect(node.text).toContain("Dear Ann <ann@example.com>,\n");
    expect(node.text).toContain("Unescaped on purpose: <b> & <Hello & 'welcome'>");
    expectSame(worker, node);
  });

  test("a failing template names the same template and line on both hosts", async () => {
    const { worker, node } = await bothHosts("/broken");
    expect(node.status).toBe(500);
    expect(node.text).toContain("notDefinedAnywhere is not defined");
    expect(node.text).toContain("partials/broken-part.html");
    expectSame(worker, node);
  });
});
