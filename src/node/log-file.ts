/**
 * Log handlers that write: to a stream (stderr), to a file rotated by size (Python's
 * `RotatingFileHandler`) or by time (`TimedRotatingFileHandler`), as `--log-file-prefix`
 * and the `--log-rotate-*` options configure them.
 *
 * File writes are synchronous, as Python's logging: a line is on disk, in order, when the
 * logging call returns, and a crash right after it loses nothing.
 * @module
 */

import { closeSync, existsSync, fstatSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { LogHandler, LogRecord } from "../core/log.js";
import { type Formatter, LogConfigError, LogFormatter, strftime } from "./log-format.js";

/** A handler object: `handle` is what `Logger.addHandler` takes. */
export interface Handler {
  /** Formats and writes one record. */
  readonly handle: LogHandler;
  formatter: Formatter;
  /**
   * Releases the file or stream; later records are dropped.
   * @example
   * for (const h of enablePrettyLogging()) process.on("exit", () => h.close());
   */
  close(): void;
}

/** Where a `StreamHandler` writes. */
export interface WritableText {
  write(text: string): unknown;
}

/**
 * Writes each formatted record and a newline to a stream (`process.stderr` by default).
 *
 * @example
 * const h = new StreamHandler(process.stderr, new LogFormatter());
 * getLogger().addHandler(h.handle);
 */
export class StreamHandler implements Handler {
  formatter: Formatter;
  #stream: WritableText | undefined;
  readonly handle: LogHandler = (record) => {
    this.#stream?.write(this.formatter.format(record) + "\n");
  };

  constructor(stream: WritableText = process.stderr, formatter: Formatter = new LogFormatter()) {
    this.#stream = stream;
    this.formatter = formatter;
  }

  close(): void {
    this.#stream = undefined;
  }
}

/** An append-only file kept open between records. */
abstract class FileHandlerBase implements Handler {
  formatter: Formatter;
  readonly filename: string;
  protected fd: number | undefined;
  protected size = 0;
  #closed = false;
  readonly handle: LogHandler = (record) => {
    if (this.#closed) return;
    const data = Buffer.from(this.formatter.format(record) + "\n", "utf8");
    if (this.shouldRollover(record, data.length)) this.doRollover();
    if (this.fd === undefined) this.open();
    writeSync(this.fd!, data);
    this.size += data.length;
  };

  constructor(filename: string, formatter: Formatter) {
    this.filename = filename;
    this.formatter = formatter;
    this.open();
  }

  protected open(): void {
    this.fd = openSync(this.filename, "a");
    this.size = fstatSync(this.fd).size;
  }

  protected closeFile(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  protected abstract shouldRollover(record: LogRecord, bytes: number): boolean;
  protected abstract doRollover(): void;

  close(): void {
    this.#closed = true;
    this.closeFile();
  }
}

function removeIfExists(path: string): void {
  if (existsSync(path)) unlinkSync(path);
}

/**
 * Appends to `filename`; when the next line would take it to `maxBytes`, renames it to
 * `filename.1` (shifting `.1` to `.2` and so on, keeping `backupCount` of them) and starts
 * a new file. With `maxBytes` or `backupCount` 0 the file is never rotated, as Python's.
 *
 * @example
 * const h = new RotatingFileHandler("/var/log/app.log", { maxBytes: 100e6, backupCount: 10 });
 * getLogger().addHandler(h.handle);
 */
export class RotatingFileHandler extends FileHandlerBase {
  readonly maxBytes: number;
  readonly backupCount: number;

  constructor(filename: string, options: { maxBytes?: number; backupCount?: number; formatter?: Formatter } = {}) {
    super(filename, options.formatter ?? new LogFormatter({ color: "never" }));
    this.maxBytes = options.maxBytes ?? 0;
    this.backupCount = options.backupCount ?? 0;
  }

  protected shouldRollover(_record: LogRecord, bytes: number): boolean {
    if (this.maxBytes <= 0 || this.backupCount <= 0) return false;
    // An empty file is not rotated, even for a line longer than maxBytes (no empty backups).
    if (this.size === 0 || this.size + bytes < this.maxBytes) return false;
    // Rotating /dev/null or a pipe would rename something that is not a log file.
    return statSync(this.filename, { throwIfNoEntry: false })?.isFile() ?? true;
  }

  protected doRollover(): void {
    this.closeFile();
    for (let i = this.backupCount - 1; i > 0; i--) {
      const src = `${this.filename}.${i}`;
      if (existsSync(src)) {
        removeIfExists(`${this.filename}.${i + 1}`);
        renameSync(src, `${this.filename}.${i + 1}`);
      }
    }
    removeIfExists(`${this.filename}.1`);
    if (existsSync(this.filename)) renameSync(this.filename, `${this.filename}.1`);
    this.open();
  }
}

/** Settings of a `TimedRotatingFileHandler`. */
export interface TimedRotatingOptions {
  /** `S`, `M`, `H`, `D`, `MIDNIGHT` or `W0`-`W6` (Monday to Sunday: at the midnight ending that day, as Python), any case. Default `H`. */
  when?: string;
  /** How many `when` units between rotations. Default 1. */
  interval?: number;
  /** Rotated files kept (0: all). */
  backupCount?: number;
  /** Day boundaries and file names in UTC rather than local time. */
  utc?: boolean;
  formatter?: Formatter;
}

const DAY = 86_400;
const WHEN: Readonly<Record<string, { seconds: number; suffix: string; re: RegExp }>> = {
  S: { seconds: 1, suffix: "%Y-%m-%d_%H-%M-%S", re: /^\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}$/ },
  M: { seconds: 60, suffix: "%Y-%m-%d_%H-%M", re: /^\d{4}-\d{2}-\d{2}_\d{2}-\d{2}$/ },
  H: { seconds: 3600, suffix: "%Y-%m-%d_%H", re: /^\d{4}-\d{2}-\d{2}_\d{2}$/ },
  D: { seconds: DAY, suffix: "%Y-%m-%d", re: /^\d{4}-\d{2}-\d{2}$/ },
  MIDNIGHT: { seconds: DAY, suffix: "%Y-%m-%d", re: /^\d{4}-\d{2}-\d{2}$/ },
  W: { seconds: 7 * DAY, suffix: "%Y-%m-%d", re: /^\d{4}-\d{2}-\d{2}$/ },
};

/**
 * Appends to `filename` and, every `interval` `when` units, renames it to
 * `filename.<time>` (the time the finished period began, e.g. `app.log.2025-11-25` for
 * `midnight`) and starts a new file, deleting the oldest beyond `backupCount`. Python's
 * `TimedRotatingFileHandler`; as there, the first period starts at the file's last
 * modification when it exists.
 *
 * @example
 * const h = new TimedRotatingFileHandler("/var/log/app.log", { when: "midnight", backupCount: 7 });
 */
export class TimedRotatingFileHandler extends FileHandlerBase {
  readonly when: string;
  /** Seconds between rotations. */
  readonly interval: number;
  readonly backupCount: number;
  readonly utc: boolean;
  readonly #dayOfWeek: number;
  readonly #unit: { seconds: number; suffix: string; re: RegExp };
  /** Unix time in seconds of the next rotation. */
  rolloverAt: number;

  constructor(filename: string, options: TimedRotatingOptions = {}) {
    super(filename, options.formatter ?? new LogFormatter({ color: "never" }));
    const when = (options.when ?? "H").toUpperCase();
    let key = when;
    this.#dayOfWeek = -1;
    if (when.startsWith("W")) {
      if (when.length !== 2) throw new LogConfigError(`You must specify a day for weekly rollover from 0 to 6 (0 is Monday): ${when}`);
      if (when[1]! < "0" || when[1]! > "6") throw new LogConfigError(`Invalid day specified for weekly rollover: ${when}`);
      this.#dayOfWeek = Number(when[1]);
      key = "W";
    }
    const unit = WHEN[key];
    if (!unit) throw new LogConfigError(`Invalid rollover interval specified: ${when}`);
    this.#unit = unit;
    this.when = when;
    this.interval = unit.seconds * (options.interval ?? 1);
    this.backupCount = options.backupCount ?? 0;
    this.utc = options.utc ?? false;
    const st = statSync(filename, { throwIfNoEntry: false });
    this.rolloverAt = this.computeRollover(st ? st.mtimeMs / 1000 : Date.now() / 1000);
  }

  /**
   * The rotation time following `t` (Unix seconds).
   * @example
   * new TimedRotatingFileHandler("app.log", { when: "H" }).computeRollover(0); // 3600
   */
  computeRollover(t: number): number {
    if (this.when !== "MIDNIGHT" && !this.when.startsWith("W")) return t + this.interval;
    const d = new Date(t * 1000);
    const h = this.utc ? d.getUTCHours() : d.getHours();
    const m = this.utc ? d.getUTCMinutes() : d.getMinutes();
    const s = this.utc ? d.getUTCSeconds() : d.getSeconds();
    const ms = this.utc ? d.getUTCMilliseconds() : d.getMilliseconds();
    let next = t - ((h * 60 + m) * 60 + s + ms / 1000) + DAY;
    if (this.when === "MIDNIGHT") return next + this.interval - DAY;
    // JavaScript counts days from Sunday, Python's W0 is Monday.
    const day = ((this.utc ? d.getUTCDay() : d.getDay()) + 6) % 7;
    if (day !== this.#dayOfWeek) next += (day < this.#dayOfWeek ? this.#dayOfWeek - day : 6 - day + this.#dayOfWeek + 1) * DAY;
    return next + this.interval - 7 * DAY;
  }

  protected shouldRollover(record: LogRecord): boolean {
    return record.created / 1000 >= this.rolloverAt;
  }

  protected doRollover(): void {
    this.closeFile();
    const start = new Date((this.rolloverAt - this.interval) * 1000);
    const target = `${this.filename}.${strftime(this.#unit.suffix, start, this.utc)}`;
    removeIfExists(target);
    if (existsSync(this.filename)) renameSync(this.filename, target);
    if (this.backupCount > 0) for (const old of this.filesToDelete()) unlinkSync(old);
    this.open();
    const now = Date.now() / 1000;
    let next = this.computeRollover(now);
    while (next <= now) next += this.interval;
    this.rolloverAt = next;
  }

  /**
   * Rotated files beyond `backupCount`, oldest first.
   * @example
   * handler.filesToDelete(); // ["/var/log/app.log.2025-11-01", ...]
   */
  filesToDelete(): string[] {
    const dir = dirname(this.filename);
    const prefix = basename(this.filename) + ".";
    const rotated = readdirSync(dir)
      .filter((f) => f.startsWith(prefix) && this.#unit.re.test(f.slice(prefix.length)))
      .sort();
    return rotated.slice(0, Math.max(0, rotated.length - this.backupCount)).map((f) => join(dir, f));
  }
}
