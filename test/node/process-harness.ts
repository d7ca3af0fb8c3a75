/**
 * Real child processes for the process and shutdown tests: compiles the Node host to
 * plain JavaScript once (child scripts cannot load TypeScript), runs the scripts of
 * test/fixtures/process/ with it, reads their output line by line, and kills every
 * process they reported (children included) at the end.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Compiles src/node/index.ts and what it imports; resolves to the entry's URL and the directory. */
export async function compileNodeHost(): Promise<{ moduleUrl: string; outDir: string }> {
  const compile = pathToFileURL(join(root, "test/fixtures/options/compile.mjs")).href;
  const { compileSources } = (await import(compile)) as { compileSources: (entries: string[]) => Promise<string> };
  const outDir = await compileSources(["node/index.ts"]);
  // The compiled files import ws, acorn, ...: let them find the project's packages.
  await symlink(join(root, "node_modules"), join(outDir, "node_modules"), "dir");
  return { moduleUrl: pathToFileURL(join(outDir, "node/index.js")).href, outDir };
}

/** Removes what {@link compileNodeHost} wrote. */
export function removeCompiled(outDir: string | undefined): Promise<void> {
  return outDir === undefined ? Promise.resolve() : rm(outDir, { recursive: true, force: true });
}

/** A running child script. */
export interface Run {
  child: ChildProcess;
  /** stdout and stderr lines so far. */
  lines: string[];
  /** Resolves with the first line (from index `from`) matching `re`; rejects after `ms`. */
  waitFor(re: RegExp, from?: number, ms?: number): Promise<string>;
  /** Resolves once `count` lines (from index `from`) match `re`; rejects after `ms`. */
  waitForCount(re: RegExp, count: number, from?: number, ms?: number): Promise<string[]>;
  /** Resolves with the exit status and signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const pids = new Set<number>();

/** Kills (SIGKILL) every process started or reported so far. */
export function killAll(): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  pids.clear();
}

/** Runs `test/fixtures/process/<script>` with `node`, the compiled host at CYCLONE_NODE_MODULE. */
export function runScript(script: string, moduleUrl: string, env: Record<string, string> = {}): Run {
  return runNode([join(root, "test/fixtures/process", script)], { CYCLONE_NODE_MODULE: moduleUrl, ...env }, /^(?:listening \S+|child \S+|started) (\d+)/);
}

/**
 * Runs `node <args>` with `env` added, reading its output line by line. A line matching
 * `pidLine` reports a process (its first group is the pid) for {@link killAll}.
 */
export function runNode(args: string[], env: Record<string, string>, pidLine: RegExp): Run {
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  pids.add(child.pid!);
  const lines: string[] = [];
  let buffer = "";
  let waiters: (() => void)[] = [];
  const onData = (d: Buffer) => {
    buffer += d.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      const m = pidLine.exec(line);
      if (m) pids.add(Number(m[1]));
    }
    const current = waiters;
    waiters = [];
    for (const w of current) w();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      const current = waiters;
      waiters = [];
      for (const w of current) w();
      resolve({ code, signal });
    });
  });
  const waitForCount = (re: RegExp, count: number, from = 0, ms = 10_000): Promise<string[]> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out waiting for ${count} × ${re}; output:\n${lines.join("\n")}`));
      }, ms);
      const check = () => {
        const found = lines.slice(from).filter((l) => re.test(l));
        if (found.length >= count) {
          clearTimeout(timer);
          resolve(found.slice(0, count));
        } else {
          waiters.push(check);
        }
      };
      check();
    });
  return {
    child,
    lines,
    waitFor: (re, from = 0, ms = 10_000) => waitForCount(re, 1, from, ms).then((l) => l[0]!),
    waitForCount,
    exited,
  };
}
