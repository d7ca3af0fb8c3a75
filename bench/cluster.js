// `node bench/cluster.js`: what running several processes costs. Hello world served by
// Cyclone's HTTPServer with bind + start(1) (one process) and with start(2) (a node:cluster
// primary and two children sharing the port), both pinned to the same core, the load
// generator (wrk when on the PATH, else autocannon) pinned to the other.
//
// The figure compared is requests per server CPU-second: every process of the server
// (primary and children) is counted, from /proc/<pid>/stat. On a two-core machine where
// the load generator needs one core, two server processes cannot serve more requests per
// second than one; what clustering must not do is cost more CPU per request. The target is
// a ratio (two processes / one) of at least 0.90.
//
// Two server processes time-sharing one core may serve fewer requests per CPU-second than
// one whatever the server is (smaller batches per wake-up, more context switches), which a
// core per process, as deployed, does not pay. So raw node:http in node:cluster runs the
// same way as a baseline: Cyclone's ratio next to the baseline's separates what Cyclone's
// process module costs from what the oversubscribed core costs. BENCH_SCHED=batch runs
// the servers under SCHED_BATCH (`chrt -b 0`, no wake-up preemption) to probe the latter.
//
// Rounds are interleaved and the median is reported. Uses the built files: run
// `npm run build` first. Settings (environment variables):
//   BENCH_QUICK=1          1 s warm-up, 3 s measure, 2 rounds
//   BENCH_WARMUP=2 BENCH_DURATION=8 BENCH_ROUNDS=3
//   BENCH_TOOL=wrk         force wrk or autocannon
//   BENCH_SERVER_CPU=0 BENCH_LOAD_CPU=1
//   BENCH_CONNECTIONS=32   connections per server process (BENCH_SAME_TOTAL=1: in all)
//   BENCH_SCHED=other      the servers' scheduling policy: other (default) or batch (chrt -b 0)
//   BENCH_BASELINE=1       also measure raw node:http in node:cluster (0: Cyclone only)
//   BENCH_WAIT_IDLE=0      before each measurement, wait up to this many seconds for the
//                          machine to be under 15% busy
//
// Run with `--serve <n>` (or `--serve-raw <n>`) it is the server itself.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { fixed, int, median, table } from "./lib/format.js";
import { tools } from "./lib/load.js";
import { canPin, cpuSeconds, onPath, pinned, waitForIdle } from "./lib/procs.js";

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === "--serve") {
  await serve(Number(process.argv[3]));
} else if (process.argv[2] === "--serve-raw") {
  await serveRaw(Number(process.argv[3]));
} else {
  await main();
}

/** The server: Hello world on 127.0.0.1, in `n` processes; every process prints its pid. */
async function serve(n) {
  const { Application, HTTPServer, RequestHandler, taskId } = await import("../dist/node/index.js");
  class MainHandler extends RequestHandler {
    get() {
      this.write("Hello, world");
    }
  }
  if (n !== 1) {
    // The primary never gets past start(n); it reports its own pid here.
    const cluster = (await import("node:cluster")).default;
    if (cluster.isPrimary) process.stdout.write(`PRIMARY ${process.pid}\n`);
  }
  const server = new HTTPServer(new Application([["/", MainHandler]]));
  server.bind(Number(process.env.BENCH_PORT ?? 0), "127.0.0.1");
  await server.start(n);
  process.on("SIGTERM", () => process.exit(0));
  process.stdout.write(`WORKER ${taskId()} ${process.pid} ${server.address().port}\n`);
}

/** The baseline: raw node:http in node:cluster, forked by hand, same output. */
async function serveRaw(n) {
  const cluster = (await import("node:cluster")).default;
  const http = await import("node:http");
  process.on("SIGTERM", () => {
    if (cluster.isPrimary) for (const w of Object.values(cluster.workers ?? {})) w.process.kill("SIGTERM");
    process.exit(0);
  });
  if (n !== 1 && cluster.isPrimary) {
    process.stdout.write(`PRIMARY ${process.pid}\n`);
    for (let i = 0; i < n; i++) cluster.fork();
    return;
  }
  const server = http.createServer((req, res) => res.end("Hello, world"));
  server.listen(Number(process.env.BENCH_PORT ?? 0), "127.0.0.1", () => {
    process.stdout.write(`WORKER - ${process.pid} ${server.address().port}\n`);
  });
}

/** Starts the server in `n` processes; resolves once every one is listening. */
function startCluster(n, cpu, batch, raw) {
  const mode = raw ? "--serve-raw" : "--serve";
  const node = batch ? ["chrt", ["-b", "0", process.execPath, self, mode, String(n)]] : [process.execPath, [self, mode, String(n)]];
  const [cmd, args] = pinned(cpu, node[0], node[1]);
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NODE_ENV: "production" } });
  return new Promise((resolve, reject) => {
    const pids = [];
    let port = 0;
    let out = "";
    const timer = setTimeout(() => reject(new Error("the server did not start within 15 s")), 15000);
    child.once("exit", (code) => reject(new Error(`the server exited with ${code}`)));
    child.stdout.on("data", (d) => {
      out += d;
      let nl;
      while ((nl = out.indexOf("\n")) !== -1) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        const p = /^PRIMARY (\d+)/.exec(line);
        if (p) pids.push(Number(p[1]));
        const w = /^WORKER \S+ (\d+) (\d+)/.exec(line);
        if (w) {
          pids.push(Number(w[1]));
          port = Number(w[2]);
          if (pids.length === (n === 1 ? 1 : n + 1)) {
            clearTimeout(timer);
            child.removeAllListeners("exit");
            resolve({ child, pids, port });
          }
        }
      }
    });
  });
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    // With taskset in front, the pid is taskset's exec'd node: the signal reaches the primary.
    child.kill("SIGTERM");
  });
}

async function measure(n, tool, settings, raw) {
  if (settings.waitIdle > 0) await waitForIdle(settings.waitIdle);
  const { child, pids, port } = await startCluster(n, settings.serverCpu, settings.batch, raw);
  try {
    const url = `http://127.0.0.1:${port}/`;
    // Each process sees the same number of connections either way (see the header).
    const load = { connections: settings.connections * (settings.perProcess ? n : 1), threads: 1, cpu: settings.loadCpu };
    await tool.run(url, { ...load, seconds: settings.warmup });
    const before = pids.map(cpuSeconds);
    const r = await tool.run(url, { ...load, seconds: settings.duration });
    const each = pids.map((pid, i) => cpuSeconds(pid) - before[i]);
    const used = each.reduce((a, b) => a + b, 0);
    // With several processes the first pid is the primary, which hands out connections.
    const primary = n === 1 ? 0 : each[0];
    return { rps: r.rps, cpu: used, primary, perCpu: r.requests / used, errors: r.errors };
  } finally {
    await stop(child);
  }
}

async function main() {
  const quick = process.env.BENCH_QUICK === "1";
  const pin = canPin();
  const settings = {
    warmup: Number(process.env.BENCH_WARMUP ?? (quick ? 1 : 2)),
    duration: Number(process.env.BENCH_DURATION ?? (quick ? 3 : 8)),
    rounds: Number(process.env.BENCH_ROUNDS ?? (quick ? 2 : 3)),
    connections: Number(process.env.BENCH_CONNECTIONS ?? 32),
    perProcess: process.env.BENCH_SAME_TOTAL !== "1",
    batch: process.env.BENCH_SCHED === "batch" && onPath("chrt"),
    waitIdle: Number(process.env.BENCH_WAIT_IDLE ?? 0),
    serverCpu: pin ? Number(process.env.BENCH_SERVER_CPU ?? 0) : null,
    loadCpu: pin ? Number(process.env.BENCH_LOAD_CPU ?? 1) : null,
  };
  const tool = tools[process.env.BENCH_TOOL ?? (onPath("wrk") ? "wrk" : "autocannon")];
  console.log(
    `cluster bench: ${await tool.version()}, ${settings.connections} connections${settings.perProcess ? " per server process" : " in all"}, ${settings.duration} s × ${settings.rounds} rounds, ` +
      (pin ? `server on cpu ${settings.serverCpu}, load on cpu ${settings.loadCpu}` : "not pinned") +
      `, server scheduling ${settings.batch ? "SCHED_BATCH" : "default"}`,
  );
  const servers = process.env.BENCH_BASELINE === "0" ? ["cyclone"] : ["cyclone", "node-http"];
  const results = {};
  for (const name of servers) results[name] = { 1: [], 2: [] };
  for (let round = 0; round < settings.rounds; round++) {
    for (const name of servers) {
      for (const n of [1, 2]) {
        const m = await measure(n, tool, settings, name === "node-http");
        if (m.errors > 0) throw new Error(`${m.errors} errors with ${name} in ${n} process(es)`);
        results[name][n].push(m);
        console.log(
          `  round ${round + 1}, ${name}, ${n} process(es): ${int(m.rps)} req/s, ${fixed(m.cpu)} CPU-s (primary ${fixed(m.primary)}), ${int(m.perCpu)} req/CPU-s`,
        );
      }
    }
  }
  const rows = [["server", "processes", "req/s", "server CPU-s", "req per CPU-s", "2 / 1 per CPU-s"]];
  const ratios = {};
  for (const name of servers) {
    const per = {};
    for (const n of [1, 2]) per[n] = median(results[name][n].map((m) => m.perCpu));
    ratios[name] = per[2] / per[1];
    for (const n of [1, 2]) {
      const ms = results[name][n];
      rows.push([name, String(n), int(median(ms.map((m) => m.rps))), fixed(median(ms.map((m) => m.cpu))), int(per[n]), n === 2 ? fixed(ratios[name], 3) : ""]);
    }
  }
  console.log(table(rows, ["l", "l", "r", "r", "r", "r"]));
  const ratio = ratios.cyclone;
  console.log(`Cyclone, two processes / one, per CPU-second: ${fixed(ratio, 3)} (target ≥ 0.90: ${ratio >= 0.9 ? "met" : "NOT met"})`);
}
