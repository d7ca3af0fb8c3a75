/**
 * The core must stay runtime-agnostic: nothing under src/core may import node:*,
 * cloudflare:*, or a bare Node built-in. This test reads every core source file.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";

const CORE = join(import.meta.dirname, "..", "..", "src", "core");
const BUILTINS = [
  "assert", "buffer", "child_process", "cluster", "crypto", "dgram", "dns", "events", "fs", "fs/promises",
  "http", "http2", "https", "net", "os", "path", "perf_hooks", "process", "readline", "stream", "tls",
  "url", "util", "v8", "vm", "worker_threads", "zlib",
];
const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|require\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

function hostImports(code: string): string[] {
  const bad: string[] = [];
  for (const m of code.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3] ?? m[4] ?? "";
    if (spec.startsWith("node:") || spec.startsWith("cloudflare:") || BUILTINS.includes(spec)) bad.push(spec);
  }
  return bad;
}

test("the scanner finds host imports (so it can fail)", () => {
  expect(hostImports('import { readFile } from "node:fs";')).toEqual(["node:fs"]);
  expect(hostImports('export { x } from "cloudflare:workers";')).toEqual(["cloudflare:workers"]);
  expect(hostImports('const z = await import("zlib");')).toEqual(["zlib"]);
  expect(hostImports('import "net";')).toEqual(["net"]);
  expect(hostImports('import { a } from "./escape.js";')).toEqual([]);
});

test("no file in src/core imports node:*, cloudflare:* or a Node built-in", () => {
  const files = sourceFiles(CORE);
  expect(files.length).toBeGreaterThan(5);
  const offenders = files.flatMap((f) => hostImports(readFileSync(f, "utf8")).map((s) => `${f}: ${s}`));
  expect(offenders).toEqual([]);
});
