/**
 * Several server processes — Tornado's `tornado.process` (`fork_processes`, `task_id`,
 * `cpu_count`), on `node:cluster`.
 *
 * Node cannot `fork()` a running process, so a "child" here is a cluster worker: a new Node
 * process that runs the same script from the start. When it reaches `forkProcesses` again,
 * the call returns at once with the worker's task id, and the code after it runs in the
 * child, as after Tornado's `fork_processes`. In the primary the call never returns: it
 * supervises the children, restarts those that die abnormally, and exits once they have
 * all exited normally.
 *
 * Listening sockets are shared through the primary: a child calling `listen(port)` gets a
 * handle to the one socket the primary bound, and node:cluster spreads the connections
 * over the children (round-robin on Linux).
 * @module
 */

import cluster, { type Worker } from "node:cluster";
import * as os from "node:os";
import { genLog } from "../core/log.js";

/** The environment variable carrying a child's task id. */
const TASK_ID_ENV = "CYCLONE_TASK_ID";

/**
 * Raised in the primary when children died abnormally more than `maxRestarts` times.
 * Tornado raises `RuntimeError("Too many child restarts, giving up")`.
 *
 * @example
 * try {
 *   await forkProcesses(2, 5);
 * } catch (e) {
 *   if (e instanceof TooManyRestartsError) console.error("the service keeps crashing");
 * }
 */
export class TooManyRestartsError extends Error {
  override name = "TooManyRestartsError";
}

/**
 * Raised by {@link forkProcesses} when it is misused: called twice in the primary, or in a
 * cluster worker that it did not start.
 *
 * @example
 * await forkProcesses(2);
 * await forkProcesses(2); // ForkError in the primary
 */
export class ForkError extends Error {
  override name = "ForkError";
}

let currentTaskId: number | null | undefined;
let forking = false;

/**
 * The number of processors available to this process (`os.availableParallelism()`); 1,
 * with an error logged, when it cannot be told. Tornado's `cpu_count`.
 *
 * @example
 * const n = cpuCount(); // 2 on a two-core machine
 */
export function cpuCount(): number {
  let n = 0;
  try {
    n = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  } catch {
    n = 0;
  }
  if (n > 0) return n;
  genLog.error("Could not detect number of processors; assuming 1");
  return 1;
}

/**
 * The task id of this process: a number from 0 to `numProcesses - 1` in a child started by
 * {@link forkProcesses} (or `HTTPServer.start(n)`), `null` in the primary or in a process
 * that never forked. Tornado's `task_id`.
 *
 * @example
 * const id = taskId();
 * log.info("process %s serving", id ?? "main");
 */
export function taskId(): number | null {
  if (currentTaskId === undefined) currentTaskId = inheritedTaskId();
  return currentTaskId;
}

function inheritedTaskId(): number | null {
  if (!cluster.isWorker) return null;
  const raw = process.env[TASK_ID_ENV];
  if (raw === undefined || !/^\d+$/.test(raw)) return null;
  return Number(raw);
}

/** The number and name of a signal, e.g. 15 for `"SIGTERM"`. */
function signalNumber(signal: string): number {
  return (os.constants.signals as Record<string, number | undefined>)[signal] ?? 0;
}

/**
 * Starts `numProcesses` child processes (one per processor when `0`, `null` or omitted) and
 * resolves, in each child, to its task id (0 to `numProcesses - 1`). Tornado's
 * `fork_processes`.
 *
 * In the primary the returned promise never resolves; the primary supervises instead:
 * - a child that exits with a non-zero status or is killed by a signal is restarted with
 *   the same task id, and a warning is logged (`child 1 (pid 4242) exited with status 3,
 *   restarting`); after more than `maxRestarts` restarts (default 100) the promise rejects
 *   with {@link TooManyRestartsError} ("Too many child restarts, giving up");
 * - a child that exits with status 0 is not restarted (`child 0 (pid 4241) exited
 *   normally`); once every child has exited so, the primary exits with status 0, as
 *   Tornado's `sys.exit(0)`.
 *
 * Unlike Python's forked children, node:cluster workers end when the primary does, so a
 * SIGTERM or SIGINT sent to the primary is forwarded to every child (which may shut down
 * gracefully, see `installGracefulShutdown`); the primary then restarts nothing and exits
 * once the children are gone: with status 0, or 1 if one of them exited with an error.
 *
 * Call it before opening sockets or starting timers: the children run the script again
 * from the top, so whatever the primary set up before the call is set up again in each
 * child, and nothing set up by the primary is shared.
 *
 * @example
 * const id = await forkProcesses(0); // only children get past this line
 * const server = new HTTPServer(app);
 * await server.listen(8888); // every child listens on the same port
 * genLog.info("task %d listening", id);
 */
export function forkProcesses(numProcesses?: number | null, maxRestarts?: number | null): Promise<number> {
  if (cluster.isWorker) {
    const id = taskId();
    if (id === null) {
      return Promise.reject(new ForkError("forkProcesses() called in a cluster worker that it did not start"));
    }
    return Promise.resolve(id);
  }
  if (forking) return Promise.reject(new ForkError("forkProcesses() was already called in this process"));
  forking = true;
  const count = numProcesses === undefined || numProcesses === null || numProcesses <= 0 ? cpuCount() : numProcesses;
  return supervise(count, maxRestarts ?? 100);
}

function supervise(count: number, maxRestarts: number): Promise<number> {
  genLog.info("Starting %d processes", count);
  return new Promise<number>((_resolve, reject) => {
    const children = new Map<Worker, number>();
    let restarts = 0;
    let stopping: string | null = null;
    let failedWhileStopping = false;
    // Once the primary gives up, the children left run unsupervised, as in Tornado.
    let gaveUp = false;

    const finish = (): void => {
      for (const s of SIGNALS) process.off(s, onSignal);
      process.exit(failedWhileStopping ? 1 : 0);
    };

    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping !== null) return;
      stopping = signal;
      genLog.info("Received %s; stopping %d child processes", signal, children.size);
      for (const w of children.keys()) w.process.kill(signal);
      if (children.size === 0) finish();
    };

    const start = (id: number): void => {
      const worker = cluster.fork({ [TASK_ID_ENV]: String(id) });
      children.set(worker, id);
      // A worker that failed to spawn emits "error" and then "exit"; the exit path handles it.
      worker.on("error", (e: Error) => genLog.error("child %d: %s", id, e.message));
      worker.once("exit", (code: number | null, signal: string | null) => onExit(worker, code, signal));
    };

    const onExit = (worker: Worker, code: number | null, signal: string | null): void => {
      const id = children.get(worker);
      if (id === undefined || gaveUp) return;
      children.delete(worker);
      const pid = worker.process.pid ?? 0;
      if (stopping !== null) {
        if (signal === null && code !== 0) failedWhileStopping = true;
        if (children.size === 0) finish();
        return;
      }
      if (signal !== null) {
        genLog.warning("child %d (pid %d) killed by signal %d, restarting", id, pid, signalNumber(signal));
      } else if (code !== 0) {
        genLog.warning("child %d (pid %d) exited with status %d, restarting", id, pid, code ?? 1);
      } else {
        genLog.info("child %d (pid %d) exited normally", id, pid);
        if (children.size === 0) finish();
        return;
      }
      restarts += 1;
      if (restarts > maxRestarts) {
        gaveUp = true;
        for (const s of SIGNALS) process.off(s, onSignal);
        reject(new TooManyRestartsError("Too many child restarts, giving up"));
        return;
      }
      start(id);
    };

    for (const s of SIGNALS) process.on(s, onSignal);
    for (let i = 0; i < count; i++) start(i);
  });
}

const SIGNALS: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT"];
