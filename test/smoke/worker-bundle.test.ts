/**
 * Builds the Workers exactly as `wrangler deploy` would (`--dry-run --outdir`) and serves
 * the bundles from plain Miniflare, where `eval` and `new Function` are forbidden as in
 * production: Hello world, and the chat demo with its Durable Objects, precompiled
 * templates and static assets. What passes here is what ships.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const run = promisify(execFile);
const dirs: string[] = [];
const servers: Miniflare[] = [];

async function buildWorker(config: string): Promise<string> {
  const outdir = await mkdtemp(join(tmpdir(), "cyclone-worker-"));
  dirs.push(outdir);
  await run(join("node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", "--outdir", outdir, "--config", config], {
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
    timeout: 150_000,
  });
  return outdir;
}

afterAll(async () => {
  for (const mf of servers) await mf.dispose();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function expectNoEval(code: string): void {
  expect(code).not.toMatch(/\bnew Function\s*\(/);
  expect(code).not.toMatch(/[^.\w]eval\s*\(/);
  // The template compiler (and its parser) never ships to the edge.
  expect(code).not.toContain("acorn");
}

describe("Hello world", () => {
  let mf: Miniflare;
  let code = "";

  beforeAll(async () => {
    const out = await buildWorker("examples/hello/wrangler.toml");
    code = await readFile(join(out, "worker.js"), "utf8");
    mf = new Miniflare({ modules: true, scriptPath: join(out, "worker.js"), modulesRoot: out, compatibilityDate: "2026-03-29" });
    servers.push(mf);
  });

  test("the bundle contains no eval, new Function or template compiler", () => {
    expectNoEval(code);
  });

  test("serves Hello world", async () => {
    const r = await mf.dispatchFetch("http://localhost/");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    expect(await r.text()).toBe("Hello, world");
  });

  test("answers 404 for an unknown path", async () => {
    const r = await mf.dispatchFetch("http://localhost/missing");
    expect(r.status).toBe(404);
    expect(await r.text()).toContain("404: Not Found");
  });
});

describe("the chat demo (wrangler.toml)", () => {
  let mf: Miniflare;
  let code = "";
  let jar = new Map<string, string>();

  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  async function req(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (jar.size) headers.set("Cookie", cookieHeader());
    const r = await mf.dispatchFetch(`http://localhost${path}`, { ...init, headers, redirect: "manual" } as never);
    for (const c of (r.headers as unknown as Headers & { getSetCookie(): string[] }).getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair!.indexOf("=");
      jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return r as unknown as Response;
  }
  const xsrf = () => decodeURIComponent(jar.get("_xsrf") ?? "");
  const form = (fields: Record<string, string>): RequestInit => ({
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });

  beforeAll(async () => {
    const out = await buildWorker("wrangler.toml");
    code = await readFile(join(out, "worker.js"), "utf8");
    mf = new Miniflare({
      modules: true,
      scriptPath: join(out, "worker.js"),
      modulesRoot: out,
      compatibilityDate: "2026-03-29",
      compatibilityFlags: ["enable_request_signal"],
      durableObjects: { CYCLONE_OBJECTS: "CycloneDurableObject" },
      assets: { directory: "examples/chat/static", binding: "ASSETS", routerConfig: { has_user_worker: true } },
      bindings: { COOKIE_SECRET: "smoke-test-secret" },
    } as never);
    servers.push(mf);
    jar = new Map();
  });

  test("the bundle contains no eval, new Function or template compiler", () => {
    expectNoEval(code);
  });

  test("signing in (XSRF-protected form) and seeing a room rendered from precompiled templates", async () => {
    const home = await req("/");
    expect(home.status).toBe(302);
    expect(home.headers.get("location")).toBe("/room/lobby");
    const room = await req("/room/lobby");
    expect(room.status).toBe(302);
    expect(room.headers.get("location")).toBe("/auth/login?next=%2Froom%2Flobby");
    const login = await req("/auth/login?next=%2Froom%2Flobby");
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('name="_xsrf"');
    const forged = await req("/auth/login", form({ name: "mallory", next: "/room/lobby" }));
    expect(forged.status).toBe(403);
    await forged.text();
    const signIn = await req("/auth/login", form({ name: "ann", next: "/room/lobby", _xsrf: xsrf() }));
    expect(signIn.status).toBe(302);
    expect(jar.get("user")).toMatch(/^"?2\|1:0\|/);
    const page = await req("/room/lobby");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("<h1>#lobby</h1>");
    expect(html).toMatch(/<script src="\/static\/chat\.js\?v=[0-9a-f]{128}"><\/script>/);
  });

  test("static files come from the assets binding with versioned caching", async () => {
    const page = await (await req("/room/lobby")).text();
    const src = /src="(\/static\/chat\.js\?v=[0-9a-f]+)"/.exec(page)![1]!;
    const js = await req(src);
    expect(js.status).toBe(200);
    expect(js.headers.get("cache-control")).toBe("max-age=315360000");
    expect(await js.text()).toContain("Cyclone chat, the browser side");
    const evil = await req("/static/..%2f..%2fwrangler.toml");
    expect([403, 404]).toContain(evil.status);
    await evil.text();
  });

  test("a message posted to a room is in its history (Durable Object storage)", async () => {
    const posted = await req("/room/smoke/message/new", form({ body: "hello <edge>", _xsrf: xsrf() }));
    expect(posted.status).toBe(200);
    const message = (await posted.json()) as { seq: number; from: string; html: string };
    expect(message.from).toBe("ann");
    expect(message.html).toContain("hello &lt;edge&gt;");
    const page = await (await req("/room/smoke")).text();
    expect(page).toContain("hello &lt;edge&gt;");
  });
});
