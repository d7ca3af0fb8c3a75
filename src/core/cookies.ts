/**
 * `Set-Cookie` values in the exact form Tornado (Python's `http.cookies.Morsel`) writes
 * them, so a browser sees the same cookie whichever server set it.
 * @module
 */

import { formatTimestamp } from "./httputil.js";

/** Options of `RequestHandler.setCookie`, Tornado's keyword arguments in camelCase. */
export interface CookieOptions {
  domain?: string;
  /** A Date, or Unix seconds. Takes precedence over `expiresDays`. */
  expires?: Date | number;
  /** Defaults to "/". An empty string leaves the attribute out. */
  path?: string;
  /** Days from now until the cookie expires. */
  expiresDays?: number;
  /** Seconds until the cookie expires. */
  maxAge?: number;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: "Strict" | "Lax" | "None" | "strict" | "lax" | "none";
}

/** A cookie name or attribute that cannot be sent safely. */
export class CookieError extends Error {
  override name = "CookieError";
}

// Python's http.cookies._LegalChars: what may appear in a cookie value unquoted.

const LEGAL_KEY = /^[A-Za-z0-9!#$%&'*+\-.^_`|~:]+$/;
// Inside quotes Python also leaves these as they are (http.cookies._UnescapedChars).
const UNESCAPED = /^[A-Za-z0-9!#$%&'*+\-.^_`|~: ()/<=>?@[\]{}]$/;
const UNSAFE_ATTRIBUTE = /[\x00-\x20;\x7f]/;
const UNSAFE_VALUE = /[\x00-\x20]/;

/**
 * Quotes a cookie value as Python's `http.cookies._quote`: legal values pass through;
 * others are wrapped in double quotes, with `"` and `\` escaped and other characters up to
 * U+00FF written as three-digit octal escapes.
 *
 * @example
 * cookieQuote("a,b"); // '"a\\054b"'
 */
export function cookieQuote(value: string): string {
  if (LEGAL_KEY.test(value)) return value;
  let out = '"';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (c <= 0xff && !UNESCAPED.test(ch)) out += "\\" + c.toString(8).padStart(3, "0");
    else out += ch;
  }
  return out + '"';
}

/**
 * Builds a `Set-Cookie` header value, attributes in Python's order.
 * @throws {CookieError} for an illegal name, a control character in the value, or a
 * control character or `;` in an attribute.
 */
export function formatSetCookie(name: string, value: string, options: CookieOptions = {}, now: () => number = Date.now): string {
  if (!LEGAL_KEY.test(name)) throw new CookieError(`Illegal cookie name ${JSON.stringify(name)}`);
  if (UNSAFE_VALUE.test(value)) throw new CookieError(`Invalid cookie ${JSON.stringify(name)}: ${JSON.stringify(value)}`);
  const path = options.path ?? "/";
  for (const [attr, v] of [
    ["domain", options.domain],
    ["path", path],
    ["samesite", options.sameSite],
  ] as const) {
    if (v !== undefined && UNSAFE_ATTRIBUTE.test(v)) {
      throw new CookieError(`Invalid cookie attribute ${attr}=${JSON.stringify(v)} for cookie ${JSON.stringify(name)}`);
    }
  }
  let expires: Date | undefined;
  if (options.expires !== undefined) {
    expires = typeof options.expires === "number" ? new Date(options.expires * 1000) : options.expires;
  } else if (options.expiresDays !== undefined) {
    expires = new Date(now() + options.expiresDays * 86_400_000);
  }
  // Python's Morsel writes its attributes sorted by their lower-case keys.
  let s = `${name}=${cookieQuote(value)}`;
  if (options.domain) s += `; Domain=${options.domain}`;
  if (expires !== undefined) s += `; expires=${formatTimestamp(expires)}`;
  if (options.httpOnly) s += "; HttpOnly";
  if (options.maxAge) s += `; Max-Age=${options.maxAge}`;
  if (path) s += `; Path=${path}`;
  if (options.sameSite) s += `; SameSite=${options.sameSite}`;
  if (options.secure) s += "; Secure";
  return s;
}
