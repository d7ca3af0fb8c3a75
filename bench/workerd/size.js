// The gzipped size of a Hello-world Worker bundle: Cyclone against Hono, itty-router and a
// plain fetch Worker, all built by esbuild with the same settings (bundle.js: minified ESM,
// what a wrangler build does). Then which modules make up Cyclone's bundle, with the
// kept modules that import each one (from esbuild's metafile).
//
//   node bench/workerd/size.js            the table and the module list
//   node bench/workerd/size.js --json     the same as JSON (for bench/workerd/run.js)
//
// The target of issue 8: Cyclone's hello world no larger than Hono's, gzipped.
import { table } from "../lib/format.js";
import { bundle, shortPath } from "./bundle.js";

export const HELLO_WORLDS = [
  { name: "cyclone", label: "Cyclone (cyclone/edge, toWorker)" },
  { name: "cyclone-tiny", label: "Cyclone (cyclone/edge/tiny, toWorker)" },
  { name: "hono", label: "Hono (hono)" },
  { name: "itty", label: "itty-router (AutoRouter)" },
  { name: "plain", label: "plain fetch Worker" },
];

/**
 * For every input of `metafile`'s single output: its bytes in the bundle and the kept
 * modules that import it, largest first. The import graph says who imports a module, not
 * which of its exports are used: a barrel (src/core/index.ts re-exports everything and is
 * 0 bytes in the output) is left out of the importers, since it explains nothing. The
 * reasons themselves are in bench/README.md ("Workers (workerd)").
 */
export function moduleChains(metafile) {
  const [output] = Object.values(metafile.outputs);
  const kept = new Set(Object.entries(output.inputs).filter(([, v]) => v.bytesInOutput > 0).map(([k]) => k));
  const importers = new Map();
  for (const path of kept) {
    for (const imp of metafile.inputs[path]?.imports ?? []) {
      if (imp.external || imp.path === path) continue;
      if (!importers.has(imp.path)) importers.set(imp.path, new Set());
      importers.get(imp.path).add(path);
    }
  }
  return [...kept]
    .map((path) => ({
      path: shortPath(path),
      bytes: output.inputs[path].bytesInOutput,
      importedBy: [...(importers.get(path) ?? [])].map(shortPath).sort(),
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
    if (w.name === "cyclone-tiny") modules = moduleChains(r.metafile);
  }
  return { rows, modules };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

/** Prints the size table (and, with `detail`, Cyclone's modules); returns the verdict line. */
export function printSizes({ rows, modules }, detail = true) {
  const hono = rows.find((r) => r.name === "hono");
  // The verdict takes Cyclone's smaller Hello world: the tiny entry is how a size-minded Worker is written.
  const cyclone = rows.filter((r) => r.name.startsWith("cyclone")).sort((a, b) => a.gzipBytes - b.gzipBytes)[0];
  console.log(
    table(
      [["Hello world bundle", "minified", "gzipped", "gzip vs Hono"], ...rows.map((r) => [r.label, kb(r.bytes), kb(r.gzipBytes), `${(r.gzipBytes / hono.gzipBytes).toFixed(2)}x`])],
      ["l", "r", "r", "r"],
    ),
  );
  if (detail) {
    console.log("\nCyclone's bundle by module (bytes of minified output  <- the kept modules importing it):");
    for (const m of modules) {
      console.log(`${String(m.bytes).padStart(7)}  ${m.path}${m.importedBy.length ? `  <- ${m.importedBy.join(", ")}` : ""}`);
    }
  }
  const met = cyclone.gzipBytes <= hono.gzipBytes;
  const verdict = `Bundle size target (Cyclone <= Hono gzipped): ${met ? "met" : "MISSED"} (${cyclone.label}: ${kb(cyclone.gzipBytes)} vs ${kb(hono.gzipBytes)})`;
  console.log(`\n${verdict}`);
  return verdict;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = await measureSizes();
  if (process.argv.includes("--json")) console.log(JSON.stringify(sizes, null, 2));
  else printSizes(sizes);
}
