/**
 * One option for `options.ts` (Tornado's `_Option`): its definition, its value, how a
 * command-line string becomes a typed value and how an assigned value is checked.
 *
 * JavaScript has one number type, so Tornado's `int` and `float` are both `number` here;
 * `"int"` still refuses `1.5`, as Python's `int()` does. A `timedelta` is a number of
 * seconds (the unit of `IOLoop.callLater`), a `datetime` a `Date` in local time.
 * @module
 */

import { pyInt, pyStrip } from "../core/pycompat.js";

/** Raised for bad option definitions, names and values. Tornado's `tornado.options.Error`. */
export class OptionsError extends Error {
  override name = "OptionsError";
  /** The option concerned, when there is one. */
  readonly option: string | undefined;

  /**
   * @example
   * throw new OptionsError("Option 'port' requires a value", { option: "port" });
   */
  constructor(message: string, options: { option?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.option = options.option;
  }
}

/** Tornado's type names (Python's `str`, `int`, ... as strings). */
export type OptionTypeName = "str" | "string" | "int" | "float" | "bool" | "datetime" | "timedelta";

/** A class whose constructor takes the command-line string (Tornado calls `type(value)`). */
export type OptionClass<T = unknown> = new (value: string) => T;

/**
 * An option's type: a name, a built-in constructor (`String`, `Number` (= `"float"`),
 * `Boolean`, `Date`) or a class constructed from the string.
 */
export type OptionType =
  | OptionTypeName
  | StringConstructor
  | NumberConstructor
  | BooleanConstructor
  | DateConstructor
  | OptionClass;

/** The JavaScript value type an `OptionType` stands for. */
export type OptionTypeValue<K> = K extends "str" | "string" | StringConstructor
  ? string
  : K extends "int" | "float" | "timedelta" | NumberConstructor
    ? number
    : K extends "bool" | BooleanConstructor
      ? boolean
      : K extends "datetime" | DateConstructor
        ? Date
        : K extends OptionClass<infer I>
          ? I
          : unknown;

/** A resolved type: one of Tornado's kinds, or a user class. */
export type ValueKind =
  | { readonly kind: "str" | "int" | "float" | "bool" | "datetime" | "timedelta" }
  | { readonly kind: "class"; readonly cls: OptionClass };

/** Resolves `type` (or infers it from `default`, as Tornado does when `type` is omitted). */
export function resolveType(type: OptionType | undefined, defaultValue: unknown, multiple: boolean): ValueKind {
  if (type === undefined) {
    if (multiple || defaultValue === null || defaultValue === undefined) return { kind: "str" };
    switch (typeof defaultValue) {
      case "string":
        return { kind: "str" };
      case "boolean":
        return { kind: "bool" };
      case "number":
        // Python infers int from 80 and float from 1.5; a JavaScript number says which by its value.
        return { kind: Number.isInteger(defaultValue) ? "int" : "float" };
      default:
        if (defaultValue instanceof Date) return { kind: "datetime" };
        if (typeof defaultValue === "object") return { kind: "class", cls: defaultValue.constructor as OptionClass };
        return { kind: "str" };
    }
  }
  if (type === String || type === "str" || type === "string") return { kind: "str" };
  if (type === Number || type === "float") return { kind: "float" };
  if (type === "int") return { kind: "int" };
  if (type === Boolean || type === "bool") return { kind: "bool" };
  if (type === Date || type === "datetime") return { kind: "datetime" };
  if (type === "timedelta") return { kind: "timedelta" };
  if (typeof type === "function") return { kind: "class", cls: type as OptionClass };
  throw new OptionsError(`Unknown option type ${String(type)}`);
}

/** Python's `type.__name__`, for messages. */
export function kindName(k: ValueKind): string {
  return k.kind === "class" ? k.cls.name : k.kind;
}

/** Python's `repr()` of a string, for messages. */
export function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === "\\" || ch === q) out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + q;
}

/** Whether `value` may be assigned to an option of kind `k` (Tornado's isinstance check). */
export function isOfKind(k: ValueKind, value: unknown): boolean {
  switch (k.kind) {
    case "str":
      return typeof value === "string";
    case "int":
      return typeof value === "number" && Number.isInteger(value);
    case "float":
    case "timedelta":
      return typeof value === "number";
    case "bool":
      return typeof value === "boolean";
    case "datetime":
      return value instanceof Date;
    case "class":
      return value instanceof k.cls;
  }
}

const FLOAT_RE = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const FLOAT_SPECIAL_RE = /^([+-]?)(inf|infinity|nan)$/i;

/** Python's `float(s)`, or `null` where it raises. */
export function parseFloatPy(s: string): number | null {
  const t = pyStrip(s);
  if (FLOAT_RE.test(t)) return Number(t.replace(/_/g, ""));
  const m = FLOAT_SPECIAL_RE.exec(t);
  if (m) return m[2]!.toLowerCase() === "nan" ? NaN : m[1] === "-" ? -Infinity : Infinity;
  return null;
}

/** Tornado's bool parsing: everything but "false", "0" and "f" (any case) is true. */
export function parseBool(s: string): boolean {
  const l = s.toLowerCase();
  return l !== "false" && l !== "0" && l !== "f";
}

const TIMEDELTA_UNITS: Readonly<Record<string, number>> = {
  weeks: 7 * 86400,
  w: 7 * 86400,
  days: 86400,
  d: 86400,
  hours: 3600,
  h: 3600,
  minutes: 60,
  m: 60,
  min: 60,
  seconds: 1,
  s: 1,
  sec: 1,
  milliseconds: 1e-3,
  ms: 1e-3,
  microseconds: 1e-6,
  us: 1e-6,
};
// One "<number><unit>" term; the unit is a word, looked up case-sensitively as Tornado does.
const TIMEDELTA_TERM = /\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(\w*)\s*/y;

/**
 * Tornado's timedelta syntax ("45s", "1h30m", "2 days", "1.5"), in seconds rounded to
 * the microsecond as `datetime.timedelta`; `null` for text it refuses.
 */
export function parseTimedelta(s: string): number | null {
  let micros = 0;
  let start = 0;
  while (start < s.length) {
    TIMEDELTA_TERM.lastIndex = start;
    const m = TIMEDELTA_TERM.exec(s);
    if (!m || m[0].length === 0) return null;
    const unit = TIMEDELTA_UNITS[m[2] || "seconds"];
    if (unit === undefined) return null;
    micros += Number(m[1]) * unit * 1e6;
    start = TIMEDELTA_TERM.lastIndex;
  }
  return Math.round(micros) / 1e6;
}

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
// The fields of strptime's directives, with the digit counts Python's _strptime accepts.
const DIRECTIVES: Readonly<Record<string, string>> = {
  a: "(?<a>mon|tue|wed|thu|fri|sat|sun)",
  b: "(?<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)",
  d: "(?<d>3[01]|[12]\\d|0[1-9]|[1-9]| [1-9])",
  H: "(?<H>2[0-3]|[0-1]\\d|\\d)",
  M: "(?<M>[0-5]\\d|\\d)",
  S: "(?<S>6[0-1]|[0-5]\\d|\\d)",
  Y: "(?<Y>\\d\\d\\d\\d)",
  m: "(?<m>1[0-2]|0[1-9]|[1-9])",
};
// Tornado's _DATETIME_FORMATS, tried in order.
const DATETIME_FORMATS = [
  "%a %b %d %H:%M:%S %Y",
  "%Y-%m-%d %H:%M:%S",
  "%Y-%m-%d %H:%M",
  "%Y-%m-%dT%H:%M",
  "%Y%m%d %H:%M:%S",
  "%Y%m%d %H:%M",
  "%Y-%m-%d",
  "%Y%m%d",
  "%H:%M:%S",
  "%H:%M",
].map((f) => {
  // As strptime: a space in the format matches any run of whitespace; case is ignored.
  const src = f.replace(/%(\w)|( )|([^%\w ])/g, (_m, d: string | undefined, sp: string | undefined, lit: string | undefined) =>
    d ? DIRECTIVES[d]! : sp ? "\\s+" : "\\" + lit,
  );
  return new RegExp(`^${src}$`, "i");
});

/** Tornado's datetime parsing (its ten strptime formats), as a local-time `Date`, or `null`. */
export function parseDatetime(s: string): Date | null {
  for (const re of DATETIME_FORMATS) {
    const g = re.exec(s)?.groups;
    if (!g) continue;
    const year = g["Y"] ? Number(g["Y"]) : 1900;
    const month = g["b"] ? MONTHS.indexOf(g["b"].toLowerCase()) + 1 : g["m"] ? Number(g["m"]) : 1;
    const day = g["d"] ? Number(g["d"]) : 1;
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (day > daysInMonth) continue;
    if (g["a"] !== undefined && !WEEKDAYS.includes(g["a"].toLowerCase())) continue;
    // Python's datetime has no leap seconds: strptime accepts 60 and 61 only to refuse them later.
    const second = g["S"] ? Number(g["S"]) : 0;
    if (second > 59) continue;
    const d = new Date(year, month - 1, day, g["H"] ? Number(g["H"]) : 0, g["M"] ? Number(g["M"]) : 0, second);
    // new Date() maps years 0-99 to 1900-1999; a four-digit year is taken as written.
    d.setFullYear(year);
    return d;
  }
  return null;
}

/** Parses one command-line string as kind `k` for option `name`; throws `OptionsError`. */
export function parseValue(k: ValueKind, name: string, s: string): unknown {
  switch (k.kind) {
    case "str":
      return s;
    case "bool":
      return parseBool(s);
    case "int": {
      const n = pyInt(s);
      if (n === null) throw new OptionsError(`Option ${pyRepr(name)}: invalid literal for int() with base 10: ${pyRepr(s)}`, { option: name });
      return n;
    }
    case "float": {
      const n = parseFloatPy(s);
      if (n === null) throw new OptionsError(`Option ${pyRepr(name)}: could not convert string to float: ${pyRepr(s)}`, { option: name });
      return n;
    }
    case "timedelta": {
      const n = parseTimedelta(s);
      if (n === null) throw new OptionsError(`Option ${pyRepr(name)}: unrecognized time interval: ${pyRepr(s)}`, { option: name });
      return n;
    }
    case "datetime": {
      const d = parseDatetime(s);
      if (d === null) throw new OptionsError(`Unrecognized date/time format: ${pyRepr(s)}`, { option: name });
      return d;
    }
    case "class":
      try {
        return new k.cls(s);
      } catch (e) {
        throw new OptionsError(`Option ${pyRepr(name)}: invalid ${k.cls.name} value ${pyRepr(s)}`, { option: name, cause: e });
      }
  }
}

const pad2 = (n: number): string => String(n).padStart(2, "0");

/**
 * A default as `--help` prints it: in the syntax the command line accepts, so it can be
 * copied back (`true`, `a,b`, `2013-04-28 05:16:00`, `45s`).
 */
export function formatDefault(k: ValueKind, value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => formatDefault(k, v)).join(",");
  if (value instanceof Date) {
    const d = value;
    return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  }
  if (k.kind === "timedelta" && typeof value === "number") return `${value}s`;
  return String(value);
}

/** How `define` describes an option (Tornado's keyword arguments). */
export interface OptionSpec {
  /** The value before any parse; `null` when omitted (`[]` for `multiple`). */
  default?: unknown;
  /** The value type; inferred from `default` when omitted, else a string. */
  type?: OptionType;
  /** One line for `--help`. */
  help?: string;
  /** The value's name in `--help` (`--port=PORT`). */
  metavar?: string;
  /** Takes a list: comma-separated, with `lo:hi` ranges for ints. */
  multiple?: boolean;
  /** The `--help` heading and the `groupDict` key; the defining file when omitted. */
  group?: string;
  /** Called with the new value whenever the option is set or parsed. */
  callback?: (value: never) => void;
}

/**
 * One defined option: its definition and its value. Returned by `define`, so the value
 * can be read with its type without going through `options`.
 *
 * @example
 * const port = define("port", { default: 8888 });
 * parseCommandLine();
 * app.listen(port.value());
 */
export class Option<T = unknown> {
  /** The name as defined (introspection keeps dashes or underscores as written). */
  readonly name: string;
  readonly help: string | null;
  readonly metavar: string | null;
  readonly multiple: boolean;
  /** The file that called `define` ("" for the parser's own `--help`). */
  readonly fileName: string;
  /** The `group`, else the file name. */
  readonly groupName: string;
  readonly default: T;
  /** The type's name as Python spells it: `str`, `int`, `float`, `bool`, `datetime`, `timedelta`, or a class name. */
  readonly typeName: string;
  readonly #kind: ValueKind;
  readonly #callback: ((value: T) => void) | undefined;
  #value: { v: T } | undefined;

  /** Use `OptionParser.define`. */
  constructor(name: string, spec: OptionSpec, fileName: string) {
    const multiple = spec.multiple === true;
    this.#kind = resolveType(spec.type, spec.default, multiple);
    this.name = name;
    this.help = spec.help ?? null;
    this.metavar = spec.metavar ?? null;
    this.multiple = multiple;
    this.fileName = fileName;
    this.groupName = spec.group ? spec.group : fileName;
    this.default = (spec.default ?? (multiple ? [] : null)) as T;
    this.typeName = kindName(this.#kind);
    this.#callback = spec.callback as ((value: T) => void) | undefined;
  }

  /**
   * The value set or parsed last, else the default.
   * @example
   * define("port", { default: 80 }).value(); // 80
   */
  value(): T {
    return this.#value ? this.#value.v : this.default;
  }

  /**
   * Parses command-line text (comma lists and `lo:hi` int ranges when `multiple`), sets it and returns it.
   * @example
   * parser.define("ports", { type: "int", multiple: true }).parse("80,8000:8002"); // [80, 8000, 8001, 8002]
   */
  parse(text: string): T {
    let v: unknown;
    if (this.multiple) {
      const list: unknown[] = [];
      for (const part of text.split(",")) {
        if (this.#kind.kind === "int") {
          // Ranges are inclusive at both ends, as Tornado's.
          const colon = part.indexOf(":");
          const lo = parseValue(this.#kind, this.name, colon === -1 ? part : part.slice(0, colon)) as number;
          const hiText = colon === -1 ? "" : part.slice(colon + 1);
          const hi = hiText ? (parseValue(this.#kind, this.name, hiText) as number) : lo;
          for (let i = lo; i <= hi; i++) list.push(i);
        } else {
          list.push(parseValue(this.#kind, this.name, part));
        }
      }
      v = list;
    } else {
      v = parseValue(this.#kind, this.name, text);
    }
    this.#value = { v: v as T };
    this.#callback?.(v as T);
    return this.value();
  }

  /**
   * Sets a value of the option's type (no string parsing); `null` clears it to None.
   * @example
   * parser.option("port")!.set(443);
   */
  set(value: unknown): void {
    if (this.multiple) {
      if (!Array.isArray(value) || value.some((item) => item !== null && item !== undefined && !isOfKind(this.#kind, item))) {
        throw new OptionsError(`Option ${pyRepr(this.name)} is required to be a list of ${this.typeName}`, { option: this.name });
      }
    } else if (value !== null && value !== undefined && !isOfKind(this.#kind, value)) {
      throw new OptionsError(`Option ${pyRepr(this.name)} is required to be a ${this.typeName} (${describeType(value)} given)`, {
        option: this.name,
      });
    }
    this.#value = { v: (value ?? null) as T };
    this.#callback?.(value as T);
  }

  /**
   * `parse` for strings when the type is not a string, else `set`: how config files assign.
   * @example
   * parser.option("port")!.assign("443"); // 443, as a number
   */
  assign(value: unknown): void {
    if (typeof value === "string" && (this.#kind.kind !== "str" || this.multiple)) this.parse(value);
    else this.set(value);
  }

  /**
   * The default as `--help` shows it.
   * @example
   * parser.define("timeout", { type: "timedelta", default: 30 }).formatDefault(); // "30s"
   */
  formatDefault(): string {
    return formatDefault(this.#kind, this.default);
  }
}

function describeType(v: unknown): string {
  if (v instanceof Date) return "Date";
  if (Array.isArray(v)) return "Array";
  if (typeof v === "object" && v !== null) return v.constructor?.name ?? "object";
  return typeof v;
}
