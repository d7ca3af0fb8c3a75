/**
 * Graceful shutdown on SIGTERM/SIGINT for the Node host.
 *
 * Tornado leaves this to each application (the usual recipe: on SIGTERM, `server.stop()`,
 * wait a little, stop the IOLoop). Cyclone packages the recipe: {@link installGracefulShutdown}
 * turns a signal into "stop accepting, let the requests in flight finish within a
 * timeout, close idle keep-alive connections and WebSockets (1001, going away), then exit",
 * which is what an orchestrator's SIGTERM-then-SIGKILL grace period expects.
 * @module
 */

import { genLog } from "../core/log.js";

/** Something that can drain: finish what is in flight within `timeout` seconds. `HTTPServer` is one. */
export interface DrainableServer {
  /** Stops accepting and resolves to `true` once idle, or `false` if cut off at the timeout. */
  drain(timeout: number): Promise<boolean>;
}

/** Something that can only stop accepting, such as a `TCPServer`. */
export interface StoppableServer {
  stop(): void | Promise<void>;
}

/** What {@link installGracefulShutdown} shuts down. */
export type ShutdownTarget = DrainableServer | StoppableServer;

/** Options of {@link installGracefulShutdown}. */
export interface GracefulShutdownOptions {
  /** Seconds the requests in flight get to finish (default 30); then their connections are closed. */
  timeout?: number;
  /** Signals that start the shutdown (default `["SIGTERM", "SIGINT"]`). */
  signals?: readonly NodeJS.Signals[];
  /**
   * Runs once the servers are drained (or the timeout passed), before the process exits:
   * close database pools, flush logs. May be async; an error is logged and makes the exit
   * status 1.
   */
  onShutdown?: (result: ShutdownResult) => void | Promise<void>;
  /** Exit the process when done (default true): status 0 when clean, 1 otherwise. */
  exit?: boolean;
}

/** How a shutdown went. */
export interface ShutdownResult {
  /** The signal that started it, or `null` when `shutdown()` was called. */
  signal: NodeJS.Signals | null;
  /** Whether everything in flight finished within the timeout and `onShutdown` succeeded. */
  clean: boolean;
}

/** The handle {@link installGracefulShutdown} returns. */
export interface GracefulShutdown {
  /** Whether a shutdown has started. */
  readonly shuttingDown: boolean;
  /** Resolves when the shutdown is over (just before the exit, with `exit: true`). */
  readonly done: Promise<ShutdownResult>;
  /** Starts the shutdown now, as a signal would; calling it again returns the same promise. */
  shutdown(): Promise<ShutdownResult>;
  /** Removes the signal handlers (a shutdown already started carries on). */
  uninstall(): void;
}

function isDrainable(target: ShutdownTarget): target is DrainableServer {
  return typeof (target as Partial<DrainableServer>).drain === "function";
}

async function shutDownOne(target: ShutdownTarget, timeout: number): Promise<boolean> {
  if (isDrainable(target)) return target.drain(timeout);
  await target.stop();
  return true;
}

/**
 * Shuts `servers` down gracefully when the process receives SIGTERM or SIGINT (Cyclone's
 * own; Tornado has no such helper). On the first signal:
 * 1. every server stops accepting: a new connection is refused;
 * 2. idle keep-alive connections are closed at once, WebSockets are closed with 1001
 *    ("going away"), and each request in flight finishes, its response saying
 *    `Connection: close`;
 * 3. after `timeout` seconds (default 30) the connections still open are closed;
 * 4. `onShutdown` runs, then the process exits: status 0 if all finished in time, else 1.
 *
 * Further signals during the shutdown are ignored: the timeout bounds it. A server
 * without `drain` (a `TCPServer`) is only stopped. In processes started by
 * `forkProcesses`, install it in each child: the primary forwards SIGTERM and SIGINT to
 * the children and exits once they have.
 *
 * @example
 * const server = new HTTPServer(app);
 * await server.listen(8888);
 * installGracefulShutdown(server, { timeout: 10, onShutdown: () => pool.end() });
 *
 * @example
 * // in a test: no exit, wait for the result
 * const handle = installGracefulShutdown([server], { exit: false, signals: [] });
 * const { clean } = await handle.shutdown();
 */
export function installGracefulShutdown(
  servers: ShutdownTarget | readonly ShutdownTarget[],
  options: GracefulShutdownOptions = {},
): GracefulShutdown {
  const targets: readonly ShutdownTarget[] = Array.isArray(servers) ? servers : [servers as ShutdownTarget];
  const timeout = options.timeout ?? 30;
  if (!(timeout >= 0)) throw new RangeError("timeout must be a number of seconds, 0 or more");
  const signals = options.signals ?? (["SIGTERM", "SIGINT"] as const);
  const exit = options.exit ?? true;

  let started: Promise<ShutdownResult> | undefined;
  let resolveDone!: (result: ShutdownResult) => void;
  const done = new Promise<ShutdownResult>((resolve) => {
    resolveDone = resolve;
  });

  const run = async (signal: NodeJS.Signals | null): Promise<ShutdownResult> => {
    genLog.info(
      "%s: shutting down, waiting up to %s s for requests in flight",
      signal ?? "shutdown()",
      timeout,
    );
    const results = await Promise.all(
      targets.map((t) =>
        shutDownOne(t, timeout).catch((e: unknown) => {
          genLog.error("Error shutting down a server", e);
          return false;
        }),
      ),
    );
    let clean = results.every(Boolean);
    if (!clean) genLog.warning("Shutdown timed out after %s s: connections still open were closed", timeout);
    if (options.onShutdown) {
      try {
        await options.onShutdown({ signal, clean });
      } catch (e) {
        genLog.error("Error in onShutdown", e);
        clean = false;
      }
    }
    const result = { signal, clean };
    resolveDone(result);
    if (exit) process.exit(clean ? 0 : 1);
    return result;
  };

  const start = (signal: NodeJS.Signals | null): Promise<ShutdownResult> => {
    started ??= run(signal);
    return started;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (started !== undefined) {
      genLog.info("%s received while shutting down; still waiting", signal);
      return;
    }
    void start(signal);
  };
  for (const s of signals) process.on(s, onSignal);

  return {
    get shuttingDown() {
      return started !== undefined;
    },
    done,
    shutdown: () => start(null),
    uninstall() {
      for (const s of signals) process.off(s, onSignal);
    },
  };
}
