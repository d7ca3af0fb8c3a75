/**
 * Builds the demo Worker exactly as `wrangler deploy` would (`--dry-run --outdir`) and
 * serves that bundle from plain Miniflare, where `eval` and `new Function` are forbidden
 * as in production. What passes here is what ships.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, expect, test } from "vitest";

const run = promisify(execFile);
let outdir = "";
let mf: Miniflare;

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), "cyclone-worker-"));
  await run(join("node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", "--outdir", outdir], {
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
    timeout: 90_000,
  });
  mf = new Miniflare({
    modules: true,
    scriptPath: join(outdir, "worker.js"),
    modulesRoot: outdir,
    compatibilityDate: "2026-03-29",
    compatibilityFlags: ["enable_request_signal"],
  });
});

afterAll(async () => {
  await mf?.dispose();
  if (outdir) await rm(outdir, { recursive: true, force: true });
});

test("the bundle contains no eval or new Function", async () => {
  const code = await readFile(join(outdir, "worker.js"), "utf8");
  expect(code).not.toMatch(/\bnew Function\s*\(/);
  expect(code).not.toMatch(/[^.\w]eval\s*\(/);
});

test("the built Worker serves Hello world", async () => {
  const r = await mf.dispatchFetch("http://localhost/");
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toBe("text/html; charset=UTF-8");
  expect(await r.text()).toBe("Hello, world");
});

test("the built Worker answers 404 for an unknown path", async () => {
  const r = await mf.dispatchFetch("http://localhost/missing");
  expect(r.status).toBe(404);
  expect(await r.text()).toContain("404: Not Found");
});
