/**
 * Escaping and unescaping for HTML, URLs and JSON — Tornado's `tornado.escape`.
 *
 * Everything here is pure and synchronous and uses only Web-standard globals, so it runs
 * unchanged on Node and on Workers.
 * @module
 */

const encoder = new TextEncoder();
const HEX = "0123456789ABCDEF";

// Bytes that Python's urllib.parse.quote leaves alone: letters, digits and "_.-~".
const UNRESERVED = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~") {
  UNRESERVED[c.charCodeAt(0)] = 1;
}

/**
 * Returns a URL-encoded version of `value`, as Tornado's `url_escape`.
 *
 * With `plus` (the default) spaces become `+` and `/` is escaped, as for a query
 * argument (Python's `quote_plus`); without it spaces become `%20` and `/` is kept, as for
 * a path segment (Python's `quote`).
 *
 * @example
 * urlEscape("a b&c");        // "a+b%26c"
 * urlEscape("a b/c", false); // "a%20b/c"
 */
export function urlEscape(value: string | Uint8Array, plus = true): string {
  const bytes = typeof value === "string" ? encoder.encode(value) : value;
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 128 && UNRESERVED[b] === 1) out += String.fromCharCode(b);
    else if (b === 0x2f && !plus) out += "/";
    else if (b === 0x20 && plus) out += "+";
    else out += "%" + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Thrown by {@link urlUnescapeBytes} in strict mode for a `%` not followed by two hex digits. */
export class MalformedEscapeError extends Error {
  override name = "MalformedEscapeError";
}

/**
 * Decodes a URL-encoded string to bytes, as Tornado's `url_unescape(value, encoding=None)`.
 *
 * With `plus` (the default) `+` decodes to a space. A malformed escape (`%zz`) is kept
 * literally, as Python does, unless `strict` is set: then it throws
 * {@link MalformedEscapeError}.
 */
export function urlUnescapeBytes(value: string, plus = true, strict = false): Uint8Array {
  const out = new Uint8Array(value.length * 3);
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25 /* % */) {
      const hi = i + 2 < value.length ? hexValue(value.charCodeAt(i + 1)) : -1;
      const lo = hi >= 0 ? hexValue(value.charCodeAt(i + 2)) : -1;
      if (lo >= 0) {
        out[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
      if (strict) throw new MalformedEscapeError(`Malformed percent-encoding at offset ${i}`);
      out[n++] = c;
    } else if (c === 0x2b /* + */ && plus) {
      out[n++] = 0x20;
    } else if (c < 0x80) {
      out[n++] = c;
    } else {
      // A raw non-ASCII character in a URL: keep its UTF-8 bytes.
      const enc = encoder.encode(value.slice(i, c >= 0xd800 && c <= 0xdbff ? i + 2 : i + 1));
      out.set(enc, n);
      n += enc.length;
      if (c >= 0xd800 && c <= 0xdbff) i++;
    }
  }
  return out.subarray(0, n);
}

/**
 * Decodes a URL-encoded string, as Tornado's `url_unescape` with its default UTF-8
 * encoding. Invalid UTF-8 becomes U+FFFD.
 *
 * @example
 * urlUnescape("a+b%26c"); // "a b&c"
 */
export function urlUnescape(value: string, plus = true): string {
  return new TextDecoder().decode(urlUnescapeBytes(value, plus));
}

const XHTML_ESCAPE_RE = /[&<>"']/g;
const XHTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes a string so it is valid within HTML or XML, as Tornado's `xhtml_escape`:
 * `<`, `>`, `"`, `'` and `&` become entities.
 *
 * @example
 * xhtmlEscape(`<a href="x">`); // "&lt;a href=&quot;x&quot;&gt;"
 */
export function xhtmlEscape(value: unknown): string {
  const s = typeof value === "string" ? value : String(value);
  // Most strings need no escaping; testing first avoids building a new string.
  XHTML_ESCAPE_RE.lastIndex = 0;
  if (!XHTML_ESCAPE_RE.test(s)) return s;
  return s.replace(XHTML_ESCAPE_RE, (c) => XHTML_ESCAPES[c]!);
}

/** Encodes a string as UTF-8 bytes; bytes pass through. Tornado's `utf8`. */
export function utf8(value: string | Uint8Array): Uint8Array {
  return typeof value === "string" ? encoder.encode(value) : value;
}
