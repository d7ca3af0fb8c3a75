/**
 * Small pieces of Python's own semantics that Tornado's output depends on, so that
 * Cyclone produces and accepts byte-for-byte what Tornado does: `int()` parsing, `str.strip()`
 * whitespace, `\w`, lenient base64 decoding (`base64.b64decode`) and hex codecs.
 *
 * Internal to the core: the public names live in `escape.ts` and `signing.ts`.
 * @module
 */

/**
 * Python's `str.isspace()` characters (what `strip()`, `\s` and `int()` treat as
 * whitespace). JavaScript's `\s` differs: it lacks `\x1c-\x1f` and `\x85` and adds
 * `\ufeff`.
 */
export const PY_SPACE_CLASS =
  "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/** Python's `\w` on `str` patterns: letters, numbers (any script) and `_`. */
export const PY_WORD_CLASS = "\\p{L}\\p{N}_";

const STRIP_RE = new RegExp(`^[${PY_SPACE_CLASS}]+|[${PY_SPACE_CLASS}]+$`, "g");

/** Python's `str.strip()` with no argument. */
export function pyStrip(s: string): string {
  return s.replace(STRIP_RE, "");
}

const SPACE_RE = new RegExp(`[${PY_SPACE_CLASS}]`, "u");
const DECIMAL_RE = /\p{Nd}/u;

/**
 * The value of a Unicode decimal digit (any script), or -1. Unicode guarantees decimal
 * digits come in contiguous runs of ten, zero first, so the value is the distance from
 * the start of the run, modulo ten.
 */
function decimalValue(cp: number): number {
  if (cp >= 48 && cp <= 57) return cp - 48;
  if (cp < 128 || !DECIMAL_RE.test(String.fromCodePoint(cp))) return -1;
  let start = cp;
  while (start > 0 && DECIMAL_RE.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}

function digitValue(cp: number, base: 10 | 16): number {
  const d = decimalValue(cp);
  if (d >= 0) return d;
  if (base === 16) {
    if (cp >= 97 && cp <= 102) return cp - 87;
    if (cp >= 65 && cp <= 70) return cp - 55;
  }
  return -1;
}

/**
 * Parses `s` as Python's `int(s)` or `int(s, 16)` would: surrounding whitespace, a sign,
 * single underscores between digits, any script's decimal digits and (base 16) an optional
 * `0x` prefix are accepted. Returns `null` where Python raises `ValueError`.
 * Values beyond 2**53 lose precision, which no caller here depends on.
 */
export function pyInt(s: string, base: 10 | 16 = 10): number | null {
  const cps = Array.from(s, (c) => c.codePointAt(0)!);
  let i = 0;
  let end = cps.length;
  while (i < end && SPACE_RE.test(String.fromCodePoint(cps[i]!))) i++;
  while (end > i && SPACE_RE.test(String.fromCodePoint(cps[end - 1]!))) end--;
  let sign = 1;
  if (cps[i] === 0x2b || cps[i] === 0x2d) {
    if (cps[i] === 0x2d) sign = -1;
    i++;
  }
  // After "0x" Python allows one underscore before the first digit ("0x_ff").
  let underscoreOk = false;
  if (base === 16 && cps[i] === 0x30 && (cps[i + 1] === 0x78 || cps[i + 1] === 0x58)) {
    i += 2;
    underscoreOk = true;
  }
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const cp = cps[i]!;
    if (cp === 0x5f) {
      if (!underscoreOk) return null;
      underscoreOk = false;
      continue;
    }
    const d = digitValue(cp, base);
    if (d < 0) return null;
    value = value * base + d;
    digits++;
    underscoreOk = true;
  }
  // A trailing underscore leaves underscoreOk false only after a digit-less "_".
  if (digits === 0 || cps[end - 1] === 0x5f) return null;
  return sign * value;
}

const NOT_PY_BYTES_INT = /[^\x00-\x1b\x20-\x7f]/;

/**
 * Python's `int(b)` for a byte string (given here as its Latin-1 text): like {@link pyInt}
 * but only ASCII digits and ASCII whitespace, since bytes get no Unicode treatment.
 */
export function pyIntBytes(s: string): number | null {
  return NOT_PY_BYTES_INT.test(s) ? null : pyInt(s);
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64_VALUE[B64.charCodeAt(i)] = i;

/** Standard base64 with padding, as Python's `base64.b64encode`. */
export function b64encode(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + "==";
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + "=";
  }
  return out;
}

/**
 * Decodes base64 as Python's non-strict `base64.b64decode` does: characters outside the
 * alphabet are skipped, decoding stops at the first complete padding, and a data length
 * that padding cannot complete is an error (`null`).
 */
export function b64decodeLenient(data: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(Math.floor((data.length * 3) / 4) + 3);
  let n = 0;
  let quad = 0;
  let pads = 0;
  let left = 0;
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (c === 0x3d /* = */) {
      pads++;
      if (quad >= 2 && quad + pads >= 4) return out.slice(0, n);
      continue;
    }
    const v = B64_VALUE[c]!;
    if (v < 0) continue;
    pads = 0;
    switch (quad) {
      case 0:
        left = v;
        quad = 1;
        break;
      case 1:
        out[n++] = (left << 2) | (v >> 4);
        left = v & 15;
        quad = 2;
        break;
      case 2:
        out[n++] = ((left << 4) | (v >> 2)) & 255;
        left = v & 3;
        quad = 3;
        break;
      default:
        out[n++] = ((left << 6) | v) & 255;
        quad = 0;
    }
  }
  return quad === 0 ? out.slice(0, n) : null;
}

const HEX_LOWER = "0123456789abcdef";

/** Lower-case hex, as Python's `binascii.b2a_hex` and `hexdigest()`. */
export function hexEncode(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out += HEX_LOWER[b >> 4]! + HEX_LOWER[b & 15]!;
  }
  return out;
}

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Decodes hex of either case, as Python's `binascii.a2b_hex`; `null` for an odd length or
 * a non-hex character (where Python raises `binascii.Error`).
 */
export function hexDecode(s: string): Uint8Array | null {
  if (s.length % 2 !== 0) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexNibble(s.charCodeAt(2 * i));
    const lo = hexNibble(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/**
 * Compares two byte strings in time that depends only on their lengths, as Python's
 * `hmac.compare_digest`.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  // On a length mismatch, still walk b against itself so timing reveals nothing about a.
  const left = a.length === b.length ? a : b;
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= left[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Thrown where Python raises `UnicodeDecodeError`: bytes that are not valid text in the
 * expected encoding (`toUnicode`, `jsonDecode`).
 *
 * @example
 * toUnicode(new Uint8Array([0xff])); // throws UnicodeDecodeError
 */
export class UnicodeDecodeError extends Error {
  override name = "UnicodeDecodeError";
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** UTF-8 to text, throwing {@link UnicodeDecodeError} on invalid input (Python's `decode("utf-8")`). */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new UnicodeDecodeError("'utf-8' codec can't decode bytes: invalid UTF-8");
  }
}
