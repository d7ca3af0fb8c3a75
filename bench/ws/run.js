// `npm run bench:ws` (node bench/ws/run.js): WebSockets and long polling at 15,000
// connections, side by side in one run — Cyclone on its Node host, the bare floor (`ws` on
// node:http, and long polling on bare node:http) and Tornado 6.2 as the anchor.
//
// Each server runs in its own process (bench/ws/servers/*.js, bench/tornado/server.py),
// pinned to one core; the clients run in BENCH_WS_PROCS separate processes
// (bench/ws/client.js, raw sockets) pinned to the other, since a process may hold at most
// 20,000 open files. Only 127.0.0.1. Every server starts fresh for each scenario.
//
// WebSocket scenario, per server:
//   1. warm-up (300 sockets and a short echo), full GC, server RSS "before";
//   2. open N idle sockets (at most BENCH_WS_WINDOW handshakes in flight per process):
//      open rate = N / time until the last 101;
//   3. full GC, server RSS "after": RSS per connection = (after - before) / N;
//   4. broadcast one message to the room of N sockets, BENCH_WS_ROUNDS times: time from
//      the POST until the last client has it (clients stamp receipt), median reported;
//   5. close, then echo with BENCH_WS_ECHO clients (closed loop, 40-byte text messages):
//      messages/s, and messages per CPU-second of the server process (steadier on a
//      shared machine).
// Long-poll scenario, per server: warm-up, GC, RSS; N requests waiting (rate = N / time
// until the server holds all of them); GC, RSS per waiting request; one notify wakes them
// all: time from the POST until the last client has its answer.
//
// Uses the built files: run `npm run build` first. Settings (environment variables):
//   BENCH_WS_N=15000        connections / waiting requests
//   BENCH_WS_PROCS=3        client processes (N is split evenly)
//   BENCH_WS_WINDOW=32      handshakes in flight per client process; long polls are opened
//                           in steps of PROCS x WINDOW (Tornado's accept backlog is 128:
//                           keep PROCS x WINDOW under it)
//   BENCH_WS_ROUNDS=3       broadcast rounds
//   BENCH_WS_ECHO=100       echo clients;  BENCH_WS_ECHO_SECONDS=5 measured seconds
//   BENCH_WS_SERVERS=cyclone,bare,tornado   which servers
//   BENCH_WS_SCENARIOS=ws,poll              which scenarios; `echo` (only when named) runs the
//                           echo alone, every server started once and measured in
//                           BENCH_WS_ECHO_ROUNDS=5 interleaved rounds (order rotated each
//                           round, medians): the steadier echo ratio on a shared machine
//   BENCH_WS_PROFILE=cyclone   run that Node server under --cpu-prof (bench/ws/results/)
//   BENCH_SERVER_CPU=0 BENCH_LOAD_CPU=1    the cores to pin to
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { num } from "../lib/env.js";
import { fixed as fixedDigits, int, median, table } from "../lib/format.js";
import { canPin as canPinHere, cpuSeconds, pinned, startCommand, stopServer } from "../lib/procs.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const env = process.env;

const list = (name, fallback) => (env[name] ? env[name].split(",").map((s) => s.trim()) : fallback);

const N = num("BENCH_WS_N", 15000);
const PROCS = num("BENCH_WS_PROCS", 3);
const WINDOW = num("BENCH_WS_WINDOW", 32);
const ROUNDS = num("BENCH_WS_ROUNDS", 3);
const ECHO_ROUNDS = num("BENCH_WS_ECHO_ROUNDS", 5);
const ECHO = num("BENCH_WS_ECHO", 100);
const ECHO_MS = num("BENCH_WS_ECHO_SECONDS", 5) * 1000;
const SERVERS = list("BENCH_WS_SERVERS", ["cyclone", "bare", "tornado"]);
const SCENARIOS = list("BENCH_WS_SCENARIOS", ["ws", "poll"]);
const PROFILE = env.BENCH_WS_PROFILE ?? "";
const PYTHON = "/usr/bin/python3";

const canPin = canPinHere();
const SERVER_CPU = canPin ? (env.BENCH_SERVER_CPU ?? "0") : null;
const LOAD_CPU = canPin ? (env.BENCH_LOAD_CPU ?? "1") : null;

const LABELS = {
  ws: { cyclone: "Cyclone (WebSocketHandler, HTTPServer)", bare: "bare ws on node:http", tornado: "Tornado 6.2" },
  poll: { cyclone: "Cyclone (Condition + AbortSignal)", bare: "bare node:http", tornado: "Tornado 6.2 (Condition)" },
};

// ---------------------------------------------------------------- processes

/** Starts a benchmark server; resolves with { child, port } once it prints READY <port>. */
function startServer(name, scenario) {
  let command;
  let args;
  if (name === "tornado") {
    [command, args] = [PYTHON, [join(root, "bench", "tornado", "server.py")]];
  } else {
    const flags = ["--expose-gc"];
    if (PROFILE === name) {
      mkdirSync(join(here, "results"), { recursive: true });
      flags.push("--cpu-prof", `--cpu-prof-dir=${join(here, "results")}`, `--cpu-prof-name=${name}-${scenario}-${Date.now()}.cpuprofile`);
    }
    [command, args] = [process.execPath, [...flags, join(here, "servers", `${name}.js`)]];
  }
  return startCommand(command, args, { cpu: SERVER_CPU, label: name, env });
}

/** Resident set size of `pid` in bytes (from /proc). */
function rss(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}


/** A client process: `ask(msg)` sends a command and resolves with its answer. */
function startClient(index) {
  const [cmd, args] = pinned(LOAD_CPU, process.execPath, [join(here, "client.js")]);
  const child = spawn(cmd, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting = new Map();
  let nextId = 0;
  child.on("message", (m) => {
    const w = waiting.get(m.id);
    if (w !== undefined) {
      waiting.delete(m.id);
      w(m);
    }
  });
  const ask = (msg, timeoutMs = 120_000) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`client ${index}: no answer to ${msg.op} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      child.send({ ...msg, id });
    });
  return { child, ask };
}

// ---------------------------------------------------------------- helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const wallNow = () => performance.timeOrigin + performance.now();

async function control(port, path, method = "GET") {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { Connection: "close" } });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status}`);
  return res.json();
}

/** Polls /count until `check` holds, at most `ms`; returns the last count. */
async function waitCount(port, check, ms, everyMs = 100) {
  const deadline = Date.now() + ms;
  let c = await control(port, "/count");
  while (!check(c) && Date.now() < deadline) {
    await sleep(everyMs);
    c = await control(port, "/count");
  }
  return c;
}

/**
 * Opens `total` long polls in steps of PROCS x WINDOW, each step only once the server holds
 * the previous ones. A poll client cannot see when the server has taken its request (no
 * answer comes), so without this the connects would overrun the accept backlog (128 in
 * Tornado) and stall on SYN retransmits, measuring the kernel rather than the server.
 */
async function openPollsPaced(clients, port, total) {
  const step = clients.length * WINDOW;
  let opened = 0;
  let failed = 0;
  let count = { waiters: 0 };
  for (let done = 0; done < total; done += step) {
    const r = await openAll(clients, "poll", port, Math.min(step, total - done));
    opened += r.opened;
    failed += r.failed;
    count = await waitCount(port, (c) => c.waiters >= opened, 30_000, 5);
    if (count.waiters < opened) break;
  }
  return { opened, failed, count };
}

async function settledRss(pid, port) {
  await sleep(500);
  await control(port, "/gc", "POST");
  await sleep(300);
  return rss(pid);
}

function split(total, parts) {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

// One decimal unless told otherwise, as these tables have always been printed.
const fixed = (n, d = 1) => fixedDigits(n, d);

/** Opens `total` clients of `kind`, split over the client processes, all at once. */
async function openAll(clients, kind, port, total) {
  const parts = split(total, clients.length);
  const start = wallNow();
  const answers = await Promise.all(clients.map((c, i) => c.ask({ op: "open", kind, port, n: parts[i], window: WINDOW })));
  return {
    ms: wallNow() - start,
    opened: answers.reduce((a, r) => a + r.opened, 0),
    failed: answers.reduce((a, r) => a + r.failed, 0),
  };
}

async function closeAllClients(clients) {
  await Promise.all(clients.map((c) => c.ask({ op: "close" })));
}

/** Arms every client with a fresh token, fires `trigger`, and waits for every receipt. */
async function deliverToAll(clients, trigger, timeoutMs = 60_000) {
  const token = `tok${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  await Promise.all(clients.map((c) => c.ask({ op: "arm", token })));
  const t0 = wallNow();
  await trigger(token);
  const answers = await Promise.all(clients.map((c) => c.ask({ op: "await", timeoutMs }, timeoutMs + 10_000)));
  const got = answers.reduce((a, r) => a + r.got, 0);
  const total = answers.reduce((a, r) => a + r.total, 0);
  const last = Math.max(...answers.map((r) => r.last));
  return { got, total, ms: last - t0 };
}

// ---------------------------------------------------------------- scenarios

/** One echo measurement against a running server: messages/s and messages per server CPU-s. */
async function measureEcho(pid, port, clients, warmupMs = 1000) {
  const parts = split(ECHO, clients.length);
  const echoes = clients.map((c, i) => c.ask({ op: "echo", port, clients: parts[i], warmupMs, measureMs: ECHO_MS }));
  await sleep(warmupMs);
  const cpu0 = cpuSeconds(pid);
  await sleep(ECHO_MS);
  const cpu = cpuSeconds(pid) - cpu0;
  const messages = (await Promise.all(echoes)).reduce((a, r) => a + r.messages, 0);
  return { rate: messages / (ECHO_MS / 1000), perCpu: messages / cpu, cpuShare: cpu / (ECHO_MS / 1000) };
}

/** The echo alone: every server up at once, rounds interleaved with the order rotated. */
async function echoScenario(names, clients) {
  const servers = [];
  try {
    for (const name of names) servers.push({ name, ...(await startServer(name, "echo")), runs: [] });
    for (const s of servers) await measureEcho(s.child.pid, s.port, clients, 1000); // warm-up
    for (let r = 0; r < ECHO_ROUNDS; r++) {
      for (let k = 0; k < servers.length; k++) {
        const s = servers[(k + r) % servers.length];
        s.runs.push(await measureEcho(s.child.pid, s.port, clients, 500));
      }
    }
    return servers.map((s) => ({
      name: s.name,
      rate: median(s.runs.map((x) => x.rate)),
      perCpu: median(s.runs.map((x) => x.perCpu)),
      rates: s.runs.map((x) => x.rate),
      perCpus: s.runs.map((x) => x.perCpu),
    }));
  } finally {
    for (const s of servers) await stopServer(s.child);
  }
}

async function websocketScenario(name, clients) {
  const { child, port } = await startServer(name, "ws");
  const pid = child.pid;
  try {
    // Warm-up: code paths compiled, pools grown, before the baseline is taken.
    await openAll(clients.slice(0, 1), "ws", port, 300);
    await closeAllClients(clients);
    await clients[0].ask({ op: "echo", port, clients: 20, warmupMs: 200, measureMs: 800 });
    await waitCount(port, (c) => c.sockets === 0, 10_000);
    const before = await settledRss(pid, port);

    const cpu0 = cpuSeconds(pid);
    const open = await openAll(clients, "ws", port, N);
    const count = await waitCount(port, (c) => c.sockets >= open.opened, 30_000);
    const openCpu = cpuSeconds(pid) - cpu0;
    const after = await settledRss(pid, port);

    const broadcasts = [];
    for (let r = 0; r < ROUNDS; r++) {
      broadcasts.push(await deliverToAll(clients, (m) => control(port, `/broadcast?m=${m}`, "POST")));
      await sleep(300);
    }
    await closeAllClients(clients);
    await waitCount(port, (c) => c.sockets === 0, 30_000);

    const echo = await measureEcho(pid, port, clients);

    return {
      name,
      opened: open.opened,
      failed: open.failed,
      serverSockets: count.sockets,
      openRate: open.opened / (open.ms / 1000),
      openCpu,
      before,
      after,
      perConn: (after - before) / open.opened,
      broadcastMs: median(broadcasts.map((b) => b.ms)),
      broadcastAll: broadcasts.map((b) => b.ms),
      broadcastMissing: broadcasts.reduce((a, b) => a + (b.total - b.got), 0),
      echoRate: echo.rate,
      echoPerCpu: echo.perCpu,
      echoCpuShare: echo.cpuShare,
    };
  } finally {
    await closeAllClients(clients).catch(() => {});
    await stopServer(child);
  }
}

async function pollScenario(name, clients) {
  const { child, port } = await startServer(name, "poll");
  const pid = child.pid;
  try {
    await openAll(clients.slice(0, 1), "poll", port, 300);
    await waitCount(port, (c) => c.waiters === 300, 10_000);
    await deliverToAll(clients, (m) => control(port, `/notify?m=${m}`, "POST"), 10_000);
    await closeAllClients(clients);
    await waitCount(port, (c) => c.waiters === 0, 10_000);
    const before = await settledRss(pid, port);

    const start = wallNow();
    const open = await openPollsPaced(clients, port, N);
    const count = open.count;
    const waitingMs = wallNow() - start;
    const after = await settledRss(pid, port);

    let woken = 0;
    const wake = await deliverToAll(clients, async (m) => {
      woken = (await control(port, `/notify?m=${m}`, "POST")).woken;
    });
    await closeAllClients(clients);
    return {
      name,
      opened: open.opened,
      failed: open.failed,
      waiting: count.waiters,
      woken,
      rate: count.waiters / (waitingMs / 1000),
      before,
      after,
      perRequest: (after - before) / open.opened,
      wakeMs: wake.ms,
      got: wake.got,
    };
  } finally {
    await closeAllClients(clients).catch(() => {});
    await stopServer(child);
  }
}

// ---------------------------------------------------------------- main

if (!existsSync(join(root, "dist", "node", "index.js"))) {
  console.error("bench/ws: dist/ is missing; run `npm run build` first");
  process.exit(1);
}

const load0 = loadavg();
console.log(
  `bench/ws: ${int(N)} connections, ${PROCS} client processes, ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ` +
    `node ${process.version}, ${spawnSync(PYTHON, ["-c", "import tornado,sys;print('tornado',tornado.version,'python',sys.version.split()[0])"], { encoding: "utf8" }).stdout.trim()}, ` +
    `pinning ${canPin ? `server→cpu${SERVER_CPU}, clients→cpu${LOAD_CPU}` : "off"}, load average ${load0.map((l) => l.toFixed(2)).join(" ")}`,
);

const clients = Array.from({ length: PROCS }, (_, i) => startClient(i));
const results = { ws: [], poll: [], echo: [] };
try {
  for (const scenario of SCENARIOS) {
    if (scenario === "echo") {
      process.stdout.write(`  echo / ${SERVERS.join(", ")}, ${ECHO_ROUNDS} interleaved rounds ... `);
      results.echo = await echoScenario(SERVERS, clients);
      console.log("done");
      continue;
    }
    for (const name of SERVERS) {
      process.stdout.write(`  ${scenario} / ${name} ... `);
      const r = scenario === "ws" ? await websocketScenario(name, clients) : await pollScenario(name, clients);
      results[scenario].push(r);
      console.log(JSON.stringify(r, (k, v) => (typeof v === "number" ? Math.round(v * 100) / 100 : v)));
    }
  }
} finally {
  await Promise.all(clients.map((c) => c.ask({ op: "exit" }, 2000).catch(() => {})));
  for (const c of clients) c.child.kill();
}

const KiB = 1024;
const MiB = 1024 * 1024;
if (results.ws.length > 0) {
  const bare = results.ws.find((r) => r.name === "bare");
  const rows = [["WebSockets", "open/s", "RSS before → after (MiB)", "RSS/conn (KiB)", "Δ vs bare (KiB)", `broadcast to ${int(N)}: last (ms)`, "echo msg/s", "echo msg/CPU-s", "echo vs bare"]];
  for (const r of results.ws) {
    rows.push([
      LABELS.ws[r.name] + (r.failed ? ` (${r.failed} failed)` : "") + (r.broadcastMissing ? ` (${r.broadcastMissing} missed)` : ""),
      int(r.openRate),
      `${fixed(r.before / MiB)} → ${fixed(r.after / MiB)}`,
      fixed(r.perConn / KiB, 2),
      bare ? fixed((r.perConn - bare.perConn) / KiB, 2) : "-",
      `${fixed(r.broadcastMs, 0)} (${r.broadcastAll.map((x) => fixed(x, 0)).join(", ")})`,
      int(r.echoRate),
      int(r.echoPerCpu),
      bare ? `${fixed(r.echoRate / bare.echoRate, 2)}x (${fixed(r.echoPerCpu / bare.echoPerCpu, 2)}x/CPU)` : "-",
    ]);
  }
  console.log(`\n${table(rows, ["l", "r", "r", "r", "r", "r", "r", "r", "r"])}`);
}
if (results.poll.length > 0) {
  const rows = [["Long polling", "waiting", "requests/s to all waiting", "RSS before → after (MiB)", "RSS/request (KiB)", "notify → last answer (ms)", "answers"]];
  for (const r of results.poll) {
    rows.push([
      LABELS.poll[r.name] + (r.failed ? ` (${r.failed} failed)` : ""),
      int(r.waiting),
      int(r.rate),
      `${fixed(r.before / MiB)} → ${fixed(r.after / MiB)}`,
      fixed(r.perRequest / KiB, 2),
      fixed(r.wakeMs, 0),
      `${int(r.got)}/${int(r.opened)}`,
    ]);
  }
  console.log(`\n${table(rows, ["l", "r", "r", "r", "r", "r", "r"])}`);
}
if (results.echo.length > 0) {
  const bare = results.echo.find((r) => r.name === "bare");
  const rows = [[`Echo, ${ECHO} clients, ${ECHO_ROUNDS} interleaved rounds`, "msg/s (median)", "msg/CPU-s (median)", "vs bare", "per round msg/s"]];
  for (const r of results.echo) {
    rows.push([
      LABELS.ws[r.name],
      int(r.rate),
      int(r.perCpu),
      bare ? `${fixed(r.rate / bare.rate, 2)}x (${fixed(r.perCpu / bare.perCpu, 2)}x/CPU)` : "-",
      r.rates.map((x) => int(x)).join(", "),
    ]);
  }
  console.log(`\n${table(rows, ["l", "r", "r", "r", "l"])}`);
}
const load1 = loadavg();
console.log(`\nload average at the end: ${load1.map((l) => l.toFixed(2)).join(" ")}`);
