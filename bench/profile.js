// Summarises a V8 CPU profile (`node --cpu-prof`, e.g. from `BENCH_PROFILE=cyclone npm run bench`):
// the functions with the most self time, the most inclusive time, and self time per source
// (node internals, Cyclone's dist/, each package), so a hot spot can be traced to a file.
//
// Percentages are of the busy time: samples where the process was idle (waiting for I/O)
// are left out, so a profile that spans idle stretches still reads the same.
//
// Usage: node bench/profile.js <file.cpuprofile> [--top N] [--filter TEXT] [--requests N]
//   --filter keeps only functions whose file path contains TEXT (e.g. --filter dist/).
//   --requests N adds microseconds per request (busy time / N), N from the bench's output.
import { readFileSync } from "node:fs";
import { fixed, table } from "./lib/format.js";

function parseArgs(argv) {
  const opts = { file: null, top: 25, filter: "", requests: 0 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--top") opts.top = Number(argv[++i]);
    else if (argv[i] === "--filter") opts.filter = argv[++i] ?? "";
    else if (argv[i] === "--requests") opts.requests = Number(argv[++i]);
    else opts.file = argv[i];
  }
  if (!opts.file || !Number.isInteger(opts.top) || opts.top <= 0) {
    console.error("usage: node bench/profile.js <file.cpuprofile> [--top N] [--filter TEXT]");
    process.exit(2);
  }
  return opts;
}

/** Shortens a script URL to something readable: a package name, dist/… or node:… */
function where(url) {
  if (!url) return "(native)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm !== -1) return url.slice(nm + "node_modules/".length);
  const dist = url.indexOf("/dist/");
  if (dist !== -1) return url.slice(dist + 1);
  const bench = url.indexOf("/bench/");
  if (bench !== -1) return url.slice(bench + 1);
  return url.replace(/^file:\/\//, "");
}

function source(url) {
  if (!url) return "(native / VM)";
  if (url.startsWith("node:")) return "node internals";
  const nm = url.lastIndexOf("node_modules/");
  if (nm !== -1) {
    const parts = url.slice(nm + "node_modules/".length).split("/");
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.includes("/dist/")) return "cyclone dist/";
  return where(url);
}

function summarise(profile, { top, filter, requests }) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const idleIds = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  for (const id of idleIds) self.delete(id);
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const key = (n) => {
    const f = n.callFrame;
    return `${f.functionName || "(anonymous)"} ${where(f.url)}:${f.lineNumber + 1}`;
  };
  const selfBy = new Map();
  const inclBy = new Map();
  const sourceBy = new Map();
  for (const [id, us] of self) {
    const n = byId.get(id);
    const k = key(n);
    selfBy.set(k, (selfBy.get(k) ?? 0) + us);
    const s = source(n.callFrame.url);
    sourceBy.set(s, (sourceBy.get(s) ?? 0) + us);
    // Inclusive: credit each distinct function once per sample's stack (recursion-safe).
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const kk = key(byId.get(cur));
      if (seen.has(kk)) continue;
      seen.add(kk);
      inclBy.set(kk, (inclBy.get(kk) ?? 0) + us);
    }
  }
  const pct = (us) => `${fixed((100 * us) / total, 1)}%${requests > 0 ? ` (${fixed(us / requests, 2)} µs)` : ""}`;
  const keep = (k) => !filter || k.includes(filter);
  const rank = (m) =>
    [...m]
      .filter(([k]) => keep(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top);

  console.log(`Profile: ${fixed(total / 1e6, 2)} s busy (idle left out), ${profile.samples.length} samples`);
  if (requests > 0) console.log(`${requests} requests: ${fixed(total / requests, 2)} µs of busy time per request`);
  console.log("");
  console.log("Self time by source:\n");
  console.log(table([["Source", "self"], ...rank(sourceBy).map(([k, us]) => [k, pct(us)])], ["l", "r"]));
  console.log(`\nTop ${top} functions by self time:\n`);
  console.log(table([["Function (file:line)", "self", "total"], ...rank(selfBy).map(([k, us]) => [k, pct(us), pct(inclBy.get(k))])], ["l", "r", "r"]));
  console.log(`\nTop ${top} functions by total (inclusive) time:\n`);
  console.log(table([["Function (file:line)", "total", "self"], ...rank(inclBy).map(([k, us]) => [k, pct(us), pct(selfBy.get(k) ?? 0)])], ["l", "r", "r"]));
}

const opts = parseArgs(process.argv.slice(2));
summarise(JSON.parse(readFileSync(opts.file, "utf8")), opts);
