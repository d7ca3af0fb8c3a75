// Load generators for the HTTP benchmark: wrk (preferred) or autocannon, each run as a
// child process (pinned to the load core when possible), results parsed into one shape:
// { rps, p99Ms, requests, errors }.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { pinned } from "./procs.js";

const require = createRequire(import.meta.url);

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}\n${err || out}`));
    });
  });
}

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60000 };

/** Parses wrk's `--latency` report. Exported for the README's checks only. */
export function parseWrk(text) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1]);
  let errors = 0;
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  if (sock) errors += sock.slice(1).reduce((a, b) => a + Number(b), 0);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  if (non2xx) errors += Number(non2xx[1]);
  if (!Number.isFinite(rps) || p99 === null) throw new Error(`Cannot read wrk's report:\n${text}`);
  return { rps, p99Ms: Number(p99[1]) * UNIT_MS[p99[2]], requests, errors };
}

/** The load generators, by name; each has `version()` and `run(url, opts)`. */
export const tools = {
  wrk: {
    name: "wrk",
    async version() {
      // `wrk -v` prints its banner and exits 1.
      try {
        await run("wrk", ["-v"]);
      } catch (e) {
        return /(wrk \S+) \[/.exec(e.message)?.[1] ?? "wrk";
      }
      return "wrk";
    },
    async run(url, { seconds, connections, threads, cpu }) {
      const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, "--latency", "--timeout", "5s", url];
      const [cmd, full] = pinned(cpu, "wrk", args);
      return parseWrk(await run(cmd, full));
    },
  },
  autocannon: {
    name: "autocannon",
    async version() {
      return `autocannon ${require("autocannon/package.json").version}`;
    },
    async run(url, { seconds, connections, threads, cpu }) {
      const bin = require.resolve("autocannon/autocannon.js");
      const args = [bin, "-j", "-c", String(connections), "-d", String(seconds), url];
      // autocannon's -w adds worker threads; one thread is its default.
      if (threads > 1) args.splice(1, 0, "-w", String(threads));
      const [cmd, full] = pinned(cpu, process.execPath, args);
      const r = JSON.parse(await run(cmd, full));
      return {
        rps: r.requests.average,
        p99Ms: r.latency.p99,
        requests: r.requests.total,
        errors: r.errors + r.timeouts + r.non2xx,
      };
    },
  },
};
