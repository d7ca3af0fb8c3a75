/**
 * Child processes for the end-to-end tests: the chat's hosts (`node build/examples/chat/node.js`
 * and `wrangler dev`) run as real processes on 127.0.0.1, each in its own process group so
 * that stopping one also ends what it started (npx, wrangler's workerd), and every wait is
 * bounded in time.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

/** Keeps the last characters a child printed: enough to explain a failure, never unbounded. */
const OUTPUT_LIMIT = 64 * 1024;

// Groups not stopped yet. If the test process ends without stopping them (a crash, a
// timeout that skipped afterAll), they are killed on the way out rather than left behind.
const liveGroups = new Set<number>();
process.once("exit", () => {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
});

/** A child process started by a test, with what it printed and a way to end it and its own. */
export interface Child {
  readonly process: ChildProcess;
  /** The last OUTPUT_LIMIT characters of its stdout and stderr, interleaved. */
  output(): string;
  /** Ends the child's whole process group: SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Error raised when a child did not come up in time or exited early; it carries the output. */
export class ChildStartError extends Error {
  constructor(message: string, readonly output: string) {
    super(`${message}\n--- output ---\n${output.slice(-4000)}`);
    this.name = "ChildStartError";
  }
}

/**
 * Starts `command args` (in `cwd`, with `env` added) in a new process group (detached),
 * collecting its output.
 *
 * @example
 * const child = startChild("node", ["build/examples/chat/node.js", "--port=8888"]);
 * await child.stop();
 */
export function startChild(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Child {
  const child = spawn(command, args, {
    detached: true,
    ...(cwd !== undefined ? { cwd } : {}),
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  if (child.pid !== undefined) liveGroups.add(child.pid);
  let text = "";
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString("utf8")).slice(-OUTPUT_LIMIT);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once("exit", () => resolve());
    child.once("error", (e) => {
      keep(Buffer.from(`spawn failed: ${e.message}\n`));
      resolve();
    });
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      // The negative pid names the group: npx's and wrangler's own children go too.
      process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  return {
    process: child,
    output: () => text,
    async stop(graceMs = 5_000) {
      signalGroup("SIGTERM");
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs)),
      ]);
      // Grandchildren (workerd) may outlive their parent's exit; the group kill reaches them.
      signalGroup("SIGKILL");
      if (child.pid !== undefined) liveGroups.delete(child.pid);
      if (timedOut) await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    },
  };
}

/**
 * A TCP port that was free on 127.0.0.1 a moment ago (the kernel picks it).
 *
 * @example
 * const port = await freePort();
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Waits until `url` answers with any status below 500, checking every 250 ms for at most
 * `timeoutMs`; fails at once, with the child's output, if the child exits first.
 *
 * @example
 * await waitUntilAnswers("http://127.0.0.1:8888/auth/login", child, 30_000);
 */
export async function waitUntilAnswers(url: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new ChildStartError(`the server exited (${child.process.exitCode ?? child.process.signalCode}) before answering ${url}`, child.output());
    }
    try {
      const response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      if (response.status < 500) return;
      last = `status ${response.status}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new ChildStartError(`${url} did not answer within ${timeoutMs} ms (${last})`, child.output());
}
