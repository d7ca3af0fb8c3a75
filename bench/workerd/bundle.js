// Bundles a benchmark Worker to one minified ES module with esbuild, the same settings for
// every framework (those of a wrangler build: browser platform, the workerd and worker
// export conditions, ES2022), and measures it. `cyclone` and `cyclone/edge` resolve to the
// sources in src/, so no `npm run build` is needed and the bundle is what the tree holds now.
import { gzipSync } from "node:zlib";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..", "..");

/** The esbuild options shared by every Worker, so sizes and speeds compare like for like. */
export const BUILD_OPTIONS = {
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  conditions: ["workerd", "worker", "browser"],
  target: "es2022",
  legalComments: "none",
  logLevel: "silent",
  alias: {
    cyclone: join(root, "src/core/index.ts"),
    "cyclone/edge": join(root, "src/edge/index.ts"),
    "cyclone/edge/tiny": join(root, "src/edge/tiny.ts"),
  },
};

/**
 * Bundles `entry` (a path under bench/workerd/workers) and resolves with
 * `{ code, bytes, gzipBytes, metafile }`; with `outfile`, the bundle is also written there.
 * `overrides` change esbuild options (the profiler turns minifying off, for names).
 */
export async function bundle(entry, outfile, overrides = {}) {
  const r = await build({
    ...BUILD_OPTIONS,
    ...overrides,
    entryPoints: [join(here, "workers", entry)],
    outfile: outfile ?? join(root, "bench/results/workerd", entry),
    write: false,
    metafile: true,
  });
  const out = r.outputFiles.find((f) => /\.m?js$/.test(f.path));
  const code = out.contents;
  if (outfile !== undefined) {
    const { mkdirSync, writeFileSync } = await import("node:fs");
    mkdirSync(dirname(outfile), { recursive: true });
    writeFileSync(outfile, code);
  }
  return { code, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, metafile: r.metafile };
}

/** A path of the metafile relative to the repository, as the report prints it. */
export function shortPath(p) {
  return relative(root, join(process.cwd(), p)).replace(/^node_modules\//, "");
}
