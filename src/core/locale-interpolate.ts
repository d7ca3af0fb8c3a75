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
 * interpolate("%(pct).1f%% done", { pct: 42.25 });              // "42.2% done" (ties to even)
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
      else if (conversion === "f" || conversion === "F") s = fixed(n, digits);
      else s = exponential(n, digits);
      if (conversion === "F" || conversion === "E") s = s.toUpperCase();
      return sign(s, flags);
    }
    default:
      throw new InterpolationError(`unsupported format character '${conversion}' at index ${at}`);
  }
}

// Python formats a float from its exact binary value and rounds ties to even ("%.1f" of
// 42.25 is "42.2"); toFixed/toExponential round ties up and turn to exponents at 1e21.
// So the value is taken apart into mantissa × 2^exponent and rounded with BigInt.
function scaledRound(x: number, pow10: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exp2 = (biased === 0 ? 1 : biased) - 1075;
  let num = mantissa;
  let den = 1n;
  if (exp2 >= 0) num <<= BigInt(exp2);
  else den <<= BigInt(-exp2);
  if (pow10 >= 0) num *= 10n ** BigInt(pow10);
  else den *= 10n ** BigInt(-pow10);
  const q = num / den;
  const twice = 2n * (num % den);
  return twice > den || (twice === den && q % 2n === 1n) ? q + 1n : q;
}

function isNegative(x: number): boolean {
  return x < 0 || Object.is(x, -0);
}

function fixed(x: number, digits: number): string {
  let s = scaledRound(x, digits).toString().padStart(digits + 1, "0");
  if (digits > 0) s = s.slice(0, -digits) + "." + s.slice(-digits);
  return (isNegative(x) ? "-" : "") + s;
}

function exponential(x: number, digits: number): string {
  const ax = Math.abs(x);
  let exp10 = 0;
  let q = 0n;
  if (ax !== 0) {
    // log10 may be off by one near powers of ten; the exact check corrects it.
    exp10 = Math.floor(Math.log10(ax));
    const low = 10n ** BigInt(digits);
    for (let attempt = 0; attempt < 4; attempt++) {
      q = scaledRound(ax, digits - exp10);
      if (q >= low * 10n) exp10++;
      else if (q < low) exp10--;
      else break;
    }
  }
  const d = q.toString().padStart(digits + 1, "0");
  const mantissa = digits > 0 ? d[0] + "." + d.slice(1) : d;
  const e = Math.abs(exp10).toString().padStart(2, "0");
  return `${isNegative(x) ? "-" : ""}${mantissa}e${exp10 < 0 ? "-" : "+"}${e}`;
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
