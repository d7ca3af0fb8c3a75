/**
 * Log formatters for the Node host: Tornado's `LogFormatter` (one line per record, the
 * level letter and time in brackets, coloured on a terminal, the error's stack on the
 * following lines) and a JSON formatter (one object per line, for log collectors).
 *
 * Tornado prints `module:lineno` of the logging call. Records here carry no call site
 * (capturing a stack on every access line would cost more than the line), so the text
 * format prints the logger's last dotted name instead: `cyclone.access` gives
 * `[I 251125 04:55:01 access]`, `cyclone.application` `application`, `cyclone.general`
 * `general`, the root logger `root`, `myapp.db` `db`.
 * @module
 */

import type { LogRecord } from "../core/log.js";

/**
 * Turns a record into text (without the trailing newline).
 * @example
 * const short: Formatter = { format: (r) => `${r.levelName} ${r.message}` };
 */
export interface Formatter {
  format(record: LogRecord): string;
}

/** Raised for a bad logging configuration (unknown level, rotate mode or format). */
export class LogConfigError extends Error {
  override name = "LogConfigError";
}

/** Whether to colour: `"auto"` (on when the stream is a colour terminal), `"always"`, `"never"`; `true` is `"auto"`. */
export type ColorMode = boolean | "auto" | "always" | "never";

/** Something the formatter may ask whether it is a colour terminal (`process.stderr`). */
export interface TerminalLike {
  isTTY?: boolean;
  hasColors?: () => boolean;
}

/** Settings of a `LogFormatter`. */
export interface LogFormatterOptions {
  /** Python %-style record format; `LogFormatter.DEFAULT_FORMAT` when omitted. */
  fmt?: string;
  /** strftime format of `%(asctime)s`; `LogFormatter.DEFAULT_DATE_FORMAT` when omitted. */
  datefmt?: string;
  /** Default `"auto"`. */
  color?: ColorMode;
  /** Level number to terminal colour number (0-7); Tornado's map when omitted. */
  colors?: Readonly<Record<number, number>>;
  /** The stream `"auto"` checks; `process.stderr` when omitted. */
  stream?: TerminalLike;
  /** Times in UTC rather than local time. */
  utc?: boolean;
}

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const p2 = (n: number): string => String(n).padStart(2, "0");

/**
 * Python's `time.strftime` for the directives logging formats use (`%Y %y %m %d %H %I
 * %M %S %p %a %A %b %B %j %z %Z %%`), in local time or UTC.
 *
 * @example
 * strftime("%y%m%d %H:%M:%S", new Date(0), true); // "700101 00:00:00"
 */
export function strftime(format: string, date: Date, utc = false): string {
  const Y = utc ? date.getUTCFullYear() : date.getFullYear();
  const mo = utc ? date.getUTCMonth() : date.getMonth();
  const d = utc ? date.getUTCDate() : date.getDate();
  const H = utc ? date.getUTCHours() : date.getHours();
  const M = utc ? date.getUTCMinutes() : date.getMinutes();
  const S = utc ? date.getUTCSeconds() : date.getSeconds();
  const wd = utc ? date.getUTCDay() : date.getDay();
  return format.replace(/%([a-zA-Z%])/g, (m, c: string) => {
    switch (c) {
      case "Y":
        return String(Y);
      case "y":
        return p2(Y % 100);
      case "m":
        return p2(mo + 1);
      case "d":
        return p2(d);
      case "H":
        return p2(H);
      case "I":
        return p2(H % 12 === 0 ? 12 : H % 12);
      case "M":
        return p2(M);
      case "S":
        return p2(S);
      case "p":
        return H < 12 ? "AM" : "PM";
      case "a":
        return DAY_NAMES[wd]!.slice(0, 3);
      case "A":
        return DAY_NAMES[wd]!;
      case "b":
        return MONTH_NAMES[mo]!.slice(0, 3);
      case "B":
        return MONTH_NAMES[mo]!;
      case "j": {
        const start = utc ? Date.UTC(Y, 0, 1) : new Date(Y, 0, 1).getTime();
        const today = utc ? Date.UTC(Y, mo, d) : new Date(Y, mo, d).getTime();
        return String(Math.round((today - start) / 86_400_000) + 1).padStart(3, "0");
      }
      case "z": {
        const off = utc ? 0 : -date.getTimezoneOffset();
        const a = Math.abs(off);
        return `${off < 0 ? "-" : "+"}${p2(Math.floor(a / 60))}${p2(a % 60)}`;
      }
      case "Z":
        return utc ? "UTC" : (Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(date).find((p) => p.type === "timeZoneName")?.value ?? "");
      case "%":
        return "%";
      default:
        return m;
    }
  });
}

/** The name the text format prints for a logger: its last dotted part, `root` for the root. */
export function shortLoggerName(name: string): string {
  return name === "" ? "root" : name.slice(name.lastIndexOf(".") + 1);
}

/** The error attached to a record as text: the stack, then each `cause`'s. */
export function formatError(error: unknown): string {
  let out = "";
  let e: unknown = error;
  for (let depth = 0; depth < 10 && e !== undefined; depth++) {
    out += (depth > 0 ? "\nCaused by: " : "") + (e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return out;
}

// %(key)[flags][width][.precision]type, as Python's %-formatting of a dict.
const FIELD_RE = /%\((\w+)\)([-#0 +]*)(\d*)(?:\.(\d+))?([sdifr])|%%/g;

function renderFormat(fmt: string, fields: Readonly<Record<string, unknown>>): string {
  return fmt.replace(FIELD_RE, (m, key: string | undefined, flags: string, width: string, prec: string | undefined, type: string) => {
    if (key === undefined) return "%";
    const v = fields[key];
    let s: string;
    if (type === "d" || type === "i") s = String(Math.trunc(Number(v)));
    else if (type === "f") s = Number(v).toFixed(prec === undefined ? 6 : Number(prec));
    else {
      s = v === undefined || v === null ? "" : String(v);
      if (prec !== undefined) s = s.slice(0, Number(prec));
    }
    const w = width ? Number(width) : 0;
    if (s.length < w) {
      if (flags.includes("-")) s = s.padEnd(w);
      else if (flags.includes("0") && type !== "s" && type !== "r") s = s.padStart(w, "0");
      else s = s.padStart(w);
    }
    return s;
  });
}

/**
 * Tornado's log formatter: `[I 251125 04:55:01 access] 200 GET / (127.0.0.1) 0.52ms`,
 * the bracketed part coloured by level on a colour terminal, the attached error's stack
 * on the following lines, every continuation line indented by four spaces.
 *
 * Format fields: `levelname`, `levelno`, `name`, `module` (the logger's short name),
 * `message`, `asctime`, `created` (seconds), `msecs`, `process`, `color`, `end_color`,
 * and the record's `extra` fields.
 *
 * @example
 * const f = new LogFormatter({ color: "never" });
 * f.format({ name: "cyclone.access", level: 20, levelName: "INFO", message: "200 GET /", created: Date.now() });
 */
export class LogFormatter implements Formatter {
  static readonly DEFAULT_FORMAT = "%(color)s[%(levelname)1.1s %(asctime)s %(module)s]%(end_color)s %(message)s";
  static readonly DEFAULT_DATE_FORMAT = "%y%m%d %H:%M:%S";
  /** Tornado's colours: DEBUG blue, INFO green, WARNING yellow, ERROR red, CRITICAL magenta. */
  static readonly DEFAULT_COLORS: Readonly<Record<number, number>> = { 10: 4, 20: 2, 30: 3, 40: 1, 50: 5 };

  readonly #fmt: string;
  readonly #datefmt: string;
  readonly #utc: boolean;
  readonly #colors = new Map<number, string>();
  readonly #normal: string;

  constructor(options: LogFormatterOptions = {}) {
    this.#fmt = options.fmt ?? LogFormatter.DEFAULT_FORMAT;
    this.#datefmt = options.datefmt ?? LogFormatter.DEFAULT_DATE_FORMAT;
    this.#utc = options.utc ?? false;
    const mode = options.color ?? "auto";
    const stream = options.stream ?? process.stderr;
    const on = mode === "always" || ((mode === true || mode === "auto") && supportsColor(stream));
    if (on) {
      for (const [level, code] of Object.entries(options.colors ?? LogFormatter.DEFAULT_COLORS)) {
        this.#colors.set(Number(level), `\x1b[3${code}m`);
      }
      this.#normal = "\x1b[0m";
    } else {
      this.#normal = "";
    }
  }

  /**
   * Whether this formatter colours its output.
   * @example
   * new LogFormatter({ color: "never" }).colored; // false
   */
  get colored(): boolean {
    return this.#colors.size > 0;
  }

  format(record: LogRecord): string {
    const color = this.#colors.get(record.level);
    const fields: Record<string, unknown> = {
      ...record.extra,
      name: record.name,
      levelname: record.levelName,
      levelno: record.level,
      message: record.message,
      module: shortLoggerName(record.name),
      created: record.created / 1000,
      msecs: record.created % 1000,
      process: process.pid,
      asctime: strftime(this.#datefmt, new Date(record.created), this.#utc),
      color: color ?? "",
      end_color: color ? this.#normal : "",
    };
    let formatted = renderFormat(this.#fmt, fields);
    if (record.error !== undefined) formatted = formatted.trimEnd() + "\n" + formatError(record.error);
    return formatted.replace(/\n/g, "\n    ");
  }
}

function supportsColor(stream: TerminalLike): boolean {
  try {
    return stream.isTTY === true && (stream.hasColors?.() ?? false);
  } catch {
    // Better plain logs than a failure at startup.
    return false;
  }
}

/**
 * One JSON object per line, for log collectors: `time` (ISO 8601, UTC), `level`,
 * `logger`, `message`, the record's `extra` fields (an access line's `status`,
 * `method`, `uri`, `remoteIp`, `ms`), and `error` (`{name, message, stack}`) when an
 * error is attached. Extra fields never replace those names.
 *
 * @example
 * new JsonFormatter().format(record); // {"time":"2025-11-25T04:55:01.000Z","level":"INFO",...}
 */
export class JsonFormatter implements Formatter {
  format(record: LogRecord): string {
    const obj: Record<string, unknown> = {
      time: new Date(record.created).toISOString(),
      level: record.levelName,
      logger: record.name,
      message: record.message,
    };
    for (const [k, v] of Object.entries(record.extra ?? {})) if (!(k in obj) && k !== "error") obj[k] = v;
    if (record.error !== undefined) {
      const e = record.error;
      obj["error"] = e instanceof Error ? { name: e.name, message: e.message, stack: formatError(e) } : { message: String(e) };
    }
    try {
      return JSON.stringify(obj, jsonSafe);
    } catch {
      // A cycle in an extra field: keep the line, lose the field.
      return JSON.stringify({ time: obj["time"], level: obj["level"], logger: obj["logger"], message: obj["message"] });
    }
  }
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
