// The fetch path in-process, without workerd or sockets: each benchmark Worker's bundle
// (the same esbuild output bench/workerd/run.js serves) imported into Node, and its
// `fetch(new Request(...), env, ctx)` called in a loop, the response body read each time.
// workerd has no easy profiler; this isolates what the framework itself costs per request,
// and runs under `node --cpu-prof` to see where it goes.
//
//   node bench/workerd/inprocess.js                   all Workers, both routes
//   BENCH_WORKERS=cyclone node --cpu-prof --cpu-prof-dir=bench/results bench/workerd/inprocess.js
//
// Settings: BENCH_WORKERS (cyclone,hono,plain; itty when named), BENCH_ROUNDS (5, interleaved,
// median reported), BENCH_MS (400 per measurement).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { fixed, int, median, ratio, table } from "../lib/format.js";
import { bundle, root } from "./bundle.js";

const env = process.env;
const names = (env.BENCH_WORKERS ?? "cyclone,hono,plain").split(",");
const rounds = Number(env.BENCH_ROUNDS ?? 5);
const ms = Number(env.BENCH_MS ?? 400);
const dir = join(root, "bench/results/workerd");
mkdirSync(dir, { recursive: true });

const ctx = { waitUntil() {}, passThroughOnException() {} };
const workers = [];
for (const name of names) {
  const file = join(dir, `inprocess-${name}.mjs`);
  await bundle(`${name}.js`, file);
  workers.push({ name, worker: (await import(pathToFileURL(file).href)).default });
}

async function measure(worker, url) {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // A batch between clock reads keeps the clock out of the figure.
    for (let i = 0; i < 64; i++) {
      const r = await worker.fetch(new Request(url), {}, ctx);
      await r.arrayBuffer();
    }
    n += 64;
  }
  return (n / ms) * 1000;
}

const samples = new Map();
for (const w of workers) for (const path of ["/", "/json"]) await measure(w.worker, `http://127.0.0.1${path}`); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const w of workers) {
    for (const path of ["/", "/json"]) {
      const key = `${w.name} ${path}`;
      if (!samples.has(key)) samples.set(key, []);
      samples.get(key).push(await measure(w.worker, `http://127.0.0.1${path}`));
    }
  }
}
const rows = [["Worker", "route", "req/s", "µs/req", "vs Hono"]];
for (const path of ["/", "/json"]) {
  const hono = median(samples.get(`hono ${path}`) ?? []);
  for (const w of workers) {
    const m = median(samples.get(`${w.name} ${path}`));
    rows.push([w.name, path, int(m), fixed(1e6 / m, 1), ratio(m / hono)]);
  }
}
console.log(`fetch() in-process on Node ${process.version}, medians of ${rounds} rounds of ${ms} ms:`);
console.log(table(rows, ["l", "l", "r", "r", "r"]));
