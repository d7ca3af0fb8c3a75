// `npm run bench`: Hello world served by raw node:http, Cyclone, Fastify, Hono (on
// @hono/node-server) and Express, side by side in one run, then the in-process routing
// benchmark (bench/routing.js).
//
// Each server runs in its own child process started the same way (`node bench/servers/<name>.js`,
// NODE_ENV=production, 127.0.0.1, a port the OS picks, body "Hello, world"), pinned to one core
// with taskset; the load generator (wrk when it is on the PATH, else autocannon) runs pinned
// to the other core. Rounds are interleaved (A B C D E, A B C D E, ...) and each figure is the
// median over rounds, to damp the noise of a shared machine. Every measurement is preceded
// by a warm-up of the same server with the same load.
//
// Besides req/s and p99 latency, it reports requests per CPU-second of the server process
// (from /proc): when other work steals the server's core, req/s drops but this figure holds,
// so it is the steadier one to compare on a busy machine.
//
// Uses the built files: run `npm run build` first. Settings (environment variables):
//   BENCH_QUICK=1          short run: 1 s warm-up, 3 s measure, 2 rounds
//   BENCH_WARMUP=2         warm-up seconds per measurement
//   BENCH_DURATION=8       measured seconds per measurement
//   BENCH_ROUNDS=3         interleaved rounds (the median is reported)
//   BENCH_CONNECTIONS=64   concurrent keep-alive connections
//   BENCH_THREADS=1        load-generator threads
//   BENCH_TOOL=wrk         force wrk or autocannon
//   BENCH_SERVERS=a,b      only these servers (node-http is always kept as the baseline);
//                          `cyclone-noetag` (Cyclone with ETags off) runs only when named here
//   BENCH_ROUTING=0        skip the routing benchmark
//   BENCH_PROFILE=cyclone  run that server under `node --cpu-prof`; profiles go to bench/results/
//   BENCH_WAIT_IDLE=60     before each measurement, wait up to 60 s for the machine to be
//                          under 15% busy (for shared machines; default 0: no waiting)
//   BENCH_SERVER_CPU=0 BENCH_LOAD_CPU=1   the cores to pin to
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import * as http from "node:http";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fixed, int, median, ratio, table } from "./lib/format.js";
import { tools } from "./lib/load.js";
import { canPin, cpuSeconds, cpuTimes, onPath, pinned, startServer, stopServer, waitForIdle } from "./lib/procs.js";
import { num } from "./lib/env.js";

const here = dirname(fileURLToPath(import.meta.url));
const env = process.env;
const quick = env.BENCH_QUICK === "1";

const SERVERS = [
  { name: "node-http", label: "node:http (raw)" },
  { name: "cyclone", label: "Cyclone" },
  { name: "fastify", label: "Fastify 5" },
  { name: "hono", label: "Hono (@hono/node-server)" },
  { name: "express", label: "Express 5" },
  // Diagnostic only: run when BENCH_SERVERS names it.
  { name: "cyclone-noetag", label: "Cyclone, ETag off", optIn: true },
];


function cpuIndex(name, fallback) {
  const v = env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n >= cpus().length) throw new RangeError(`${name} must be a CPU index below ${cpus().length}, got ${JSON.stringify(v)}`);
  return n;
}

const config = {
  warmup: num("BENCH_WARMUP", quick ? 1 : 2),
  duration: num("BENCH_DURATION", quick ? 3 : 8),
  rounds: Math.round(num("BENCH_ROUNDS", quick ? 2 : 3)),
  connections: Math.round(num("BENCH_CONNECTIONS", 64)),
  threads: Math.round(num("BENCH_THREADS", 1)),
  waitIdle: env.BENCH_WAIT_IDLE ? num("BENCH_WAIT_IDLE", 0) : 0,
};

/** GETs `/` once; resolves with the status, body and size of the whole response. */
function probe(port) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => {
        let head = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n\r\n`.length;
        for (let i = 0; i < res.rawHeaders.length; i += 2) head += res.rawHeaders[i].length + res.rawHeaders[i + 1].length + 4;
        resolve({ status: res.statusCode, body, bytes: head + Buffer.byteLength(body) });
      });
    });
    req.setTimeout(5000, () => req.destroy(new Error("probe timed out")));
    req.once("error", reject);
  });
}

function pickTool() {
  const forced = env.BENCH_TOOL;
  if (forced) {
    if (!tools[forced]) throw new Error(`BENCH_TOOL must be wrk or autocannon, got ${forced}`);
    return tools[forced];
  }
  return onPath("wrk") ? tools.wrk : tools.autocannon;
}

function runRouting(cpu) {
  const [cmd, args] = pinned(cpu, process.execPath, [join(here, "routing.js")]);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: "inherit", env });
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`bench/routing.js exited with ${code}`))));
  });
}

async function main() {
  if (!existsSync(join(here, "../dist/node/index.js"))) {
    console.error("bench: dist/ is missing; run `npm run build` first.");
    process.exitCode = 1;
    return;
  }
  const tool = pickTool();
  const pin = canPin();
  const serverCpu = pin ? cpuIndex("BENCH_SERVER_CPU", 0) : null;
  const loadCpu = pin ? cpuIndex("BENCH_LOAD_CPU", 1) : null;
  const wanted = env.BENCH_SERVERS ? new Set(["node-http", ...env.BENCH_SERVERS.split(",").map((s) => s.trim())]) : null;
  const servers = SERVERS.filter((s) => (wanted === null ? !s.optIn : wanted.has(s.name)));
  for (const name of wanted ?? []) {
    if (!SERVERS.some((s) => s.name === name)) throw new Error(`BENCH_SERVERS: unknown server ${JSON.stringify(name)}; known: ${SERVERS.map((s) => s.name).join(", ")}`);
  }
  const profile = env.BENCH_PROFILE ?? "";
  const profileDir = join(here, "results");

  console.log(`# Cyclone HTTP benchmark — ${new Date().toISOString()}`);
  console.log(
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; ` +
      `load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`,
  );
  console.log(
    `Load: ${await tool.version()}, ${config.connections} connections, ${config.threads} thread(s); ` +
      `${config.warmup} s warm-up + ${config.duration} s measured per server; ${config.rounds} interleaved round(s), medians reported.`,
  );
  console.log(pin ? `Pinning: servers on CPU ${serverCpu}, load generator on CPU ${loadCpu} (taskset).` : "Pinning: none (taskset missing or a single core).");

  const running = [];
  const cleanup = () => {
    for (const s of running) s.child.kill("SIGKILL");
  };
  process.once("SIGINT", () => {
    cleanup();
    process.exit(130);
  });
  try {
    for (const s of servers) {
      const nodeFlags = profile === s.name ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
      if (nodeFlags.length) mkdirSync(profileDir, { recursive: true });
      const { child, port } = await startServer(join(here, "servers", `${s.name}.js`), { cpu: serverCpu, nodeFlags });
      running.push({ ...s, child, port, rounds: [] });
    }
    for (const s of running) {
      const p = await probe(s.port);
      if (p.status !== 200 || p.body !== "Hello, world") throw new Error(`${s.name} answered ${p.status} ${JSON.stringify(p.body)}`);
      s.bytes = p.bytes;
    }

    for (let r = 0; r < config.rounds; r++) {
      for (const s of running) {
        const url = `http://127.0.0.1:${s.port}/`;
        const opts = { connections: config.connections, threads: config.threads, cpu: loadCpu };
        if (config.waitIdle > 0) {
          const w = await waitForIdle(config.waitIdle);
          if (w.waited >= config.waitIdle) console.log(`  (machine still ${fixed(w.busy * 100, 0)}% busy after ${config.waitIdle} s; measuring anyway)`);
        }
        await tool.run(url, { ...opts, seconds: config.warmup });
        const cpu0 = cpuSeconds(s.child.pid);
        const cores0 = cpuTimes();
        const t0 = performance.now();
        const res = await tool.run(url, { ...opts, seconds: config.duration });
        const wall = (performance.now() - t0) / 1000;
        const cpu = cpuSeconds(s.child.pid) - cpu0;
        const cores1 = cpuTimes();
        res.cpuShare = cpu / wall;
        res.perCpu = res.requests / cpu;
        // What else ran on the server's core: its busy time minus the server's own.
        res.othersShare =
          cores0 !== null && serverCpu !== null ? Math.max(0, cores1[serverCpu].busy - cores0[serverCpu].busy - cpu) / wall : NaN;
        s.rounds.push(res);
        console.log(
          `  round ${r + 1}/${config.rounds} ${s.name.padEnd(9)} ${int(res.rps).padStart(7)} req/s  p99 ${fixed(res.p99Ms)} ms  ` +
            `server CPU ${fixed(res.cpuShare * 100, 0)}%  others on its core ${fixed(res.othersShare * 100, 0)}%` +
            `${res.errors ? `  errors ${res.errors}` : ""}`,
        );
      }
    }
  } finally {
    await Promise.all(running.map((s) => stopServer(s.child)));
  }

  const med = (s, key) => median(s.rounds.map((x) => x[key]));
  const base = running[0];
  const rows = [
    ["Server", "req/s", "vs node:http", "req/s range", "p99 (ms)", "vs node:http", "req/CPU-s", "vs node:http", "server CPU", "others", "resp. bytes", "errors"],
  ];
  for (const s of running) {
    rows.push([
      s.label,
      int(med(s, "rps")),
      ratio(med(s, "rps") / med(base, "rps")),
      `${int(Math.min(...s.rounds.map((x) => x.rps)))}–${int(Math.max(...s.rounds.map((x) => x.rps)))}`,
      fixed(med(s, "p99Ms")),
      ratio(med(s, "p99Ms") / med(base, "p99Ms")),
      int(med(s, "perCpu")),
      ratio(med(s, "perCpu") / med(base, "perCpu")),
      `${fixed(med(s, "cpuShare") * 100, 0)}%`,
      `${fixed(med(s, "othersShare") * 100, 0)}%`,
      String(s.bytes),
      String(s.rounds.reduce((a, x) => a + x.errors, 0)),
    ]);
  }
  console.log(`\nHello world, medians of ${config.rounds} round(s) (${tool.name}):\n`);
  console.log(table(rows, ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"]));
  console.log(
    "\nreq/CPU-s: requests per CPU-second of the server process; server CPU: its share of one core while measured " +
      "(below ~95% the server was not saturated: the load generator or another process held the CPU); " +
      "others: CPU share of other processes on the server's core.",
  );
  console.log(`\nLoad average after: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);

  const cyc = running.find((s) => s.name === "cyclone");
  const fst = running.find((s) => s.name === "fastify");
  if (cyc) {
    const vsNode = med(cyc, "rps") / med(base, "rps");
    console.log(`Target: Cyclone >= 0.90x node:http req/s: ${ratio(vsNode)} — ${vsNode >= 0.9 ? "met" : "MISSED"}`);
    if (fst) {
      const vsFastify = med(cyc, "rps") / med(fst, "rps");
      console.log(`Target: Cyclone ahead of Fastify: ${ratio(vsFastify)} of Fastify's req/s — ${vsFastify > 1 ? "met" : "MISSED"}`);
    }
  }
  if (profile) console.log(`CPU profile of ${profile}: ${profileDir} (summarise with \`node bench/profile.js <file>\`)`);

  if (env.BENCH_ROUTING !== "0") {
    console.log("");
    await runRouting(serverCpu);
  }
}

await main();
