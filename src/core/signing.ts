/**
 * Signed values and XSRF tokens in Tornado's formats — `create_signed_value`,
 * `decode_signed_value` and the `_xsrf` token of `tornado.web`.
 *
 * A value signed by Tornado 6.2 with the same secret decodes here, and a value signed here
 * is the very string Tornado would produce, so an application can move between the two
 * without logging anyone out. Signing is synchronous (HMAC from `@noble/hashes`, no
 * `crypto.subtle`), so it works the same on Node and on Workers.
 *
 * Formats:
 * - version 2 (the default): `2|1:<keyVersion>|<n>:<timestamp>|<n>:<name>|<n>:<base64 value>|<hex HMAC-SHA256>`,
 *   each field prefixed with its length; the signature covers everything before it.
 * - version 1 (read by default, written on request): `<base64 value>|<timestamp>|<hex HMAC-SHA1>`.
 * - XSRF tokens: `2|<mask hex>|<masked token hex>|<timestamp>` (version 2), plain hex
 *   (version 1), or any older cookie value taken as the raw token.
 * @module
 */

import { hmac } from "@noble/hashes/hmac.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { CHash } from "@noble/hashes/utils.js";
import { genLog } from "./log.js";
import {
  b64decodeLenient,
  b64encode,
  constantTimeEqual,
  hexDecode,
  hexEncode,
  pyInt,
  pyIntBytes,
} from "./pycompat.js";

/** One signing key: text (used as its UTF-8 bytes) or raw bytes. */
export type SecretKey = string | Uint8Array;

/**
 * The `cookie_secret` setting: one key, or keys by version for rotation
 * (`{ 0: "old", 1: "current" }`), where the key version is written into each value.
 */
export type CookieSecret = SecretKey | Readonly<Record<number, SecretKey>>;

/** The format {@link createSignedValue} writes unless told otherwise. */
export const DEFAULT_SIGNED_VALUE_VERSION = 2;
/** The oldest format {@link decodeSignedValue} accepts unless told otherwise. */
export const DEFAULT_SIGNED_VALUE_MIN_VERSION = 1;

/**
 * Thrown for a misuse of the signing API (an unknown version, a key-versioned secret
 * without a key version, a missing key); never for a bad value to decode, which gives
 * `null` instead.
 *
 * @example
 * try { createSignedValue(keys, "user", "v"); } catch (e) { if (e instanceof SigningError) ... }
 */
export class SigningError extends Error {
  override name = "SigningError";
}

/** Options of {@link createSignedValue}. */
export interface CreateSignedValueOptions {
  /** 2 (default) or 1; version 1 cannot carry a key version. */
  version?: 1 | 2;
  /** Current time in seconds; defaults to the system clock. */
  clock?: () => number;
  /** The key to sign with when the secret is a map of versions (required then). */
  keyVersion?: number;
}

/** Options of {@link decodeSignedValue} and {@link decodeSignedValueBytes}. */
export interface DecodeSignedValueOptions {
  /** Values signed longer ago than this are rejected; default 31. */
  maxAgeDays?: number;
  /** Current time in seconds; defaults to the system clock. */
  clock?: () => number;
  /** Reject formats older than this; default 1 (both accepted). */
  minVersion?: 1 | 2;
}

const encoder = new TextEncoder();
const PIPE = 0x7c;
const SECONDS_PER_DAY = 86400;
// A leading decimal version without leading zeros, then a pipe. Python's "(.*)$" on bytes
// rejects a newline anywhere except as the very last byte; this reproduces that.
const VERSION_RE = /^([1-9][0-9]*)\|[^\n]*\n?$/;

function systemClock(): number {
  return Date.now() / 1000;
}

function toBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === "string" ? encoder.encode(value) : value;
}

/** Bytes as one char per byte, so regexes and integer parsing see what Python sees. */
function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function isKeyMap(secret: CookieSecret): secret is Readonly<Record<number, SecretKey>> {
  return typeof secret === "object" && !(secret instanceof Uint8Array);
}

function lookupKey(secret: Readonly<Record<number, SecretKey>>, keyVersion: number): SecretKey | undefined {
  return Object.prototype.hasOwnProperty.call(secret, keyVersion) ? secret[keyVersion] : undefined;
}

type KeyedMac = ReturnType<typeof hmac.create>;
const MAC_CACHE_SIZE = 16;
const macCache = new Map<string, KeyedMac>();

/**
 * An HMAC already keyed with `secret`. Keying costs two hash blocks, as much as signing
 * a cookie itself, and an application uses one or two secrets, so keyed states of text
 * secrets are kept and cloned.
 */
function keyedMac(hash: CHash, tag: string, secret: SecretKey): KeyedMac {
  if (typeof secret !== "string") return hmac.create(hash, secret);
  const id = tag + "\0" + secret;
  let mac = macCache.get(id);
  if (mac === undefined) {
    if (macCache.size >= MAC_CACHE_SIZE) macCache.clear();
    mac = hmac.create(hash, encoder.encode(secret));
    macCache.set(id, mac);
  }
  return mac.clone();
}

function signV1(secret: SecretKey, ...parts: Uint8Array[]): string {
  const mac = keyedMac(sha1, "sha1", secret);
  for (const part of parts) mac.update(part);
  return hexEncode(mac.digest());
}

function signV2(secret: SecretKey, message: Uint8Array): string {
  return hexEncode(keyedMac(sha256, "sha256", secret).update(message).digest());
}

/** `str(int(t))` in Python: truncated toward zero, never in exponent notation. */
function timestampText(t: number): string {
  if (!Number.isFinite(t)) throw new SigningError(`Invalid timestamp ${t}`);
  return BigInt(Math.trunc(t)).toString();
}

/**
 * Signs and timestamps `value` so it cannot be forged, as Tornado's
 * `create_signed_value`: the output is byte for byte what Tornado 6.2 writes for the same
 * secret, name, value and time.
 *
 * Version 2's length prefixes count characters (Python's `len` of `str`), so a name with
 * non-ASCII characters gives a value that neither Tornado nor Cyclone will decode; cookie
 * names are ASCII in practice.
 *
 * @throws {SigningError} for an unsupported version, a key map with version 1 or without
 *   `keyVersion`, or a `keyVersion` the map does not hold.
 * @example
 * const cookie = createSignedValue("my-secret", "user", "alice");
 * // "2|1:0|10:1764000000|4:user|8:YWxpY2U=|<64 hex digits>"
 * const keyed = createSignedValue({ 0: "old", 1: "new" }, "user", "alice", { keyVersion: 1 });
 */
export function createSignedValue(
  secret: CookieSecret,
  name: string,
  value: string | Uint8Array,
  opts: CreateSignedValueOptions = {},
): string {
  const version: number = opts.version ?? DEFAULT_SIGNED_VALUE_VERSION;
  const timestamp = timestampText((opts.clock ?? systemClock)());
  const encoded = b64encode(toBytes(value));
  if (version === 1) {
    if (isKeyMap(secret)) throw new SigningError("Version 1 signed values cannot use a key-versioned secret");
    const signature = signV1(secret, encoder.encode(name), encoder.encode(encoded), encoder.encode(timestamp));
    return `${encoded}|${timestamp}|${signature}`;
  }
  if (version !== 2) throw new SigningError(`Unsupported version ${version}`);
  const keyVersion = opts.keyVersion ?? 0;
  if (!Number.isSafeInteger(keyVersion)) throw new SigningError(`Invalid key version ${keyVersion}`);
  // Python's len() of a str counts code points, not UTF-16 units or bytes.
  const field = (s: string): string => `${Array.from(s).length}:${s}`;
  const toSign = `2|${field(String(keyVersion))}|${field(timestamp)}|${field(name)}|${field(encoded)}|`;
  let key: SecretKey;
  if (isKeyMap(secret)) {
    if (opts.keyVersion === undefined) throw new SigningError("Key version must be set when sign key dict is used");
    const found = lookupKey(secret, keyVersion);
    if (found === undefined) throw new SigningError(`No secret for key version ${keyVersion}`);
    key = found;
  } else {
    key = secret;
  }
  return toSign + signV2(key, encoder.encode(toSign));
}

function getVersion(value: Uint8Array): number {
  const m = VERSION_RE.exec(latin1(value));
  if (m === null) return 1;
  // Version-less v1 values may begin with digits and a pipe only when the digits are a
  // multiple of four long (base64), so three digits or fewer always mean a version.
  const version = Number(m[1]);
  return version > 999 ? 1 : version;
}

/** Python's `s[start:end]` for bytes, negative and out-of-range indexes included. */
function pySlice(s: Uint8Array, start: number, end?: number): Uint8Array {
  const norm = (i: number): number => (i < 0 ? Math.max(0, s.length + i) : Math.min(i, s.length));
  const a = norm(start);
  const b = end === undefined ? s.length : norm(end);
  return b > a ? s.subarray(a, b) : s.subarray(0, 0);
}

interface V2Fields {
  keyVersion: number;
  timestamp: Uint8Array;
  name: Uint8Array;
  value: Uint8Array;
  signature: Uint8Array;
}

function decodeFieldsV2(value: Uint8Array): V2Fields | null {
  let rest = value.subarray(2);
  const consume = (): Uint8Array | null => {
    const colon = rest.indexOf(0x3a);
    const lengthText = latin1(colon < 0 ? rest : rest.subarray(0, colon));
    const after = colon < 0 ? rest.subarray(0, 0) : rest.subarray(colon + 1);
    const n = pyIntBytes(lengthText);
    if (n === null) return null;
    const next = pySlice(after, n, n + 1);
    if (next.length !== 1 || next[0] !== PIPE) return null;
    rest = pySlice(after, n + 1);
    return pySlice(after, 0, n);
  };
  const keyVersion = consume();
  const timestamp = keyVersion && consume();
  const name = timestamp && consume();
  const field = name && consume();
  if (!keyVersion || !timestamp || !name || !field) return null;
  const kv = pyIntBytes(latin1(keyVersion));
  if (kv === null) return null;
  return { keyVersion: kv, timestamp, name, value: field, signature: rest };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function decodeV1(
  secret: SecretKey,
  name: string,
  value: Uint8Array,
  maxAgeDays: number,
  clock: () => number,
): Uint8Array | null {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= value.length; i++) {
    if (i === value.length || value[i] === PIPE) {
      parts.push(value.subarray(start, i));
      start = i + 1;
    }
  }
  if (parts.length !== 3) return null;
  const [payload, stamp, passed] = parts as [Uint8Array, Uint8Array, Uint8Array];
  const expected = signV1(secret, encoder.encode(name), payload, stamp);
  if (!constantTimeEqual(passed, encoder.encode(expected))) {
    genLog.warning("Invalid cookie signature %r", latin1(value));
    return null;
  }
  // Tornado raises here on a non-integer; for input from a client, rejecting is the sane outcome.
  const timestamp = pyIntBytes(latin1(stamp));
  if (timestamp === null) return null;
  if (timestamp < clock() - maxAgeDays * SECONDS_PER_DAY) {
    genLog.warning("Expired cookie %r", latin1(value));
    return null;
  }
  // The v1 signature has no delimiter between payload and timestamp, so digits could move
  // from one to the other without breaking it; a far-future or zero-led timestamp is the tell.
  if (timestamp > clock() + 31 * SECONDS_PER_DAY) {
    genLog.warning("Cookie timestamp in future; possible tampering %r", latin1(value));
    return null;
  }
  if (stamp[0] === 0x30) {
    genLog.warning("Tampered cookie %r", latin1(value));
    return null;
  }
  return b64decodeLenient(payload);
}

function decodeV2(
  secret: CookieSecret,
  name: string,
  value: Uint8Array,
  maxAgeDays: number,
  clock: () => number,
): Uint8Array | null {
  const fields = decodeFieldsV2(value);
  if (fields === null) return null;
  // As Python's value[:-len(sig)]: an empty signature leaves nothing signed.
  const signed = fields.signature.length === 0 ? value.subarray(0, 0) : value.subarray(0, value.length - fields.signature.length);
  let key: SecretKey | undefined;
  if (isKeyMap(secret)) {
    key = lookupKey(secret, fields.keyVersion);
    if (key === undefined) return null;
  } else {
    key = secret;
  }
  if (!constantTimeEqual(fields.signature, encoder.encode(signV2(key, signed)))) return null;
  if (!bytesEqual(fields.name, encoder.encode(name))) return null;
  const timestamp = pyIntBytes(latin1(fields.timestamp));
  if (timestamp === null) return null;
  if (timestamp < clock() - maxAgeDays * SECONDS_PER_DAY) return null;
  return b64decodeLenient(fields.value);
}

/**
 * Checks a value made by {@link createSignedValue} (or by Tornado) and returns what was
 * signed, as raw bytes; `null` when the value is missing, malformed, forged, signed for
 * another name, older than `maxAgeDays` or of a version below `minVersion`. This is
 * Tornado's `decode_signed_value`.
 *
 * A version 1 value under a key-versioned secret is rejected (Tornado fails an assertion).
 *
 * @throws {SigningError} when `minVersion` is above 2.
 * @example
 * const bytes = decodeSignedValueBytes("my-secret", "session", cookieValue);
 */
export function decodeSignedValueBytes(
  secret: CookieSecret,
  name: string,
  value: string | Uint8Array | null | undefined,
  opts: DecodeSignedValueOptions = {},
): Uint8Array | null {
  const clock = opts.clock ?? systemClock;
  const minVersion: number = opts.minVersion ?? DEFAULT_SIGNED_VALUE_MIN_VERSION;
  const maxAgeDays = opts.maxAgeDays ?? 31;
  if (minVersion > 2) throw new SigningError(`Unsupported min_version ${minVersion}`);
  if (value === null || value === undefined || value.length === 0) return null;
  const bytes = toBytes(value);
  const version = getVersion(bytes);
  if (version < minVersion) return null;
  if (version === 1) {
    if (isKeyMap(secret)) return null;
    return decodeV1(secret, name, bytes, maxAgeDays, clock);
  }
  if (version === 2) return decodeV2(secret, name, bytes, maxAgeDays, clock);
  return null;
}

/**
 * As {@link decodeSignedValueBytes}, with the result decoded as UTF-8 (invalid sequences
 * become U+FFFD; use the bytes form for binary payloads).
 *
 * @example
 * const user = decodeSignedValue("my-secret", "user", request.cookies.get("user"));
 * if (user === null) redirectToLogin();
 */
export function decodeSignedValue(
  secret: CookieSecret,
  name: string,
  value: string | Uint8Array | null | undefined,
  opts: DecodeSignedValueOptions = {},
): string | null {
  const bytes = decodeSignedValueBytes(secret, name, value, opts);
  return bytes === null ? null : new TextDecoder().decode(bytes);
}

/**
 * The key version a version 2 signed value names in its `1:<n>` field, without checking
 * its signature; `null` for version 1 or malformed values. Tornado's
 * `get_signature_key_version`, used to re-sign cookies made with a retired key.
 *
 * @example
 * if (getSignatureKeyVersion(cookie) !== currentKeyVersion) resignCookie();
 */
export function getSignatureKeyVersion(value: string | Uint8Array): number | null {
  const bytes = toBytes(value);
  if (getVersion(bytes) < 2) return null;
  return decodeFieldsV2(bytes)?.keyVersion ?? null;
}

// ---------------------------------------------------------------------------------------
// XSRF tokens

/** Options of {@link encodeXsrfToken}. */
export interface EncodeXsrfTokenOptions {
  /** 2 (default, masked) or 1 (plain hex); Tornado's `xsrf_cookie_version` setting. */
  version?: 1 | 2;
  /** Four bytes to mask the token with; random by default, fresh for each page. */
  mask?: Uint8Array;
  /** When the token was made, in seconds; defaults to now. */
  timestamp?: number;
}

/** A token read back by {@link decodeXsrfToken}. */
export interface DecodedXsrfToken {
  /** The format it was read from: 2 for masked tokens, 1 for anything older. */
  version: 1 | 2;
  /** The raw token; may be empty, which Tornado's `check_xsrf_cookie` rejects. */
  token: Uint8Array;
  /** When the token was made (version 2), or the decoding time for older tokens. */
  timestamp: number;
}

/** XOR with a repeating four-byte mask, as a WebSocket frame mask (Tornado reuses it). */
function applyMask(mask: Uint8Array, data: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const m = mask[i % 4];
    if (m === undefined) return null;
    out[i] = data[i]! ^ m;
  }
  return out;
}

/**
 * A new random XSRF token: 16 bytes from `crypto.getRandomValues`, as Tornado's
 * `os.urandom(16)`.
 *
 * @example
 * const token = newXsrfToken();
 * handler.setCookie("_xsrf", encodeXsrfToken(token));
 */
export function newXsrfToken(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(16));
}

/**
 * Formats a raw XSRF token for a cookie or a form field, as Tornado's
 * `RequestHandler.xsrf_token`: version 2 masks the token with four random bytes, so the
 * string differs on every page (defeating BREACH-style compression attacks) while
 * decoding to the same token; version 1 is plain hex.
 *
 * @throws {SigningError} for another version or a mask that is not four bytes.
 * @example
 * encodeXsrfToken(token);                   // "2|1a2b3c4d|<masked hex>|1764000000"
 * encodeXsrfToken(token, { version: 1 });   // "<hex>"
 */
export function encodeXsrfToken(token: Uint8Array, opts: EncodeXsrfTokenOptions = {}): string {
  const version: number = opts.version ?? 2;
  if (version === 1) return hexEncode(token);
  if (version !== 2) throw new SigningError(`unknown xsrf cookie version ${version}`);
  const mask = opts.mask ?? crypto.getRandomValues(new Uint8Array(4));
  if (mask.length !== 4) throw new SigningError(`XSRF mask must be 4 bytes, got ${mask.length}`);
  const timestamp = timestampText(opts.timestamp ?? systemClock());
  return `2|${hexEncode(mask)}|${hexEncode(applyMask(mask, token)!)}|${timestamp}`;
}

/**
 * Reads an XSRF token from the `_xsrf` cookie, argument or header, as Tornado's
 * `_decode_xsrf_token`: a version 2 token is unmasked; a value with no version is taken
 * as hex, or failing that as the raw token itself (pre-3.2.2 cookies); a malformed
 * version 2 value or an unknown version gives `null`.
 *
 * Compare the tokens of the cookie and of the request with {@link xsrfTokensEqual}, and
 * reject an empty token as Tornado does ("'_xsrf' argument has invalid format").
 *
 * @example
 * const sent = decodeXsrfToken(argument);
 * const expected = decodeXsrfToken(cookie);
 * const ok = sent && expected && sent.token.length > 0 && xsrfTokensEqual(sent.token, expected.token);
 */
export function decodeXsrfToken(value: string, opts: { clock?: () => number } = {}): DecodedXsrfToken | null {
  const m = VERSION_RE.exec(latin1(encoder.encode(value)));
  if (m === null) {
    const token = hexDecode(value) ?? encoder.encode(value);
    return { version: 1, token, timestamp: Math.trunc((opts.clock ?? systemClock)()) };
  }
  if (m[1] !== "2") return null;
  const parts = value.split("|");
  if (parts.length !== 4) return null;
  const mask = hexDecode(parts[1]!);
  const masked = hexDecode(parts[2]!);
  if (mask === null || masked === null) return null;
  const token = applyMask(mask, masked);
  const timestamp = pyInt(parts[3]!);
  if (token === null || timestamp === null) return null;
  return { version: 2, token, timestamp };
}

/**
 * Whether two XSRF tokens are equal, in time that does not depend on where they differ
 * (Python's `hmac.compare_digest`).
 *
 * @example
 * xsrfTokensEqual(sent.token, expected.token); // true when the form matches the cookie
 */
export function xsrfTokensEqual(a: Uint8Array, b: Uint8Array): boolean {
  return constantTimeEqual(a, b);
}
