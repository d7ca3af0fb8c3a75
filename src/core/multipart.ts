/**
 * Form bodies — Tornado's `httputil.parse_body_arguments` and
 * `httputil.parse_multipart_form_data`: `application/x-www-form-urlencoded` and
 * `multipart/form-data` request bodies into body arguments and uploaded files.
 *
 * Where Tornado 6.2 only logs a warning and carries on with a malformed body, Cyclone
 * throws a {@link MultipartError} (an `HTTPInputError`) whose `code` says what is wrong,
 * so the request ends with a 400 and a reason. A body is parsed whole or not at all: on an
 * error, the argument and file maps are left as they were.
 *
 * Limits (as Tornado 6.5.5's `ParseMultipartConfig`, against part bombs): at most
 * {@link DEFAULT_MULTIPART_LIMITS}`.maxParts` parts (1000) and
 * `.maxPartHeaderSize` bytes of headers per part (10 KiB).
 *
 * Values are zero-copy views (`subarray`) into the request body.
 * @module
 */

import { MultipartError, parseUrlencodedBody, refuseContentEncoding } from "./form-body.js";
import { type ArgumentMap, type HTTPFile, HTTPHeaders, HTTPInputError } from "./httputil.js";
import { parseHeaderParams } from "./multipart-params.js";

export { parseHeaderParams } from "./multipart-params.js";
export { MultipartError, type MultipartErrorCode } from "./form-body.js";

/** Limits on a `multipart/form-data` body. */
export interface MultipartOptions {
  /** Most parts (fields and files) a body may have; more → `TOO_MANY_PARTS`. Default 1000. */
  maxParts?: number;
  /** Most bytes of headers one part may have; more → `HEADER_TOO_LARGE`. Default 10 KiB. */
  maxPartHeaderSize?: number;
}

/** The defaults of {@link MultipartOptions}. */
export const DEFAULT_MULTIPART_LIMITS: Readonly<Required<MultipartOptions>> = Object.freeze({
  maxParts: 1000,
  maxPartHeaderSize: 10 * 1024,
});


const encoder = new TextEncoder();
const MAX_BOUNDARY_LENGTH = 200;
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const CRLF = Uint8Array.of(0x0d, 0x0a);
const CRLFCRLF = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a);
const findBlankLine = byteSearcher(CRLFCRLF);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// As Tornado 6.5.5 for multipart headers: control characters are refused, UTF-8 is fine.
const FORBIDDEN_HEADER_CHARS = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * Where `needle` first occurs in `haystack` at or after `from`, ending at or before `end`;
 * -1 when it does not.
 *
 * Boyer–Moore–Horspool: on a miss the window jumps by up to the needle's length, so a
 * boundary search reads a fraction of the body's bytes, even a body full of dashes.
 *
 * @example
 * indexOfBytes(new TextEncoder().encode("a--b--"), new TextEncoder().encode("--"), 2); // 4
 */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0, end = haystack.length): number {
  return byteSearcher(needle)(haystack, from, end);
}

/** A search for one needle with its skip table built once, for repeated use. */
type ByteSearch = (haystack: Uint8Array, from: number, end: number) => number;

function byteSearcher(needle: Uint8Array): ByteSearch {
  const m = needle.length;
  if (m === 0) return (_h, from, end) => (from <= end ? from : -1);
  if (m === 1) {
    const only = needle[0]!;
    return (h, from, end) => {
      const i = h.indexOf(only, from);
      return i !== -1 && i <= end - 1 ? i : -1;
    };
  }
  const shift = new Uint32Array(256).fill(m);
  for (let i = 0; i < m - 1; i++) shift[needle[i]!] = m - 1 - i;
  const lastByte = needle[m - 1]!;
  return (h, from, end) => {
    for (let pos = from; pos <= end - m; ) {
      const b = h[pos + m - 1]!;
      if (b === lastByte) {
        let j = m - 2;
        while (j >= 0 && h[pos + j] === needle[j]) j--;
        if (j < 0) return pos;
      }
      pos += shift[b]!;
    }
    return -1;
  };
}

/**
 * Where `needle` last occurs in `haystack`; -1 when it does not. Horspool, backwards.
 *
 * @example
 * lastIndexOfBytes(new TextEncoder().encode("a--b--"), new TextEncoder().encode("--")); // 4
 */
export function lastIndexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  const m = needle.length;
  if (m === 0) return haystack.length;
  const shift = new Uint32Array(256).fill(m);
  for (let i = m - 1; i > 0; i--) shift[needle[i]!] = i;
  const firstByte = needle[0]!;
  for (let pos = haystack.length - m; pos >= 0; ) {
    const b = haystack[pos]!;
    if (b === firstByte) {
      let j = 1;
      while (j < m && haystack[pos + j] === needle[j]) j++;
      if (j === m) return pos;
    }
    pos -= shift[b]!;
  }
  return -1;
}

function endsWith(data: Uint8Array, start: number, end: number, suffix: Uint8Array): boolean {
  if (end - start < suffix.length) return false;
  for (let i = 0; i < suffix.length; i++) if (data[end - suffix.length + i] !== suffix[i]) return false;
  return true;
}

/**
 * Parses a form request body into `args` and `files`, as Tornado's
 * `parse_body_arguments`: `application/x-www-form-urlencoded` (values kept as bytes, blank
 * values kept) and `multipart/form-data`. Other content types are left alone.
 *
 * @param headers the request headers: a `Content-Encoding` on a form body is refused.
 * @throws {MultipartError} on a malformed body (see {@link MultipartErrorCode}); `args`
 * and `files` are then unchanged.
 *
 * @example
 * const args: ArgumentMap = Object.create(null);
 * const files: Record<string, HTTPFile[]> = Object.create(null);
 * parseBodyArguments(request.headers.get("Content-Type", ""), request.body, args, files, request.headers);
 */
export function parseBodyArguments(
  contentType: string,
  body: Uint8Array,
  args: ArgumentMap,
  files: Record<string, HTTPFile[]>,
  headers?: HTTPHeaders,
  options: MultipartOptions = {},
): void {
  if (contentType.startsWith("application/x-www-form-urlencoded")) {
    refuseContentEncoding(headers);
    parseUrlencodedBody(body, args);
  } else if (contentType.startsWith("multipart/form-data")) {
    refuseContentEncoding(headers);
    parseMultipartBody(contentType, body, args, files, options);
  }
}

/**
 * Parses a body whose content type starts with `multipart/form-data`: finds the boundary
 * in `contentType` and hands over to {@link parseMultipartFormData}. Unlike
 * {@link parseBodyArguments}, it does not look at `Content-Encoding`.
 * @throws {MultipartError} for a bad content type, a missing boundary or a malformed body.
 */
export function parseMultipartBody(
  contentType: string,
  body: Uint8Array,
  args: ArgumentMap,
  files: Record<string, HTTPFile[]>,
  options: MultipartOptions = {},
): void {
  const fields = contentType.split(";");
  if (fields[0]!.trim() !== "multipart/form-data") {
    throw new MultipartError("BAD_CONTENT_TYPE", `Invalid multipart/form-data: invalid content type ${JSON.stringify(contentType)}`);
  }
  for (const field of fields) {
    const f = field.trim();
    const eq = f.indexOf("=");
    if (eq !== -1 && f.slice(0, eq) === "boundary" && eq + 1 < f.length) {
      parseMultipartFormData(f.slice(eq + 1), body, args, files, options);
      return;
    }
  }
  throw new MultipartError("NO_BOUNDARY", "Invalid multipart/form-data: multipart boundary not found");
}

interface ParsedPart {
  readonly name: string;
  readonly value: Uint8Array;
  readonly filename: string | undefined;
  readonly contentType: string;
}

/**
 * Parses a `multipart/form-data` body, as Tornado's `parse_multipart_form_data`: each part
 * with a `filename` becomes an {@link HTTPFile} in `files` (content type from the part,
 * `application/unknown` by default), every other part a value in `args`. A quoted boundary
 * is unquoted; a preamble is refused, an epilogue after the final boundary ignored.
 *
 * @throws {MultipartError} on a malformed body; `args` and `files` are then unchanged.
 *
 * @example
 * const body = new TextEncoder().encode(
 *   '--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--XyZ--\r\n');
 * const args: ArgumentMap = Object.create(null);
 * parseMultipartFormData("XyZ", body, args, Object.create(null));
 * // args.a → [Uint8Array [0x31]]
 */
export function parseMultipartFormData(
  boundary: Uint8Array | string,
  data: Uint8Array,
  args: ArgumentMap,
  files: Record<string, HTTPFile[]>,
  options: MultipartOptions = {},
): void {
  const maxParts = options.maxParts ?? DEFAULT_MULTIPART_LIMITS.maxParts;
  const maxHeader = options.maxPartHeaderSize ?? DEFAULT_MULTIPART_LIMITS.maxPartHeaderSize;
  let b = typeof boundary === "string" ? encoder.encode(boundary) : boundary;
  // The standard allows a quoted boundary in the header (seen from Google App Engine).
  if (b.length >= 2 && b[0] === 0x22 && b[b.length - 1] === 0x22) b = b.subarray(1, -1);
  if (b.length === 0) throw new MultipartError("NO_BOUNDARY", "Invalid multipart/form-data: empty boundary");
  // RFC 2046 allows 70 characters; a very long one would only make the search slow.
  if (b.length > MAX_BOUNDARY_LENGTH) {
    throw new MultipartError("NO_BOUNDARY", `Invalid multipart/form-data: boundary longer than ${MAX_BOUNDARY_LENGTH} bytes`);
  }

  const delimiter = new Uint8Array(b.length + 4);
  delimiter.set([0x2d, 0x2d]);
  delimiter.set(b, 2);
  delimiter.set([0x2d, 0x2d], b.length + 2);
  const finalIndex = lastIndexOfBytes(data, delimiter);
  if (finalIndex === -1) {
    throw new MultipartError("NO_FINAL_BOUNDARY", "Invalid multipart/form-data: no final boundary found (truncated body?)");
  }
  delimiter.set(CRLF, b.length + 2); // now "--boundary\r\n", the separator between parts

  // Find every part before parsing any, so a part bomb is refused before work is done.
  // Each delimiter opens a part, an empty one too (Tornado counts those as well).
  const findDelimiter = byteSearcher(delimiter);
  const starts: number[] = [];
  const ends: number[] = [];
  let delimiters = 0;
  let pos = 0;
  for (;;) {
    const i = findDelimiter(data, pos, finalIndex);
    const end = i === -1 ? finalIndex : i;
    if (end > pos) {
      starts.push(pos);
      ends.push(end);
    }
    if (i === -1) break;
    if (++delimiters > maxParts) {
      throw new MultipartError("TOO_MANY_PARTS", `Invalid multipart/form-data: too many parts (more than ${maxParts})`);
    }
    pos = i + delimiter.length;
  }

  const parsed: ParsedPart[] = [];
  for (let k = 0; k < starts.length; k++) parsed.push(parsePart(data, starts[k]!, ends[k]!, k + 1, maxHeader));
  for (const p of parsed) {
    if (p.filename !== undefined) {
      listFor(files, p.name).push({ filename: p.filename, body: p.value, contentType: p.contentType });
    } else {
      listFor(args, p.name).push(p.value);
    }
  }
}

function listFor<T>(map: Record<string, T[]>, key: string): T[] {
  if (Object.hasOwn(map, key)) return map[key]!;
  const list: T[] = [];
  // defineProperty, so a field named "__proto__" is a key like any other.
  Object.defineProperty(map, key, { value: list, writable: true, enumerable: true, configurable: true });
  return list;
}

function parsePart(data: Uint8Array, start: number, end: number, n: number, maxHeader: number): ParsedPart {
  const eoh = findBlankLine(data, start, end);
  if (eoh === -1) {
    throw new MultipartError("NO_HEADERS", `Invalid multipart/form-data: part ${n} has no headers (no blank line after them)`);
  }
  if (eoh - start > maxHeader) {
    throw new MultipartError("HEADER_TOO_LARGE", `Invalid multipart/form-data: part ${n} header too large (more than ${maxHeader} bytes)`);
  }
  let headers: HTTPHeaders;
  try {
    headers = parsePartHeaders(strictDecoder.decode(data.subarray(start, eoh)));
  } catch (e) {
    const why = e instanceof TypeError ? "headers are not valid UTF-8" : (e as Error).message;
    throw new MultipartError("BAD_HEADERS", `Invalid multipart/form-data: bad headers in part ${n}: ${why}`);
  }
  const disposition = headers.get("Content-Disposition");
  if (disposition === undefined) {
    throw new MultipartError("NO_DISPOSITION", `Invalid multipart/form-data: part ${n} has no Content-Disposition header`);
  }
  let kind: string;
  let params: Record<string, string>;
  try {
    [kind, params] = parseHeaderParams(disposition);
  } catch (e) {
    throw new MultipartError("BAD_HEADERS", `Invalid multipart/form-data: bad Content-Disposition in part ${n}: ${(e as Error).message}`);
  }
  if (kind !== "form-data") {
    throw new MultipartError("NOT_FORM_DATA", `Invalid multipart/form-data: part ${n} has Content-Disposition ${JSON.stringify(kind)}, not "form-data"`);
  }
  if (!endsWith(data, start, end, CRLF)) {
    throw new MultipartError("TRUNCATED_PART", `Invalid multipart/form-data: part ${n} is truncated (no CRLF before the next boundary)`);
  }
  const name = params["name"];
  if (!name) throw new MultipartError("NO_NAME", `Invalid multipart/form-data: part ${n} is missing a name`);
  const filename = params["filename"];
  // Tornado's part[eoh + 4 : -2]: a part that is only headers has an empty value.
  const value = data.subarray(eoh + 4, Math.max(eoh + 4, end - 2));
  return {
    name,
    value,
    filename: filename ? filename : undefined,
    contentType: headers.get("Content-Type") ?? "application/unknown",
  };
}

/**
 * Parses the header block of one part, as Tornado 6.5.5's `HTTPHeaders.parse` for
 * multipart: header names are tokens, values any text but control characters, and
 * folded lines continue the previous value.
 */
function parsePartHeaders(text: string): HTTPHeaders {
  const h = new HTTPHeaders();
  let lastName: string | null = null;
  let lastValue = "";
  const commit = () => {
    if (lastName !== null) h.add(lastName, lastValue);
  };
  for (let line of text.split("\n")) {
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line === "") continue;
    if (line[0] === " " || line[0] === "\t") {
      if (lastName === null) throw new HTTPInputError("first header line cannot start with whitespace");
      const more = line.replace(/^[ \t]+|[ \t]+$/g, "");
      if (FORBIDDEN_HEADER_CHARS.test(more)) throw new HTTPInputError(`Invalid header value ${JSON.stringify(more)}`);
      lastValue += " " + more;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon === -1) throw new HTTPInputError(`no colon in header line ${JSON.stringify(line)}`);
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new HTTPInputError(`Invalid header name ${JSON.stringify(name)}`);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (FORBIDDEN_HEADER_CHARS.test(value)) throw new HTTPInputError(`Invalid header value ${JSON.stringify(value)}`);
    commit();
    lastName = name;
    lastValue = value;
  }
  commit();
  return h;
}
