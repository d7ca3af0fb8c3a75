// Child processes of the HTTP benchmark: CPU pinning with taskset, benchmark servers that
// announce their port, and the CPU time a process has used (from /proc, on Linux).
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

/** Whether `taskset` can pin processes here (Linux with util-linux, two cores or more). */
export function canPin() {
  if (cpus().length < 2) return false;
  const r = spawnSync("taskset", ["-c", "0", "true"], { stdio: "ignore" });
  return r.status === 0;
}

/** Wraps a command so it runs on `cpu` (no wrapping when `cpu` is null). */
export function pinned(cpu, command, args) {
  return cpu === null ? [command, args] : ["taskset", ["-c", String(cpu), command, ...args]];
}

/** Whether an executable is on the PATH. */
export function onPath(name) {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/**
 * Starts `command args` (pinned to `cpu` when given) and resolves with `{ child, port }`
 * once it prints `READY <port>`; rejects if it exits or stays silent for `timeoutMs`.
 * `label` names it in errors.
 */
export function startCommand(command, args, { cpu = null, timeoutMs = 15000, label = command, env = process.env } = {}) {
  const [cmd, cmdArgs] = pinned(cpu, command, args);
  const child = spawn(cmd, cmdArgs, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...env, NODE_ENV: "production" },
  });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`${label}: no READY line within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${err.message}${stderr ? `\n${stderr}` : ""}`));
    };
    child.once("exit", (code) => fail(new Error(`${label} exited with ${code} before it was ready`)));
    child.stdout.on("data", (d) => {
      out += d;
      const m = /READY (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        // Keep draining so a chatty server never blocks on a full pipe.
        child.stdout.resume();
        resolve({ child, port: Number(m[1]) });
      }
    });
  });
}

/**
 * Starts `node <script>` (optionally pinned and with extra node flags) and resolves with
 * `{ child, port }` once it prints `READY <port>`; rejects if it exits or stays silent for
 * `timeoutMs`.
 */
export function startServer(script, { cpu = null, nodeFlags = [], timeoutMs = 15000 } = {}) {
  return startCommand(process.execPath, [...nodeFlags, script], { cpu, timeoutMs, label: script });
}

/** Asks a server to exit (SIGTERM → process.exit, so profiles get written); waits up to 5 s. */
export function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve();
    }, 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

// Clock ticks per second for /proc/<pid>/stat; 100 on every mainstream Linux build.
const TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** User + system CPU seconds used so far by process `pid`, or NaN where /proc is missing. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return NaN;
  }
}

/**
 * Busy and total CPU seconds per core since boot, from /proc/stat (`null` where /proc is
 * missing). Busy is everything but idle and iowait.
 */
export function cpuTimes() {
  try {
    const out = [];
    for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
      const m = /^cpu(\d+) (.*)$/.exec(line);
      if (!m) continue;
      const f = m[2].trim().split(/\s+/).map(Number);
      const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
      out[Number(m[1])] = { busy: (total - f[3] - f[4]) / TICKS, total: total / TICKS };
    }
    return out;
  } catch {
    return null;
  }
}

/**
 * Waits, in one-second samples and for at most `maxSeconds`, until the whole machine is
 * less than `threshold` busy (0..1). Resolves with the seconds waited and the last
 * busy share seen.
 */
export async function waitForIdle(maxSeconds, threshold = 0.15) {
  const start = performance.now();
  let busy = NaN;
  while ((performance.now() - start) / 1000 < maxSeconds) {
    const a = cpuTimes();
    if (a === null) break;
    await new Promise((r) => setTimeout(r, 1000));
    const b = cpuTimes();
    let db = 0;
    let dt = 0;
    for (let i = 0; i < b.length; i++) {
      db += b[i].busy - a[i].busy;
      dt += b[i].total - a[i].total;
    }
    busy = dt > 0 ? db / dt : NaN;
    if (busy < threshold) break;
  }
  return { waited: (performance.now() - start) / 1000, busy };
}
