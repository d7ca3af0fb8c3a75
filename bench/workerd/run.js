// `npm run bench:workerd`: Hello world and a JSON route served by bare workerd — Cyclone
// (cyclone/edge's toWorker), Hono and a plain `fetch` Worker — under the same load, side
// by side; then the gzipped size of each framework's Hello-world bundle (size.js).
//
// Each Worker is bundled by esbuild with the same settings (bundle.js: one minified ES
// module) and served by `workerd serve` with a capnp config of its own, written to
// bench/results/workerd/ (one service, one HTTP socket on 127.0.0.1, the compatibility date
// of wrangler.toml). Not Miniflare: its own layer caps every Worker near the same rate on
// a small machine and hides the differences. workerd runs pinned to one core with taskset
// and wrk to the other. Rounds are interleaved (each round runs every Worker once per
// route, in an order rotated from round to round), each measurement follows a warm-up with
// the same load, and each figure is the median over rounds. Besides req/s and p99, it
// reports requests per CPU-second of the workerd process (from /proc), the steadier figure
// when other work shares the machine.
//
// The target of issue 8: Cyclone at least 1.0x Hono on both routes.
//
// Settings (environment variables):
//   BENCH_QUICK=1          short run: 1 s warm-up, 3 s measured, 2 rounds
//   BENCH_WARMUP=2         warm-up seconds per measurement
//   BENCH_DURATION=6       measured seconds per measurement
//   BENCH_ROUNDS=3         interleaved rounds (the median is reported)
//   BENCH_CONNECTIONS=32   concurrent keep-alive connections
//   BENCH_THREADS=1        wrk threads
//   BENCH_WORKERS=a,b      only these Workers (cyclone, cyclone-lean, hono, plain; itty only
//                          when named)
//   BENCH_ROUTES=hello     only these routes (hello, json)
//   BENCH_SIZE=0           skip the bundle sizes
//   BENCH_BASE_SRC=dir     also serve Cyclone built from another copy of src/ (e.g. a
//                          checkout of main: `git worktree add /tmp/base main`, then
//                          /tmp/base/src), as "cyclone-base", to measure a change A/B
//   BENCH_WAIT_IDLE=30     before each measurement, wait up to 30 s for the machine to be
//                          under 15% busy (shared machines; default 0: no waiting)
//   BENCH_SERVER_CPU=0 BENCH_LOAD_CPU=1   the cores to pin workerd and wrk to
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { arch, cpus, loadavg, platform } from "node:os";
import { join } from "node:path";
import { fixed, int, median, ratio, table } from "../lib/format.js";
import { tools } from "../lib/load.js";
import { canPin, cpuSeconds, onPath, pinned, stopServer, waitForIdle } from "../lib/procs.js";
import { bundle, root } from "./bundle.js";
import { measureSizes, printSizes } from "./size.js";
import { num } from "../lib/env.js";

const require = createRequire(import.meta.url);
const env = process.env;
const quick = env.BENCH_QUICK === "1";
const resultsDir = join(root, "bench/results/workerd");

// wrangler.toml's date, so the Workers behave as the deployed app does.
const COMPATIBILITY_DATE = "2026-03-29";

const WORKERS = [
  { name: "cyclone", label: "Cyclone (toWorker)" },
  { name: "cyclone-lean", label: "Cyclone, tiny entry, no Server/Date/Etag" },
  { name: "hono", label: "Hono 4" },
  { name: "plain", label: "plain fetch" },
  { name: "itty", label: "itty-router 5 (AutoRouter)", optIn: true },
];

// Cyclone answers text/html, as Tornado does; the others text/plain.
const ROUTES = [
  { name: "hello", path: "/", check: (body, type) => body === "Hello, world" && type.startsWith("text/") },
  { name: "json", path: "/json", check: (body, type) => JSON.parse(body).message === "Hello, world" && type.startsWith("application/json") },
];


if (env.BENCH_BASE_SRC) {
  WORKERS.splice(1, 0, { name: "cyclone-base", label: "Cyclone, BENCH_BASE_SRC", entry: "cyclone.js", src: env.BENCH_BASE_SRC });
}

function list(name, all, value = env[name]) {
  const v = value;
  if (v === undefined || v === "") return all.filter((x) => !x.optIn);
  if (name === "BENCH_WORKERS" && env.BENCH_BASE_SRC && !v.includes("cyclone-base")) return list(name, all, `${v},cyclone-base`);
  const names = v.split(",").map((s) => s.trim());
  for (const n of names) if (!all.some((x) => x.name === n)) throw new RangeError(`${name}: unknown ${JSON.stringify(n)} (known: ${all.map((x) => x.name).join(", ")})`);
  return all.filter((x) => names.includes(x.name));
}

const pin = canPin();
const cpuIndex = (name, fallback) => (pin ? (env[name] === undefined ? fallback : Number(env[name])) : null);
const config = {
  warmup: quick ? 1 : num("BENCH_WARMUP", 2),
  duration: quick ? 3 : num("BENCH_DURATION", 6),
  rounds: quick ? 2 : num("BENCH_ROUNDS", 3),
  connections: num("BENCH_CONNECTIONS", 32),
  threads: num("BENCH_THREADS", 1),
  workers: list("BENCH_WORKERS", WORKERS),
  routes: list("BENCH_ROUTES", ROUTES),
  serverCpu: cpuIndex("BENCH_SERVER_CPU", 0),
  loadCpu: cpuIndex("BENCH_LOAD_CPU", 1),
  sizes: env.BENCH_SIZE !== "0",
  waitIdle: env.BENCH_WAIT_IDLE ? num("BENCH_WAIT_IDLE", 0) : 0,
};

/** The workerd binary: the platform package's, else the `workerd` package's launcher. */
function workerdBinary() {
  for (const id of [`@cloudflare/workerd-${platform()}-${arch() === "x64" ? "64" : arch()}/bin/workerd`, "workerd/bin/workerd"]) {
    try {
      return require.resolve(id);
    } catch {
      // try the next
    }
  }
  throw new Error("workerd is not installed (it comes with wrangler and miniflare: npm install)");
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A capnp config serving `module` (a file beside it) on 127.0.0.1:`port`. */
function capnpConfig(module, port) {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);

const worker :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "${module}") ],
  compatibilityDate = "${COMPATIBILITY_DATE}",
);
`;
}

async function get(port, path) {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
  return { status: r.status, type: r.headers.get("content-type") ?? "", body: await r.text() };
}

/** Bundles and serves one Worker; resolves with `{ child, port, bytes }` once it answers. */
async function startWorker(w, bin) {
  const file = `${w.name}.js`;
  const alias = w.src === undefined ? {} : { alias: { cyclone: join(w.src, "core/index.ts"), "cyclone/edge": join(w.src, "edge/index.ts") } };
  const { bytes } = await bundle(w.entry ?? file, join(resultsDir, file), alias);
  const port = await freePort();
  const configFile = join(resultsDir, `${w.name}.capnp`);
  writeFileSync(configFile, capnpConfig(file, port));
  const [cmd, args] = pinned(config.serverCpu, bin, ["serve", configFile]);
  const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`workerd (${w.name}) exited with ${child.exitCode}\n${stderr}`);
    try {
      if ((await get(port, "/")).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`workerd (${w.name}) did not answer within 15 s\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const route of config.routes) {
    const r = await get(port, route.path);
    if (r.status !== 200 || !route.check(r.body, r.type)) {
      child.kill("SIGKILL");
      throw new Error(`${w.name} ${route.path}: unexpected answer ${r.status} ${r.type} ${JSON.stringify(r.body)}`);
    }
  }
  return { child, port, bytes };
}

async function main() {
  if (!onPath("wrk")) throw new Error("wrk is needed for this benchmark (apt-get install wrk)");
  const bin = workerdBinary();
  const tool = tools.wrk;
  mkdirSync(resultsDir, { recursive: true });
  console.log("Workers on bare workerd — Hello world and a JSON route");
  console.log(`  workerd: ${bin}`);
  console.log(`  load: ${await tool.version()}, ${config.connections} connections, ${config.threads} thread(s), ${config.warmup} s warm-up + ${config.duration} s measured, ${config.rounds} interleaved rounds`);
  console.log(`  machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(pin ? `  pinning: workerd on CPU ${config.serverCpu}, wrk on CPU ${config.loadCpu}` : "  pinning: unavailable (taskset missing or one core)");

  const servers = new Map();
  const stopAll = () => Promise.all([...servers.values()].map((s) => stopServer(s.child)));
  process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));
  try {
    for (const w of config.workers) {
      servers.set(w.name, await startWorker(w, bin));
    }
    const samples = new Map();
    for (let round = 0; round < config.rounds; round++) {
      console.log(`\nround ${round + 1}/${config.rounds}`);
      const order = config.workers.map((_, i) => config.workers[(i + round) % config.workers.length]);
      for (const route of config.routes) {
        for (const w of order) {
          const s = servers.get(w.name);
          const url = `http://127.0.0.1:${s.port}${route.path}`;
          const opts = { connections: config.connections, threads: config.threads, cpu: config.loadCpu };
          if (config.waitIdle > 0) {
            const idle = await waitForIdle(config.waitIdle);
            if (idle.waited >= config.waitIdle) console.log(`  (machine still ${fixed(idle.busy * 100, 0)}% busy after ${config.waitIdle} s; measuring anyway)`);
          }
          await tool.run(url, { ...opts, seconds: config.warmup });
          const cpu0 = cpuSeconds(s.child.pid);
          const r = await tool.run(url, { ...opts, seconds: config.duration });
          const cpu = cpuSeconds(s.child.pid) - cpu0;
          const key = `${w.name} ${route.name}`;
          if (!samples.has(key)) samples.set(key, []);
          samples.get(key).push({ ...r, perCpu: r.requests / cpu });
          console.log(`  ${route.name.padEnd(5)} ${w.label.padEnd(28)} ${int(r.rps).padStart(8)} req/s  p99 ${fixed(r.p99Ms)} ms  ${int(r.requests / cpu)} req/CPU-s${r.errors ? `  ${r.errors} errors` : ""}`);
        }
      }
    }

    const summary = [];
    const verdicts = [];
    for (const route of config.routes) {
      const med = (name, field) => median((samples.get(`${name} ${route.name}`) ?? []).map((x) => x[field]));
      const rows = [["Worker", "req/s", "p99 ms", "req/CPU-s", "vs Hono", "vs plain", "bundle"]];
      for (const w of config.workers) {
        const rps = med(w.name, "rps");
        const perCpu = med(w.name, "perCpu");
        const entry = { route: route.name, worker: w.name, rps, p99Ms: med(w.name, "p99Ms"), perCpu, bundleBytes: servers.get(w.name).bytes };
        summary.push(entry);
        rows.push([
          w.label,
          int(rps),
          fixed(entry.p99Ms),
          int(perCpu),
          ratio(rps / med("hono", "rps")),
          ratio(rps / med("plain", "rps")),
          `${(entry.bundleBytes / 1024).toFixed(1)} KB`,
        ]);
      }
      console.log(`\n${route.name === "hello" ? "Hello world" : "JSON"} (${route.path}), medians of ${config.rounds} rounds:`);
      console.log(table(rows, ["l", "r", "r", "r", "r", "r", "r"]));
      if (env.BENCH_BASE_SRC) {
        verdicts.push(`Cyclone against BENCH_BASE_SRC, ${route.name}: ${ratio(med("cyclone", "rps") / med("cyclone-base", "rps"))} req/s, ${ratio(med("cyclone", "perCpu") / med("cyclone-base", "perCpu"))} req/CPU-s`);
      }
      const c = med("cyclone", "rps");
      const h = med("hono", "rps");
      if (Number.isFinite(c) && Number.isFinite(h)) {
        const cpuRatio = med("cyclone", "perCpu") / med("hono", "perCpu");
        // Both figures must agree: on a busy machine req/s alone can flip either way.
        const met = c >= h && cpuRatio >= 1;
        verdicts.push(`Target ${route.name} (Cyclone >= 1.0x Hono): ${met ? "met" : "MISSED"} (${ratio(c / h)} req/s, ${ratio(cpuRatio)} req/CPU-s)`);
      }
    }
    console.log("");
    for (const v of verdicts) console.log(v);

    let sizes;
    if (config.sizes) {
      console.log("\nBundle size of a Hello world (esbuild, minified ESM, same settings for all):");
      sizes = await measureSizes();
      printSizes(sizes, false);
      console.log("(node bench/workerd/size.js lists the modules of Cyclone's bundle)");
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const out = join(resultsDir, `results-${stamp}.json`);
    writeFileSync(out, JSON.stringify({ config: { ...config, workers: config.workers.map((w) => w.name), routes: config.routes.map((r) => r.name) }, samples: Object.fromEntries(samples), summary, sizes: sizes?.rows }, null, 2));
    console.log(`\nResults: ${out}`);
  } finally {
    await stopAll();
  }
}

if (!existsSync(join(root, "node_modules/esbuild"))) throw new Error("run npm install first");
await main();
