/**
 * Loggers — Tornado's `tornado.log` streams, in the core.
 *
 * Three named loggers, as Tornado: `accessLog` (one line per request), `appLog` (errors in
 * the application's code) and `genLog` (everything else). As with Python's `logging`,
 * nothing is written until a handler is added, except that records at WARNING and above
 * go to `console.error` while no handler exists anywhere ("last resort"), so an uncaught
 * error is never silent. The Node host's `enablePrettyLogging` adds Tornado's formatter.
 * @module
 */

/** Python's logging levels. */
export const LogLevel = {
  DEBUG: 10,
  INFO: 20,
  WARNING: 30,
  ERROR: 40,
  CRITICAL: 50,
} as const;
export type LogLevelName = keyof typeof LogLevel;

/** One log record, as handed to handlers. */
export interface LogRecord {
  readonly name: string;
  readonly level: number;
  readonly levelName: LogLevelName;
  /** The message with `%s`-style arguments already substituted. */
  readonly message: string;
  /** Unix time in milliseconds. */
  readonly created: number;
  readonly error?: unknown;
  /** Extra structured fields (e.g. an access log's status and duration). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** Receives log records. */
export type LogHandler = (record: LogRecord) => void;

const LEVEL_NAMES: Record<number, LogLevelName> = {
  10: "DEBUG",
  20: "INFO",
  30: "WARNING",
  40: "ERROR",
  50: "CRITICAL",
};

const allLoggers = new Map<string, Logger>();
let handlersInstalled = 0;

/** Substitutes `%s`, `%d`, `%r` and `%%` in a message, as Python's `msg % args`. */
export function formatMessage(msg: string, args: readonly unknown[]): string {
  if (args.length === 0) return msg;
  let i = 0;
  return msg.replace(/%(?:\.(\d+))?([sdrif%])/g, (m, prec: string | undefined, t: string) => {
    if (t === "%") return "%";
    if (i >= args.length) return m;
    const a = args[i++];
    if (t === "d" || t === "i") return String(Math.trunc(Number(a)));
    if (t === "f") return Number(a).toFixed(prec === undefined ? 6 : Number(prec));
    if (t === "r") return typeof a === "string" ? `'${a}'` : String(a);
    return typeof a === "string" ? a : a instanceof Error ? a.message : String(a);
  });
}

// Bumped whenever any logger's level changes, so cached effective levels stay right.
let levelVersion = 0;

/**
 * A named logger with a level and handlers; records also go to the parent's handlers
 * (`cyclone.access` → `cyclone`), as Python's logging propagates.
 *
 * @example
 * const log = getLogger("myapp");
 * log.addHandler((r) => console.log(r.levelName, r.message));
 * log.info("started on port %d", 8888);
 */
export class Logger {
  readonly name: string;
  #level = 0;
  #cachedLevel = 0;
  #cachedVersion = -1;

  /** Records below this level are dropped (0: inherit from the parent). */
  get level(): number {
    return this.#level;
  }
  set level(value: number) {
    this.#level = value;
    levelVersion++;
  }
  readonly handlers: LogHandler[] = [];
  /** Whether records also go to the parent logger's handlers. */
  propagate = true;

  constructor(name: string) {
    this.name = name;
  }

  /** The parent in the dotted-name hierarchy, or `undefined` for the root. */
  get parent(): Logger | undefined {
    if (this.name === "") return undefined;
    const dot = this.name.lastIndexOf(".");
    return getLogger(dot === -1 ? "" : this.name.slice(0, dot));
  }

  /** The level in force: this logger's, else the nearest ancestor's, else WARNING. */
  getEffectiveLevel(): number {
    // Asked on every request (the access log): walk the hierarchy only after a change.
    if (this.#cachedVersion === levelVersion) return this.#cachedLevel;
    let level: number = LogLevel.WARNING;
    for (let l: Logger | undefined = this; l; l = l.parent) {
      if (l.level) {
        level = l.level;
        break;
      }
    }
    this.#cachedLevel = level;
    this.#cachedVersion = levelVersion;
    return level;
  }

  setLevel(level: number | LogLevelName): void {
    this.level = typeof level === "number" ? level : LogLevel[level];
  }

  isEnabledFor(level: number): boolean {
    return level >= this.getEffectiveLevel();
  }

  addHandler(handler: LogHandler): void {
    this.handlers.push(handler);
    handlersInstalled++;
  }

  removeHandler(handler: LogHandler): void {
    const i = this.handlers.indexOf(handler);
    if (i !== -1) {
      this.handlers.splice(i, 1);
      handlersInstalled--;
    }
  }

  /** Logs at `level`. A trailing Error argument not consumed by the message is attached. */
  log(level: number, msg: string, ...args: unknown[]): void {
    if (!this.isEnabledFor(level)) return;
    this.emit(level, msg, args);
  }

  debug(msg: string, ...args: unknown[]): void {
    this.log(LogLevel.DEBUG, msg, ...args);
  }
  info(msg: string, ...args: unknown[]): void {
    this.log(LogLevel.INFO, msg, ...args);
  }
  warning(msg: string, ...args: unknown[]): void {
    this.log(LogLevel.WARNING, msg, ...args);
  }
  error(msg: string, ...args: unknown[]): void {
    this.log(LogLevel.ERROR, msg, ...args);
  }
  critical(msg: string, ...args: unknown[]): void {
    this.log(LogLevel.CRITICAL, msg, ...args);
  }
  /** Logs at ERROR with `error` attached (its stack is printed by formatters). */
  exception(msg: string, error: unknown, ...args: unknown[]): void {
    if (!this.isEnabledFor(LogLevel.ERROR)) return;
    this.emit(LogLevel.ERROR, msg, args, error);
  }

  /** Logs a record carrying structured fields (used for access lines). */
  logWithExtra(level: number, extra: Record<string, unknown>, msg: string, ...args: unknown[]): void {
    if (!this.isEnabledFor(level)) return;
    this.emit(level, msg, args, undefined, extra);
  }

  private emit(level: number, msg: string, args: unknown[], error?: unknown, extra?: Record<string, unknown>): void {
    const placeholders = (msg.match(/%(?:\.\d+)?[sdrif]/g) ?? []).length;
    if (error === undefined && args.length > placeholders && args[args.length - 1] instanceof Error) {
      error = args[args.length - 1];
    }
    const record: LogRecord = {
      name: this.name,
      level,
      levelName: LEVEL_NAMES[level] ?? "INFO",
      message: formatMessage(msg, args),
      created: Date.now(),
      ...(error !== undefined ? { error } : {}),
      ...(extra !== undefined ? { extra } : {}),
    };
    if (handlersInstalled === 0) {
      // Errors are never silent; access lines wait until logging is enabled.
      if (level >= LogLevel.WARNING && !this.name.startsWith("cyclone.access")) lastResort(record);
      return;
    }
    for (let l: Logger | undefined = this; l; l = l.propagate ? l.parent : undefined) {
      for (const h of l.handlers) {
        try {
          h(record);
        } catch {
          // A broken handler must not break the request that logged.
        }
      }
    }
  }
}

function lastResort(record: LogRecord): void {
  const err = record.error;
  const tail = err instanceof Error && err.stack ? "\n" + err.stack : err !== undefined ? "\n" + String(err) : "";
  console.error(record.message + tail);
}

/** The logger named `name`, created on first use. `""` is the root logger. */
export function getLogger(name = ""): Logger {
  let l = allLoggers.get(name);
  if (!l) {
    l = new Logger(name);
    allLoggers.set(name, l);
  }
  return l;
}

/** Per-request access lines ("200 GET / (127.0.0.1) 0.52ms"). Tornado's `access_log`. */
export const accessLog: Logger = getLogger("cyclone.access");
/** Uncaught errors in application code. Tornado's `app_log`. */
export const appLog: Logger = getLogger("cyclone.application");
/** Everything else the framework reports. Tornado's `gen_log`. */
export const genLog: Logger = getLogger("cyclone.general");
