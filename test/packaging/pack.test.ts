/**
 * What a user gets from npm: the project packed with `npm pack` (which builds it through the
 * `prepare` script), installed into a fresh Node project and a fresh wrangler project. In
 * each, `cyclone`, `cyclone/node` and `cyclone/edge` import with their types (tsc, with the
 * package's own declarations checked), the `cyclone` bin runs, and a Hello world is served:
 * from `cyclone/node` on 127.0.0.1, and from `cyclone/edge` built by wrangler and run by
 * plain Miniflare.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freePort, startChild, waitUntilAnswers } from "../e2e/processes.js";
import { NODE_PROJECT, npmInstall, run, WORKER_PROJECT, writeFiles } from "./projects.js";

const repo = process.cwd();
const tsc = join(repo, "node_modules", ".bin", "tsc");
const wrangler = join(repo, "node_modules", ".bin", "wrangler");

interface RepoPackageJson {
  bin: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}
const manifest = JSON.parse(await readFile(join(repo, "package.json"), "utf8")) as RepoPackageJson;

let root = "";
let tarball = "";
let packed: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "cyclone-pack-"));
  // `prepare` (npm run build) runs first; its output goes to stderr, the listing to stdout.
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", root], {
    cwd: repo,
    timeout: 180_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [info] = JSON.parse(stdout.slice(stdout.search(/^\[/m))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(root, info!.filename);
  packed = info!.files.map((f) => f.path);
}, 240_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe("the tarball", () => {
  test("holds the built entry points with their declarations, the CLI, the README and package.json", () => {
    for (const entry of ["core", "node", "edge"]) {
      expect(packed).toContain(`dist/${entry}/index.js`);
      expect(packed).toContain(`dist/${entry}/index.d.ts`);
    }
    expect(packed).toContain("dist/cli/cyclone.js");
    expect(packed).toContain("README.md");
    expect(packed).toContain("package.json");
  });

  test("holds every file the exports map and the bin point to", () => {
    const targets = Object.values(manifest.exports).flatMap((t) => (typeof t === "string" ? [t] : [t.types, t.default]));
    for (const target of [...targets, ...Object.values(manifest.bin)]) {
      const path = target.replace(/^\.\//, "");
      if (!path.includes("*")) {
        expect(packed, target).toContain(path);
        continue;
      }
      // A pattern (`./features/*`) must match the packed file of every feature module.
      const [before, after] = path.split("*") as [string, string];
      const matched = packed.filter((p) => p.startsWith(before) && p.endsWith(after) && !p.slice(before.length).includes("/"));
      expect(matched.map((p) => p.slice(before.length, p.length - after.length)).sort(), target).toEqual(
        ["gzip", "locale", "multipart", "signing", "static", "templates"],
      );
    }
  });

  test("holds no tests, examples, build output of the examples or local state", () => {
    const stray = packed.filter((p) => /^(test|examples|build|bench|node_modules|\.wrangler|test-results)\//.test(p));
    expect(stray).toEqual([]);
  });
});

describe("a fresh Node project with the tarball installed", () => {
  const app = () => join(root, "node-app");

  beforeAll(async () => {
    await writeFiles(app(), NODE_PROJECT);
    await npmInstall(app(), [tarball]);
  }, 240_000);

  test("gets the runtime dependencies and none of the development ones", async () => {
    const installed = new Set(await readdir(join(app(), "node_modules")));
    for (const name of Object.keys(manifest.dependencies)) {
      const scope = name.startsWith("@") ? name.split("/")[0]! : name;
      expect(installed, name).toContain(scope);
    }
    for (const name of ["vitest", "wrangler", "miniflare", "typescript", "playwright-core"]) {
      expect(installed, name).not.toContain(name);
    }
  });

  test("type-checks imports of cyclone, cyclone/node, cyclone/edge and cyclone/template (nodenext)", async () => {
    const result = await run(tsc, ["-p", "tsconfig.json"], { cwd: app(), timeout: 120_000 }).then(
      () => "",
      (e: { stdout?: string; message: string }) => e.stdout || e.message,
    );
    expect(result).toBe("");
  });

  test("serves Hello world and a template from disk with cyclone/node on 127.0.0.1", async () => {
    const port = await freePort();
    const server = startChild(process.execPath, ["server.js", String(port)], {}, app());
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitUntilAnswers(`${base}/`, server, 30_000);
      const hello = await fetch(`${base}/`);
      expect(hello.status).toBe(200);
      expect(hello.headers.get("content-type")).toBe("text/html; charset=UTF-8");
      expect(await hello.text()).toBe("Hello, world");
      const greet = await fetch(`${base}/greet/ann`);
      expect(greet.status).toBe(200);
      expect(await greet.text()).toBe("Hello, ann! Your name has 3 letters.\n");
    } finally {
      await server.stop();
    }
  });

  test("runs the cyclone bin (npx cyclone help)", async () => {
    // --no: never fetch some other "cyclone" from the registry if the bin were missing.
    const { stdout } = await run("npx", ["--no", "cyclone", "help"], { cwd: app(), timeout: 60_000 });
    expect(stdout).toMatch(/^Usage: cyclone <command>/);
    expect(stdout).toContain("templates build <dir> --out <file>");
  });
});

describe("a fresh wrangler project with the tarball installed", () => {
  const worker = () => join(root, "worker-app");
  let mf: Miniflare | undefined;
  let bundle = "";
  let tinyMf: Miniflare | undefined;
  let tinyBundle = "";

  beforeAll(async () => {
    await writeFiles(worker(), WORKER_PROJECT);
    // The Workers runtime's types, as a wrangler project has them (same version as here).
    await npmInstall(worker(), [tarball, `@cloudflare/workers-types@${manifest.devDependencies["@cloudflare/workers-types"]}`]);
    // The package's own CLI precompiles the templates: Workers run no compiler.
    await run("npx", ["--no", "cyclone", "templates", "build", "templates", "--out", "src/templates.js", "--types"], {
      cwd: worker(),
      timeout: 60_000,
    });
    const out = join(worker(), "out");
    await run(wrangler, ["deploy", "--dry-run", "--outdir", out], {
      cwd: worker(),
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
      timeout: 150_000,
    });
    bundle = await readFile(join(out, "worker.js"), "utf8");
    mf = new Miniflare({ modules: true, scriptPath: join(out, "worker.js"), modulesRoot: out, compatibilityDate: "2026-03-29" });
    const tinyOut = join(worker(), "out-tiny");
    await run(wrangler, ["deploy", "--dry-run", "--config", "wrangler.tiny.toml", "--outdir", tinyOut], {
      cwd: worker(),
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
      timeout: 150_000,
    });
    tinyBundle = await readFile(join(tinyOut, "tiny.js"), "utf8");
    tinyMf = new Miniflare({ modules: true, scriptPath: join(tinyOut, "tiny.js"), modulesRoot: tinyOut, compatibilityDate: "2026-03-29" });
  }, 300_000);

  afterAll(async () => {
    await mf?.dispose();
    await tinyMf?.dispose();
  });

  test("type-checks the Worker against cyclone and cyclone/edge with the Workers types and no Node types", async () => {
    const result = await run(tsc, ["-p", "tsconfig.json"], { cwd: worker(), timeout: 120_000 }).then(
      () => "",
      (e: { stdout?: string; message: string }) => e.stdout || e.message,
    );
    expect(result).toBe("");
  });

  test("bundles without eval, new Function or the template compiler", () => {
    expect(bundle).toContain("Hello, world");
    expect(bundle).not.toMatch(/\bnew Function\s*\(/);
    expect(bundle).not.toMatch(/[^.\w]eval\s*\(/);
    expect(bundle).not.toContain("acorn");
  });

  test("serves Hello world from cyclone/edge in Miniflare", async () => {
    const r = await mf!.dispatchFetch("http://localhost/");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    expect(await r.text()).toBe("Hello, world");
  });

  test("renders a template precompiled by the package's CLI", async () => {
    const r = await mf!.dispatchFetch("http://localhost/greet/bob");
    expect(r.status).toBe(200);
    expect(await r.text()).toBe("Hello, bob! Your name has 3 letters.\n");
  });

  test("the tiny entry with one feature, minified by wrangler: under 30 KB gzipped, and it serves", async () => {
    // The full entry's Hello world is ~36 KB gzipped minified (bench/workerd/size.js).
    expect(gzipSync(tinyBundle).length).toBeLessThan(30_000);
    // The signing feature came along; locale data and multipart parsing did not.
    expect(tinyBundle).toContain("secure cookies");
    expect(tinyBundle).not.toContain("Afrikaans");
    expect(tinyBundle).not.toContain("multipart boundary not found");
    const r = await tinyMf!.dispatchFetch("http://localhost/");
    expect(r.status).toBe(200);
    expect(await r.text()).toBe("Hello, world");
    const cookie = r.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^user="?2\|1:0\|/);
    const again = await tinyMf!.dispatchFetch("http://localhost/", { headers: { Cookie: cookie.split(";")[0]! } });
    expect(await again.text()).toBe("Hello again, alice");
  });

  test("answers 404 for an unknown path", async () => {
    const r = await mf!.dispatchFetch("http://localhost/missing");
    expect(r.status).toBe(404);
    expect(await r.text()).toContain("404: Not Found");
  });
});
