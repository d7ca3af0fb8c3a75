// The gzipped size of a Hello-world Worker bundle: Cyclone against Hono, itty-router and a
// plain fetch Worker, all built by esbuild with the same settings (bundle.js: minified ESM,
// what a wrangler build does). Then which modules make up Cyclone's bundle, with the
// import chain that brings each one in from the Worker's entry (from esbuild's metafile).
//
//   node bench/workerd/size.js            the table and the module list
//   node bench/workerd/size.js --json     the same as JSON (for bench/workerd/run.js)
//
// The target of issue 8: Cyclone's hello world no larger than Hono's, gzipped.
import { table } from "../lib/format.js";
import { bundle, shortPath } from "./bundle.js";

export const HELLO_WORLDS = [
  { name: "cyclone", label: "Cyclone (cyclone/edge, toWorker)" },
  { name: "hono", label: "Hono (hono)" },
  { name: "itty", label: "itty-router (AutoRouter)" },
  { name: "plain", label: "plain fetch Worker" },
];

/**
 * For every input of `metafile`'s single output: its bytes in the bundle, the kept modules
 * that import it, and an import chain from the entry, largest first. A barrel (a module of
 * re-exports only, 0 bytes in the output, such as src/core/index.ts) imports everything and
 * explains nothing, so chains go through modules with code of their own wherever one
 * imports the module; a module reached only through a barrel starts its own chain (the
 * entry uses it by name, or it is kept for a top-level side effect).
 */
export function moduleChains(metafile) {
  const [output] = Object.values(metafile.outputs);
  const kept = new Set(Object.entries(output.inputs).filter(([, v]) => v.bytesInOutput > 0).map(([k]) => k));
  const importers = new Map();
  for (const path of kept) {
    for (const imp of metafile.inputs[path]?.imports ?? []) {
      if (imp.external || !kept.has(imp.path) || imp.path === path) continue;
      if (!importers.has(imp.path)) importers.set(imp.path, new Set());
      importers.get(imp.path).add(path);
    }
  }
  // Breadth-first from the entry and the modules only barrels import, over code-to-code imports.
  const via = new Map();
  const queue = [];
  for (const path of kept) {
    if (path === output.entryPoint || !importers.has(path)) {
      via.set(path, null);
      queue.push(path);
    }
  }
  while (queue.length > 0) {
    const at = queue.shift();
    for (const imp of metafile.inputs[at]?.imports ?? []) {
      if (!kept.has(imp.path) || via.has(imp.path)) continue;
      via.set(imp.path, at);
      queue.push(imp.path);
    }
  }
  const chain = (p) => {
    const out = [];
    for (let at = p; at !== null && at !== undefined && out.length < 20; at = via.get(at)) out.unshift(shortPath(at));
    return out;
  };
  return [...kept]
    .map((path) => ({
      path: shortPath(path),
      bytes: output.inputs[path].bytesInOutput,
      importedBy: [...(importers.get(path) ?? [])].map(shortPath).sort(),
      chain: chain(path),
    }))
    .sort((a, b) => b.bytes - a.bytes);
}

/** Bundles every hello world; resolves with rows `{ name, label, bytes, gzipBytes }` and Cyclone's modules. */
export async function measureSizes() {
  const rows = [];
  let modules = [];
  for (const w of HELLO_WORLDS) {
    const r = await bundle(`hello/${w.name}.js`);
    rows.push({ name: w.name, label: w.label, bytes: r.bytes, gzipBytes: r.gzipBytes });
    if (w.name === "cyclone") modules = moduleChains(r.metafile);
  }
  return { rows, modules };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

/** Prints the size table (and, with `detail`, Cyclone's modules); returns the verdict line. */
export function printSizes({ rows, modules }, detail = true) {
  const hono = rows.find((r) => r.name === "hono");
  const cyclone = rows.find((r) => r.name === "cyclone");
  console.log(
    table(
      [["Hello world bundle", "minified", "gzipped", "gzip vs Hono"], ...rows.map((r) => [r.label, kb(r.bytes), kb(r.gzipBytes), `${(r.gzipBytes / hono.gzipBytes).toFixed(2)}x`])],
      ["l", "r", "r", "r"],
    ),
  );
  if (detail) {
    console.log("\nCyclone's bundle by module (bytes of minified output; chain from the entry):");
    for (const m of modules) {
      const chain = m.chain.length > 1 ? m.chain.join(" > ") : "(used by name through the re-exports, or kept for a top-level statement)";
      console.log(`${String(m.bytes).padStart(7)}  ${m.path}\n         ${chain}`);
    }
  }
  const met = cyclone.gzipBytes <= hono.gzipBytes;
  const verdict = `Bundle size target (Cyclone <= Hono gzipped): ${met ? "met" : "MISSED"} (${kb(cyclone.gzipBytes)} vs ${kb(hono.gzipBytes)})`;
  console.log(`\n${verdict}`);
  return verdict;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = await measureSizes();
  if (process.argv.includes("--json")) console.log(JSON.stringify(sizes, null, 2));
  else printSizes(sizes);
}
