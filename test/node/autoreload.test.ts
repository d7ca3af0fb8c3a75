// autoreload with real child processes: a script enables it and prints a banner; editing an
// imported module or a watched file restarts it (a second banner from a new process with
// the same arguments), an unrelated file does not. Also the supervisor (Tornado's
// `python -m tornado.autoreload`). Every process started is killed at the end.
import { copyFile, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { killAll, type Run, runNode } from "./process-harness.js";

const fixtures = fileURLToPath(new URL("../fixtures/autoreload/", import.meta.url));
let outDir: string;
let moduleUrl: string;
const dirs: string[] = [];

beforeAll(async () => {
  const compile = pathToFileURL(fileURLToPath(new URL("../fixtures/options/compile.mjs", import.meta.url))).href;
  const { compileSources } = (await import(compile)) as { compileSources: (entries: string[]) => Promise<string> };
  outDir = await compileSources(["node/autoreload.ts"]);
  moduleUrl = pathToFileURL(join(outDir, "node/autoreload.js")).href;
}, 60_000);

afterEach(async () => {
  killAll();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

afterAll(() => rm(outDir, { recursive: true, force: true }));

/** A fresh copy of the fixture app in its own directory. */
async function appDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cyclone-autoreload-"));
  dirs.push(dir);
  for (const f of ["app.mjs", "dep.mjs", "template.html", "unrelated.txt"]) await copyFile(join(fixtures, f), join(dir, f));
  return dir;
}

function run(args: string[], env: Record<string, string> = {}): Run {
  // Every process in the tree reports itself, so the test can kill them all at the end.
  return runNode(args, { CYCLONE_AUTORELOAD_MODULE: moduleUrl, ...env }, /^(?:banner|hook) (\d+)/);
}

/** Rewrites a file and moves its mtime forward, so the change shows whatever the clock's resolution. */
async function touch(path: string, content: string): Promise<void> {
  await writeFile(path, content);
  const later = new Date(Date.now() + 5_000);
  await utimes(path, later, later);
}

const pidOf = (line: string) => Number(/^banner (\d+)/.exec(line)![1]);

describe("start()", () => {
  test("editing an imported module restarts the process with the same argv and execArgv, after the reload hooks", async () => {
    const dir = await appDir();
    const r = run(["--no-warnings", join(dir, "app.mjs"), "one", "--two=2"]);
    const first = await r.waitFor(/^banner /);
    expect(first).toMatch(/ args=\["one","--two=2"\] execArgv=\["--no-warnings"\] dep=1$/);
    await r.waitFor(/^files /);
    const exited = new Promise<number | null>((resolve) => r.child.on("exit", (code) => resolve(code)));
    await touch(join(dir, "dep.mjs"), "export const depVersion = 2;\n");
    const second = await r.waitFor(/^banner /, r.lines.indexOf(first) + 1);
    expect(pidOf(second)).not.toBe(pidOf(first));
    expect(second).toMatch(/ args=\["one","--two=2"\] execArgv=\["--no-warnings"\] dep=2$/);
    expect(r.lines.indexOf(`hook ${pidOf(first)}`)).toBeGreaterThan(r.lines.indexOf(first));
    expect(r.lines.indexOf(`hook ${pidOf(first)}`)).toBeLessThan(r.lines.indexOf(second));
    expect(await exited).toBe(0);
  });

  test("the files checked are the loaded modules and the watched ones, not the whole directory", async () => {
    const dir = await appDir();
    const r = run([join(dir, "app.mjs")]);
    const files = JSON.parse((await r.waitFor(/^files /)).slice("files ".length)) as string[];
    expect(files).toContain(join(dir, "app.mjs"));
    expect(files).toContain(join(dir, "dep.mjs"));
    expect(files).toContain(join(dir, "template.html"));
    expect(files).toContain(fileURLToPath(moduleUrl));
    expect(files).not.toContain(join(dir, "unrelated.txt"));
  });

  test("editing a watched file (a template) restarts the process", async () => {
    const dir = await appDir();
    const r = run([join(dir, "app.mjs")]);
    const first = await r.waitFor(/^banner /);
    await r.waitFor(/^files /);
    await touch(join(dir, "template.html"), "<p>{{ changed }}</p>\n");
    const second = await r.waitFor(/^banner /, r.lines.indexOf(first) + 1);
    expect(pidOf(second)).not.toBe(pidOf(first));
  });

  test("editing a file that is neither loaded nor watched restarts nothing", async () => {
    const dir = await appDir();
    const r = run([join(dir, "app.mjs")]);
    await r.waitFor(/^files /);
    await touch(join(dir, "unrelated.txt"), "edited\n");
    // Twelve check periods of 50 ms.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(r.lines.filter((l) => l.startsWith("banner "))).toHaveLength(1);
    expect(r.child.exitCode).toBeNull();
  });
});

describe("wait()", () => {
  test("keeps the process alive until a file changes, then restarts it", async () => {
    const dir = await appDir();
    const r = run([join(dir, "app.mjs")], { CYCLONE_MODE: "wait" });
    const first = await r.waitFor(/^banner /);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(r.child.exitCode).toBeNull();
    await touch(join(dir, "dep.mjs"), "export const depVersion = 3;\n");
    expect(await r.waitFor(/^banner .* dep=3$/, r.lines.indexOf(first) + 1)).not.toBe(first);
  });
});

// The supervisor keeps its list file in TMPDIR: each test points it at its own directory.
describe("the supervisor (node autoreload.js script.js args)", () => {
  test("restarts its child on a change and stays the same process", async () => {
    const dir = await appDir();
    const r = run([fileURLToPath(moduleUrl), join(dir, "app.mjs"), "a"], { TMPDIR: dir });
    const first = await r.waitFor(/^banner /);
    expect(pidOf(first)).not.toBe(r.child.pid);
    await r.waitFor(/^files /);
    await touch(join(dir, "dep.mjs"), "export const depVersion = 4;\n");
    const second = await r.waitFor(/^banner .* dep=4$/, r.lines.indexOf(first) + 1);
    expect(second).toMatch(/ args=\["a"\] /);
    expect(r.child.exitCode).toBeNull();
  });

  test("SIGTERM reaches the child and the supervisor ends with its status", async () => {
    const dir = await appDir();
    const r = run([fileURLToPath(moduleUrl), join(dir, "app.mjs")], { TMPDIR: dir });
    const first = await r.waitFor(/^banner /);
    const exited = new Promise<number | null>((resolve) => r.child.on("exit", (code) => resolve(code)));
    r.child.kill("SIGTERM");
    expect(await exited).toBe(128 + 15);
    expect(() => process.kill(pidOf(first), 0)).toThrow();
  });

  test("a script that exits is run again once one of its files changes", async () => {
    const dir = await appDir();
    const r = run([fileURLToPath(moduleUrl), join(dir, "app.mjs")], { CYCLONE_MODE: "exit", CYCLONE_EXIT_CODE: "1", TMPDIR: dir });
    const first = await r.waitFor(/^banner /);
    await r.waitFor(/^files /);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.lines.filter((l) => l.startsWith("banner "))).toHaveLength(1);
    await touch(join(dir, "dep.mjs"), "export const depVersion = 5;\n");
    await r.waitFor(/^banner .* dep=5$/, r.lines.indexOf(first) + 1);
  });

  test("--until-success ends with the script's first successful exit", async () => {
    const dir = await appDir();
    const r = run([fileURLToPath(moduleUrl), "--until-success", join(dir, "app.mjs")], { CYCLONE_MODE: "exit", CYCLONE_EXIT_CODE: "0", TMPDIR: dir });
    const exited = new Promise<number | null>((resolve) => r.child.on("exit", (code) => resolve(code)));
    expect(await exited).toBe(0);
    expect(r.lines.filter((l) => l.startsWith("banner "))).toHaveLength(1);
  });

  test("without a script it prints the usage and exits 2", async () => {
    const r = run([fileURLToPath(moduleUrl)]);
    const exited = new Promise<number | null>((resolve) => r.child.on("exit", (code) => resolve(code)));
    expect(await exited).toBe(2);
    expect(r.lines[0]).toMatch(/^Usage: node autoreload\.js \[--until-success\] path\/to\/script\.js/);
  });
});
