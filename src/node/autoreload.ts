/**
 * Restart the server when a source file changes — Tornado's `tornado.autoreload`.
 *
 * `start()` checks, every `checkTimeMs`, the modification time of every JavaScript (or
 * TypeScript, under a loader such as tsx) file the process has loaded, plus the files
 * given to `watch()` (templates, config files). When one changes it runs the reload hooks
 * and restarts the process with the same `execArgv`, script and arguments.
 *
 * Which files are loaded: Node has no `sys.modules` for ES modules, so this module asks
 * V8, through an in-process `node:inspector` session, for every script it has compiled
 * (`Debugger.scriptParsed`), keeping those with a `file:` URL or an absolute path: the
 * whole ESM and CommonJS graph, including modules imported later. Where the inspector is
 * unavailable (a Node built without it) the main script, `require.cache` and the watched
 * files are checked.
 *
 * How the process restarts: Node cannot `execv`. Under the supervisor (`node
 * .../autoreload.js script.js args`, Tornado's `python -m tornado.autoreload`) the process
 * exits with `RELOAD_EXIT_CODE` and the supervisor starts it again; it also restarts a
 * script that exited or crashed once a file changes. Without the supervisor the process
 * spawns its replacement (stdio inherited) and exits, as Tornado does where there is no
 * `execv`: the replacement outlives the terminal's job, so Ctrl-C no longer reaches it —
 * use the supervisor for interactive work. Restarting aborts requests in progress, and it
 * is skipped in processes forked by `node:cluster`.
 * @module
 */

import { spawn } from "node:child_process";
import cluster from "node:cluster";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { genLog } from "../core/log.js";

/** The exit code with which a supervised process asks its supervisor for a restart. */
export const RELOAD_EXIT_CODE = 75;
/** Set by the supervisor in its child's environment: the file where the child lists its loaded files. */
export const SUPERVISED_ENV = "CYCLONE_AUTORELOAD_FILES";

const watchedFiles = new Set<string>();
const reloadHooks: (() => void)[] = [];
const loadedScripts = new Set<string>();
let reloadAttempted = false;
let started = false;
let inspectorTracking = false;
let reportedList = "";

function toPath(file: string | URL): string {
  if (file instanceof URL) return fileURLToPath(file);
  return file.startsWith("file:") ? fileURLToPath(file) : resolve(file);
}

/** Starts recording the scripts V8 compiles, including those compiled before this call. */
function trackScripts(): void {
  if (inspectorTracking) return;
  try {
    // Loaded lazily: a Node built without the inspector still gets the fallback.
    const require = createRequire(import.meta.url);
    const { Session } = require("node:inspector") as typeof import("node:inspector");
    const session = new Session();
    session.connect();
    session.on("Debugger.scriptParsed", (message) => {
      const url = message.params.url;
      if (url.startsWith("file:")) loadedScripts.add(fileURLToPath(url));
      else if (isAbsolute(url)) loadedScripts.add(url);
    });
    // An in-process session reports every script already compiled before this returns.
    session.post("Debugger.enable");
    inspectorTracking = true;
  } catch {
    inspectorTracking = false;
  }
}

/**
 * The files `start()` checks: the loaded scripts and the watched files.
 *
 * @example
 * autoreload.start();
 * console.log(autoreload.loadedFiles().length, "files watched");
 */
export function loadedFiles(): string[] {
  const files = new Set<string>(loadedScripts);
  if (!inspectorTracking) {
    if (process.argv[1]) files.add(resolve(process.argv[1]));
    const cache = createRequire(import.meta.url).cache;
    for (const key of Object.keys(cache)) if (isAbsolute(key)) files.add(key);
  }
  for (const f of watchedFiles) files.add(f);
  return [...files];
}

/**
 * Begins checking the loaded source files and the watched files every `checkTimeMs`;
 * a change restarts the process. Calling it again does nothing. The check does not keep
 * the process alive on its own (servers do); see `wait()`.
 *
 * @example
 * import * as autoreload from "cyclone/node/autoreload";
 * app.listen(8888);
 * autoreload.start();
 */
export function start(checkTimeMs = 500): void {
  if (started) return;
  started = true;
  trackScripts();
  const modifyTimes = new Map<string, number>();
  // The first pass records the current times, so a change right after start() counts.
  checkAll(modifyTimes);
  setInterval(() => checkAll(modifyTimes), checkTimeMs).unref();
  if (process.env[SUPERVISED_ENV]) process.on("exit", reportFiles);
}

/**
 * Waits for a watched file to change, then restarts the process: for the end of scripts
 * such as test runners, to run them again after an edit. Keeps the process alive.
 *
 * @example
 * await runTests();
 * await autoreload.wait();
 */
export function wait(checkTimeMs = 500): Promise<never> {
  start(checkTimeMs);
  return new Promise<never>(() => {
    setInterval(() => {}, 1 << 30);
  });
}

/**
 * Adds a file to check besides the loaded modules (a template, a config file).
 *
 * @example
 * autoreload.watch(new URL("./templates/index.html", import.meta.url));
 */
export function watch(file: string | URL): void {
  watchedFiles.add(toPath(file));
}

/**
 * Adds a function to run before the process restarts (close a socket a new process
 * must bind, flush a buffer). Errors are logged, and the restart goes on.
 *
 * @example
 * autoreload.addReloadHook(() => server.stop());
 */
export function addReloadHook(fn: () => void): void {
  reloadHooks.push(fn);
}

function checkAll(modifyTimes: Map<string, number>): void {
  if (reloadAttempted || cluster.isWorker) return;
  const files = loadedFiles();
  for (const path of files) {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    const before = modifyTimes.get(path);
    if (before === undefined) modifyTimes.set(path, st.mtimeMs);
    else if (before !== st.mtimeMs) {
      genLog.info("%s modified; restarting server", path);
      reload();
      return;
    }
  }
  if (process.env[SUPERVISED_ENV]) reportFiles();
}

/** Tells the supervisor which files to wait for should this process exit without reloading. */
function reportFiles(): void {
  const target = process.env[SUPERVISED_ENV];
  if (!target) return;
  const list = JSON.stringify(loadedFiles());
  if (list === reportedList) return;
  reportedList = list;
  try {
    writeFileSync(target, list);
  } catch {
    // The supervisor then falls back on the files it already knows.
  }
}

function reload(): void {
  reloadAttempted = true;
  for (const fn of reloadHooks) {
    try {
      fn();
    } catch (e) {
      genLog.exception("Error in reload hook", e);
    }
  }
  if (process.env[SUPERVISED_ENV]) {
    reportFiles();
    process.exit(RELOAD_EXIT_CODE);
  }
  // No execv in Node: start the replacement, then leave, freeing the ports it will bind.
  spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit", env: process.env, cwd: process.cwd() });
  process.exit(0);
}

const USAGE = `Usage: node autoreload.js [--until-success] path/to/script.js [args...]
`;

/**
 * The supervisor, Tornado's `python -m tornado.autoreload`: runs `script` with `args`
 * in a child process (same `execArgv`), restarts it when it asks to reload, and when it
 * exits any other way, waits for one of its files to change and runs it again — unless
 * `--until-success` was given and it exited with 0. SIGTERM and SIGHUP (and SIGINT when
 * not on a terminal, where the child gets its own) are passed on; the supervisor then
 * ends with the child's status. Resolves to that status.
 *
 * @example
 * // node node_modules/cyclone/dist/node/autoreload.js server.js --port=8888
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: readonly string[], checkTimeMs = 500): Promise<number> {
  const args = [...argv];
  let untilSuccess = false;
  if (args[0] === "--until-success") {
    untilSuccess = true;
    args.shift();
  }
  const script = args.shift();
  if (!script) {
    process.stderr.write(USAGE);
    return 2;
  }
  const scriptPath = resolve(script);
  const listFile = join(tmpdir(), `cyclone-autoreload-${process.pid}.json`);
  let stopping: NodeJS.Signals | undefined;
  let current: ReturnType<typeof spawn> | undefined;
  const forward = (sig: NodeJS.Signals) => () => {
    stopping = sig;
    current?.kill(sig);
  };
  // On a terminal Ctrl-C reaches the child too: a second SIGINT would mean "force" to it.
  const onTerminalInterrupt = () => {
    stopping = "SIGINT";
  };
  const handlers = (["SIGTERM", "SIGHUP", "SIGINT"] as const).map(
    (s) => [s, s === "SIGINT" && process.stdin.isTTY ? onTerminalInterrupt : forward(s)] as const,
  );
  for (const [s, h] of handlers) process.on(s, h);
  try {
    for (;;) {
      const child = spawn(process.execPath, [...process.execArgv, scriptPath, ...args], {
        stdio: "inherit",
        env: { ...process.env, [SUPERVISED_ENV]: listFile },
      });
      current = child;
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res) => {
        child.on("exit", (c, s) => res([c, s]));
        child.on("error", () => res([127, null]));
      });
      current = undefined;
      const status = code ?? 128 + (signal === "SIGKILL" ? 9 : signal === "SIGINT" ? 2 : 15);
      if (stopping) return status;
      if (code === RELOAD_EXIT_CODE) continue;
      genLog.info("Script exited with status %s", status);
      if (untilSuccess && status === 0) return 0;
      await waitForChange([scriptPath, ...readList(listFile)], checkTimeMs, () => stopping !== undefined);
      if (stopping) return status;
    }
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
    rmSync(listFile, { force: true });
  }
}

function readList(file: string): string[] {
  try {
    const list: unknown = JSON.parse(readFileSync(file, "utf8"));
    return Array.isArray(list) ? list.filter((f): f is string => typeof f === "string") : [];
  } catch {
    return [];
  }
}

function waitForChange(files: string[], checkTimeMs: number, cancelled: () => boolean): Promise<void> {
  const mtime = (f: string) => statSync(f, { throwIfNoEntry: false })?.mtimeMs;
  const before = new Map(files.map((f) => [f, mtime(f)]));
  return new Promise((res) => {
    const timer = setInterval(() => {
      if (cancelled() || files.some((f) => mtime(f) !== before.get(f))) {
        clearInterval(timer);
        res();
      }
    }, checkTimeMs);
  });
}

// Run as a program: node autoreload.js script.js args...
// (The name check keeps a bundle that inlines this module from becoming the supervisor.)
if (process.argv[1] && /autoreload\.[cm]?[jt]s$/.test(process.argv[1]) && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
