/**
 * JSON as Tornado writes and reads it — `tornado.escape.json_encode` / `json_decode`,
 * which wrap Python's `json.dumps` / `json.loads`. Re-exported by `escape.ts`.
 *
 * The output is byte for byte Python's: `", "` and `": "` separators, every character
 * outside printable ASCII escaped as `\uXXXX`, `NaN`/`Infinity` for non-finite numbers,
 * and `</` written `<\/` so JSON can sit inside a `<script>` element.
 * @module
 */

import { decodeUtf8Strict, UnicodeDecodeError } from "./pycompat.js";

/**
 * Thrown by {@link jsonEncode} for a value JSON cannot hold (Python's `TypeError`/`ValueError`).
 *
 * @example
 * jsonEncode(new Set([1])); // throws JSONEncodeError("Object of type Set is not JSON serializable")
 */
export class JSONEncodeError extends Error {
  override name = "JSONEncodeError";
}

/**
 * Thrown by {@link jsonDecode} for malformed JSON, with Python's message and position
 * (`Expecting value: line 1 column 1 (char 0)`).
 *
 * @example
 * try { jsonDecode(body); } catch (e) { if (e instanceof JSONDecodeError) throw new HTTPError(400); }
 */
export class JSONDecodeError extends Error {
  override name = "JSONDecodeError";
  /** Offset in the document, in UTF-16 code units. */
  readonly pos: number;
  readonly lineno: number;
  readonly colno: number;
  /** The message without the position. */
  readonly msg: string;

  constructor(msg: string, doc: string, pos: number) {
    const lineno = countNewlines(doc, pos) + 1;
    const colno = pos === 0 ? 1 : pos - doc.lastIndexOf("\n", pos - 1);
    super(`${msg}: line ${lineno} column ${colno} (char ${pos})`);
    this.msg = msg;
    this.pos = pos;
    this.lineno = lineno;
    this.colno = colno;
  }
}

function countNewlines(s: string, end: number): number {
  let n = 0;
  for (let i = s.indexOf("\n"); i !== -1 && i < end; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

// ---------------------------------------------------------------------------------------
// Encoding

// Printable ASCII except '"' and '\': the characters Python's ensure_ascii leaves alone.
const PLAIN_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: "\\\\",
  0x0a: "\\n",
  0x0d: "\\r",
  0x09: "\\t",
  0x08: "\\b",
  0x0c: "\\f",
};

function encodeString(s: string): string {
  let body: string;
  // Most strings are plain ASCII; one regex test beats a per-character loop.
  if (PLAIN_STRING.test(s)) {
    body = s;
  } else {
    body = "";
    let last = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) continue;
      body += s.slice(last, i) + (SHORT_ESCAPES[c] ?? "\\u" + c.toString(16).padStart(4, "0"));
      last = i + 1;
    }
    body += s.slice(last);
  }
  return '"' + (body.includes("</") ? body.replaceAll("</", "<\\/") : body) + '"';
}

/**
 * Python's `repr(float)`: the shortest digits that round-trip (as JavaScript's), but in
 * fixed notation for exponents -4..15 (always with a fraction, `1.0`) and otherwise
 * `1e+16` / `1.5e-07` style.
 */
function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa, expText] = Math.abs(x).toExponential().split("e") as [string, string];
  const exp = Number(expText);
  const digits = mantissa.replace(".", "");
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const int = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  return `${sign}${int}.${digits.slice(exp + 1) || "0"}`;
}

function encodeNumber(x: number): string {
  // A JavaScript number has no int/float distinction: safe integers print as Python ints,
  // everything else as Python floats.
  return Number.isSafeInteger(x) && !Object.is(x, -0) ? String(x) : pyFloatRepr(x);
}

function typeName(value: unknown): string {
  if (typeof value !== "object" || value === null) return typeof value;
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === "string" && ctor.name !== "" ? ctor.name : "object";
}

function notSerializable(value: unknown): JSONEncodeError {
  return new JSONEncodeError(`Object of type ${typeName(value)} is not JSON serializable`);
}

/** A Map key as Python turns a dict key into a JSON object key. */
function mapKey(key: unknown): string {
  switch (typeof key) {
    case "string":
      return key;
    case "number":
      return encodeNumber(key);
    case "bigint":
      return key.toString();
    case "boolean":
      return key ? "true" : "false";
  }
  if (key === null || key === undefined) return "null";
  throw new JSONEncodeError(`keys must be str, int, float, bool or None, not ${typeName(key)}`);
}

function encodeValue(value: unknown, key: string, stack: unknown[]): string | undefined {
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    value = (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  switch (typeof value) {
    case "string":
      return encodeString(value);
    case "number":
      return encodeNumber(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "undefined":
      return undefined;
    case "function":
    case "symbol":
      throw notSerializable(value);
  }
  if (value === null) return "null";
  if (value instanceof String || value instanceof Number || value instanceof Boolean) {
    return encodeValue(value.valueOf(), key, stack);
  }
  if (stack.includes(value)) throw new JSONEncodeError("Circular reference detected");
  stack.push(value);
  try {
    if (Array.isArray(value)) {
      const items = value.map((item: unknown, i) => encodeValue(item, String(i), stack) ?? "null");
      return "[" + items.join(", ") + "]";
    }
    const members: string[] = [];
    if (value instanceof Map) {
      for (const [k, v] of value as Map<unknown, unknown>) {
        const name = mapKey(k);
        const encoded = encodeValue(v, name, stack);
        if (encoded !== undefined) members.push(encodeString(name) + ": " + encoded);
      }
    } else if (
      value instanceof Set ||
      value instanceof ArrayBuffer ||
      ArrayBuffer.isView(value) ||
      value instanceof Promise ||
      value instanceof WeakMap ||
      value instanceof WeakSet
    ) {
      // JSON.stringify would silently write "{}" for these; Python refuses sets and bytes.
      throw notSerializable(value);
    } else {
      for (const name of Object.keys(value as object)) {
        const encoded = encodeValue((value as Record<string, unknown>)[name], name, stack);
        if (encoded !== undefined) members.push(encodeString(name) + ": " + encoded);
      }
    }
    return "{" + members.join(", ") + "}";
  } finally {
    stack.pop();
  }
}

/**
 * JSON-encodes a value exactly as Tornado's `json_encode` (Python's `json.dumps`), with
 * the guarantee that the output never contains `</`, so it is safe inside `<script>`.
 *
 * Objects, arrays, `Map`s (keys converted as Python converts dict keys), strings,
 * numbers, booleans, `null` and `bigint`s are written; `toJSON()` is honoured (so `Date`
 * becomes its ISO string); object members that are `undefined` are left out and array
 * items that are `undefined` become `null`, as in `JSON.stringify`.
 *
 * @throws {JSONEncodeError} for functions, symbols, `Set`s, binary data, a top-level
 *   `undefined`, or a circular structure.
 * @example
 * jsonEncode({ a: [1, 2.5, null], b: "é</script>" });
 * // '{"a": [1, 2.5, null], "b": "\\u00e9<\\/script>"}'
 */
export function jsonEncode(value: unknown): string {
  const out = encodeValue(value, "", []);
  if (out === undefined) throw notSerializable(value);
  return out;
}

// ---------------------------------------------------------------------------------------
// Decoding

/** Python's json.detect_encoding: JSON text starts with two ASCII characters. */
function detectEncoding(b: Uint8Array): string {
  if ((b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) || (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff)) {
    return "utf-32";
  }
  if ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff)) return "utf-16";
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return "utf-8-sig";
  if (b.length >= 4) {
    if (b[0] === 0) return b[1] ? "utf-16-be" : "utf-32-be";
    if (b[1] === 0) return b[2] || b[3] ? "utf-16-le" : "utf-32-le";
  } else if (b.length === 2) {
    if (b[0] === 0) return "utf-16-be";
    if (b[1] === 0) return "utf-16-le";
  }
  return "utf-8";
}

/** UTF-16/32 with Python's "surrogatepass": code units pass through unchecked. */
function decodeWide(b: Uint8Array, encoding: string): string {
  const width = encoding.startsWith("utf-32") ? 4 : 2;
  let offset = 0;
  let little = encoding.endsWith("-le");
  if (encoding === "utf-16" || encoding === "utf-32") {
    little = b[0] === 0xff;
    offset = width;
  }
  if ((b.length - offset) % width !== 0) throw new UnicodeDecodeError(`'${encoding}' codec can't decode bytes: truncated data`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let out = "";
  for (let i = offset; i < b.length; i += width) {
    const unit = width === 2 ? view.getUint16(i, little) : view.getUint32(i, little);
    if (unit > 0x10ffff) throw new UnicodeDecodeError(`'${encoding}' codec can't decode bytes: code point not in range(0x110000)`);
    out += String.fromCodePoint(unit);
  }
  return out;
}

function decodeJsonBytes(b: Uint8Array): string {
  const encoding = detectEncoding(b);
  if (encoding === "utf-8") return decodeUtf8Strict(b);
  if (encoding === "utf-8-sig") return decodeUtf8Strict(b.subarray(3));
  return decodeWide(b, encoding);
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;

/**
 * A JSON parser with Python's extensions (`NaN`, `Infinity`, `-Infinity`) and Python's
 * error messages. Only used when `JSON.parse` refuses the text, so the common case stays
 * on the engine's native parser.
 */
class PyJSONParser {
  #s: string;
  #i = 0;

  constructor(s: string) {
    this.#s = s;
  }

  parse(): unknown {
    if (this.#s.charCodeAt(0) === 0xfeff) throw new JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", this.#s, 0);
    this.#skip();
    const value = this.#value();
    this.#skip();
    if (this.#i !== this.#s.length) throw new JSONDecodeError("Extra data", this.#s, this.#i);
    return value;
  }

  #skip(): void {
    while (WS.has(this.#s.charCodeAt(this.#i))) this.#i++;
  }

  #fail(msg: string, pos = this.#i): never {
    throw new JSONDecodeError(msg, this.#s, pos);
  }

  #value(): unknown {
    const s = this.#s;
    const c = s[this.#i];
    if (c === '"') return this.#string();
    if (c === "{") return this.#object();
    if (c === "[") return this.#array();
    for (const [word, value] of CONSTANTS) {
      if (s.startsWith(word, this.#i)) {
        this.#i += word.length;
        return value;
      }
    }
    NUMBER_RE.lastIndex = this.#i;
    const m = NUMBER_RE.exec(s);
    if (m === null) this.#fail("Expecting value");
    this.#i += m[0].length;
    return Number(m[0]);
  }

  #string(): string {
    const s = this.#s;
    const start = this.#i++;
    let out = "";
    for (;;) {
      const c = s.charCodeAt(this.#i);
      if (Number.isNaN(c)) this.#fail("Unterminated string starting at", start);
      if (c === 0x22) {
        this.#i++;
        return out;
      }
      if (c < 0x20) this.#fail("Invalid control character at");
      if (c !== 0x5c) {
        out += s[this.#i++];
        continue;
      }
      const e = s[this.#i + 1];
      if (e === undefined) this.#fail("Unterminated string starting at", start);
      if (e === "u") {
        const hex = s.slice(this.#i + 2, this.#i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.#fail("Invalid \\uXXXX escape", this.#i + 1);
        out += String.fromCharCode(parseInt(hex, 16));
        this.#i += 6;
        continue;
      }
      const simple = SIMPLE_UNESCAPES[e];
      if (simple === undefined) this.#fail("Invalid \\escape");
      out += simple;
      this.#i += 2;
    }
  }

  #object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.#i++;
    this.#skip();
    if (this.#s[this.#i] === "}") {
      this.#i++;
      return out;
    }
    for (;;) {
      if (this.#s[this.#i] !== '"') this.#fail("Expecting property name enclosed in double quotes");
      const key = this.#string();
      this.#skip();
      if (this.#s[this.#i] !== ":") this.#fail("Expecting ':' delimiter");
      this.#i++;
      this.#skip();
      // defineProperty keeps a "__proto__" key an ordinary member, as JSON.parse does.
      Object.defineProperty(out, key, { value: this.#value(), enumerable: true, writable: true, configurable: true });
      this.#skip();
      const c = this.#s[this.#i];
      if (c === "}") {
        this.#i++;
        return out;
      }
      if (c !== ",") this.#fail("Expecting ',' delimiter");
      this.#i++;
      this.#skip();
    }
  }

  #array(): unknown[] {
    const out: unknown[] = [];
    this.#i++;
    this.#skip();
    if (this.#s[this.#i] === "]") {
      this.#i++;
      return out;
    }
    for (;;) {
      out.push(this.#value());
      this.#skip();
      const c = this.#s[this.#i];
      if (c === "]") {
        this.#i++;
        return out;
      }
      if (c !== ",") this.#fail("Expecting ',' delimiter");
      this.#i++;
      this.#skip();
    }
  }
}

const CONSTANTS: ReadonlyArray<readonly [string, unknown]> = [
  ["null", null],
  ["true", true],
  ["false", false],
  ["NaN", Number.NaN],
  ["Infinity", Infinity],
  ["-Infinity", -Infinity],
];

const SIMPLE_UNESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/**
 * Parses JSON as Tornado's `json_decode` (Python's `json.loads`): text, or bytes in
 * UTF-8 (with or without a BOM), UTF-16 or UTF-32, detected as Python does. Python's
 * `NaN`, `Infinity` and `-Infinity` are accepted, so whatever {@link jsonEncode} writes
 * reads back. Integers beyond 2**53 lose precision, as anywhere in JavaScript.
 *
 * @throws {JSONDecodeError} for malformed JSON; {@link UnicodeDecodeError} for bytes
 *   that are not valid text.
 * @example
 * jsonDecode('{"a": [1, NaN]}'); // { a: [1, NaN] }
 */
export function jsonDecode(value: string | Uint8Array): unknown {
  const text = typeof value === "string" ? value : decodeJsonBytes(value);
  try {
    return JSON.parse(text);
  } catch {
    return new PyJSONParser(text).parse();
  }
}
