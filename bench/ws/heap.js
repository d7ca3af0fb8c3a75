// `node bench/ws/heap.js [server] [n]`: where a benchmark server's memory per idle
// WebSocket goes, by object. (After `npm run build`; server: cyclone or bare, default
// cyclone; n: sockets, default 2000.)
//
// Starts bench/ws/servers/<server>.js with --heapsnapshot-signal, opens 200 sockets and
// closes them (warm-up), takes a heap snapshot, opens n idle sockets (bench/ws/client.js,
// the same raw clients as run.js), takes a second one. Objects in the second snapshot
// whose ids are not in the first are the sockets' own; each is charged to the nearest
// object of a named class above it (following its first retainer, preferring new ones),
// with the property it hangs from, and the bytes are divided by n. So
// "HTTPServerRequest.files  184 B  2.00" reads: per socket, 2 objects (184 bytes) hang
// from a request's `files`. Snapshots go to bench/results/ws-heap-<server>/.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const server = process.argv[2] ?? "cyclone";
const N = Number(process.argv[3] ?? 2000);
const TOP = 40;
const dir = join(here, "..", "results", `ws-heap-${server}`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const child = spawn(process.execPath, ["--expose-gc", "--heapsnapshot-signal=SIGUSR2", join(here, "servers", `${server}.js`)], {
  cwd: dir,
  stdio: ["ignore", "pipe", "inherit"],
});
const port = await new Promise((resolve, reject) => {
  let out = "";
  child.once("exit", (code) => reject(new Error(`${server} exited with ${code}`)));
  child.stdout.on("data", (d) => {
    const m = /READY (\d+)/.exec((out += d));
    if (m) resolve(Number(m[1]));
  });
});
const client = spawn(process.execPath, [join(here, "client.js")], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
let nextId = 0;
function ask(message) {
  const id = nextId++;
  return new Promise((resolve) => {
    const onMessage = (m) => {
      if (m.id !== id) return;
      client.off("message", onMessage);
      resolve(m);
    };
    client.on("message", onMessage);
    client.send({ ...message, id });
  });
}

async function snapshot() {
  await fetch(`http://127.0.0.1:${port}/gc`, { method: "POST" });
  const before = new Set(readdirSync(dir));
  child.kill("SIGUSR2");
  // The snapshot is written on the server's main thread: a request answered after the
  // signal is answered after the file is complete. The size check is a second guard.
  await sleep(200);
  await fetch(`http://127.0.0.1:${port}/count`);
  for (let i = 0; i < 100; i++) {
    const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith(".heapsnapshot"));
    if (file !== undefined) {
      const path = join(dir, file);
      let size = -1;
      for (let j = 0; j < 60 && statSync(path).size !== size; j++) {
        size = statSync(path).size;
        await sleep(500);
      }
      return path;
    }
    await sleep(100);
  }
  throw new Error("no heap snapshot was written");
}

await ask({ op: "open", kind: "ws", port, n: 200, window: 32 });
await ask({ op: "close" });
await sleep(300);
const first = await snapshot();
const opened = await ask({ op: "open", kind: "ws", port, n: N, window: 32 });
await sleep(500);
const second = await snapshot();
await ask({ op: "close" });
client.send({ op: "exit" });
child.kill();

// --- attribution -------------------------------------------------------------------------
const ids = new Set();
{
  const a = JSON.parse(readFileSync(first, "utf8"));
  const f = a.snapshot.meta.node_fields;
  for (let i = f.indexOf("id"); i < a.nodes.length; i += f.length) ids.add(a.nodes[i]);
}
const s = JSON.parse(readFileSync(second, "utf8"));
const meta = s.snapshot.meta;
const nf = meta.node_fields.length;
const ef = meta.edge_fields.length;
const [NT, NN, NI, NS, NE] = ["type", "name", "id", "self_size", "edge_count"].map((k) => meta.node_fields.indexOf(k));
const [ET, EN, EO] = ["type", "name_or_index", "to_node"].map((k) => meta.edge_fields.indexOf(k));
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const { nodes, edges, strings } = s;
const count = nodes.length / nf;

// The retainers of every node: [node, edge name, edge type], weak edges left out.
const retainers = Array.from({ length: count }, () => []);
for (let n = 0, e = 0; n < count; n++) {
  for (let k = nodes[n * nf + NE]; k > 0; k--, e += ef) {
    const type = edgeTypes[edges[e + ET]];
    if (type === "weak" || type === "shortcut") continue;
    const name = type === "element" || type === "hidden" ? `[${edges[e + EN]}]` : strings[edges[e + EN]];
    retainers[edges[e + EO] / nf].push([n, name, type]);
  }
}
const isNew = (n) => !ids.has(nodes[n * nf + NI]);
const typeOf = (n) => nodeTypes[nodes[n * nf + NT]];
const nameOf = (n) => strings[nodes[n * nf + NN]];
const label = (n) => (typeOf(n) === "object" ? nameOf(n) : `(${typeOf(n)})`);
const PLAIN = new Set(["Object", "Array", "Map", "Set", "system / Context"]);
const isOwner = (n) => typeOf(n) === "object" && /^[A-Z]/.test(nameOf(n)) && !PLAIN.has(nameOf(n));

const groups = new Map();
let total = 0;
for (let n = 0; n < count; n++) {
  if (!isNew(n)) continue;
  const size = nodes[n * nf + NS];
  total += size;
  let at = n;
  let via = "";
  // Up to 12 steps: far enough to reach the owning class through maps, arrays and closures.
  for (let depth = 0; depth < 12 && !(depth > 0 && isOwner(at)); depth++) {
    const rs = retainers[at];
    if (rs.length === 0) break;
    const r = rs.find((x) => isNew(x[0]) && x[2] !== "internal") ?? rs.find((x) => isNew(x[0])) ?? rs[0];
    via = r[1];
    at = r[0];
    if (!isNew(at)) break;
  }
  const key = `${label(at)}${isNew(at) ? "" : " (before)"}.${via}`;
  const g = groups.get(key) ?? { objects: 0, bytes: 0 };
  g.objects++;
  g.bytes += size;
  groups.set(key, g);
}

console.log(`${server}: ${opened.opened} sockets opened; new JS heap per socket: ${(total / N).toFixed(0)} B (self sizes)`);
console.log("bytes/socket  objects/socket  owner.property");
for (const [key, g] of [...groups].sort((x, y) => y[1].bytes - x[1].bytes).slice(0, TOP)) {
  console.log(`${(g.bytes / N).toFixed(0).padStart(8)} B  ${(g.objects / N).toFixed(2).padStart(8)}        ${key}`);
}
process.exit(0);
