// Profiles one benchmark Worker inside workerd: serves its bundle (not minified, so the
// profile shows function names) with workerd's inspector on 127.0.0.1, records a V8 CPU
// profile through the DevTools protocol while wrk loads one route, writes it to
// bench/results/workerd/<worker>-<route>.cpuprofile and summarises it with bench/profile.js.
//
//   node bench/workerd/profile.js cyclone /          (worker name, path; defaults cyclone /)
//
// Settings: BENCH_DURATION (5 s of load), BENCH_CONNECTIONS (32), BENCH_SERVER_CPU and
// BENCH_LOAD_CPU (0 and 1).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import WebSocket from "ws";
import { tools } from "../lib/load.js";
import { canPin, pinned, stopServer } from "../lib/procs.js";
import { bundle, root } from "./bundle.js";

const require = createRequire(import.meta.url);
const [name = "cyclone", path = "/"] = process.argv.slice(2);
const env = process.env;
const seconds = Number(env.BENCH_DURATION ?? 5);
const connections = Number(env.BENCH_CONNECTIONS ?? 32);
const pin = canPin();
const serverCpu = pin ? Number(env.BENCH_SERVER_CPU ?? 0) : null;
const loadCpu = pin ? Number(env.BENCH_LOAD_CPU ?? 1) : null;
const dir = join(root, "bench/results/workerd");
mkdirSync(dir, { recursive: true });

const file = `profile-${name}.js`;
await bundle(`${name}.js`, join(dir, file), { minify: false });
const port = 18000 + Math.floor(Math.random() * 1000);
const inspectorPort = port + 1000;
const configFile = join(dir, `profile-${name}.capnp`);
writeFileSync(
  configFile,
  `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "${file}") ],
  compatibilityDate = "2026-03-29",
);
`,
);
const bin = require.resolve("@cloudflare/workerd-linux-64/bin/workerd");
const [cmd, args] = pinned(serverCpu, bin, ["serve", configFile, `--inspector-addr=127.0.0.1:${inspectorPort}`]);
const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "inherit"] });
try {
  const url = `http://127.0.0.1:${port}${path}`;
  let targets;
  for (let i = 0; i < 100 && targets === undefined; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      if ((await fetch(url)).ok) targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
    } catch {
      // not up yet
    }
  }
  if (targets === undefined || targets.length === 0) throw new Error("workerd's inspector did not answer");
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  let id = 0;
  const pending = new Map();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data));
    if (msg.id !== undefined) pending.get(msg.id)?.(msg);
  });
  const send = (method, params = {}) =>
    new Promise((resolve) => {
      pending.set(++id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  const opts = { connections, threads: 1, cpu: loadCpu };
  await tools.wrk.run(url, { ...opts, seconds: 2 }); // warm-up
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 100 });
  await send("Profiler.start");
  const load = await tools.wrk.run(url, { ...opts, seconds });
  const { result } = await send("Profiler.stop");
  ws.close();
  const out = join(dir, `${name}-${path === "/" ? "hello" : path.slice(1)}.cpuprofile`);
  writeFileSync(out, JSON.stringify(result.profile));
  console.log(`${name} ${path}: ${Math.round(load.rps)} req/s under the profiler (${load.requests} requests); profile: ${out}\n`);
  spawnSync(process.execPath, [join(root, "bench/profile.js"), out, "--requests", String(load.requests), "--top", "30"], { stdio: "inherit" });
} finally {
  await stopServer(child);
}
