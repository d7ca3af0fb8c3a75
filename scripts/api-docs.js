/**
 * The API reference generator behind `npm run docs`.
 *
 * Reads the declarations `npm run build` emits (dist/**\/*.d.ts, JSDoc kept) for every entry
 * point in package.json's `exports`, follows their re-exports with TypeScript 7's checker
 * (the `typescript/unstable/sync` API, which drives the native compiler in a child process:
 * TypeDoc and API Extractor need the TypeScript 5 JavaScript API, which 7 does not have), and
 * writes one Markdown page per entry point plus an index (README.md) and the same model as
 * JSON (api.json) for tools and tests.
 *
 * Usage: node scripts/api-docs.js [--out docs/api] [--dist dist] [--root .]
 *
 * The model and the Markdown rendering live in scripts/api-docs/; this file is the command.
 * @module
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import { ApiDocsError, collectApi } from "./api-docs/extract.js";
import { renderApi } from "./api-docs/render.js";

const { values } = parseArgs({
  options: {
    out: { type: "string", default: "docs/api" },
    dist: { type: "string", default: "dist" },
    root: { type: "string", default: "." },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  process.stdout.write(
    "Usage: node scripts/api-docs.js [--out docs/api] [--dist dist] [--root .]\n" +
      "Writes the API reference of every package.json entry point from the built declarations.\n" +
      "Run `npm run build` first (`npm run docs` does both).\n",
  );
  process.exit(0);
}

const root = resolve(values.root);
const outDir = resolve(root, values.out);
if (root === outDir || (root + sep).startsWith(outDir + sep)) {
  process.stderr.write(`api-docs: refusing to replace ${outDir}, which holds the project\n`);
  process.exit(2);
}
let api;
try {
  api = collectApi({ root, distDir: resolve(root, values.dist) });
} catch (error) {
  if (!(error instanceof ApiDocsError)) throw error;
  process.stderr.write(`api-docs: ${error.message}\n`);
  process.exit(1);
}
const files = renderApi(api, { rootLink: relative(outDir, root).split(sep).join("/") });

// The output folder is generated, never edited: start from nothing so a removed symbol's
// page or anchor cannot linger.
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
for (const [name, text] of files) writeFileSync(join(outDir, name), text);
writeFileSync(join(outDir, "api.json"), JSON.stringify(api, null, 2) + "\n");

const core = api.entries[0];
const lines = [`api-docs: ${files.size} pages in ${values.out}`];
for (const entry of api.entries) {
  lines.push(`  ${entry.name}: ${entry.symbols.length} documented here, ${entry.reexports.length} re-exported`);
}
if (core && core.undocumented.length > 0) {
  lines.push(`  ${core.name}: ${core.undocumented.length} exported symbols without a description: ${core.undocumented.join(", ")}`);
}
if (core && core.anyInSignatures.length > 0) {
  lines.push(`  ${core.name}: \`any\` in public signatures: ${core.anyInSignatures.join(", ")}`);
}
process.stdout.write(lines.join("\n") + "\n");
