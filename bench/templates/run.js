// `npm run bench:templates`: render throughput of one realistic page — a layout with blocks,
// two includes (header with a navigation loop, footer), and a table of 100 order rows with
// eight or nine autoescaped fields each — in Cyclone, Eta, EJS and Tornado 6.2, on the same
// data (bench/templates/data.js) with equivalent templates (bench/templates/views/).
//
// Cyclone and Tornado render the very same template files (views/tornado: the expressions
// are written so they are both valid Python and valid JavaScript). Cyclone is measured twice:
// with Node's filesystem Loader (compiled at run time) and with a module written by
// `cyclone templates build` read by the PrecompiledLoader (what a Worker runs).
//
// Before any timing, every engine renders the page once and the outputs are compared:
// Tornado's must equal Cyclone's byte for byte; Eta's and EJS's after normalising whitespace
// and EJS's `&#34;` spelling of `&quot;`. A mismatch stops the run.
//
// Each engine warms up first; then rounds run the engines in turn (A B C D E, B C D E A, ...),
// each for a fixed time, and the figure shown is the median over rounds. Node engines run in
// this process; Tornado runs in a Python child per round (/usr/bin/python3, its own warm-up).
// Besides renders per second, each measurement counts renders per CPU-second of the process
// that rendered (Node: process.cpuUsage, so V8's GC threads count too; Python: process_time):
// when other work steals the core, renders/s drops but this figure holds, so on a shared
// machine it is the steadier one to compare.
//
// Uses the built files: run `npm run build` first. Settings (environment variables):
//   BENCH_QUICK=1                 short run: 0.5 s warm-up, 0.5 s per measurement, 3 rounds
//   BENCH_TEMPLATES_WARMUP=1      warm-up seconds per engine
//   BENCH_TEMPLATES_SECONDS=1     seconds per measurement
//   BENCH_TEMPLATES_ROUNDS=5      rounds (the median is reported)
//   BENCH_TEMPLATES_ENGINES=a,b   only these engines (cyclone is always kept as the baseline)
//   BENCH_PYTHON=/usr/bin/python3 the Python that has Tornado 6.2
//   BENCH_WAIT_IDLE=60            before each round, wait up to 60 s for the machine to be
//                                 under 15% busy (for shared machines; default 0: no waiting)
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { int, median, table } from "../lib/format.js";
import { waitForIdle } from "../lib/procs.js";
import { benchData } from "./data.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const views = join(here, "views");
const env = process.env;
const quick = env.BENCH_QUICK === "1";
const WARMUP = Number(env.BENCH_TEMPLATES_WARMUP ?? (quick ? 0.5 : 1));
const SECONDS = Number(env.BENCH_TEMPLATES_SECONDS ?? (quick ? 0.5 : 1));
const ROUNDS = Math.max(1, Math.min(50, Number(env.BENCH_TEMPLATES_ROUNDS ?? (quick ? 3 : 5))));
const PYTHON = env.BENCH_PYTHON ?? "/usr/bin/python3";
const WAIT_IDLE = Math.max(0, Math.min(600, Number(env.BENCH_WAIT_IDLE ?? 0)));
const run = promisify(execFile);

if (!existsSync(join(root, "dist", "node", "template.js")) || !existsSync(join(root, "dist", "cli", "templates.js"))) {
  console.error("bench/templates: dist/ is missing; run `npm run build` first.");
  process.exit(1);
}

const { Loader } = await import(pathToFileURL(join(root, "dist", "node", "template.js")).href);
const { PrecompiledLoader } = await import(pathToFileURL(join(root, "dist", "core", "template", "index.js")).href);
const { writeTemplateModule } = await import(pathToFileURL(join(root, "dist", "cli", "templates.js")).href);
const { Eta } = await import("eta");
const ejs = (await import("ejs")).default;

const data = benchData(100);
const work = mkdtempSync(join(tmpdir(), "cyclone-bench-templates-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));
const dataFile = join(work, "data.json");
writeFileSync(dataFile, JSON.stringify(data));

/** A keeper of results, so no engine's output can be optimised away. */
let sink = 0;

/**
 * Renders for about `seconds`, in batches; returns renders per second and per CPU-second
 * of this process.
 */
function measure(render, seconds) {
  const batch = 20;
  let count = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) sink += render().length;
    count += batch;
    now = performance.now();
  }
  const used = process.cpuUsage(cpu);
  return { rate: (count * 1000) / (now - start), cpuRate: (count * 1e6) / (used.user + used.system) };
}

function nodeEngine(name, label, render) {
  return {
    name,
    label,
    html: async () => render(),
    warmUp: async () => void measure(render, WARMUP),
    measure: async () => measure(render, SECONDS),
  };
}

async function engines() {
  const list = [];
  const loader = new Loader(join(views, "tornado"));
  const page = loader.load("page.html");
  list.push(nodeEngine("cyclone", "Cyclone (Loader)", () => page.generate(data)));

  const moduleFile = join(work, "templates.gen.js");
  writeTemplateModule(join(views, "tornado"), moduleFile);
  const precompiled = (await import(pathToFileURL(moduleFile).href)).default;
  const precompiledPage = new PrecompiledLoader(precompiled).load("page.html");
  list.push(nodeEngine("cyclone-precompiled", "Cyclone (precompiled module)", () => precompiledPage.generate(data)));

  const eta = new Eta({ views: join(views, "eta"), cache: true });
  list.push(nodeEngine("eta", "Eta 4.6", () => eta.render("./page", data)));

  const ejsFile = join(views, "ejs", "page.ejs");
  const ejsPage = ejs.compile(readFileSync(ejsFile, "utf8"), { filename: ejsFile, cache: true });
  list.push(nodeEngine("ejs", "EJS 7.0", () => ejsPage(data)));

  const python = (extra) => run(PYTHON, [join(here, "tornado_bench.py"), "--data", dataFile, ...extra], { timeout: 60_000, maxBuffer: 16 << 20 });
  list.push({
    name: "tornado",
    label: "Tornado 6.2 (Python)",
    html: async () => (await python(["--html"])).stdout,
    // Each measurement is its own process with its own warm-up.
    warmUp: async () => {},
    measure: async () => {
      const { stdout } = await python(["--seconds", String(SECONDS), "--warmup", String(Math.min(WARMUP, 0.5))]);
      const [rate, cpuRate] = stdout.trim().split(/\s+/).map(Number);
      return { rate, cpuRate };
    },
  });

  const only = env.BENCH_TEMPLATES_ENGINES?.split(",").map((s) => s.trim());
  return only ? list.filter((e) => e.name === "cyclone" || only.includes(e.name)) : list;
}

/** The same page, spelled the same: whitespace runs collapsed, EJS's `&#34;` as `&quot;`. */
function normalise(html) {
  return html.replaceAll("&#34;", "&quot;").replace(/\s+/g, " ").replace(/> </g, "><").trim();
}

function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at ${i}:\n  expected …${a.slice(Math.max(0, i - 60), i + 60)}…\n  got      …${b.slice(Math.max(0, i - 60), i + 60)}…`;
}

async function checkOutputs(list) {
  const reference = await list[0].html();
  const rows = (reference.match(/<tr class=/g) ?? []).length;
  const escaped = (reference.match(/&(amp|lt|gt|quot|#39);/g) ?? []).length;
  console.log(`Page: ${reference.length} characters, ${rows} table rows, ${escaped} escaped characters.`);
  for (const engine of list.slice(1)) {
    const html = await engine.html();
    const exact = engine.name === "tornado" || engine.name.startsWith("cyclone");
    const same = exact ? html === reference : normalise(html) === normalise(reference);
    if (!same) {
      const [a, b] = exact ? [reference, html] : [normalise(reference), normalise(html)];
      console.error(`${engine.label} renders a different page than Cyclone ${firstDifference(a, b)}`);
      process.exit(1);
    }
    console.log(`  ${engine.label}: ${exact ? "byte-identical" : "same HTML after normalising whitespace"}`);
  }
}


const list = await engines();
console.log(`Template render benchmark: Node ${process.version}, ${ROUNDS} rounds of ${SECONDS} s after ${WARMUP} s warm-up.`);
await checkOutputs(list);
for (const engine of list) await engine.warmUp();

const results = new Map(list.map((e) => [e.name, []]));
const busyShares = [];
for (let round = 0; round < ROUNDS; round++) {
  if (WAIT_IDLE > 0) busyShares.push((await waitForIdle(WAIT_IDLE)).busy);
  for (let k = 0; k < list.length; k++) {
    const engine = list[(round + k) % list.length];
    results.get(engine.name).push(await engine.measure());
  }
  process.stdout.write(`  round ${round + 1}/${ROUNDS} done\n`);
}

const rates = (name) => results.get(name).map((r) => r.rate);
const cpuRates = (name) => results.get(name).map((r) => r.cpuRate);
const base = median(rates("cyclone"));
const cpuBase = median(cpuRates("cyclone"));
const rows = [["Engine", "renders/s (median)", "min – max", "Cyclone ÷ engine", "renders/CPU-s", "Cyclone ÷ engine (CPU)"]];
for (const engine of list) {
  const r = rates(engine.name);
  const m = median(r);
  const c = median(cpuRates(engine.name));
  rows.push([engine.label, int(m), `${int(Math.min(...r))} – ${int(Math.max(...r))}`, `${(base / m).toFixed(2)}x`, int(c), `${(cpuBase / c).toFixed(2)}x`]);
}
console.log(`\n${table(rows, ["l", "r", "r", "r", "r", "r"])}\n`);
if (busyShares.length > 0) {
  console.log(`Machine busy before the rounds: ${busyShares.map((b) => `${Math.round(b * 100)}%`).join(", ")} (BENCH_WAIT_IDLE=${WAIT_IDLE}).`);
}
if (sink === 0) console.log("(no output rendered)");
