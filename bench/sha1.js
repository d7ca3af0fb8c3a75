// SHA-1 for ETags, in-process: Cyclone's own one-shot `sha1Hex` (src/core/sha1.ts) against
// what the portable ETag path used before it — @noble/hashes `sha1` fed `TextEncoder` output,
// hex by `bytesToHex` — with node:crypto (native, Node only) as the floor. Bodies: 13 bytes
// ("Hello, world!"), 1 KB and 64 KB of text, and 64 KB of bytes, each hashed as one chunk.
// Every hasher must give node:crypto's digest for every body before timing.
// Then the minified size of each portable hasher, bundled alone by esbuild.
//
// Run `npm run build` first, then `node bench/sha1.js`. Rates are hashes per second of the
// process's CPU time, medians of interleaved rounds. Settings: BENCH_QUICK=1 (short),
// BENCH_SHA1_ROUNDS (default 7), BENCH_SHA1_MS (measured milliseconds per hasher and body,
// default 200).
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { sha1 } from "@noble/hashes/legacy.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { build } from "esbuild";
import { sha1Hex } from "../dist/core/sha1.js";
import { fixed, int, median, ratio, table } from "./lib/format.js";

const env = process.env;
const quick = env.BENCH_QUICK === "1";
const ROUNDS = Math.max(1, Math.round(Number(env.BENCH_SHA1_ROUNDS) || (quick ? 2 : 7)));
const MEASURE_MS = Number(env.BENCH_SHA1_MS) || (quick ? 80 : 200);

const json = JSON.stringify({ id: 1, name: "octocat", tags: ["a", "b"], bio: "x".repeat(40) });
const BODIES = {
  "13 B text": ["Hello, world!"],
  "1 KB text": [json.repeat(Math.ceil(1024 / json.length)).slice(0, 1024)],
  "64 KB text": [json.repeat(Math.ceil(65536 / json.length)).slice(0, 65536)],
  "64 KB bytes": [Uint8Array.from({ length: 65536 }, (_, i) => (i * 31) & 255)],
};

const encoder = new TextEncoder();
const HASHERS = [
  { label: "Cyclone sha1Hex", hash: (chunks) => sha1Hex(chunks) },
  {
    label: "@noble/hashes sha1 + TextEncoder",
    hash: (chunks) => {
      const h = sha1.create();
      for (const c of chunks) h.update(typeof c === "string" ? encoder.encode(c) : c);
      return bytesToHex(h.digest());
    },
  },
  {
    label: "node:crypto (native, Node only)",
    hash: (chunks) => {
      const h = createHash("sha1");
      for (const c of chunks) h.update(c);
      return h.digest("hex");
    },
  },
];

function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

// One timing loop per hasher (a fresh function each), so each call site stays monomorphic.
function timer(hash) {
  return new Function(
    "hash",
    "cpuMicros",
    `return (chunks, ms) => {
      const end = performance.now() + ms;
      const c0 = cpuMicros();
      let n = 0, sink = 0;
      do { for (let i = 0; i < 16; i++) sink += hash(chunks).length; n += 16; } while (performance.now() < end);
      if (sink !== n * 40) throw new Error("bad digest length");
      return (n * 1e6) / (cpuMicros() - c0);
    };`,
  )(hash, cpuMicros);
}

async function minifiedSize(contents) {
  const out = await build({
    stdin: { contents, resolveDir: fileURLToPath(new URL(".", import.meta.url)), loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    write: false,
    logLevel: "silent",
  });
  return out.outputFiles[0].contents.length;
}

async function main() {
  console.log(`# SHA-1 benchmark — ${new Date().toISOString()}`);
  for (const [name, chunks] of Object.entries(BODIES)) {
    const want = createHash("sha1");
    for (const c of chunks) want.update(c);
    const expected = want.digest("hex");
    for (const h of HASHERS) {
      if (h.hash(chunks) !== expected) {
        console.error(`${h.label} gives a wrong digest for ${name}; aborted.`);
        process.exitCode = 1;
        return;
      }
    }
  }
  console.log(`Agreement: all ${HASHERS.length} hashers give node:crypto's digest for every body.`);

  const timers = HASHERS.map((h) => timer(h.hash));
  const kinds = Object.keys(BODIES);
  const results = HASHERS.map(() => Object.fromEntries(kinds.map((k) => [k, []])));
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of kinds) {
      HASHERS.forEach((_, i) => {
        timers[i](BODIES[kind], MEASURE_MS / 4);
        results[i][kind].push(timers[i](BODIES[kind], MEASURE_MS));
      });
    }
  }
  const rows = [["Hasher", ...kinds.map((k) => `${k} (hashes/s)`), ...kinds.map((k) => `${k} µs`)]];
  HASHERS.forEach((h, i) => {
    const med = kinds.map((k) => median(results[i][k]));
    rows.push([h.label, ...med.map(int), ...med.map((x) => fixed(1e6 / x, 2))]);
  });
  console.log(`\nHashes per CPU-second, medians of ${ROUNDS} interleaved round(s) of ${MEASURE_MS} ms:\n`);
  console.log(table(rows, ["l", ...rows[0].slice(1).map(() => "r")]));
  const vs = kinds.map((k) => `${k} ${ratio(median(results[0][k].map((x, r) => x / results[1][k][r])))}`);
  console.log(`\nCyclone sha1Hex vs @noble/hashes (median of per-round ratios): ${vs.join(", ")}`);

  const own = await minifiedSize(`export { sha1Hex } from "../src/core/sha1.ts";`);
  const noble = await minifiedSize(
    `import { sha1 } from "@noble/hashes/legacy.js"; import { bytesToHex } from "@noble/hashes/utils.js";
     export const h = (c) => bytesToHex(sha1(c));`,
  );
  console.log(`Minified (esbuild, bundled alone): Cyclone sha1.ts ${int(own)} B; @noble/hashes sha1 + bytesToHex ${int(noble)} B.`);
}

await main();
