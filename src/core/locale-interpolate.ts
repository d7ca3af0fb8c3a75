/**
 * Python's `message % {"name": value}` for translated strings.
 *
 * Tornado's translations carry Python named placeholders (`"%(name)s liked this"`) and
 * Python fills them with the `%` operator; JavaScript has no such operator, so Cyclone
 * provides {@link interpolate}. Translation files written for Tornado work unchanged.
 * @module
 */

import { pyRepr } from "./locale-csv.js";
import { InterpolationError } from "./locale-error.js";

// After "%": an optional "(key)", flags, width, precision, an ignored length modifier
// (Python accepts and ignores h/l/L), then the conversion character.
const SPEC = /\(([^)]*)\)([-#0 +]*)(\d+)?(?:\.(\d+))?[hlL]?(.)?/y;

/**
 * Fills Python-style named placeholders from `values`, as Python's `template % values`.
 *
 * Supported conversions: `s` (JavaScript's `String(value)`), `r` (a quoted string), `d`/`i`/`u`
 * (integers; numbers are truncated), `x`/`X`/`o`, `f`/`F`, `e`/`E`; flags `-`, `0`, `+`,
 * space and `#`; width and precision. `%%` is a literal `%`. Placeholders must be named:
 * the values are always a mapping, as in Tornado's translated strings.
 *
 * @throws {InterpolationError} for a missing key, an unnamed or malformed placeholder, or
 *   a non-numeric value given to a numeric conversion (Python's KeyError/ValueError/TypeError).
 * @example
 * interpolate("%(name)s liked this", { name: "Ana" });         // "Ana liked this"
 * interpolate("%(count)d new messages", { count: 3 });         // "3 new messages"
 * interpolate("%(pct).1f%% done", { pct: 42.25 });              // "42.2% done"
 */
export function interpolate(template: string, values: Readonly<Record<string, unknown>>): string {
  let out = "";
  let i = 0;
  for (;;) {
    const at = template.indexOf("%", i);
    if (at === -1) return out + template.slice(i);
    out += template.slice(i, at);
    if (template[at + 1] === "%") {
      out += "%";
      i = at + 2;
      continue;
    }
    SPEC.lastIndex = at + 1;
    const m = SPEC.exec(template);
    if (m === null) {
      if (at + 1 >= template.length) throw new InterpolationError("incomplete format");
      throw new InterpolationError(`format requires a mapping key at index ${at}: use %(name)s`);
    }
    const [, key, flags, width, precision, conversion] = m as unknown as [string, string, string, string?, string?, string?];
    if (conversion === undefined) throw new InterpolationError("incomplete format");
    if (!Object.hasOwn(values, key)) throw new InterpolationError(`no value for %(${key})`);
    const body = convert(values[key], conversion, flags, precision === undefined ? undefined : Number(precision), at);
    out += pad(body, flags, width === undefined ? 0 : Number(width), conversion);
    i = SPEC.lastIndex;
  }
}

function convert(value: unknown, conversion: string, flags: string, precision: number | undefined, at: number): string {
  switch (conversion) {
    case "s": {
      const s = String(value);
      return precision === undefined ? s : s.slice(0, precision);
    }
    case "r": {
      const s = typeof value === "string" ? pyRepr(value) : String(value);
      return precision === undefined ? s : s.slice(0, precision);
    }
    case "d":
    case "i":
    case "u":
      return sign(integerOf(value, conversion).toString(), flags);
    case "x":
    case "X":
    case "o": {
      const n = integerOf(value, conversion);
      const negative = n < 0n;
      let digits = (negative ? -n : n).toString(conversion === "o" ? 8 : 16);
      if (flags.includes("#")) digits = (conversion === "o" ? "0o" : "0x") + digits;
      if (conversion === "X") digits = digits.toUpperCase();
      return sign((negative ? "-" : "") + digits, flags);
    }
    case "f":
    case "F":
    case "e":
    case "E": {
      const n = realOf(value, conversion);
      const digits = precision ?? 6;
      let s: string;
      if (!Number.isFinite(n)) s = Number.isNaN(n) ? "nan" : n > 0 ? "inf" : "-inf";
      else if (conversion === "f" || conversion === "F") s = n.toFixed(digits);
      // JavaScript writes "1.5e+0"; Python pads the exponent to two digits: "1.5e+00".
      else s = n.toExponential(digits).replace(/e([+-])(\d)$/, "e$10$2");
      if (conversion === "F" || conversion === "E") s = s.toUpperCase();
      return sign(s, flags);
    }
    default:
      throw new InterpolationError(`unsupported format character '${conversion}' at index ${at}`);
  }
}

function integerOf(value: unknown, conversion: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "boolean") return value ? 1n : 0n;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new InterpolationError(`cannot convert ${value} to integer`);
    return BigInt(Math.trunc(value));
  }
  throw new InterpolationError(`%${conversion} format: a number is required, not ${typeName(value)}`);
}

function realOf(value: unknown, conversion: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  throw new InterpolationError(`%${conversion} format: a number is required, not ${typeName(value)}`);
}

function typeName(value: unknown): string {
  return value === null ? "null" : typeof value;
}

function sign(s: string, flags: string): string {
  if (s.startsWith("-")) return s;
  if (flags.includes("+")) return "+" + s;
  if (flags.includes(" ")) return " " + s;
  return s;
}

function pad(s: string, flags: string, width: number, conversion: string): string {
  if (s.length >= width) return s;
  if (flags.includes("-")) return s.padEnd(width);
  const numeric = conversion !== "s" && conversion !== "r";
  if (flags.includes("0") && numeric) {
    // Zeros go after the sign and any 0x/0o prefix, as Python places them.
    const lead = /^[-+ ]?(?:0[xXo])?/.exec(s)![0];
    return lead + s.slice(lead.length).padStart(width - lead.length, "0");
  }
  return s.padStart(width);
}
