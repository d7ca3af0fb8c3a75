/**
 * Parameters of a `Content-Disposition`-like header — what Tornado's private
 * `httputil._parse_header` does with the help of Python's `email.utils` (`decode_params`,
 * `collapse_rfc2231_value`): `;`-separated parameters, quoted strings with backslash
 * escapes, and RFC 2231/5987 extended values (`filename*=UTF-8''%C3%A1b.txt`, with
 * `name*0`, `name*1*` continuations).
 *
 * The results match Tornado 6.2 value for value, quirks included (see
 * test/fixtures/multipart/tornado-multipart.json), but the splitting is linear where
 * Tornado 6.2's was quadratic in the number of `;` inside quotes.
 * @module
 */

/** Python's `email.utils.unquote`: strips one pair of `"…"` (undoing `\\` and `\"`) or `<…>`. */
function emailUnquote(s: string): string {
  if (s.length > 1) {
    if (s[0] === '"' && s[s.length - 1] === '"') return s.slice(1, -1).replaceAll("\\\\", "\\").replaceAll('\\"', '"');
    if (s[0] === "<" && s[s.length - 1] === ">") return s.slice(1, -1);
  }
  return s;
}

/** Python's `email.utils.quote`. */
function emailQuote(s: string): string {
  return s.replaceAll("\\", "\\\\").replaceAll('"', '\\"');
}

/**
 * Splits `;`-separated parameters, ignoring `;` inside quoted strings. A `"` preceded by a
 * backslash does not open or close a quote — the rule Tornado's `_parseparam` applies by
 * counting `"` and `\"` — so this gives its answer in one pass.
 */
function splitParams(s: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 /* " */) {
      if (i === 0 || s.charCodeAt(i - 1) !== 0x5c /* \ */) inQuote = !inQuote;
    } else if (c === 0x3b /* ; */ && !inQuote) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.slice(start).trim());
  return out;
}

// Python's "%" unquoting to latin-1 characters: every escape becomes one byte-sized char.
function percentDecodeLatin1(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

const RFC2231_NAME = /^(\w+)\*(?:([0-9]+)\*?)?$/;

interface Continuation {
  num: number | null;
  value: string;
  encoded: boolean;
}

/** The bytes Python's `str.encode("raw-unicode-escape")` gives for `s`. */
function rawUnicodeEscape(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp <= 0xff) out.push(cp);
    else {
      const hex = cp <= 0xffff ? "\\u" + cp.toString(16).padStart(4, "0") : "\\U" + cp.toString(16).padStart(8, "0");
      for (let i = 0; i < hex.length; i++) out.push(hex.charCodeAt(i));
    }
  }
  return Uint8Array.from(out);
}

const LATIN1_NAMES = new Set(["latin-1", "latin1", "latin_1", "iso-8859-1", "iso8859-1", "iso_8859_1", "iso8859_1", "l1", "8859", "cp819"]);
const ASCII_NAMES = new Set(["ascii", "us-ascii", "us_ascii", "646"]);

/**
 * Decodes bytes in a charset named by an RFC 2231 value, replacing bad sequences as
 * Python's `errors="replace"`; `null` when the charset is unknown (Python's LookupError).
 */
function decodeCharset(bytes: Uint8Array, charset: string): string | null {
  const cs = charset.trim().toLowerCase();
  if (cs === "") return null;
  if (LATIN1_NAMES.has(cs)) return String.fromCharCode(...bytes);
  if (ASCII_NAMES.has(cs)) return Array.from(bytes, (b) => (b < 0x80 ? String.fromCharCode(b) : "\ufffd")).join("");
  try {
    // WHATWG labels cover Python's other common names (utf-8, utf8, windows-1252, …).
    return new TextDecoder(cs === "utf_8" ? "utf-8" : cs).decode(bytes);
  } catch {
    return null;
  }
}

/** Python's `email.utils.collapse_rfc2231_value` for an extended (charset-tagged) value. */
function collapseExtended(charset: string | null, text: string): string {
  // An empty charset ("''text") is not "no charset": Python fails to look it up.
  const decoded = decodeCharset(rawUnicodeEscape(text), charset ?? "us-ascii");
  return decoded === null ? emailUnquote(text) : decoded;
}

/**
 * Parses a `Content-Type`/`Content-Disposition`-style header into its main value and a map
 * of lower-cased parameter names to values, as Tornado's `_parse_header`. Extended values
 * (`filename*=UTF-8''%C3%A1b.txt`) are decoded and take precedence over plain ones of the
 * same name; parameters without `=` are dropped; the last duplicate wins.
 *
 * @throws {TypeError} when numbered and unnumbered RFC 2231 continuations of one name are
 * mixed (Python fails comparing them too); multipart parsing reports it as bad headers.
 *
 * @example
 * parseHeaderParams(`form-data; name="files"; filename*=UTF-8''%C3%A1b.txt`);
 * // ["form-data", { name: "files", filename: "áb.txt" }]
 */
export function parseHeaderParams(line: string): [string, Record<string, string>] {
  const parts = splitParams(line);
  const key = parts[0]!;
  // As email.utils.decode_params: plain values first (re-quoted), then RFC 2231 values.
  const plain: Array<[string, string]> = [];
  const extended = new Map<string, Continuation[]>();
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!;
    const eq = p.indexOf("=");
    if (eq < 0) continue;
    const rawName = p.slice(0, eq).trim().toLowerCase();
    const value = emailUnquote(p.slice(eq + 1).trim());
    const m = RFC2231_NAME.exec(rawName);
    if (m) {
      const list = extended.get(m[1]!) ?? [];
      list.push({ num: m[2] === undefined ? null : Number(m[2]), value, encoded: rawName.endsWith("*") });
      extended.set(m[1]!, list);
    } else {
      plain.push([rawName, emailUnquote(`"${emailQuote(value)}"`)]);
    }
  }
  const decoded: Array<[string, string]> = plain;
  for (const [name, conts] of extended) {
    conts.sort(compareContinuations);
    let joined = "";
    let isExtended = false;
    for (const c of conts) {
      if (c.encoded) {
        joined += percentDecodeLatin1(c.value);
        isExtended = true;
      } else joined += c.value;
    }
    const quoted = emailQuote(joined);
    if (!isExtended) {
      decoded.push([name, emailUnquote(`"${quoted}"`)]);
      continue;
    }
    // email.utils.decode_rfc2231: "charset'language'text", or no charset at all.
    const pieces = splitN(quoted, "'", 3);
    if (pieces.length < 3) decoded.push([name, collapseExtended(null, `"${quoted}"`)]);
    else decoded.push([name, collapseExtended(pieces[0]!, `"${pieces[2]}"`)]);
  }
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, v] of decoded) {
    params[name] = v.length >= 2 && v[0] === '"' && v[v.length - 1] === '"' ? v.slice(1, -1) : v;
  }
  return [key, params];
}

function compareContinuations(a: Continuation, b: Continuation): number {
  if (a.num !== b.num) {
    if (a.num === null || b.num === null) {
      throw new TypeError("cannot mix numbered and unnumbered RFC 2231 continuations");
    }
    return a.num - b.num;
  }
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return Number(a.encoded) - Number(b.encoded);
}

/** Python's `s.split(sep, n - 1)`. */
function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let start = 0;
  while (out.length < n - 1) {
    const i = s.indexOf(sep, start);
    if (i < 0) break;
    out.push(s.slice(start, i));
    start = i + sep.length;
  }
  out.push(s.slice(start));
  return out;
}
